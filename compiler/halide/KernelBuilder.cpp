// Turns a kernel into ImageParams with exact shape constraints, dispatches to
// the op's builder and constrains the output buffer the same way.
#include "KernelBuilder.h"
#include "OpBuilders.h"

#include <fmt/format.h>

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
  /// this kernel binds (directly or through other derived symbols).
  std::optional<Expr> derive(const std::string &name) {
    auto desc =
        std::find_if(graph_.symbols.begin(), graph_.symbols.end(),
                     [&](const SymbolDesc &s) { return s.name == name; });
    if (desc == graph_.symbols.end() || desc->base.empty())
      return std::nullopt;
    auto it = symbols_.find(desc->base);
    std::optional<Expr> base = it != symbols_.end()
                                   ? std::optional<Expr>(it->second)
                                   : derive(desc->base);
    if (!base)
      return std::nullopt;
    // Halide's integer division rounds toward negative infinity.
    return Halide::Internal::simplify((*base + static_cast<int>(desc->add)) /
                                          static_cast<int>(desc->div) +
                                      static_cast<int>(desc->post));
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
  if (op == "slice")
    return buildSlice(ctx);
  if (op == "reshape")
    return buildReshape(ctx);
  if (op == "reduce_sum" || op == "reduce_mean")
    return buildReduction(ctx);
  if (op == "fbank")
    return buildFbank(ctx);
  if (op == "ctc_greedy")
    return buildCtcGreedy(ctx);
  if (op == "transpose")
    return buildTranspose(ctx);
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

BuiltKernel buildKernel(const KernelGraph &graph, const KernelDesc &kernel,
                        const Halide::Target &target, bool gpuOnHost) {
  OpContext ctx{KernelView(graph, kernel), target, {}, {}};
  GpuPlan gpu{gpuOnHost};
  if (gpuOnHost || target.has_gpu_feature())
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
  return BuiltKernel{ctx.inputs, Halide::Pipeline(out)};
}

} // namespace hmc::halide
