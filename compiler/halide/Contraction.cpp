// linear (x[..., K] @ weight[K, M] + bias) and matmul (batched, broadcast
// batch dims). Output channels m are Halide dimension 0 of the weight, so
// the register tile vectorises m and walks K with scalar broadcasts of x.
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;
using Halide::TailStrategy;

namespace {

/// Coordinates of a batched operand: its own leading dims, then the output's
/// batch dims with this operand's static 1-dims broadcast.
std::vector<Expr> batchCoords(std::vector<Expr> coords,
                              const BufferDesc &buffer,
                              const std::vector<Halide::Var> &vars,
                              const std::vector<Expr> &outExtents) {
  size_t rank = buffer.shape.size();
  for (size_t k = coords.size(); k < rank; ++k) {
    const Dim &dim = buffer.shape[rank - 1 - k];
    bool broadcast = dim.isStatic() && dim.size == 1 &&
                     !Halide::Internal::is_const_one(outExtents[k]);
    coords.push_back(broadcast ? Expr(0) : Expr(vars[k]));
  }
  return coords;
}

/// Vectors of output channels per register tile for `m` channels: 3, or 4
/// where that computes fewer channels past m (the last tile is shifted
/// inwards and recomputes columns): m = 256 takes 4 tiles of 64 instead of 6
/// of 48, 12.5% of whose columns would be computed twice.
int defaultTileVectors(int m, int natural) {
  auto computed = [&](int vectors) {
    int columns = vectors * natural;
    return (m + columns - 1) / columns * columns;
  };
  if (m < 4 * natural)
    return std::max(1, std::min(3, m / natural));
  return computed(4) < computed(3) ? 4 : 3;
}

/// The GPU form staged through shared memory (knob gemm_staging=1), for a
/// static M of at least one block and a static K that the step divides. A
/// block computes 128 x 64 outputs (m x rows); per step of 16 along K its
/// 16 x 8 threads copy both operand tiles into shared memory together, each
/// thread sums its 8 x 8 outputs of the step in registers and adds them into
/// the block's accumulator, which stays in shared memory. (Halide 14 keeps a
/// per-thread accumulator in registers only inside the thread loops, and
/// the staging puts the loop over K outside them.) `lhs` reads rows clamped
/// into range: a partial last block of rows computes clamped copies and
/// stores only its valid rows.
struct StagedGemm {
  static constexpr int kBlockM = 128, kBlockRows = 64, kThreadM = 8,
                       kThreadRows = 8, kStep = 16;
  static constexpr int kThreadsX = kBlockM / kThreadM,
                       kThreadsY = kBlockRows / kThreadRows;

  static bool applies(std::optional<int> staticM, std::optional<int> depth) {
    return staticM && *staticM >= kBlockM && *staticM % 4 == 0 && depth &&
           *depth % kStep == 0;
  }
};

Halide::Func stagedGemm(const OpContext &ctx,
                        const std::vector<Halide::Var> &vars,
                        const Halide::RDom &k, int depth, const Expr &lhs,
                        const Expr &rhs, const Expr &init) {
  using G = StagedGemm;
  Halide::Var m = vars[0], n = vars[1], kv("kv"), ko("ko");
  std::vector<Halide::Var> outer(vars.begin() + 2, vars.end());
  auto defArgs = [&](std::vector<Halide::Var> front) {
    front.insert(front.end(), outer.begin(), outer.end());
    return front;
  };
  auto callArgs = [&](std::vector<Expr> front) {
    front.insert(front.end(), outer.begin(), outer.end());
    return front;
  };
  Halide::Func xTile("x_tile"), wTile("w_tile"), partial("partial"), acc("acc"),
      out("output");
  xTile(defArgs({kv, n})) = Halide::Internal::substitute(k.x.name(), kv, lhs);
  wTile(defArgs({m, kv})) = Halide::Internal::substitute(k.x.name(), kv, rhs);
  Halide::RDom step(0, G::kStep, "step"), steps(0, depth / G::kStep, "steps");
  partial(defArgs({m, n, ko})) = Halide::Internal::make_zero(lhs.type());
  partial(defArgs({m, n, ko})) += xTile(callArgs({ko * G::kStep + step, n})) *
                                  wTile(callArgs({m, ko * G::kStep + step}));
  acc(vars) = init;
  acc(vars) += partial(callArgs({m, n, steps}));
  out(vars) = applyEpilogue(ctx, acc(vars), vars);

  bool onHost = ctx.gpu->onHost;
  auto threads = [&](Halide::Stage stage, const Halide::VarOrRVar &x,
                     const Halide::VarOrRVar &y) {
    if (!onHost)
      stage.gpu_threads(x, y);
  };
  auto memory = [&](Halide::Func func, Halide::MemoryType type) {
    if (!onHost)
      func.store_in(type);
  };
  // Blocks: the row blocks with every outer dim fused on x (up to 2^31 - 1
  // of them), the m blocks on y. Threads store their 8 x 8 outputs.
  Halide::Var mb("mb"), nb("nb"), mi("mi"), ni("ni"), tx("tx"), ty("ty"),
      mt("mt"), nt("nt"), mu("mu"), mv("mv");
  out.split(m, mb, mi, G::kBlockM, TailStrategy::ShiftInwards)
      .split(n, nb, ni, G::kBlockRows, TailStrategy::GuardWithIf)
      .split(mi, tx, mt, G::kThreadM)
      .split(ni, ty, nt, G::kThreadRows)
      .reorder(mt, nt, tx, ty, nb, mb);
  Halide::Var block = nb;
  for (const Halide::Var &var : outer) {
    Halide::Var fused;
    out.fuse(block, var, fused);
    block = fused;
  }
  out.vectorize(mt, 4).unroll(mt).unroll(nt);
  threads(out, tx, ty);
  if (!onHost)
    out.gpu_blocks(block, mb);

  // The block's accumulator, its extent fixed so that it has a static size
  // in shared memory (a partial last row block computes clamped rows).
  acc.compute_at(out, block)
      .bound_extent(m, G::kBlockM)
      .bound_extent(n, G::kBlockRows);
  memory(acc, Halide::MemoryType::GPUShared);
  acc.split(m, tx, mt, G::kThreadM)
      .split(n, ty, nt, G::kThreadRows)
      .reorder(mt, nt, tx, ty)
      .vectorize(mt, 4)
      .unroll(mt)
      .unroll(nt);
  threads(acc, tx, ty);
  // A thread adds its partial sums for m in two runs of 4, half a block
  // apart: the shared-memory vectors of a warp's threads are then
  // consecutive (no bank conflicts).
  Halide::Stage update = acc.update();
  update.split(m, mu, mi, G::kBlockM / 2)
      .split(mi, tx, mv, 4)
      .split(n, ty, nt, G::kThreadRows)
      .reorder(mv, mu, nt, tx, ty, steps)
      .vectorize(mv)
      .unroll(mu)
      .unroll(nt);
  threads(update, tx, ty);

  // A thread's sums over one step, in registers, from register copies of
  // its operands loaded as vectors.
  partial.compute_at(acc, tx).vectorize(m, 4).unroll(m).unroll(n).unroll(ko);
  memory(partial, Halide::MemoryType::Register);
  partial.update()
      .reorder(m, n, ko, step)
      .vectorize(m, 4)
      .unroll(m)
      .unroll(n)
      .unroll(ko)
      .unroll(step, 4);
  Halide::Func xRegs = xTile.in(), wRegs = wTile.in();
  wRegs.compute_at(partial, step).vectorize(m, 4).unroll(m).unroll(kv);
  xRegs.compute_at(partial, step)
      .reorder_storage(n, kv)
      .reorder(n, kv)
      .vectorize(n, 4)
      .unroll(n)
      .unroll(kv);
  memory(wRegs, Halide::MemoryType::Register);
  memory(xRegs, Halide::MemoryType::Register);

  // The operand tiles of a step, copied by all threads of the block in
  // coalesced vectors of 4: w's 128 x 16 and x's 16 x 64 (stored rows
  // outermost, so that a thread's 8 rows at one k are contiguous).
  wTile.compute_at(acc, steps);
  xTile.compute_at(acc, steps).reorder_storage(n, kv);
  memory(wTile, Halide::MemoryType::GPUShared);
  memory(xTile, Halide::MemoryType::GPUShared);
  Halide::Var a("a"), av("av"), au("au"), at("at"), b("b"), bu("bu"), bt("bt"),
      f("f");
  wTile.split(m, a, av, 4)
      .split(a, au, at, G::kThreadsX)
      .split(kv, bu, bt, G::kThreadsY)
      .reorder(av, au, bu, at, bt)
      .vectorize(av)
      .unroll(au)
      .unroll(bu);
  threads(wTile, at, bt);
  // x: k in vectors of 4 (kStep / 4 of them) times rows, over the threads.
  constexpr int kVectors = G::kStep / 4, kRowsAlongX = G::kThreadsX / kVectors;
  xTile.split(kv, at, av, 4)
      .split(n, b, a, kRowsAlongX)
      .fuse(at, a, f)
      .split(b, bu, bt, G::kThreadsY)
      .reorder(av, bu, f, bt)
      .vectorize(av)
      .unroll(bu);
  threads(xTile, f, bt);
  return out;
}

} // namespace

Halide::Func buildContraction(const OpContext &ctx) {
  bool isLinear = ctx.view.kernel().op == "linear";
  bool relative =
      !isLinear && ctx.view.kernel().attrs.value("relative_shift", false);
  const Halide::ImageParam &a = ctx.inputs[0];
  const Halide::ImageParam &b = ctx.inputs[1];
  const std::vector<Expr> &extents = ctx.outputExtents;
  size_t rank = extents.size();
  std::vector<Halide::Var> vars(rank);
  Halide::Var m = vars[0];
  bool hasRows = rank >= 2;
  std::optional<int> staticM = staticExtent(extents[0]);
  std::optional<int> staticN =
      hasRows ? staticExtent(extents[1]) : std::optional<int>(1);
  int natural = ctx.vectorSize(a.type());
  bool avx512 = ctx.target.has_feature(Halide::Target::AVX512);
  // A run-time column count (attention scores over T keys) is tiled too: a
  // partial last tile computes on clamped columns and stores the valid ones.
  bool dynamicM = !staticM && hasRows && !isLinear;
  bool tiled = (staticM && *staticM >= natural) || dynamicM;
  // The register tile: `vectors` vectors of m by `rowTile` rows.
  int vectors = !tiled ? 1
                : staticM
                    ? ctx.knob("vectors", defaultTileVectors(*staticM, natural),
                               1, std::max(1, std::min(4, *staticM / natural)))
                    : ctx.knob("vectors", avx512 ? 4 : 2, 1, 4);
  // AVX-512: 3 x 6 and 4 x 6 accumulators (the tuner's best on Zen 4 at the
  // HyperConformer and HyperMixer shapes), 8 rows for narrower tiles.
  int accumulators = avx512 ? (vectors == 4 ? 24 : 18) : 12;
  // A run-time column count (scores over T keys, K = d_h small): 4 x 4, the
  // tuner's best on Zen 4 for plain and relative scores; fewer rows than
  // the static default, because a relative tile loads positions per row.
  int rowTile = ctx.knob(
      "row_tile", dynamicM && avx512 ? 4 : std::min(8, accumulators / vectors),
      1, std::max(1, 32 / vectors));
  if (staticN)
    rowTile = std::min(rowTile, *staticN);

  // A dynamic row count may end in a partial tile: the tile is computed in
  // full on clamped rows and only the valid rows are stored.
  Expr row = hasRows ? Expr(vars[1]) : Expr();
  if (hasRows && !staticN)
    row = Halide::min(row, extents[1] - 1);
  Halide::RDom k(0, a.dim(0).extent(), "k");
  Expr lhs, rhs;
  Halide::Func positions("positions"); // relative_shift's window
  bool packed = false;
  if (isLinear) {
    std::vector<Expr> coords{k};
    if (hasRows)
      coords.push_back(row);
    coords.insert(coords.end(), vars.begin() + std::min<size_t>(rank, 2),
                  vars.end());
    lhs = a(coords);
    // weight_panels P: the weight is [M / P, K, P] (docs/kernel-graph.md).
    packed = ctx.view.kernel().attrs.contains("weight_panels");
    if (packed) {
      int panel = ctx.view.kernel().attrs["weight_panels"].get<int>();
      rhs = b(m % panel, k, m / panel);
    } else {
      rhs = b(m, k);
    }
  } else {
    lhs = a(batchCoords({k, row}, ctx.view.input(0), vars, extents));
    auto rhsAt = [&](const Expr &column, const Expr &depth) {
      return b(batchCoords({column, depth}, ctx.view.input(1), vars, extents));
    };
    if (relative) {
      // Row i reads the T position columns from T - 1 - i: a task's window
      // of columns + rows - 1 positions is copied once, clamped (lanes past
      // the last column read the last position).
      Halide::Var q("q"), kv("kv");
      std::vector<Halide::Var> windowVars{q, kv};
      windowVars.insert(windowVars.end(), vars.begin() + 2, vars.end());
      positions(windowVars) =
          rhsAt(Halide::clamp(q, 0, b.dim(0).extent() - 1), kv);
      std::vector<Expr> at(windowVars.begin(), windowVars.end());
      at[0] = m + (extents[1] - 1 - row);
      at[1] = k;
      rhs = positions(at);
    } else {
      rhs = rhsAt(dynamicM ? Halide::clamp(m, 0, extents[0] - 1) : Expr(m), k);
    }
  }
  Expr init = ctx.view.findInput("bias")
                  ? ctx.input("bias")(m)
                  : Halide::Internal::make_zero(a.type());

  Halide::Func out("output");
  if (ctx.gpu) {
    // GPU: each thread accumulates its outputs over K in registers; threads
    // along m read the weight row coalesced. A tile past the edge computes
    // on clamped coordinates (only its valid outputs are stored): the guards
    // of GuardWithIf do not reach a producer computed per thread.
    auto clamped = [&](Expr e) {
      for (size_t d = 0; d < std::min<size_t>(rank, 2); ++d)
        e = Halide::Internal::substitute(
            vars[d].name(), Halide::min(vars[d], extents[d] - 1), e);
      return e;
    };
    ctx.gpu->scheduled = true;
    const Dim &lhsInner = ctx.view.input(0).shape.back();
    std::optional<int> depth;
    if (lhsInner.isStatic())
      depth = static_cast<int>(lhsInner.size);
    // The staged tiles share rhs columns across a block's rows; a relative
    // shift gives each row columns of its own.
    if (hasRows && ctx.knob("gemm_staging", 0, 0, 1) && !relative &&
        StagedGemm::applies(staticM, depth))
      return stagedGemm(ctx, vars, k, *depth, clamped(lhs), rhs, init);
    Halide::Func acc("acc");
    acc(vars) = clamped(init);
    acc(vars) += clamped(lhs * rhs);
    out(vars) = applyEpilogue(ctx, acc(vars), vars);
    if (!hasRows || !staticM || *staticM < 64 || *staticM % 4) {
      std::pair<int, int> threads = gpuThreads(extents);
      Halide::Var inner =
          gpuTile(*ctx.gpu, out, vars, threads.first, threads.second);
      acc.compute_at(out, inner);
      return out;
    }
    // Square tiles per thread, sized by the output count: per step over K
    // a thread loads 2 tile values for tile^2 FMAs.
    Expr outputs = 1;
    for (const Expr &extent : extents)
      outputs *= Halide::cast<int64_t>(extent);
    Halide::Var thread = gpuRegisterTile(ctx, out, vars, outputs, true);
    acc.compute_at(out, thread);
    gpuAccumulateTile(acc, vars);
    return out;
  }
  if (!ctx.handScheduled()) {
    out(vars) = applyEpilogue(ctx, init + Halide::sum(lhs * rhs, "dot"), vars);
    return out;
  }
  if (!tiled) {
    // Few output channels, or a linear's run-time count: one vector of m at
    // a time, its sum on the stack. Left to Halide, the sum got a heap buffer
    // per vector (an allocator lock per 16 outputs: most of a Conformer's
    // attention-score time on 2 threads, before matmuls were tiled). A
    // dynamic count computes whole vectors, past the end on clamped channels;
    // only the valid lanes are stored.
    Expr channel = staticM ? Expr(m) : Halide::min(m, extents[0] - 1);
    auto clamped = [&](const Expr &e) {
      return Halide::Internal::substitute(m.name(), channel, e);
    };
    Halide::Func dot("dot");
    dot(vars) = clamped(init);
    dot(vars) += lhs * clamped(rhs);
    out(vars) = applyEpilogue(ctx, dot(vars), vars);
    vectorizeInner(out, m, extents[0], natural);
    parallelRows(out, vars, extents, ctx.taskElements());
    dot.compute_at(out, m).store_in(Halide::MemoryType::Stack);
    int lanes = staticM ? std::min(natural, *staticM) : natural;
    if (!staticM)
      dot.bound_extent(m, lanes);
    if (lanes > 1) {
      dot.vectorize(m, lanes);
      dot.update().vectorize(m, lanes);
    }
    return out;
  }

  // Rows reuse each column block's weights: unless the weight is stored in
  // panels already, copy the block into a contiguous K x columns panel per
  // task. Read in place, consecutive k are M floats apart, which for
  // power-of-two M maps every k onto the same cache sets and a new page.
  Halide::Func panel("weight_panel");
  bool copyPanel = hasRows && !packed && !relative;
  if (copyPanel) {
    Halide::Var kv("kv");
    std::vector<Halide::Var> panelVars{m, kv};
    panelVars.insert(panelVars.end(), vars.begin() + 2, vars.end());
    std::vector<Expr> panelArgs(panelVars.begin(), panelVars.end());
    panel(panelVars) = Halide::Internal::substitute(k.x.name(), kv, rhs);
    panelArgs[1] = k;
    rhs = panel(panelArgs);
  }
  Halide::Func acc("acc");
  acc(vars) = init;
  acc(vars) += lhs * rhs;
  out(vars) = applyEpilogue(ctx, acc(vars), vars);
  Halide::Var mo("mo"), mi("mi"), no("no"), ni("ni"), ng("ng"), nt("nt");
  int columns = vectors * natural;
  Halide::Var n = hasRows ? vars[1] : Halide::Var();
  Halide::Var task = mo;
  if (hasRows) {
    task = Halide::Var("block");
    // Row tiles in groups, so few column blocks still make enough tasks.
    // A linear's group spans at least 64 rows, 32 FLOPs per byte of its
    // column block's weights: nlu_base's 2048 -> 512 layer at 64 tokens,
    // split into two row groups per block, read its 4 MiB of weights twice
    // and ran 15-18% slower on 2 cores.
    Expr rowTiles = (extents[1] + rowTile - 1) / rowTile;
    int minTiles = isLinear ? std::max(4, (64 + rowTile - 1) / rowTile) : 4;
    Expr group = itemsPerTask(rowTiles, (extents[0] + columns - 1) / columns,
                              ctx.targetTasks(), minTiles);
    out.split(m, mo, mi, columns,
              dynamicM ? TailStrategy::GuardWithIf : TailStrategy::ShiftInwards)
        .split(n, no, ni, rowTile,
               staticN ? TailStrategy::ShiftInwards : TailStrategy::GuardWithIf)
        .split(no, ng, nt, group, TailStrategy::GuardWithIf)
        .reorder(mi, ni, nt, mo, ng)
        .vectorize(mi, natural)
        .unroll(mi)
        .unroll(ni)
        .fuse(mo, ng, task);
    acc.compute_at(out, nt);
    if (!staticN)
      acc.bound_extent(n, rowTile);
    if (dynamicM)
      acc.bound_extent(m, columns);
    acc.vectorize(m, natural).unroll(m).unroll(n);
    acc.update().reorder(m, n, k).vectorize(m, natural).unroll(m).unroll(n);
  } else {
    out.split(m, mo, mi, columns, TailStrategy::ShiftInwards)
        .vectorize(mi, natural)
        .unroll(mi);
    acc.compute_at(out, mo).vectorize(m, natural).unroll(m);
    acc.update().reorder(m, k).vectorize(m, natural).unroll(m);
  }
  // A task is one column block over a group of row tiles, reusing its
  // weight panel from cache; with the batch dims they form the tasks.
  for (size_t d = 2; d < rank; ++d) {
    Halide::Var fused;
    out.fuse(task, vars[d], fused);
    task = fused;
  }
  out.parallel(task);
  if (copyPanel)
    panel.compute_at(out, task).vectorize(m, natural);
  if (relative)
    positions.compute_at(out, task).vectorize(positions.args()[0], natural);
  return out;
}

} // namespace hmc::halide
