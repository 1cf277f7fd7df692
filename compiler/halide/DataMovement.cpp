// Kernels that move data without arithmetic: gather (embedding lookups),
// slice and reshape.
#include "KernelBuilder.h"
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

namespace {

/// Halide dimension of row-major dimension `i` in a rank-`rank` buffer.
int halideDim(size_t i, size_t rank) { return static_cast<int>(rank - 1 - i); }

/// Vectorised innermost dimension, rows in parallel tasks.
void scheduleCopy(const OpContext &ctx, Halide::Func out,
                  const std::vector<Halide::Var> &vars) {
  if (vars.empty())
    return;
  vectorizeInner(out, vars[0], ctx.outputExtents[0],
                 ctx.vectorSize(out.output_types()[0]));
  parallelRows(out, vars, ctx.outputExtents);
}

} // namespace

Halide::Func buildGather(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &indices = ctx.input("indices");
  size_t xRank = ctx.view.input("x").shape.size();
  size_t indexRank = ctx.view.input("indices").shape.size();
  size_t axis = ctx.view.kernel().attrs.at("axis").get<size_t>();
  size_t outRank = ctx.outputExtents.size();
  std::vector<Halide::Var> vars(outRank);
  auto outVar = [&](size_t rowMajor) {
    return vars[halideDim(rowMajor, outRank)];
  };

  std::vector<Expr> indexCoords(indexRank);
  for (size_t i = 0; i < indexRank; ++i)
    indexCoords[halideDim(i, indexRank)] = outVar(axis + i);
  // Compare in int64 so no index wraps into range; negative indices count
  // from the end as in ONNX. An index outside [-dim, dim) fails the run.
  Expr raw = Halide::cast<int64_t>(indices(indexCoords));
  Expr extent = Halide::cast<int64_t>(x.dim(halideDim(axis, xRank)).extent());
  Expr index = Halide::select(raw < 0, raw + extent, raw);
  index =
      Halide::require(index >= 0 && index < extent, index, "gather index", raw,
                      "is out of range for a "
                      "dimension of size",
                      extent);
  index = Halide::cast<int32_t>(Halide::clamp(index, 0, extent - 1));

  std::vector<Expr> xCoords(xRank);
  for (size_t i = 0; i < xRank; ++i) {
    Expr coord = i < axis    ? Expr(outVar(i))
                 : i == axis ? index
                             : Expr(outVar(i + indexRank - 1));
    xCoords[halideDim(i, xRank)] = coord;
  }
  Halide::Func out("output");
  out(vars) = x(xCoords);
  scheduleCopy(ctx, out, vars);
  return out;
}

Halide::Func buildSlice(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  size_t rank = ctx.outputExtents.size();
  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> coords(vars.begin(), vars.end());
  for (size_t j = 0; j < attrs.at("axes").size(); ++j) {
    int k = halideDim(attrs["axes"][j].get<size_t>(), rank);
    coords[k] =
        attrs["starts"][j].get<int>() + attrs["steps"][j].get<int>() * vars[k];
  }
  Halide::Func out("output");
  out(vars) = x(coords);
  scheduleCopy(ctx, out, vars);
  return out;
}

Halide::Func buildReshape(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Shape &inShape = ctx.view.input("x").shape;
  const Shape &outShape = ctx.view.output(0).shape;
  size_t inRank = inShape.size(), outRank = outShape.size();
  std::vector<Halide::Var> vars(outRank);
  std::vector<Expr> coords(inRank);

  // Inserting or dropping unit dimensions keeps every coordinate.
  auto nonUnit = [](const Shape &shape) {
    Shape kept;
    for (const Dim &dim : shape)
      if (!(dim.isStatic() && dim.size == 1))
        kept.push_back(dim);
    return kept;
  };
  if (nonUnit(inShape) == nonUnit(outShape)) {
    size_t o = 0;
    for (size_t i = 0; i < inRank; ++i) {
      if (inShape[i].isStatic() && inShape[i].size == 1) {
        coords[halideDim(i, inRank)] = 0;
        continue;
      }
      while (outShape[o].isStatic() && outShape[o].size == 1)
        ++o;
      coords[halideDim(i, inRank)] = vars[halideDim(o++, outRank)];
    }
  } else {
    // General case: through the row-major linear index.
    Expr linear = 0, stride = 1;
    for (size_t k = 0; k < outRank; ++k) {
      linear += Halide::cast<int64_t>(vars[k]) * stride;
      stride = stride * Halide::cast<int64_t>(ctx.outputExtents[k]);
    }
    for (size_t k = 0; k < inRank; ++k) {
      Expr extent = Halide::cast<int64_t>(x.dim(static_cast<int>(k)).extent());
      coords[k] = Halide::cast<int32_t>(linear % extent);
      linear = linear / extent;
    }
  }
  Halide::Func out("output");
  out(vars) = x(coords);
  scheduleCopy(ctx, out, vars);
  return out;
}

} // namespace hmc::halide
