// reduce_sum, reduce_mean, reduce_max and reduce_min over a set of axes;
// arg_max and arg_min along one axis.
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

} // namespace hmc::halide
