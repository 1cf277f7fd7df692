// layer_norm over the last `axes` dimensions: two passes (mean, then the mean
// of squared deviations), each summed in vector-wide partial sums per row.
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

Halide::Func buildLayerNorm(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &gamma = ctx.input("gamma");
  const Halide::ImageParam &beta = ctx.input("beta");
  Halide::Type type = x.type();
  size_t rank = ctx.outputExtents.size();
  size_t axes = ctx.view.kernel().attrs.value("axes", size_t(1));
  Expr inner = ctx.outputExtents[0];
  Expr features = inner;
  for (size_t k = 1; k < axes; ++k)
    features = features * ctx.outputExtents[k];

  std::vector<Halide::Var> vars(rank);
  std::vector<Halide::Var> normalised(vars.begin(), vars.begin() + axes);
  std::vector<Expr> rows(vars.begin() + axes, vars.end());

  // Lane-partial sums: `lanes` accumulators per row, padded with zeros up to
  // a multiple of the vector width when the innermost extent needs it.
  int natural = ctx.vectorSize(type);
  std::optional<int> staticInner = staticExtent(inner);
  int lanes = staticInner ? std::min(natural, *staticInner) : natural;
  bool padded = !staticInner || *staticInner % lanes != 0;
  Expr zero = Halide::Internal::make_zero(type);
  Halide::Var i("i"), lane("lane");
  // One reduction over the block: chunks of dim 0, then dims 1..axes-1.
  Halide::Region region = {{0, (inner + lanes - 1) / lanes}};
  for (size_t k = 1; k < axes; ++k)
    region.push_back({0, ctx.outputExtents[k]});
  Halide::RDom block(region, "block");
  Halide::RVar chunk = block[0];
  auto at = [&](Expr i, bool reduced) {
    std::vector<Expr> coords{std::move(i)};
    for (size_t k = 1; k < axes; ++k)
      coords.push_back(reduced ? Expr(block[k]) : Expr(vars[k]));
    coords.insert(coords.end(), rows.begin(), rows.end());
    return coords;
  };

  Halide::Func xin("xin");
  xin(at(i, false)) =
      padded ? Halide::select(i < inner,
                              x(at(Halide::min(i, inner - 1), false)), zero)
             : x(at(i, false));
  Expr index = chunk * lanes + lane;
  Halide::RDom laneSum(0, lanes, "laneSum");
  std::vector<Expr> laneRow{lane};
  laneRow.insert(laneRow.end(), rows.begin(), rows.end());
  std::vector<Expr> laneSumRow{laneSum};
  laneSumRow.insert(laneSumRow.end(), rows.begin(), rows.end());

  Halide::Func partial1("partial1"), total1("total1"), mean("mean");
  partial1(laneRow) = zero;
  partial1(laneRow) += xin(at(index, true));
  total1(rows) = zero;
  total1(rows) += partial1(laneSumRow);
  mean(rows) = total1(rows) / Halide::cast(type, features);

  Expr deviation = xin(at(index, true)) - mean(rows);
  Expr square = deviation * deviation;
  Halide::Func partial2("partial2"), total2("total2"), rstd("rstd");
  partial2(laneRow) = zero;
  partial2(laneRow) +=
      padded ? Halide::select(index < inner, square, zero) : square;
  total2(rows) = zero;
  total2(rows) += partial2(laneSumRow);
  Expr eps = Halide::cast(type, Expr(parseLayerNormEps(ctx.view)));
  rstd(rows) = Halide::cast(type, 1) /
               Halide::sqrt(total2(rows) / Halide::cast(type, features) + eps);

  Halide::Func out("output");
  std::vector<Expr> affine(normalised.begin(), normalised.end());
  out(vars) = applyEpilogue(
      ctx, (x(vars) - mean(rows)) * rstd(rows) * gamma(affine) + beta(affine),
      vars);

  if (!ctx.handScheduled())
    return out;
  vectorizeInner(out, vars[0], inner, natural);
  // One parallel row is one normalised block.
  std::vector<Halide::Var> rowVars = {vars[axes - 1]};
  rowVars.insert(rowVars.end(), vars.begin() + axes, vars.end());
  std::vector<Expr> rowExtents = {features};
  rowExtents.insert(rowExtents.end(), ctx.outputExtents.begin() + axes,
                    ctx.outputExtents.end());
  Halide::LoopLevel row =
      parallelRows(out, rowVars, rowExtents, ctx.taskElements());
  for (Halide::Func partial : {partial1, partial2}) {
    partial.compute_at(row).vectorize(lane);
    partial.update().vectorize(lane);
  }
  for (Halide::Func stage : {total1, mean, total2, rstd})
    stage.compute_at(row);
  return out;
}

} // namespace hmc::halide
