// Kernels that move data without arithmetic: gather (embedding lookups),
// gather_elements, scatter_nd, slice, reshape, transpose, pad and concat;
// iota and dim_size, which write indices and sizes.
#include "KernelBuilder.h"
#include "OpBuilders.h"

#include <cmath>

namespace hmc::halide {

using Halide::Expr;

namespace {

/// Halide dimension of row-major dimension `i` in a rank-`rank` buffer.
int halideDim(size_t i, size_t rank) { return static_cast<int>(rank - 1 - i); }

/// Vectorised innermost dimension, rows in parallel tasks.
void scheduleCopy(const OpContext &ctx, Halide::Func out,
                  const std::vector<Halide::Var> &vars) {
  if (vars.empty() || !ctx.handScheduled())
    return;
  vectorizeInner(out, vars[0], ctx.outputExtents[0],
                 ctx.vectorSize(out.output_types()[0]));
  parallelRows(out, vars, ctx.outputExtents, ctx.taskElements());
}

/// An ONNX index (negative ones count from the end) as a coordinate in
/// [0, extent), compared in int64 so that none wraps into range; one outside
/// [-extent, extent) fails the run. Halide prints require's value first:
/// "-7 is out of range as a gather index into a dimension of size 5".
Expr checkedIndex(const Expr &raw, const Expr &extent, const char *what) {
  Expr valid = Halide::require(raw >= -extent && raw < extent, raw,
                               "is out of range as a", what,
                               "index into a dimension of size", extent);
  Expr index = Halide::select(valid < 0, valid + extent, valid);
  return Halide::cast<int32_t>(Halide::clamp(index, 0, extent - 1));
}

/// A gather's schedule: a copy on the CPU, with the index check inlined. A
/// GPU kernel cannot report an error, so there the indices are checked on
/// the host, once each, and the gather runs on the device.
void scheduleGather(const OpContext &ctx, Halide::Func out,
                    Halide::Func checked,
                    const std::vector<Halide::Var> &vars) {
  if (!ctx.gpu) {
    scheduleCopy(ctx, out, vars);
    return;
  }
  std::pair<int, int> threads = gpuThreads(ctx.outputExtents);
  gpuTile(*ctx.gpu, out, vars, threads.first, threads.second);
  checked.compute_root();
  ctx.gpu->scheduled = true;
}

} // namespace

Halide::Func buildGather(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &indices = ctx.input("indices");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  size_t xRank = ctx.view.input("x").shape.size();
  size_t indexRank = ctx.view.input("indices").shape.size();
  size_t axis = attrs.at("axis").get<size_t>();
  // The gathered axis may span several dims of x (the factors of a flattened
  // product): an index counts over them row-major.
  size_t axisDims = attrs.value("axis_dims", size_t(1));
  size_t outRank = ctx.outputExtents.size();
  std::vector<Halide::Var> vars(outRank);
  auto outVar = [&](size_t rowMajor) {
    return vars[halideDim(rowMajor, outRank)];
  };

  Expr axisExtent = Halide::cast<int64_t>(1);
  for (size_t i = axis; i < axis + axisDims; ++i)
    axisExtent *= Halide::cast<int64_t>(x.dim(halideDim(i, xRank)).extent());
  std::vector<Expr> indexCoords(indexRank);
  for (size_t i = 0; i < indexRank; ++i)
    indexCoords[halideDim(i, indexRank)] = outVar(axis + i);
  std::vector<Halide::Var> indexVars(indexRank);
  Halide::Func checked("gather_index"); // inlined on the CPU
  checked(indexVars) = checkedIndex(Halide::cast<int64_t>(indices(indexVars)),
                                    axisExtent, "gather");
  Expr index = checked(indexCoords);

  std::vector<Expr> xCoords(xRank);
  for (size_t i = 0; i < axis; ++i)
    xCoords[halideDim(i, xRank)] = outVar(i);
  for (size_t i = axis + axisDims; i < xRank; ++i)
    xCoords[halideDim(i, xRank)] = outVar(i + indexRank - axisDims);
  // Each factor's coordinate is in range already; the clamps tell bounds
  // inference so (it cannot bound a remainder by a symbolic extent).
  for (size_t i = axis + axisDims; i-- > axis;) {
    Expr extent = x.dim(halideDim(i, xRank)).extent();
    xCoords[halideDim(i, xRank)] =
        axisDims == 1
            ? index
            : Halide::clamp(i == axis ? index : index % extent, 0, extent - 1);
    index = index / extent;
  }
  Halide::Func out("output");
  out(vars) = x(xCoords);
  scheduleGather(ctx, out, checked, vars);
  return out;
}

Halide::Func buildGatherElements(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &indices = ctx.input("indices");
  size_t rank = ctx.outputExtents.size();
  int axis = halideDim(ctx.view.kernel().attrs.at("axis").get<size_t>(), rank);
  std::vector<Halide::Var> vars(rank);
  Halide::Func checked("gather_elements_index"); // inlined on the CPU
  checked(vars) = checkedIndex(Halide::cast<int64_t>(indices(vars)),
                               Halide::cast<int64_t>(x.dim(axis).extent()),
                               "gather_elements");
  std::vector<Expr> xCoords(vars.begin(), vars.end());
  xCoords[axis] = checked(vars);
  Halide::Func out("output");
  out(vars) = x(xCoords);
  scheduleGather(ctx, out, checked, vars);
  return out;
}

Halide::Func buildScatterNd(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &indices = ctx.input("indices");
  const Halide::ImageParam &updates = ctx.input("updates");
  size_t rank = ctx.outputExtents.size();
  size_t indexRank = ctx.view.input("indices").shape.size();
  auto k = static_cast<size_t>(ctx.view.input("indices").shape.back().size);

  // One reduction variable per index row dimension (Halide dims 1.. of the
  // indices; dim 0 holds the k coordinates).
  Halide::Region rows;
  for (size_t h = 1; h < indexRank; ++h)
    rows.push_back({0, indices.dim(static_cast<int>(h)).extent()});
  std::vector<Expr> row;
  if (!rows.empty()) {
    Halide::RDom r(rows);
    for (int i = 0; i < r.dimensions(); ++i)
      row.push_back(r[i]);
  }

  // Coordinate j of each row, checked like gather's indices; on a GPU the
  // check runs on the host, once per row.
  Halide::Var j("j");
  std::vector<Halide::Var> checkedVars(row.size() + 1);
  checkedVars[0] = j;
  Expr raw = Halide::cast<int64_t>(indices(checkedVars));
  auto axisExtent = [&](size_t axis) {
    return Halide::cast<int64_t>(
        x.dim(static_cast<int>(rank - 1 - axis)).extent());
  };
  Expr extent = axisExtent(k - 1);
  for (size_t axis = 0; axis + 1 < k; ++axis)
    extent =
        Halide::select(j == static_cast<int>(axis), axisExtent(axis), extent);
  Halide::Func checked("scatter_index");
  checked(checkedVars) = checkedIndex(raw, extent, "scatter");

  std::vector<Halide::Var> vars(rank);
  Halide::Func out("output");
  out(vars) = x(vars);
  // Halide dims below rank - k are the copied trailing ones.
  std::vector<Expr> target(vars.begin(), vars.end());
  // Clamped again per axis: bounds inference sees each axis's own extent.
  for (size_t a = 0; a < k; ++a) {
    std::vector<Expr> coordinate = {static_cast<int>(a)};
    coordinate.insert(coordinate.end(), row.begin(), row.end());
    Expr axisSize = x.dim(static_cast<int>(rank - 1 - a)).extent();
    target[rank - 1 - a] = Halide::clamp(checked(coordinate), 0, axisSize - 1);
  }
  std::vector<Expr> source(vars.begin(), vars.begin() + (rank - k));
  source.insert(source.end(), row.begin(), row.end());
  out(target) = updates(source);

  std::vector<Halide::Var> trailing(vars.begin(), vars.begin() + (rank - k));
  checked.compute_root();
  if (ctx.gpu) {
    std::pair<int, int> threads = gpuThreads(ctx.outputExtents);
    gpuTile(*ctx.gpu, out, vars, threads.first, threads.second);
    // Rows in order within each thread: a later row wins, as on the CPU.
    std::pair<int, int> copyThreads = gpuThreads(std::vector<Expr>(
        ctx.outputExtents.begin(), ctx.outputExtents.begin() + (rank - k)));
    gpuTile(*ctx.gpu, out.update(), trailing, copyThreads.first,
            copyThreads.second);
    ctx.gpu->scheduled = true;
    return out;
  }
  // The copy is vectorised and parallel; the writes go in order.
  scheduleCopy(ctx, out, vars);
  out.update().unscheduled();
  return out;
}

Halide::Func buildIota(const OpContext &ctx) {
  // The reference input only binds the length; its values are not read.
  Halide::Var i("i");
  Halide::Func out("output");
  out(i) = Halide::cast(halideType(ctx.view.output(0).dtype), i);
  if (ctx.gpu) {
    std::pair<int, int> threads = gpuThreads(ctx.outputExtents);
    gpuTile(*ctx.gpu, out, {i}, threads.first, threads.second);
    ctx.gpu->scheduled = true;
    return out;
  }
  scheduleCopy(ctx, out, {i});
  return out;
}

Halide::Func buildDimSize(const OpContext &ctx) {
  size_t rank = ctx.view.input(0).shape.size();
  size_t axis = ctx.view.kernel().attrs.at("axis").get<size_t>();
  std::vector<Halide::Var> vars(ctx.outputExtents.size());
  Halide::Func out("output");
  out(vars) = Halide::cast(halideType(ctx.view.output(0).dtype),
                           ctx.inputs[0].dim(halideDim(axis, rank)).extent());
  if (ctx.gpu) {
    gpuTile(*ctx.gpu, out, vars, 1, 1);
    ctx.gpu->scheduled = true;
  }
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

Halide::Func buildRelativeShift(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  size_t rank = ctx.outputExtents.size();
  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> coords(vars.begin(), vars.end());
  // Halide dims 0 and 1 are the row-major last two: column j, row i.
  coords[0] = vars[0] + ctx.outputExtents[0] - 1 - vars[1];
  Halide::Func out("output");
  out(vars) = x(coords);
  scheduleCopy(ctx, out, vars);
  return out;
}

/// Row-major dims [begin, end) of the input and of the output that hold the
/// same elements in the same order (a split or merge of neighbours).
struct ReshapeGroup {
  size_t inBegin, inEnd, outBegin, outEnd;
};

/// The groups of a reshape that only splits and merges static neighbours,
/// or merges a dynamic T with the static dims after it into an output dim
/// mul T (a model output [B, T, 8] written as [B, 8 T]); otherwise a
/// dynamic dim must stay a dim of its own on both sides. Nothing when the
/// reshape is none of these.
std::optional<std::vector<ReshapeGroup>>
staticGroups(const KernelGraph &graph, const Shape &in, const Shape &out) {
  auto unit = [](const Dim &dim) { return dim.isStatic() && dim.size == 1; };
  std::vector<ReshapeGroup> groups;
  size_t i = 0, o = 0;
  while (i < in.size() && o < out.size()) {
    if (!in[i].isStatic() || !out[o].isStatic()) {
      // A unit dim beside a dynamic one is a group of its own.
      if (unit(in[i]) || unit(out[o])) {
        bool inUnit = unit(in[i]);
        groups.push_back({i, i + inUnit, o, o + !inUnit});
        (inUnit ? i : o) += 1;
        continue;
      }
      if (in[i] == out[o]) {
        groups.push_back({i, i + 1, o, o + 1});
        ++i, ++o;
        continue;
      }
      if (in[i].isStatic() || out[o].isStatic())
        return std::nullopt;
      SymbolDesc merged = graph.multipleOf(out[o].symbol);
      if (merged.base != in[i].symbol || merged.add != 0)
        return std::nullopt;
      size_t i1 = i + 1;
      int64_t product = 1;
      while (product < merged.mul && i1 < in.size() && in[i1].isStatic())
        product *= in[i1++].size;
      if (product != merged.mul)
        return std::nullopt;
      groups.push_back({i, i1, o, o + 1});
      i = i1, ++o;
      continue;
    }
    size_t i1 = i + 1, o1 = o + 1;
    int64_t inProduct = in[i].size, outProduct = out[o].size;
    while (inProduct != outProduct) {
      bool growIn = inProduct < outProduct;
      const Shape &side = growIn ? in : out;
      size_t &next = growIn ? i1 : o1;
      if (next == side.size() || !side[next].isStatic())
        return std::nullopt;
      (growIn ? inProduct : outProduct) *= side[next++].size;
      if (std::max(inProduct, outProduct) > INT32_MAX)
        return std::nullopt;
    }
    groups.push_back({i, i1, o, o1});
    i = i1, o = o1;
  }
  // Trailing unit dims are a group of their own.
  if (!std::all_of(in.begin() + static_cast<std::ptrdiff_t>(i), in.end(),
                   unit) ||
      !std::all_of(out.begin() + static_cast<std::ptrdiff_t>(o), out.end(),
                   unit))
    return std::nullopt;
  groups.push_back({i, in.size(), o, out.size()});
  return groups;
}

Halide::Func buildReshape(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Shape &inShape = ctx.view.input("x").shape;
  const Shape &outShape = ctx.view.output(0).shape;
  size_t inRank = inShape.size(), outRank = outShape.size();
  std::vector<Halide::Var> vars(outRank);
  std::vector<Expr> coords(inRank);
  std::optional<std::vector<ReshapeGroup>> groups =
      staticGroups(ctx.view.graph(), inShape, outShape);

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
  } else if (groups) {
    // Each group through its own linear index: the strides and extents are
    // static, so the divisions are multiply-shifts (a [B, T, 432] viewed as
    // [B, T, 8, 54] splits one dim).
    for (const ReshapeGroup &g : *groups) {
      if (g.inEnd - g.inBegin == 1 && g.outEnd - g.outBegin == 1 &&
          inShape[g.inBegin] == outShape[g.outBegin]) {
        coords[halideDim(g.inBegin, inRank)] =
            vars[halideDim(g.outBegin, outRank)];
        continue;
      }
      Expr linear = 0;
      int64_t stride = 1;
      for (size_t k = g.outEnd; k-- > g.outBegin;) {
        linear += vars[halideDim(k, outRank)] * static_cast<int32_t>(stride);
        stride *= outShape[k].size;
      }
      // The outermost input dim takes what is left (it may be dynamic).
      for (size_t k = g.inEnd; k-- > g.inBegin + 1;) {
        auto size = static_cast<int32_t>(inShape[k].size);
        coords[halideDim(k, inRank)] = linear % size;
        linear = linear / size;
      }
      if (g.inEnd > g.inBegin)
        coords[halideDim(g.inBegin, inRank)] = linear;
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

Halide::Func buildTranspose(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  std::vector<size_t> perm =
      ctx.view.kernel().attrs.at("perm").get<std::vector<size_t>>();
  size_t rank = perm.size();
  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> coords(rank);
  // The output dim that walks the input's contiguous dim 0.
  size_t inner = 0;
  for (size_t i = 0; i < rank; ++i) {
    coords[halideDim(perm[i], rank)] = vars[halideDim(i, rank)];
    if (perm[i] == rank - 1)
      inner = halideDim(i, rank);
  }
  Halide::Func out("output");
  if (inner == 0 || !ctx.handScheduled()) {
    out(vars) = x(coords);
    scheduleCopy(ctx, out, vars);
    return out;
  }
  Halide::Func staged("staged");
  staged(vars) = x(coords);
  out(vars) = staged(vars);
  // Square tiles: each is loaded as dense input rows into a tile-sized
  // block, then stored as dense output rows, the transpose a register
  // shuffle. (Vectorised over both output dims at once, Halide 14 read the
  // input one element at a time, 2-3x slower.)
  int tile = 8;
  Halide::Var xo("xo"), yo("yo"), xi("xi"), yi("yi");
  auto tail = [&](const Expr &extent) {
    std::optional<int> size = staticExtent(extent);
    return size && *size >= tile ? Halide::TailStrategy::ShiftInwards
                                 : Halide::TailStrategy::GuardWithIf;
  };
  out.split(vars[0], xo, xi, tile, tail(ctx.outputExtents[0]))
      .split(vars[inner], yo, yi, tile, tail(ctx.outputExtents[inner]))
      .reorder(xi, yi, xo, yo)
      .vectorize(xi)
      .unroll(yi);
  staged.compute_at(out, xo)
      .bound_storage(vars[0], tile)
      .bound_storage(vars[inner], tile)
      .reorder_storage(vars[inner], vars[0])
      .reorder(vars[inner], vars[0])
      .vectorize(vars[inner], tile, Halide::TailStrategy::GuardWithIf)
      .unroll(vars[0], tile, Halide::TailStrategy::GuardWithIf);
  std::vector<Halide::Var> rows = {yo};
  for (size_t k = 1; k < rank; ++k)
    if (k != inner)
      rows.push_back(vars[k]);
  Halide::Var task = rows.back();
  for (size_t k = rows.size() - 1; k-- > 0;) {
    Halide::Var fused;
    out.fuse(rows[k], task, fused);
    task = fused;
  }
  out.parallel(task);
  return out;
}

Halide::Func buildPad(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  std::string mode = attrs.at("mode").get<std::string>();
  std::vector<int> pads = attrs.at("pads").get<std::vector<int>>();
  size_t rank = ctx.outputExtents.size();
  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> coords(rank);
  Expr inside = Halide::Internal::const_true();
  for (size_t i = 0; i < rank; ++i) {
    int k = halideDim(i, rank);
    Expr n = x.dim(k).extent();
    Expr j = vars[k] - pads[i];
    // likely(j): loops are partitioned so that the interior copies with
    // dense loads and only the borders compute their indices per element.
    coords[k] = mode == "reflect" ? reflectIndex(j, n)
                                  : Halide::clamp(Halide::likely(j), 0, n - 1);
    if (mode == "reflect")
      requireReflectable(ctx, n, std::max(pads[i], pads[i + rank]));
    if (mode == "constant")
      inside = inside && j >= 0 && j < n;
  }
  Halide::Func out("output");
  Expr value = x(coords);
  if (mode == "constant") {
    nlohmann::json fill = attrs.value("value", nlohmann::json(0.0));
    double padValue = fill.is_number() ? fill.get<double>()
                      : fill == "inf"  ? INFINITY
                                       : -INFINITY;
    value = Halide::select(inside, Halide::likely(value),
                           Halide::cast(value.type(), Expr(padValue)));
  }
  out(vars) = value;
  scheduleCopy(ctx, out, vars);
  return out;
}

/// A concat along the innermost dim, one update per input over its own
/// columns: the single select over clamped loads that other axes use made
/// every vector of this one a gather (6x slower than along dim 1).
Halide::Func concatInnermost(const OpContext &ctx,
                             const std::vector<Halide::Var> &vars,
                             const std::vector<Expr> &offsets) {
  Halide::Func out("output");
  Halide::Type type = ctx.inputs[0].type();
  out(vars) = Halide::undef(type);
  std::vector<Halide::Var> rows(vars.begin() + 1, vars.end());
  int natural = ctx.vectorSize(type);
  Expr rowsPerTask =
      Halide::max(1, ctx.taskElements() / Halide::max(offsets.back(), 1));
  for (size_t n = 0; n < ctx.inputs.size(); ++n) {
    Halide::RDom r(0, ctx.inputs[n].dim(0).extent(), "c" + std::to_string(n));
    std::vector<Expr> to{r.x + offsets[n]}, from{r.x};
    to.insert(to.end(), rows.begin(), rows.end());
    from.insert(from.end(), rows.begin(), rows.end());
    out(to) = ctx.inputs[n](from);
    Halide::Stage stage = out.update(int(n));
    Halide::RVar ro("ro"), ri("ri");
    stage.split(r.x, ro, ri, natural, Halide::TailStrategy::GuardWithIf)
        .vectorize(ri);
    if (rows.empty())
      continue;
    // Tasks of whole output rows, all row dims fused.
    Halide::Var task = rows[0];
    for (size_t j = 1; j < rows.size(); ++j) {
      Halide::Var fused;
      stage.fuse(task, rows[j], fused);
      task = fused;
    }
    Halide::Var outer, inner;
    stage
        .split(task, outer, inner, rowsPerTask,
               Halide::TailStrategy::GuardWithIf)
        .parallel(outer);
  }
  return out;
}

Halide::Func buildConcat(const OpContext &ctx) {
  size_t rank = ctx.outputExtents.size();
  int k = halideDim(ctx.view.kernel().attrs.at("axis").get<size_t>(), rank);
  std::vector<Halide::Var> vars(rank);
  std::vector<Expr> offsets = {0};
  for (const Halide::ImageParam &input : ctx.inputs)
    offsets.push_back(offsets.back() + input.dim(k).extent());
  if (k == 0 && !ctx.gpu && ctx.handScheduled())
    return concatInnermost(ctx, vars, offsets);
  // Later inputs first, so that the select chain ends with input 0; every
  // load is clamped into its input because select evaluates all arms.
  Expr value;
  for (size_t n = ctx.inputs.size(); n-- > 0;) {
    std::vector<Expr> coords(vars.begin(), vars.end());
    coords[k] = Halide::clamp(vars[k] - offsets[n], 0,
                              ctx.inputs[n].dim(k).extent() - 1);
    Expr load = ctx.inputs[n](coords);
    value = value.defined()
                ? Halide::select(vars[k] >= offsets[n + 1], value, load)
                : load;
  }
  Halide::Func out("output");
  out(vars) = value;
  scheduleCopy(ctx, out, vars);
  return out;
}

} // namespace hmc::halide
