// Internal interface between KernelBuilder and the per-op builders. Halide
// dimension 0 is the innermost (last row-major) dimension throughout.
#ifndef HMC_HALIDE_OPBUILDERS_H
#define HMC_HALIDE_OPBUILDERS_H

#include "KernelGraph.h"
#include "Schedule.h"

#include <Halide.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>

namespace hmc::halide {

/// A kernel built for a GPU (or, for tests, its GPU form run on the host).
struct GpuPlan {
  /// The GPU algorithm forms and tiling with CPU loops (JIT tests).
  bool onHost = false;
  /// Set by a builder that scheduled every Func for the GPU itself;
  /// otherwise scheduleGpuPipeline replaces the builder's CPU schedule.
  bool scheduled = false;
};

/// What an op builder sees: the validated kernel, its constrained inputs,
/// the target whose natural vector width the schedule uses and the schedule
/// asked for.
struct OpContext {
  KernelView view;
  Halide::Target target;
  ScheduleChoice schedule;
  std::vector<Halide::ImageParam> inputs;
  /// Extents of output 0 in Halide order (static sizes or symbol extents).
  std::vector<Halide::Expr> outputExtents;
  /// Non-null when building for a GPU: builders may define a GPU form.
  GpuPlan *gpu = nullptr;

  const Halide::ImageParam &input(const std::string &role) const {
    return inputs.at(*view.findInput(role));
  }
  int vectorSize(const Halide::Type &type) const {
    return target.natural_vector_size(type);
  }
  /// False when an autoscheduler schedules the kernel: the builder then
  /// defines the algorithm only.
  bool handScheduled() const { return schedule.autoscheduler.empty(); }
  /// A hand-written schedule parameter: the tuned value when the schedule
  /// sets one (clamped to [lo, hi]), else `fallback`.
  int knob(const std::string &name, int fallback, int lo, int hi) const {
    knobsRead.insert(name);
    auto it = schedule.knobs.find(name);
    if (it == schedule.knobs.end())
      return fallback;
    int value = std::clamp(it->second, lo, hi);
    if (value != it->second)
      clampedKnobs.insert("knob " + name + "=" + std::to_string(it->second) +
                          " is outside [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]; " + std::to_string(value) +
                          " used");
    return value;
  }
  /// What knob() saw, so that a knob the schedule sets in vain is reported.
  mutable std::set<std::string> knobsRead;
  mutable std::set<std::string> clampedKnobs;
  /// Preconditions on the run-time sizes, checked once per run before the
  /// kernel computes (Pipeline::add_requirement): the condition, then the
  /// parts of the message.
  mutable std::vector<std::vector<Halide::Expr>> requirements;
  /// Elements per parallel task of row-parallel kernels (knob task_elements).
  int taskElements() const {
    return knob("task_elements", 1 << 14, 1 << 8, 1 << 22);
  }
  /// Parallel tasks that register-tiled kernels aim for (knob tasks): a few
  /// per core, so a handful of column blocks still balances across cores.
  int targetTasks() const { return knob("tasks", 16, 1, 1024); }
};

Halide::Func buildElementwise(const OpContext &ctx);
Halide::Func buildLayerNorm(const OpContext &ctx);
/// linear and matmul.
Halide::Func buildContraction(const OpContext &ctx);
Halide::Func buildHyperMix(const OpContext &ctx);
Halide::Func buildGather(const OpContext &ctx);
Halide::Func buildGatherElements(const OpContext &ctx);
Halide::Func buildScatterNd(const OpContext &ctx);
Halide::Func buildSlice(const OpContext &ctx);
Halide::Func buildIota(const OpContext &ctx);
Halide::Func buildDimSize(const OpContext &ctx);
Halide::Func buildReshape(const OpContext &ctx);
Halide::Func buildTranspose(const OpContext &ctx);
/// y[..., i, j] = x[..., i, j + T - 1 - i] (Transformer-XL's relative shift).
Halide::Func buildRelativeShift(const OpContext &ctx);
Halide::Func buildPad(const OpContext &ctx);
Halide::Func buildConcat(const OpContext &ctx);
Halide::Func buildConvolution(const OpContext &ctx);
/// softmax and log_softmax.
Halide::Func buildSoftmax(const OpContext &ctx);
/// A layer norm's statistics per row of `x` over the Halide dims `sorted`
/// (ascending, dim 0 first): two passes (mean, then the mean of squared
/// deviations), each summed in vector-wide partial sums per row.
struct NormRows {
  Halide::Func mean{"mean"}, rstd{"rstd"};
  Halide::Func partial1{"partial1"}, total1{"total1"};
  Halide::Func partial2{"partial2"}, total2{"total2"};
  Halide::Var lane{"lane"};
  Halide::RDom block; // chunks of dim 0, then the other normalised dims
  std::vector<Halide::Var> rowVars; // the dims not normalised
  /// gamma and beta in x's dim order, where theirs differs (normalize).
  Halide::Func gammaInOrder{"gamma_in_order"}, betaInOrder{"beta_in_order"};
  /// (x - mean) * rstd * gamma + beta, gamma's dims being `dims` (Halide
  /// dims in gamma's row-major order).
  Halide::Expr normalize(const Halide::Func &x,
                         const std::vector<Halide::Var> &vars,
                         const std::vector<int> &dims,
                         const Halide::ImageParam &gamma,
                         const Halide::ImageParam &beta);
  /// Computes every statistic at `level`, the partial sums vectorised, and
  /// the reordered gamma and beta once.
  void computeAt(const Halide::LoopLevel &level);
};
/// The statistics of `x` at `vars` (extents `extents`) over the Halide dims
/// `sorted`, eps added to the variance.
NormRows layerNormRows(const Halide::Func &x,
                       const std::vector<Halide::Var> &vars,
                       const std::vector<Halide::Expr> &extents,
                       const std::vector<int> &sorted, const Halide::Type &type,
                       int natural, double eps);
/// Row-major dims (a JSON list) of a rank-`rank` tensor as Halide dims, in
/// the same order.
std::vector<int> halideDims(const nlohmann::json &rowMajor, size_t rank);
/// reduce_sum, reduce_mean, reduce_max and reduce_min.
Halide::Func buildReduction(const OpContext &ctx);
/// arg_max and arg_min.
Halide::Func buildArgExtremum(const OpContext &ctx);
Halide::Func buildCumSum(const OpContext &ctx);
Halide::Func buildFbank(const OpContext &ctx);
Halide::Func buildCtcGreedy(const OpContext &ctx);

/// Reads `param` at the output coordinates `vars`, broadcasting its static
/// 1-dims (trailing dimensions align, i.e. Halide's innermost ones).
Halide::Expr broadcastLoad(const Halide::ImageParam &param,
                           const BufferDesc &buffer,
                           const std::vector<Halide::Var> &vars,
                           const std::vector<Halide::Expr> &outExtents);

/// An elementwise program's value on its input values (one per "inK").
Halide::Expr evaluateProgram(const ElementwiseProgram &program,
                             const std::vector<Halide::Expr> &inputs);

/// An op's result (linear, matmul, layer_norm, conv, hyper_mix) at `vars`
/// through the kernel's fused elementwise `epilogue`, if it has one, so the
/// result is stored once.
Halide::Expr applyEpilogue(const OpContext &ctx, const Halide::Expr &result,
                           const std::vector<Halide::Var> &vars);

/// c[0] + c[1] z + c[2] z^2 + ... in float32, by Horner's rule.
Halide::Expr polynomial(const Halide::Expr &z, std::initializer_list<double> c);
/// erf for float32 with absolute error below 4e-7.
Halide::Expr erfFloat(const Halide::Expr &x);
/// tanh for float32, vectorised, relative error below 3e-7.
Halide::Expr tanhFloat(const Halide::Expr &x);
/// sin (or cos) for float32, vectorised, absolute error below 1.5e-7 for
/// |x| < 1e6.
Halide::Expr sinCosFloat(const Halide::Expr &x, bool cosine);
/// GELU in float32: the exact form 0.5 x (1 + erf(x / sqrt 2)), or with
/// `tanhApproximation` torch's 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715
/// x^3))).
Halide::Expr gelu(const Halide::Expr &x, bool tanhApproximation);

/// The in-bounds index that ONNX reflect padding reads for index `j` of a
/// dim of extent `n` (mirrored without repeating the edge), clamped so that
/// a dynamic extent shorter than the pad still reads in bounds.
Halide::Expr reflectIndex(const Halide::Expr &j, const Halide::Expr &n);

/// Requires extent > pad at run time, as ONNX and torch do for a reflect pad
/// (a dynamic dimension; the validator checks static ones).
void requireReflectable(const OpContext &ctx, const Halide::Expr &extent,
                        int pad);

/// The value of a constant extent.
std::optional<int> staticExtent(const Halide::Expr &extent);

/// Vectorises `var` by the natural width: overlapping the last vector when
/// the static extent allows, a guarded tail when the extent is dynamic, the
/// whole dimension when it is shorter than a vector.
void vectorizeInner(Halide::Func func, const Halide::VarOrRVar &var,
                    const Halide::Expr &extent, int natural);

/// How many of `items` iterations one parallel task runs, so that with the
/// `otherTasks` from other dims there are about `targetTasks` tasks; at
/// least `minItems`, so a task still reuses what it loaded.
Halide::Expr itemsPerTask(const Halide::Expr &items,
                          const Halide::Expr &otherTasks, int targetTasks,
                          int minItems);

/// The loops of a row-parallel schedule: one parallel task, and inside it
/// one row block (a single row, or the static inner dims that together fit
/// a task). Stages computed at `row` see static per-block bounds.
struct RowLoops {
  Halide::LoopLevel task, row;
};

/// Runs the rows (vars[1..], Halide order) in parallel tasks of about
/// `elementsPerTask` elements, the outer dims fused into one parallel loop.
/// With a single row, both loops are the outermost level.
RowLoops parallelRows(Halide::Func func, const std::vector<Halide::Var> &vars,
                      const std::vector<Halide::Expr> &extents,
                      int elementsPerTask);

/// Tiles `stage` over its pure `vars` (Halide order) for the GPU: threads
/// over a threadsX x threadsY tile of vars[0..1] (threadsX * threadsY along
/// a single var), blocks over the tiles and every outer var fused (the
/// fused ones on block x, which allows 2^31 - 1 blocks); a stage without
/// pure vars runs on one GPU thread. Returns the innermost thread var. With
/// plan.onHost the same splits stay CPU loops.
/// With `tile` > 0 each thread computes a tile x tile block of vars[0..1]
/// (unrolled; a pure definition only), the returned thread var above it
/// and named alike for every tile. `tail` applies to the blocks.
Halide::Var
gpuTile(const GpuPlan &plan, Halide::Stage stage,
        const std::vector<Halide::Var> &vars, int threadsX, int threadsY,
        int tile = 0,
        Halide::TailStrategy tail = Halide::TailStrategy::GuardWithIf);
/// Thread tile for an output of these extents (Halide order).
std::pair<int, int> gpuThreads(const std::vector<Halide::Expr> &extents);
/// gpuTile for a Func whose threads each accumulate tile x tile outputs of
/// vars[0..1] in registers: 4 x 4 (16 x 8 threads) on large outputs, 2 x 2,
/// or one (32 x 8 threads) where larger tiles would leave SMs idle, chosen
/// at run time from `outputs` (the output count) unless the knob
/// thread_tile_log2 fixes it. Reads past the end of vars[0..1] must be
/// clamped by the algorithm: an intermediate (not `isOutput`) is computed in
/// whole blocks past its end, an output's last block shifts inwards (an
/// output smaller than a block is guarded). Returns the thread var, the same
/// in every specialisation.
Halide::Var gpuRegisterTile(const OpContext &ctx, Halide::Func func,
                            const std::vector<Halide::Var> &vars,
                            const Halide::Expr &outputs, bool isOutput);
/// Schedules acc, computed per thread of gpuRegisterTile's `thread`, as the
/// thread's tile of accumulators over vars[0..1]: unrolled, its reduction
/// outermost.
void gpuAccumulateTile(Halide::Func acc, const std::vector<Halide::Var> &vars);
/// What a builder can refine in the generic GPU schedule: more Funcs at root
/// (values reused by many consumers or costly to recompute), and Funcs with
/// update definitions computed per thread of a root consumer instead (a
/// register accumulator per output element). A consumer with an entry in
/// `outputs` (its output count at run time) gets gpuRegisterTile's tiles.
struct GpuHints {
  std::vector<Halide::Func> roots;
  std::vector<std::pair<Halide::Func, Halide::Func>> perThread; // f, consumer
  std::map<std::string, Halide::Expr> outputs; // by consumer name
};
/// The generic GPU schedule (GpuSchedule.cpp): clears every schedule in
/// out's pipeline, computes out and every Func with update definitions at
/// root, each stage gpuTile'd; the rest inline.
void scheduleGpuPipeline(const OpContext &ctx, Halide::Func out,
                         const GpuHints &hints = {});

} // namespace hmc::halide

#endif // HMC_HALIDE_OPBUILDERS_H
