// Turns a kernel into ImageParams with exact shape constraints, dispatches to
// the op's builder and constrains the output buffer the same way.
#include "KernelBuilder.h"
#include "OpBuilders.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <thread>

namespace hmc::halide {

using Halide::Expr;

Halide::Type halideType(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return Halide::Float(32);
  case DType::Float64:
    return Halide::Float(64);
  case DType::Int32:
    return Halide::Int(32);
  case DType::Int64:
    return Halide::Int(64);
  case DType::Bool:
    return Halide::UInt(8);
  }
  return Halide::Float(32);
}

namespace {

/// Constrains one buffer's dimensions to the graph shape: min 0, dense
/// strides, static extents exact and dynamic extents equal to the symbol's
/// binding. Knowing strides and extents lets Halide fold address arithmetic.
void constrain(Halide::Internal::Dimension dim, Expr extent, Expr stride) {
  dim.set_min(0);
  dim.set_stride(stride);
  dim.set_extent(extent);
}

class ShapeBinder {
public:
  explicit ShapeBinder(const KernelGraph &graph) : graph_(graph) {}

  /// Extents (Halide order) of a buffer. A symbol not bound yet is bound to
  /// this dimension of `param`; outputs pass none, as validation guarantees
  /// their symbols appear among the inputs.
  std::vector<Expr> bind(const BufferDesc &buffer,
                         const Halide::OutputImageParam *param) {
    size_t rank = buffer.shape.size();
    std::vector<Expr> extents(rank);
    for (size_t k = 0; k < rank; ++k) {
      const Dim &dim = buffer.shape[rank - 1 - k];
      if (dim.isStatic()) {
        extents[k] = static_cast<int>(dim.size);
        continue;
      }
      auto it = symbols_.find(dim.symbol);
      if (it == symbols_.end()) {
        std::optional<Expr> derived = derive(dim.symbol);
        if (!param && !derived)
          throw GraphError(fmt::format("buffer {} uses symbol '{}' that no "
                                       "input of the kernel binds",
                                       buffer.id, dim.symbol));
        // An input's own extent is the binding; a derived value computed
        // from it would be the same number, known only at run time.
        it = symbols_
                 .emplace(dim.symbol,
                          param ? param->dim(int(k)).extent() : *derived)
                 .first;
      }
      extents[k] = it->second;
    }
    return extents;
  }

  /// Applies `extents` with dense strides. An extent that is the dimension's
  /// own binding is left free (constraining it to itself is a cycle).
  static void apply(const Halide::OutputImageParam &param,
                    const std::vector<Expr> &extents) {
    Expr stride = 1;
    for (size_t k = 0; k < extents.size(); ++k) {
      Halide::Internal::Dimension dim = param.dim(static_cast<int>(k));
      if (Halide::Internal::equal(extents[k], dim.extent()))
        dim.set_min(0).set_stride(stride);
      else
        constrain(dim, extents[k], stride);
      stride = Halide::Internal::simplify(stride * extents[k]);
    }
  }

private:
  /// floor((base + add) / div) + post when `name` is derived from a symbol
  /// this kernel binds (directly or through other derived symbols), or
  /// `name` recovered from a bound name + c.
  std::optional<Expr> derive(const std::string &name) {
    auto desc =
        std::find_if(graph_.symbols.begin(), graph_.symbols.end(),
                     [&](const SymbolDesc &s) { return s.name == name; });
    if (desc == graph_.symbols.end() || desc->base.empty())
      return undo(name);
    auto it = symbols_.find(desc->base);
    std::optional<Expr> base = it != symbols_.end()
                                   ? std::optional<Expr>(it->second)
                                   : derive(desc->base);
    // The base may be known only from its padded form (pad, then conv), or
    // the symbol itself only from its own (a derived length padded, then
    // cropped by a 'valid' conv).
    if (!base)
      base = undo(desc->base);
    if (!base)
      return undo(name);
    // Halide's integer division rounds toward negative infinity.
    return Halide::Internal::simplify(
        (*base * static_cast<int>(desc->mul) + static_cast<int>(desc->add)) /
            static_cast<int>(desc->div) +
        static_cast<int>(desc->post));
  }

  /// `name` from a bound symbol defined as mul name + c: a kernel that crops
  /// a padded buffer (a 'valid' convolution) sees only the padded length.
  std::optional<Expr> undo(const std::string &name) {
    for (const SymbolDesc &s : graph_.symbols) {
      auto it = symbols_.find(s.name);
      if (s.base == name && s.div == 1 && it != symbols_.end())
        return Halide::Internal::simplify(
            (it->second - static_cast<int>(s.add + s.post)) /
            static_cast<int>(s.mul));
    }
    return std::nullopt;
  }

  const KernelGraph &graph_;
  std::map<std::string, Expr> symbols_;
};

Halide::Func buildOp(const OpContext &ctx) {
  const std::string &op = ctx.view.kernel().op;
  if (op == "layer_norm")
    return buildLayerNorm(ctx);
  if (op == "linear" || op == "matmul")
    return buildContraction(ctx);
  if (op == "hyper_mix")
    return buildHyperMix(ctx);
  if (op == "gather")
    return buildGather(ctx);
  if (op == "gather_elements")
    return buildGatherElements(ctx);
  if (op == "scatter_nd")
    return buildScatterNd(ctx);
  if (op == "slice")
    return buildSlice(ctx);
  if (op == "iota")
    return buildIota(ctx);
  if (op == "dim_size")
    return buildDimSize(ctx);
  if (op == "reshape")
    return buildReshape(ctx);
  if (op == "reduce_sum" || op == "reduce_mean" || op == "reduce_max" ||
      op == "reduce_min")
    return buildReduction(ctx);
  if (op == "arg_max" || op == "arg_min")
    return buildArgExtremum(ctx);
  if (op == "cumsum")
    return buildCumSum(ctx);
  if (op == "fbank")
    return buildFbank(ctx);
  if (op == "ctc_greedy")
    return buildCtcGreedy(ctx);
  if (op == "transpose")
    return buildTranspose(ctx);
  if (op == "relative_shift")
    return buildRelativeShift(ctx);
  if (op == "pad")
    return buildPad(ctx);
  if (op == "concat")
    return buildConcat(ctx);
  if (op == "conv")
    return buildConvolution(ctx);
  if (op == "softmax" || op == "log_softmax")
    return buildSoftmax(ctx);
  return buildElementwise(ctx);
}

} // namespace

bool autoschedulable(const std::string &op) {
  return op != "hyper_mix" && op != "conv" && op != "fbank" &&
         op != "ctc_greedy" && op != "iota" && op != "dim_size";
}

std::map<std::string, int64_t> symbolSizes(const KernelGraph &graph,
                                           int64_t length, int64_t batch,
                                           bool *inRange) {
  if (inRange)
    *inRange = true;
  std::set<std::string> batchSymbols;
  for (const auto &[id, buffer] : graph.buffers)
    if (buffer.storage == Storage::Input && buffer.shape.size() >= 2 &&
        !buffer.shape[0].isStatic())
      batchSymbols.insert(buffer.shape[0].symbol);
  std::map<std::string, int64_t> sizes;
  // Derived symbols follow their base, which the graph lists earlier.
  for (const SymbolDesc &symbol : graph.symbols) {
    int64_t size = batchSymbols.count(symbol.name) ? batch : length;
    if (!symbol.base.empty() && sizes.count(symbol.base)) {
      int64_t sum = symbol.mul * sizes[symbol.base] + symbol.add;
      int64_t quotient = sum / symbol.div - (sum % symbol.div < 0 ? 1 : 0);
      size = quotient + symbol.post;
    }
    sizes[symbol.name] = std::clamp(size, symbol.min, symbol.max);
    if (inRange && !symbol.base.empty() && sizes[symbol.name] != size)
      *inRange = false;
  }
  return sizes;
}

std::vector<int64_t>
concreteShape(const BufferDesc &buffer,
              const std::map<std::string, int64_t> &sizes) {
  std::vector<int64_t> shape;
  for (const Dim &dim : buffer.shape)
    shape.push_back(dim.isStatic() ? dim.size : sizes.at(dim.symbol));
  return shape;
}

namespace {

/// Loads the Halide plugin of `name` once.
void loadAutoscheduler(const std::string &name) {
  static std::set<std::string> loaded;
  if (loaded.count(name))
    return;
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  Halide::load_plugin(std::string(HMC_HALIDE_PLUGIN_DIR) + "/libautoschedule_" +
                      lower + ".so");
  loaded.insert(name);
}

/// Estimates of every input and of the output at the schedule's sizes, then
/// the autoscheduler's schedule.
void autoschedule(const KernelView &view, BuiltKernel &built,
                  const ScheduleChoice &schedule,
                  const Halide::Target &target) {
  if (!autoschedulable(view.kernel().op))
    view.fail("no autoscheduler candidate: the kernel exists only in its "
              "hand-written schedule");
  auto estimate = [&](const BufferDesc &buffer) {
    std::vector<int64_t> shape = concreteShape(buffer, schedule.estimates);
    return std::vector<int64_t>(shape.rbegin(), shape.rend());
  };
  for (size_t i = 0; i < built.inputs.size(); ++i) {
    std::vector<int64_t> extents = estimate(view.input(i));
    for (size_t k = 0; k < extents.size(); ++k)
      built.inputs[i].dim(int(k)).set_estimate(0, int(extents[k]));
  }
  Halide::Region region;
  for (int64_t extent : estimate(view.output(0)))
    region.emplace_back(0, int(extent));
  built.pipeline.outputs()[0].set_estimates(region);
  loadAutoscheduler(schedule.autoscheduler);
  // This machine's parallelism; Halide's generic cache size and balance.
  Halide::MachineParams machine = Halide::MachineParams::generic();
  machine.parallelism =
      std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  built.pipeline.auto_schedule(schedule.autoscheduler, target, machine);
}

} // namespace

BuiltKernel buildKernel(const KernelGraph &graph, const KernelDesc &kernel,
                        const Halide::Target &target,
                        const ScheduleChoice &schedule, bool gpuOnHost) {
  OpContext ctx{KernelView(graph, kernel), target, schedule, {}, {}};
  GpuPlan gpu{gpuOnHost};
  // An autoscheduler (Li2018 for GPUs) schedules the plain algorithm.
  if ((gpuOnHost || target.has_gpu_feature()) && ctx.handScheduled())
    ctx.gpu = &gpu;
  ShapeBinder binder(graph);
  for (size_t i = 0; i < kernel.inputs.size(); ++i) {
    const BufferDesc &buffer = ctx.view.input(i);
    // Parameter names appear in Halide's runtime error messages.
    Halide::ImageParam param(halideType(buffer.dtype),
                             static_cast<int>(buffer.shape.size()),
                             kernel.inputs[i].role);
    ShapeBinder::apply(param, binder.bind(buffer, &param));
    ctx.inputs.push_back(param);
  }
  ctx.outputExtents = binder.bind(ctx.view.output(0), nullptr);
  Halide::Func out = buildOp(ctx);
  if (ctx.gpu && !gpu.scheduled)
    scheduleGpuPipeline(ctx, out);
  ShapeBinder::apply(out.output_buffer(), ctx.outputExtents);
  BuiltKernel built{ctx.inputs, Halide::Pipeline(out), {}};
  for (const std::vector<Halide::Expr> &requirement : ctx.requirements) {
    std::vector<Halide::Expr> message(requirement.begin() + 1,
                                      requirement.end());
    built.pipeline.add_requirement(requirement.front(), message);
  }
  for (const auto &[name, value] : schedule.knobs)
    if (!ctx.knobsRead.count(name))
      built.knobNotes.push_back("knob " + name + "=" + std::to_string(value) +
                                " is no parameter of this kernel's schedule; "
                                "ignored");
  built.knobNotes.insert(built.knobNotes.end(), ctx.clampedKnobs.begin(),
                         ctx.clampedKnobs.end());
  if (!ctx.handScheduled())
    autoschedule(ctx.view, built, schedule, target);
  return built;
}

} // namespace hmc::halide
