// reduce_sum, reduce_mean, reduce_max and reduce_min over a set of axes;
// arg_max, arg_min and cumsum along one axis.
#include "KernelBuilder.h"
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

Halide::Func buildReduction(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  std::vector<int64_t> axes = attrs.at("axes").get<std::vector<int64_t>>();
  bool keepdims = attrs.at("keepdims").get<bool>();
  const std::string &op = ctx.view.kernel().op;
  bool mean = op == "reduce_mean";
  bool extremum = op == "reduce_max" || op == "reduce_min";
  int inRank = static_cast<int>(ctx.view.input("x").shape.size());
  int outRank = static_cast<int>(ctx.outputExtents.size());

  // One reduction variable per reduced axis, innermost first like Halide.
  Halide::Region region;
  std::vector<int> reducedHalideDims;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
    int k = inRank - 1 - static_cast<int>(*it);
    reducedHalideDims.push_back(k);
    region.push_back({0, x.dim(k).extent()});
  }
  Halide::RDom r(region);

  std::vector<Halide::Var> vars(outRank);
  std::vector<Expr> coords(inRank);
  int o = 0, rv = 0;
  for (int k = 0; k < inRank; ++k) {
    bool reduced = std::find(reducedHalideDims.begin(), reducedHalideDims.end(),
                             k) != reducedHalideDims.end();
    if (reduced) {
      coords[k] = r[rv++];
      if (keepdims)
        ++o; // the output keeps a unit dimension here
    } else {
      coords[k] = vars[o++];
    }
  }

  // float32 sums accumulate in float64: pooling sums thousands of tokens.
  Halide::Type type = x.type();
  Halide::Type accType =
      type.is_float() && !extremum ? Halide::Float(64) : type;
  Halide::Func acc("acc");
  if (op == "reduce_max") {
    acc(vars) = type.min(); // -inf for floats
    acc(vars) = Halide::max(acc(vars), x(coords));
  } else if (op == "reduce_min") {
    acc(vars) = type.max();
    acc(vars) = Halide::min(acc(vars), x(coords));
  } else {
    acc(vars) = Halide::Internal::make_zero(accType);
    acc(vars) += Halide::cast(accType, x(coords));
  }
  Expr count = 1;
  for (const auto &range : region)
    count = count * Halide::cast(accType, range.extent);

  Halide::Func out("output");
  out(vars) = Halide::cast(type, mean ? acc(vars) / count : acc(vars));

  // Outer rows in parallel; when the innermost input dimension survives,
  // the reduction runs outside it so the inner loop stays a vector.
  if (!vars.empty() && ctx.handScheduled()) {
    int natural = ctx.vectorSize(type);
    vectorizeInner(out, vars[0], ctx.outputExtents[0], natural);
    Halide::LoopLevel row =
        parallelRows(out, vars, ctx.outputExtents, ctx.taskElements()).row;
    acc.compute_at(row);
    if (reducedHalideDims.front() != 0) {
      std::vector<Halide::VarOrRVar> order = {vars[0]};
      for (int i = 0; i < r.dimensions(); ++i)
        order.push_back(r[i]);
      for (int k = 1; k < outRank; ++k)
        order.push_back(vars[k]);
      acc.update().reorder(order);
      acc.update().vectorize(vars[0], natural,
                             Halide::TailStrategy::GuardWithIf);
    }
  }
  return out;
}

Halide::Func buildArgExtremum(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  bool keepdims = attrs.at("keepdims").get<bool>();
  bool last = attrs.at("select_last_index").get<bool>();
  bool isMax = ctx.view.kernel().op == "arg_max";
  int inRank = static_cast<int>(ctx.view.input("x").shape.size());
  int outRank = static_cast<int>(ctx.outputExtents.size());
  int axis = inRank - 1 - static_cast<int>(attrs.at("axis").get<int64_t>());

  Halide::RDom r(0, x.dim(axis).extent());
  std::vector<Halide::Var> vars(outRank);
  std::vector<Expr> coords(inRank);
  for (int k = 0, o = 0; k < inRank; ++k) {
    if (k == axis) {
      coords[k] = r;
      o += keepdims ? 1 : 0;
    } else {
      coords[k] = vars[o++];
    }
  }

  // (index, value) of the best so far; a tie moves the index only when the
  // last one is asked for, so by default the first one wins.
  Halide::Type type = x.type();
  Halide::Func best("best");
  best(vars) = {Expr(0), isMax ? type.min() : type.max()};
  Expr value = x(coords), held = best(vars)[1];
  Expr better = isMax ? (last ? value >= held : value > held)
                      : (last ? value <= held : value < held);
  best(vars) = {Halide::select(better, Expr(r.x), best(vars)[0]),
                Halide::select(better, value, held)};

  Halide::Func out("output");
  out(vars) = Halide::cast<int64_t>(best(vars)[0]);

  if (!vars.empty() && ctx.handScheduled()) {
    int natural = ctx.vectorSize(type);
    vectorizeInner(out, vars[0], ctx.outputExtents[0], natural);
    Halide::LoopLevel row =
        parallelRows(out, vars, ctx.outputExtents, ctx.taskElements()).row;
    best.compute_at(row);
    if (axis != 0) {
      std::vector<Halide::VarOrRVar> order = {vars[0], r.x};
      for (int k = 1; k < outRank; ++k)
        order.push_back(vars[k]);
      best.update().reorder(order);
      // The update stays scalar: vectorised with a guarded tail, Halide 14
      // got the tail lanes of this tuple update wrong (ReductionTest).
      best.vectorize(vars[0], natural, Halide::TailStrategy::GuardWithIf);
    }
  }
  return out;
}

Halide::Func buildCumSum(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  bool exclusive = attrs.at("exclusive").get<bool>();
  bool reverse = attrs.at("reverse").get<bool>();
  int rank = static_cast<int>(ctx.outputExtents.size());
  int axis = rank - 1 - static_cast<int>(attrs.at("axis").get<int64_t>());
  Expr extent = x.dim(axis).extent();

  // Float sums run in float64, like PyTorch's CPU cumsum.
  Halide::Type type = x.type();
  Halide::Type accType = type.is_float() ? Halide::Float(64) : type;
  std::vector<Halide::Var> vars(rank);
  Halide::Func running("running");
  running(vars) = Halide::cast(accType, x(vars));
  // Each step adds the running sum of its predecessor (the next element
  // when reversed).
  Halide::RDom r(1, extent - 1);
  std::vector<Expr> at(vars.begin(), vars.end()), before = at;
  at[axis] = reverse ? extent - 1 - r : Expr(r);
  before[axis] = reverse ? extent - r : r - 1;
  running(at) += running(before);

  // Exclusive sums are the inclusive ones one step back, 0 at the start.
  std::vector<Expr> read(vars.begin(), vars.end());
  Expr value = running(read);
  if (exclusive) {
    Expr first = reverse ? extent - 1 : Expr(0);
    read[axis] = Halide::clamp(vars[axis] + (reverse ? 1 : -1), 0, extent - 1);
    value = Halide::select(vars[axis] == first,
                           Halide::Internal::make_zero(accType), running(read));
  }
  Halide::Func out("output");
  out(vars) = Halide::cast(type, value);

  std::vector<int> others; // the dimensions besides the scanned one
  for (int k = 0; k < rank; ++k)
    if (k != axis)
      others.push_back(k);
  if (ctx.gpu) {
    std::pair<int, int> threads = gpuThreads(ctx.outputExtents);
    gpuTile(*ctx.gpu, out, vars, threads.first, threads.second);
    running.compute_root();
    gpuTile(*ctx.gpu, running, vars, threads.first, threads.second);
    // The steps run in order, each over all rows as GPU threads.
    Halide::Stage scan = running.update();
    if (others.empty()) {
      gpuTile(*ctx.gpu, scan, {}, 1, 1);
    } else {
      Halide::Var row = vars[others.front()], block, thread;
      for (size_t i = 1; i < others.size(); ++i) {
        Halide::Var fused;
        scan.fuse(row, vars[others[i]], fused);
        row = fused;
      }
      if (ctx.gpu->onHost)
        scan.split(row, block, thread, 64, Halide::TailStrategy::GuardWithIf);
      else
        scan.gpu_tile(row, block, thread, 64,
                      Halide::TailStrategy::GuardWithIf);
      scan.reorder(thread, r.x, block);
    }
    ctx.gpu->scheduled = true;
    return out;
  }
  if (ctx.handScheduled()) {
    int natural = ctx.vectorSize(type);
    vectorizeInner(out, vars[0], ctx.outputExtents[0], natural);
    parallelRows(out, vars, ctx.outputExtents, ctx.taskElements());
    // The scan runs once over the whole tensor, its steps in order; each
    // step is a vector along the innermost other dimension (the rows of a
    // scan along the innermost one), and the outermost remaining dimension
    // runs in parallel. A scalar scan inside a serial row loop was
    // miscompiled: LLVM vectorised the row loop and read the steps' inputs
    // before their stores (ReductionTest, last_axis_*).
    running.compute_root();
    Halide::Stage scan = running.update();
    std::vector<Halide::VarOrRVar> order;
    if (!others.empty())
      order.push_back(vars[others.front()]);
    order.push_back(r.x);
    for (size_t i = 1; i < others.size(); ++i)
      order.push_back(vars[others[i]]);
    scan.reorder(order);
    if (!others.empty())
      scan.vectorize(vars[others.front()], natural,
                     Halide::TailStrategy::GuardWithIf);
    if (others.size() > 1)
      scan.parallel(vars[others.back()]);
  }
  return out;
}

} // namespace hmc::halide
