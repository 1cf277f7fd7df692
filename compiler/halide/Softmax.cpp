// softmax and log_softmax over one axis, numerically stable: the row maximum
// is subtracted before exp. Along the contiguous axis each lane sums every
// vector-width-th exp of the row's whole vectors in float32, and the entries
// past them are added one by one (a row of 5000 is 312 terms a lane; float64
// lanes cost a fifth of the CTC head's log_softmax); a strided axis sums
// its row sequentially, in float64. Float64 tensors sum in float64 always.
#include "OpBuilders.h"

#include <limits>

namespace hmc::halide {

using Halide::Expr;
using Halide::TailStrategy;

namespace {

/// Vectorises an update stage's pure var: update stages must not shift
/// inwards (lanes would be added twice) nor round up (reads past inputs).
void vectorizeUpdate(Halide::Stage stage, const Halide::Var &var,
                     const Expr &extent, int natural) {
  std::optional<int> size = staticExtent(extent);
  if (size && *size < natural) {
    if (*size > 1)
      stage.vectorize(var, *size);
  } else if (size && *size % natural == 0) {
    stage.vectorize(var, natural);
  } else {
    stage.vectorize(var, natural, TailStrategy::GuardWithIf);
  }
}

} // namespace

Halide::Func buildSoftmax(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  bool logSoftmax = ctx.view.kernel().op == "log_softmax";
  size_t rank = ctx.outputExtents.size();
  int axis = static_cast<int>(rank) - 1 -
             ctx.view.kernel().attrs.at("axis").get<int>();
  Expr extent = ctx.outputExtents[axis];
  Halide::Type type = x.type();
  Halide::Type accType =
      axis == 0 && type.bits() == 32 ? Halide::Float(32) : Halide::Float(64);
  // The maxima start from the lowest finite value: Halide's default float
  // semantics let LLVM assume no infinities.
  Expr lowest = Halide::Internal::make_const(
      type, type.bits() == 64 ? -std::numeric_limits<double>::max()
                              : -double(std::numeric_limits<float>::max()));
  int natural = ctx.vectorSize(type);
  std::vector<Halide::Var> vars(rank);
  auto at = [&](const Expr &i) {
    std::vector<Expr> coords(vars.begin(), vars.end());
    coords[axis] = i;
    return coords;
  };
  // The coordinates of the per-row statistics: every dim but the axis.
  std::vector<Halide::Var> rows;
  for (size_t d = 0; d < rank; ++d)
    if (static_cast<int>(d) != axis)
      rows.push_back(vars[d]);
  Halide::Func out("output"), rowMax("row_max"), total("total");
  // The output is exp(shifted) / total, or shifted - log(total), subtracted
  // in that order: reassociated as x - (max + log(total)), large rows lose
  // the log (eight 1e8 gave 0, not -log 8).
  auto finish = [&](const Expr &shifted, const Expr &exps) {
    if (logSoftmax)
      out(vars) = Halide::strict_float(
          shifted - Halide::cast(type, Halide::log(total(rows))));
    else
      out(vars) = exps * Halide::cast(type, Expr(1.0) / total(rows));
  };

  if (axis != 0) {
    // A strided axis: vectorise over the contiguous dim 0 instead and keep
    // the statistics of one outer slab (the dims outside the axis).
    Halide::RDom r(0, extent, "r");
    rowMax(rows) = lowest;
    rowMax(rows) = Halide::max(rowMax(rows), x(at(r)));
    total(rows) = Halide::Internal::make_zero(accType);
    total(rows) += Halide::cast(accType, Halide::exp(x(at(r)) - rowMax(rows)));
    Expr shifted = x(vars) - rowMax(rows);
    finish(shifted, Halide::exp(shifted));
    if (!ctx.handScheduled())
      return out;

    vectorizeInner(out, vars[0], ctx.outputExtents[0], natural);
    Halide::LoopLevel slab = Halide::LoopLevel::root();
    if (axis + 1 < static_cast<int>(rank)) {
      Halide::Var outer = vars[axis + 1];
      for (size_t d = axis + 2; d < rank; ++d) {
        Halide::Var fused;
        out.fuse(outer, vars[d], fused);
        outer = fused;
      }
      out.parallel(outer);
      slab = Halide::LoopLevel(out, outer);
    }
    for (Halide::Func stat : {rowMax, total}) {
      stat.compute_at(slab);
      vectorizeInner(stat, vars[0], ctx.outputExtents[0], natural);
      std::vector<Halide::VarOrRVar> order = {vars[0], r};
      for (int d = 1; d < axis; ++d)
        order.push_back(vars[d]);
      stat.update().reorder(order);
      vectorizeUpdate(stat.update(), vars[0], ctx.outputExtents[0], natural);
    }
    return out;
  }

  // The contiguous last axis: lane-partial statistics over the row's whole
  // vectors, dense loads without a select, then the few entries past the
  // last whole vector one by one.
  std::optional<int> staticSize = staticExtent(extent);
  int lanes = staticSize ? std::min(natural, *staticSize) : natural;
  bool ragged = !staticSize || *staticSize % lanes != 0;
  Expr whole = extent / lanes * lanes;
  Halide::Var i("i"), lane("lane");
  Halide::RDom chunk(0, extent / lanes, "chunk");
  Halide::RDom laneSum(0, lanes, "laneSum");
  Halide::RDom tail(whole, extent - whole, "tail");
  Expr index = chunk * lanes + lane;

  Halide::Func partialMax("partial_max"), partialSum("partial_sum");
  partialMax(at(lane)) = lowest;
  partialMax(at(lane)) = Halide::max(partialMax(at(lane)), x(at(index)));
  rowMax(rows) = lowest;
  rowMax(rows) = Halide::max(rowMax(rows), partialMax(at(laneSum)));
  if (ragged)
    rowMax(rows) = Halide::max(rowMax(rows), x(at(tail)));
  // softmax keeps a static-length row's exps (one row fits in L1/L2) to
  // compute exp once; log_softmax needs them only for the sum. A dynamic
  // row would need a heap buffer per row, and parallel rows then contend
  // for the allocator's lock: computing exp twice is cheaper.
  Halide::Func exps("exps");
  exps(at(i)) = Halide::exp(x(at(i)) - rowMax(rows));
  partialSum(at(lane)) = Halide::Internal::make_zero(accType);
  partialSum(at(lane)) += Halide::cast(accType, exps(at(index)));
  total(rows) = Halide::Internal::make_zero(accType);
  total(rows) += partialSum(at(laneSum));
  if (ragged)
    total(rows) += Halide::cast(accType, exps(at(tail)));
  finish(x(vars) - rowMax(rows), exps(vars));
  if (!ctx.handScheduled())
    return out;

  vectorizeInner(out, vars[0], extent, natural);
  Halide::LoopLevel row =
      parallelRows(out, vars, ctx.outputExtents, ctx.taskElements()).row;
  for (Halide::Func partial : {partialMax, partialSum}) {
    partial.compute_at(row).vectorize(lane);
    partial.update().vectorize(lane);
  }
  for (Halide::Func stage : {rowMax, total})
    stage.compute_at(row);
  // Exactly the row: a rounded-up vector would read past it.
  if (!logSoftmax && staticSize)
    exps.compute_at(row).vectorize(i, lanes, TailStrategy::GuardWithIf);
  return out;
}

} // namespace hmc::halide
