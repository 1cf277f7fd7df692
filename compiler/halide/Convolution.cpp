// conv (ONNX Conv, 1 or 2 spatial dims, zero or reflect padding, groups),
// float32.
// Four schedules: pointwise 1-D (a matmul over channels, register-blocked
// like linear), depthwise 1-D (vectorised over time on a zero-padded row),
// depthwise 1-D channels-last (vectorised over channels) and a direct
// convolution for the rest (the 2-D front-end), blocked over output channels
// and vectorised over the contiguous output dim.
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;
using Halide::TailStrategy;

namespace {

struct ConvAttrs {
  std::vector<int> strides, dilations, pads; // pads: begins, then ends
  int groups = 1;
  bool reflect = false; // pad_mode reflect: the pads mirror the input
};

ConvAttrs convAttrs(const KernelView &view) {
  const nlohmann::json &attrs = view.kernel().attrs;
  return {attrs.at("strides").get<std::vector<int>>(),
          attrs.at("dilations").get<std::vector<int>>(),
          attrs.at("pads").get<std::vector<int>>(),
          attrs.at("groups").get<int>(),
          attrs.value("pad_mode", "constant") == "reflect"};
}

/// The accumulator's initial value: the bias of this output channel, or 0.
Expr biasAt(const OpContext &ctx, const Expr &channel) {
  return ctx.view.findInput("bias") ? ctx.input("bias")(channel) : Expr(0.0f);
}

/// A split tail: the static extent allows overlapping the last block.
TailStrategy tailFor(const Expr &extent, int factor) {
  std::optional<int> size = staticExtent(extent);
  return size && *size >= factor ? TailStrategy::ShiftInwards
                                 : TailStrategy::GuardWithIf;
}

/// The largest divisor of `n` not above `limit` (at least 1).
int blockDividing(int n, int limit) {
  for (int block = std::min(n, limit); block > 1; --block)
    if (n % block == 0)
      return block;
  return 1;
}

/// Row-parallel tasks of about the default elements' worth of work: an
/// output element costs one multiply-add per weight tap (C_in / groups x
/// kernel), so conv tasks hold that many times fewer elements.
int convTaskElements(const OpContext &ctx) {
  const Shape &weight = ctx.view.input("weight").shape;
  int64_t taps = 1;
  for (size_t d = 1; d < weight.size(); ++d)
    taps *= weight[d].size;
  return static_cast<int>(
      std::max<int64_t>(1, ctx.taskElements() / std::max<int64_t>(taps, 1)));
}

/// x [B, C_in, T] (*) weight [C_out, C_in, 1]: out(t, co) is a matmul with
/// time as the vector dim and scalar weight broadcasts.
Halide::Func pointwise(const OpContext &ctx) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &w = ctx.input("weight");
  Halide::Var t("t"), co("co"), b("b");
  Expr time = ctx.outputExtents[0];
  int channels = *staticExtent(ctx.outputExtents[1]);
  int natural = ctx.vectorSize(Halide::Float(32));
  Halide::RDom ci(0, x.dim(1).extent(), "ci");
  // Accumulators: 2 time vectors x 12 channels with AVX-512's 32 vector
  // registers, x 6 with 16. Two vectors leave less of a short row's last
  // tile unused than three (125 frames: 128 columns computed, not 144).
  bool avx512 = ctx.target.has_feature(Halide::Target::AVX512);
  int vectors = ctx.knob("vectors", 2, 1, 4);
  int rowTile =
      std::min(ctx.knob("row_tile", avx512 ? 12 : 6, 1, 24), channels);
  int columns = vectors * natural;
  // At least one whole tile: the last tile shifts inwards and every column
  // is in range. Shorter inputs compute a full tile on clamped columns (a
  // per-lane clamp costs about 3x, so only they pay it).
  Expr whole = time >= columns;
  Expr column =
      Halide::select(whole, t, Halide::clamp(Halide::likely(t), 0, time - 1));
  Halide::Func acc("acc"), out("output");
  acc(t, co, b) = biasAt(ctx, co);
  acc(t, co, b) += w(0, ci, co) * x(column, ci, b);
  out(t, co, b) = acc(t, co, b);

  // A task is a time tile over a group of channel blocks: short inputs have
  // few time tiles, and the groups still give every core work.
  Halide::Var to("to"), ti("ti"), coo("coo"), coi("coi"), cog("cog"),
      cot("cot"), tile("tile"), task("task");
  Expr group =
      itemsPerTask((channels + rowTile - 1) / rowTile,
                   (time + columns - 1) / columns, ctx.targetTasks(), 2);
  auto schedule = [&](Halide::Stage stage, TailStrategy tail) {
    stage.split(t, to, ti, columns, tail)
        .split(co, coo, coi, rowTile, TailStrategy::ShiftInwards)
        .split(coo, cog, cot, group, TailStrategy::GuardWithIf)
        .reorder(ti, coi, cot, to, cog, b)
        .vectorize(ti, natural)
        .fuse(to, cog, tile)
        .fuse(tile, b, task)
        .parallel(task);
  };
  schedule(out.specialize(whole), TailStrategy::ShiftInwards);
  schedule(out, TailStrategy::GuardWithIf);
  acc.compute_at(out, cot)
      .bound_extent(t, columns)
      .vectorize(t, natural)
      .unroll(t)
      .unroll(co);
  acc.update().reorder(t, co, ci).vectorize(t, natural).unroll(t).unroll(co);
  // The same schedule with the select folded: no clamp in whole tiles.
  acc.update().specialize(whole);
  return out;
}

/// Channel c convolved with its own K taps along time (groups = C).
Halide::Func depthwise(const OpContext &ctx, const ConvAttrs &attrs) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &w = ctx.input("weight");
  Halide::Var t("t"), c("c"), b("b");
  Expr length = x.dim(0).extent();
  // The zero-padded row, built once per (b, c): the taps then read it
  // without guards (guarded taps are slow to compile and to run).
  Halide::Func padded("padded");
  padded(t, c, b) = Halide::select(
      t >= 0 && t < length, x(Halide::clamp(t, 0, length - 1), c, b), 0.0f);
  Halide::RDom k(0, w.dim(0).extent(), "k");
  Halide::Func acc("acc"), out("output");
  acc(t, c, b) = biasAt(ctx, c);
  acc(t, c, b) +=
      w(k, 0, c) *
      padded(t * attrs.strides[0] + k * attrs.dilations[0] - attrs.pads[0], c,
             b);
  out(t, c, b) = acc(t, c, b);

  int natural = ctx.vectorSize(Halide::Float(32));
  int columns = 4 * natural;
  Halide::Var to("to"), ti("ti");
  out.split(t, to, ti, columns, tailFor(ctx.outputExtents[0], columns))
      .vectorize(ti, natural);
  RowLoops loops = parallelRows(
      out, {t, c, b},
      {ctx.outputExtents[0], ctx.outputExtents[1], ctx.outputExtents[2]},
      convTaskElements(ctx));
  // Stored once per task (Halide folds it to one row): a dynamic-length row
  // per (b, c) was a heap block each, and tasks contend for the allocator.
  padded.store_at(loops.task).compute_at(loops.row).vectorize(t, natural);
  acc.compute_at(out, to)
      .bound_extent(t, columns)
      .vectorize(t, natural)
      .unroll(t);
  acc.update().reorder(t, k).vectorize(t, natural).unroll(t).unroll(k);
  return out;
}

/// A depthwise conv over channels-last x [B, T, C] (attr channels_last):
/// vectors over channels, a tile of time steps in registers, each input
/// row loaded once for all the taps that read it. The layout of the
/// channels-last conv modules that hmc compiles without transposes.
Halide::Func depthwiseChannelsLast(const OpContext &ctx,
                                   const ConvAttrs &attrs) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &w = ctx.input("weight");
  Halide::Var c("c"), t("t"), b("b"), k("k");
  Expr length = x.dim(1).extent();
  int channels = *staticExtent(ctx.outputExtents[0]);
  // The taps of a channel vector, channels contiguous (w is [C, 1, K]).
  Halide::Func taps("taps");
  taps(c, k) = w(k, 0, c);
  int kernelSize = static_cast<int>(ctx.view.input("weight").shape[2].size);
  Halide::RDom r(0, kernelSize, "r");
  // The zero-padded rows of a task, staged once: the taps then load each
  // row unguarded, once for all the taps that read it.
  Halide::Func padded("padded");
  padded(c, t, b) = Halide::select(
      t >= 0 && t < length, x(c, Halide::clamp(t, 0, length - 1), b), 0.0f);
  Halide::Func acc("acc"), out("output");
  acc(c, t, b) = biasAt(ctx, c);
  acc(c, t, b) +=
      taps(c, r) *
      padded(c, t * attrs.strides[0] + r * attrs.dilations[0] - attrs.pads[0],
             b);
  out(c, t, b) = acc(c, t, b);

  int natural = ctx.vectorSize(Halide::Float(32));
  int lanes = std::min(natural, channels);
  constexpr int kTimeTile = 8;
  Halide::Var co("co"), ci("ci"), to("to"), ti("ti"), task("task"),
      tile("tile"), job("job");
  Expr tiles = (ctx.outputExtents[1] + kTimeTile - 1) / kTimeTile;
  Expr tilesPerTask =
      itemsPerTask(tiles, ctx.outputExtents[2], ctx.targetTasks(),
                   std::max(1, convTaskElements(ctx) / (kTimeTile * channels)));
  out.split(c, co, ci, lanes, tailFor(ctx.outputExtents[0], lanes))
      .split(t, to, ti, kTimeTile, tailFor(ctx.outputExtents[1], kTimeTile))
      .split(to, task, tile, tilesPerTask, TailStrategy::GuardWithIf)
      .reorder(ci, ti, co, tile, task, b)
      .vectorize(ci)
      .unroll(ti)
      .fuse(task, b, job)
      .parallel(job);
  taps.compute_root().vectorize(c, lanes);
  padded.compute_at(out, job);
  vectorizeInner(padded, c, ctx.outputExtents[0], natural);
  // A whole tile in registers, also the last one of a dynamic length (its
  // extra rows read staged zeros and are not stored).
  acc.compute_at(out, co)
      .bound_extent(t, kTimeTile)
      .vectorize(c, lanes)
      .unroll(t);
  acc.update().reorder(c, t, r).vectorize(c, lanes).unroll(t).unroll(r);
  return out;
}

/// Any conv: zero or reflect padding through a guarded input, output
/// channels in register blocks, the contiguous output dim in vectors.
Halide::Func direct(const OpContext &ctx, const ConvAttrs &attrs) {
  const Halide::ImageParam &x = ctx.input("x");
  const Halide::ImageParam &w = ctx.input("weight");
  int spatial = x.dimensions() - 2;
  int channels = *staticExtent(ctx.outputExtents[spatial]);
  // The parameter's extent is a symbol, not a constant: read the graph.
  int groupIn = static_cast<int>(ctx.view.input("weight").shape[1].size);
  int groupOut = channels / attrs.groups;

  int natural = ctx.vectorSize(Halide::Float(32));
  std::optional<int> width = staticExtent(ctx.outputExtents[0]);
  int vectors = width ? (*width + natural - 1) / natural : 0;
  // A static row that fills its vectors poorly (20 of 32 lanes) vectorises
  // over a vector of output channels instead, an accumulator per column.
  bool byChannel = width && attrs.groups == 1 && channels % natural == 0 &&
                   *width <= 24 && *width * 5 < vectors * natural * 4;
  // byChannel broadcasts one input value per tap, so it reads x in place
  // (through the mirror for reflect pads): staging the rows cost a gather
  // per boundary vector, 37% of the front-end's second conv. Zero pads keep
  // the staged rows, as a guard per value costs more than the copy.
  bool unpadded = std::all_of(attrs.pads.begin(), attrs.pads.end(),
                              [](int pad) { return pad == 0; });
  bool inPlace = byChannel && (attrs.reflect || unpadded);

  // The staged rows of the other schedules round up past the row's end,
  // so their reads stay guarded even without pads.
  Halide::Func guarded("guarded");
  if (inPlace && unpadded) {
    std::vector<Halide::Var> args(x.dimensions());
    guarded(args) = x(args);
  } else if (attrs.reflect) {
    std::vector<Halide::Var> args(x.dimensions());
    std::vector<Expr> coords(args.begin(), args.end());
    for (int k = 0; k < spatial; ++k) {
      coords[k] = reflectIndex(args[k], x.dim(k).extent());
      int i = spatial - 1 - k; // row-major spatial dim
      requireReflectable(ctx, x.dim(k).extent(),
                         std::max(attrs.pads[i], attrs.pads[i + spatial]));
    }
    guarded(args) = x(coords);
  } else {
    Halide::Region bounds;
    for (int k = 0; k < spatial; ++k)
      bounds.push_back({0, x.dim(k).extent()});
    guarded = Halide::BoundaryConditions::constant_exterior(x, 0.0f, bounds);
  }

  Halide::Region taps;
  for (int k = 0; k < spatial; ++k)
    taps.push_back({0, w.dim(k).extent()});
  taps.push_back({0, groupIn});
  Halide::RDom r(taps, "r");
  std::vector<Halide::Var> vars(spatial + 2);
  Halide::Var co = vars[spatial];
  std::vector<Expr> xCoords, wCoords;
  for (int k = 0; k < spatial; ++k) {
    // Halide dim k is row-major spatial dim spatial-1-k.
    int i = spatial - 1 - k;
    xCoords.push_back(vars[k] * attrs.strides[i] + r[k] * attrs.dilations[i] -
                      attrs.pads[i]);
    wCoords.push_back(r[k]);
  }
  xCoords.push_back(co / groupOut * groupIn + r[spatial]);
  xCoords.push_back(vars[spatial + 1]);
  wCoords.push_back(r[spatial]);
  wCoords.push_back(co);
  // byChannel reads the weights with output channels contiguous, so that a
  // tap loads a vector of them; the input values are scalar broadcasts.
  Halide::Func channelMajor("channel_major");
  Halide::Var wChannel("w_channel");
  Expr weight = w(wCoords);
  if (byChannel) {
    std::vector<Halide::Var> taps(spatial + 1);
    std::vector<Halide::Var> args{wChannel};
    args.insert(args.end(), taps.begin(), taps.end());
    std::vector<Expr> source(taps.begin(), taps.end());
    source.push_back(wChannel);
    channelMajor(args) = w(source);
    std::vector<Expr> coords{co};
    coords.insert(coords.end(), wCoords.begin(), wCoords.end() - 1);
    weight = channelMajor(coords);
  }
  // A strided row is read through its phases, phased(j, p, ...) = the padded
  // row at j s + p, so that every tap is a dense vector load: strided vector
  // loads from a buffer of the task (s = 2, 3) were misaligned in Halide
  // 14's code and crashed.
  int stride = attrs.strides[spatial - 1];
  bool phases = width && stride > 1 && !inPlace;
  Halide::Func phased("phased");
  Halide::Var column("column"), phase("phase");
  std::vector<Expr> reads = xCoords;
  if (phases) {
    std::vector<Halide::Var> rest(guarded.dimensions() - 1);
    std::vector<Halide::Var> args{column, phase};
    args.insert(args.end(), rest.begin(), rest.end());
    std::vector<Expr> source{column * stride + phase};
    source.insert(source.end(), rest.begin(), rest.end());
    phased(args) = guarded(source);
    // Halide's / and % round toward negative infinity.
    Expr offset = r[0] * attrs.dilations[spatial - 1] - attrs.pads[spatial - 1];
    reads = {vars[0] + offset / stride, offset % stride};
    reads.insert(reads.end(), xCoords.begin() + 1, xCoords.end());
  }
  Halide::Func acc("acc"), out("output");
  acc(vars) = biasAt(ctx, co);
  acc(vars) += (phases ? phased(reads) : guarded(reads)) * weight;
  // A layer norm over (channels, columns) folded in (attr norm_dims,
  // validated: 2-D, a static row): the conv's output rows of a task stay in
  // cache for the statistics and reach memory once, normalised.
  bool normalized = ctx.view.kernel().attrs.contains("norm_dims");
  Halide::Func conv = normalized ? Halide::Func("conv") : out;
  conv(vars) = acc(vars);
  std::optional<NormRows> norm;
  if (normalized) {
    std::vector<int> dims =
        halideDims(ctx.view.kernel().attrs.at("norm_dims"), vars.size());
    norm =
        layerNormRows(conv, vars, ctx.outputExtents, {0, spatial},
                      Halide::Float(32), natural, parseLayerNormEps(ctx.view));
    out(vars) =
        applyEpilogue(ctx,
                      norm->normalize(conv, vars, dims, ctx.input("gamma"),
                                      ctx.input("beta")),
                      vars);
  }

  Halide::Var v = vars[0];
  if (!width) {
    // A dynamic contiguous dim: plain vectors, no register block.
    if (normalized)
      ctx.view.fail("norm_dims needs a static last dim");
    vectorizeInner(out, v, ctx.outputExtents[0], natural);
    parallelRows(out, vars, ctx.outputExtents, convTaskElements(ctx));
    acc.compute_at(out, v);
    return out;
  }
  // The whole output row in registers for a block of channels: 24 vector
  // accumulators (AVX-512 has 32 registers).
  int block =
      byChannel ? natural : blockDividing(channels, std::max(1, 24 / vectors));
  Halide::Var coo("coo"), coi("coi");
  conv.split(co, coo, coi, block, TailStrategy::ShiftInwards);
  std::vector<Halide::VarOrRVar> order = {v, coi, coo};
  for (int k = 1; k < spatial; ++k)
    order.push_back(vars[k]);
  order.push_back(vars[spatial + 1]);
  conv.reorder(order);
  vectorizeInner(conv, v, ctx.outputExtents[0], natural);
  if (normalized) {
    vectorizeInner(out, v, ctx.outputExtents[0], natural);
    out.reorder(v, co, vars[spatial - 1], vars[spatial + 1]);
  }
  // Rows (outer spatial dims and batch) in parallel.
  Halide::Var task = vars[spatial + 1];
  for (int k = spatial - 1; k >= 1; --k) {
    Halide::Var fused;
    out.fuse(vars[k], task, fused);
    task = fused;
  }
  out.parallel(task);
  if (normalized) {
    conv.compute_at(out, task);
    norm->computeAt(Halide::LoopLevel(out, task));
  }
  // The padded input rows an output row reads, once per task: guarded per
  // tap, every strided vector load would be a per-lane gather.
  if (phases)
    phased.compute_at(out, task).vectorize(column, natural);
  else if (!inPlace)
    guarded.compute_at(out, task).vectorize(guarded.args()[0], natural);
  std::vector<Halide::VarOrRVar> updateOrder;
  if (byChannel)
    updateOrder = {co, v};
  else
    updateOrder = {v, co};
  for (int k = 0; k <= spatial; ++k)
    updateOrder.push_back(r[k]);
  if (byChannel) {
    // One vector of channels x the row's columns of accumulators.
    channelMajor.compute_root().vectorize(wChannel, natural);
    acc.compute_at(conv, coo)
        .reorder_storage(co, v)
        .vectorize(co, natural)
        .unroll(v);
    acc.update().reorder(updateOrder).vectorize(co, natural).unroll(v);
  } else {
    int lanes = std::min(natural, *width);
    acc.compute_at(conv, coo).vectorize(v, lanes).unroll(co);
    acc.update().reorder(updateOrder).vectorize(v, lanes).unroll(v).unroll(co);
  }
  for (int k = 0; k < spatial; ++k)
    acc.update().unroll(r[k]);
  return out;
}

} // namespace

Halide::Func buildConvolution(const OpContext &ctx) {
  ConvAttrs attrs = convAttrs(ctx.view);
  const Shape &x = ctx.view.input("x").shape;
  const Shape &weight = ctx.view.input("weight").shape;
  bool oneD = x.size() == 3;
  if (ctx.view.kernel().attrs.value("channels_last", false))
    return depthwiseChannelsLast(ctx, attrs);
  if (isPointwiseConv(ctx.view))
    return pointwise(ctx);
  bool padded = std::any_of(attrs.pads.begin(), attrs.pads.end(),
                            [](int pad) { return pad > 0; });
  if (oneD && attrs.groups == x[1].size && attrs.groups == weight[0].size &&
      attrs.strides[0] == 1 && !(attrs.reflect && padded))
    return depthwise(ctx, attrs);
  return direct(ctx, attrs);
}

} // namespace hmc::halide
