// layer_norm over the last `axes` dimensions, or over the row-major `dims`
// (the innermost among them, e.g. a [B, C, T, F] tensor normalised over
// (F, C) per (b, t), as exporters write with a transpose on either side):
// two passes (mean, then the mean of squared deviations), each summed in
// vector-wide partial sums per row.
#include "OpBuilders.h"

#include <algorithm>

namespace hmc::halide {

using Halide::Expr;

NormRows layerNormRows(const Halide::Func &x,
                       const std::vector<Halide::Var> &vars,
                       const std::vector<Expr> &extents,
                       const std::vector<int> &sorted, const Halide::Type &type,
                       int natural, double eps) {
  NormRows norm;
  size_t axes = sorted.size();
  Expr inner = extents[0];
  Expr features = inner;
  for (size_t k = 1; k < axes; ++k)
    features = features * extents[sorted[k]];
  for (size_t h = 0; h < vars.size(); ++h)
    if (!std::count(sorted.begin(), sorted.end(), int(h)))
      norm.rowVars.push_back(vars[h]);
  std::vector<Expr> rows(norm.rowVars.begin(), norm.rowVars.end());

  // Lane-partial sums: `lanes` accumulators per row, padded with zeros up to
  // a multiple of the vector width when the innermost extent needs it.
  std::optional<int> staticInner = staticExtent(inner);
  int lanes = staticInner ? std::min(natural, *staticInner) : natural;
  bool padded = !staticInner || *staticInner % lanes != 0;
  Expr zero = Halide::Internal::make_zero(type);
  Halide::Var i("i");
  const Halide::Var &lane = norm.lane;
  // One reduction over the block: chunks of dim 0, then the other
  // normalised dims.
  Halide::Region region = {{0, (inner + lanes - 1) / lanes}};
  for (size_t k = 1; k < axes; ++k)
    region.push_back({0, extents[sorted[k]]});
  norm.block = Halide::RDom(region, "block");
  Halide::RDom &block = norm.block;
  Halide::RVar chunk = block[0];
  auto at = [&](Expr i, bool reduced) {
    std::vector<Expr> coords(vars.begin(), vars.end());
    coords[0] = std::move(i);
    for (size_t k = 1; k < axes; ++k)
      if (reduced)
        coords[sorted[k]] = block[k];
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

  norm.partial1(laneRow) = zero;
  norm.partial1(laneRow) += xin(at(index, true));
  norm.total1(rows) = zero;
  norm.total1(rows) += norm.partial1(laneSumRow);
  norm.mean(rows) = norm.total1(rows) / Halide::cast(type, features);

  Expr deviation = xin(at(index, true)) - norm.mean(rows);
  Expr square = deviation * deviation;
  norm.partial2(laneRow) = zero;
  norm.partial2(laneRow) +=
      padded ? Halide::select(index < inner, square, zero) : square;
  norm.total2(rows) = zero;
  norm.total2(rows) += norm.partial2(laneSumRow);
  norm.rstd(rows) =
      Halide::cast(type, 1) /
      Halide::sqrt(norm.total2(rows) / Halide::cast(type, features) +
                   Halide::cast(type, Expr(eps)));
  return norm;
}

Expr NormRows::normalize(const Halide::Func &x,
                         const std::vector<Halide::Var> &vars,
                         const std::vector<int> &dims,
                         const Halide::ImageParam &gamma,
                         const Halide::ImageParam &beta) {
  std::vector<Expr> rows(rowVars.begin(), rowVars.end());
  // gamma's Halide dim j is the normalised dim listed last-but-j.
  std::vector<Expr> affine;
  for (size_t j = dims.size(); j-- > 0;)
    affine.push_back(vars[dims[j]]);
  std::vector<int> sorted = dims;
  std::sort(sorted.begin(), sorted.end());
  Expr scale = gamma(affine), shift = beta(affine);
  if (dims.back() != sorted.front()) {
    // gamma's innermost dim is not x's (gamma [F, C] of a [B, C, T, F]
    // tensor): a vector along x would gather gamma and beta, so they are
    // read from copies in x's dim order (computeAt makes them once).
    std::vector<Halide::Var> args(sorted.size());
    std::vector<Expr> inOrder, source;
    for (int dim : sorted)
      inOrder.push_back(vars[dim]);
    for (size_t j = dims.size(); j-- > 0;)
      source.push_back(args[std::find(sorted.begin(), sorted.end(), dims[j]) -
                            sorted.begin()]);
    gammaInOrder(args) = gamma(source);
    betaInOrder(args) = beta(source);
    scale = gammaInOrder(inOrder);
    shift = betaInOrder(inOrder);
  }
  return (x(vars) - mean(rows)) * rstd(rows) * scale + shift;
}

void NormRows::computeAt(const Halide::LoopLevel &level) {
  for (Halide::Func partial : {partial1, partial2}) {
    partial.compute_at(level).vectorize(lane);
    partial.update().vectorize(lane);
  }
  for (Halide::Func stage : {total1, mean, total2, rstd})
    stage.compute_at(level);
  for (Halide::Func affine : {gammaInOrder, betaInOrder})
    if (affine.defined())
      affine.compute_root();
}

std::vector<int> halideDims(const nlohmann::json &rowMajor, size_t rank) {
  std::vector<int> dims;
  for (int d : rowMajor.get<std::vector<int>>())
    dims.push_back(static_cast<int>(rank) - 1 - d);
  return dims;
}

Halide::Func buildLayerNorm(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  Halide::Type type = x.type();
  size_t rank = ctx.outputExtents.size();
  // Normalised Halide dims in gamma's (row-major) order.
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  std::vector<int> dims;
  if (attrs.contains("dims")) {
    dims = halideDims(attrs.at("dims"), rank);
  } else {
    for (size_t k = attrs.value("axes", size_t(1)); k-- > 0;)
      dims.push_back(static_cast<int>(k));
  }
  std::vector<int> sorted = dims; // Halide order: dim 0 first
  std::sort(sorted.begin(), sorted.end());
  size_t axes = sorted.size();
  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> rowExtents = {ctx.outputExtents[0]};
  for (size_t k = 1; k < axes; ++k)
    rowExtents[0] = rowExtents[0] * ctx.outputExtents[sorted[k]];
  for (size_t h = 0; h < rank; ++h)
    if (!std::count(sorted.begin(), sorted.end(), int(h)))
      rowExtents.push_back(ctx.outputExtents[h]);
  int natural = ctx.vectorSize(type);
  Halide::Func xf("x_rows");
  xf(vars) = x(vars);
  NormRows norm = layerNormRows(xf, vars, ctx.outputExtents, sorted, type,
                                natural, parseLayerNormEps(ctx.view));
  const std::vector<Halide::Var> &rowVars = norm.rowVars;
  Halide::RDom &block = norm.block;
  Halide::Var &lane = norm.lane;
  Expr inner = ctx.outputExtents[0];

  Halide::Func out("output");
  out(vars) = applyEpilogue(
      ctx,
      norm.normalize(xf, vars, dims, ctx.input("gamma"), ctx.input("beta")),
      vars);

  if (!ctx.handScheduled())
    return out;
  vectorizeInner(out, vars[0], inner, natural);
  if (!rowVars.empty() && sorted.back() + 1 > static_cast<int>(axes)) {
    // A row dim between normalised ones (t of [B, C, T, F] over (F, C)):
    // blocks of rows, plane by plane within a block, so that each plane is
    // read in one sequential run per block rather than one short run per
    // row across all planes (which defeats the prefetchers).
    constexpr int kRows = 32;
    Halide::Var inside = rowVars[0], ro("ro"), ri("ri");
    out.split(inside, ro, ri, kRows, Halide::TailStrategy::GuardWithIf);
    std::vector<Halide::VarOrRVar> order = {vars[0], ri};
    for (size_t k = 1; k < axes; ++k)
      order.push_back(vars[sorted[k]]);
    order.push_back(ro);
    order.insert(order.end(), rowVars.begin() + 1, rowVars.end());
    out.reorder(order);
    Halide::Var task = ro;
    for (size_t k = 1; k < rowVars.size(); ++k) {
      Halide::Var fused;
      out.fuse(task, rowVars[k], fused);
      task = fused;
    }
    out.parallel(task);
    std::vector<Halide::VarOrRVar> updateOrder = {lane, block[0], inside};
    for (size_t k = 1; k < axes; ++k)
      updateOrder.push_back(block[k]);
    updateOrder.insert(updateOrder.end(), rowVars.begin() + 1, rowVars.end());
    norm.computeAt(Halide::LoopLevel(out, task));
    for (Halide::Func partial : {norm.partial1, norm.partial2})
      partial.update().reorder(updateOrder);
    return out;
  }
  // One parallel row is one normalised block: its dims innermost.
  std::vector<Halide::VarOrRVar> order;
  for (int h : sorted)
    order.push_back(vars[h]);
  order.insert(order.end(), rowVars.begin(), rowVars.end());
  out.reorder(order);
  std::vector<Halide::Var> taskVars = {vars[sorted.back()]};
  taskVars.insert(taskVars.end(), rowVars.begin(), rowVars.end());
  Halide::LoopLevel row =
      parallelRows(out, taskVars, rowExtents, ctx.taskElements()).row;
  norm.computeAt(row);
  return out;
}

} // namespace hmc::halide
