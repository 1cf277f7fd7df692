// layer_norm over the last dimension: two passes (mean, then the mean of
// squared deviations), each summed in vector-wide partial sums per row.
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

Halide::Func buildLayerNorm(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &gamma = ctx.input("gamma");
  const Halide::ImageParam &beta = ctx.input("beta");
  Halide::Type type = x.type();
  size_t rank = ctx.outputExtents.size();
  Expr features = ctx.outputExtents[0];

  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> rows(vars.begin() + 1, vars.end());
  auto at = [&](Expr i) {
    std::vector<Expr> coords{std::move(i)};
    coords.insert(coords.end(), rows.begin(), rows.end());
    return coords;
  };

  // Lane-partial sums: `lanes` accumulators per row, padded with zeros up to
  // a multiple of the vector width when the feature count needs it.
  int natural = ctx.vectorSize(type);
  std::optional<int> staticFeatures = staticExtent(features);
  int lanes = staticFeatures ? std::min(natural, *staticFeatures) : natural;
  bool padded = !staticFeatures || *staticFeatures % lanes != 0;
  Expr zero = Halide::Internal::make_zero(type);
  Halide::Var i("i"), lane("lane");
  Halide::Func xin("xin");
  xin(at(i)) = padded
                   ? Halide::select(i < features,
                                    x(at(Halide::min(i, features - 1))), zero)
                   : x(at(i));
  Halide::RDom chunk(0, (features + lanes - 1) / lanes, "chunk");
  Expr index = chunk * lanes + lane;
  Halide::RDom laneSum(0, lanes, "laneSum");

  Halide::Func partial1("partial1"), total1("total1"), mean("mean");
  partial1(at(lane)) = zero;
  partial1(at(lane)) += xin(at(index));
  total1(rows) = zero;
  total1(rows) += partial1(at(laneSum));
  mean(rows) = total1(rows) / Halide::cast(type, features);

  Expr deviation = xin(at(index)) - mean(rows);
  Expr square = deviation * deviation;
  Halide::Func partial2("partial2"), total2("total2"), rstd("rstd");
  partial2(at(lane)) = zero;
  partial2(at(lane)) +=
      padded ? Halide::select(index < features, square, zero) : square;
  total2(rows) = zero;
  total2(rows) += partial2(at(laneSum));
  Expr eps = Halide::cast(type, Expr(parseLayerNormEps(ctx.view)));
  rstd(rows) = Halide::cast(type, 1) /
               Halide::sqrt(total2(rows) / Halide::cast(type, features) + eps);

  Halide::Func out("output");
  out(vars) =
      (x(vars) - mean(rows)) * rstd(rows) * gamma(vars[0]) + beta(vars[0]);

  vectorizeInner(out, vars[0], features, natural);
  Halide::LoopLevel row = parallelRows(out, vars, ctx.outputExtents);
  for (Halide::Func partial : {partial1, partial2}) {
    partial.compute_at(row).vectorize(lane);
    partial.update().vectorize(lane);
  }
  for (Halide::Func stage : {total1, mean, total2, rstd})
    stage.compute_at(row);
  return out;
}

} // namespace hmc::halide
