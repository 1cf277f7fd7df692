// reduce_sum and reduce_mean over a set of axes.
#include "KernelBuilder.h"
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

Halide::Func buildReduction(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  std::vector<int64_t> axes = attrs.at("axes").get<std::vector<int64_t>>();
  bool keepdims = attrs.at("keepdims").get<bool>();
  bool mean = ctx.view.kernel().op == "reduce_mean";
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
  Halide::Type accType = type.is_float() ? Halide::Float(64) : type;
  Halide::Func sum("sum");
  sum(vars) = Halide::Internal::make_zero(accType);
  sum(vars) += Halide::cast(accType, x(coords));
  Expr count = 1;
  for (const auto &range : region)
    count = count * Halide::cast(accType, range.extent);

  Halide::Func out("output");
  out(vars) = Halide::cast(type, mean ? sum(vars) / count : sum(vars));

  // Outer rows in parallel; when the innermost input dimension survives,
  // the reduction runs outside it so the inner loop stays a vector.
  if (!vars.empty() && ctx.handScheduled()) {
    int natural = ctx.vectorSize(type);
    vectorizeInner(out, vars[0], ctx.outputExtents[0], natural);
    Halide::LoopLevel row =
        parallelRows(out, vars, ctx.outputExtents, ctx.taskElements()).row;
    sum.compute_at(row);
    if (reducedHalideDims.front() != 0) {
      std::vector<Halide::VarOrRVar> order = {vars[0]};
      for (int i = 0; i < r.dimensions(); ++i)
        order.push_back(r[i]);
      for (int k = 1; k < outRank; ++k)
        order.push_back(vars[k]);
      sum.update().reorder(order);
      sum.update().vectorize(vars[0], natural,
                             Halide::TailStrategy::GuardWithIf);
    }
  }
  return out;
}

} // namespace hmc::halide
