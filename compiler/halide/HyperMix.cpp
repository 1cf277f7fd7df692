// hyper_mix: multi-head HyperMixing with masked hypernetworks and an optional
// final LayerNorm (docs/kernel-graph.md, design HYPERMIXING.md).
//
// Both algorithms run in two phases with one barrier:
//   phase A, per (batch, head): reduce over all tokens into a small matrix
//     (reassociated: [m hid1 | m]^T Xm, then S, Z = gelu(S) and V = [C2 |
//      c2]^T Z; two_phase: S = W1^T Xm with W1 generated on the fly, Z);
//   phase B, per tile of tokens: the second hypernetwork's rows for every
//     head, mixed with the phase A matrix, then the LayerNorm over d (or,
//     for one short head, by channel: phaseBByChannel).
// Cross mixing (`keys`, `values`) runs phase A over the keys and values and
// phase B over the queries x, each side with its own length and mask.
// Intermediates are token-major (tokens innermost) and vectorised over
// tokens, so ragged per-head sizes become scalar broadcasts folded into FMAs;
// each small matrix product keeps a block of token vectors x outputs in
// registers. Where d_h is whole vectors and the weights file stores the
// hypernetworks in panels of whole vectors of outputs (hypernetwork_panels),
// the hypernetworks and phase B's mixing are vectorised over their outputs
// instead, each token broadcast, so x is read as stored. Every per-token
// definition is valid for any token index: reads are clamped and tokens at or
// past N get mask 0, so chunks and tiles are computed whole. Loops inside a
// chunk or tile (a projection's output blocks, the reduction's and the mixing's
// channel blocks) are parallel too: a short input is one (batch, head), one
// chunk and one or two tiles, and the pool runs such nested loops on every core
// only when the outer loop has a single task (docs/c-api.md).
#include "OpBuilders.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace hmc::halide {

using Halide::Expr;
using Halide::Func;
using Halide::RDom;
using Halide::TailStrategy;
using Halide::Var;

namespace {

/// sin(2 pi r) for |r| <= 1/2 in float32: fold into |r| <= 1/4, then the
/// Taylor series to x^13 (truncation error below 7e-10 on [-pi/2, pi/2]).
Expr sinTwoPi(const Expr &r) {
  Expr folded = Halide::select(r > 0.25f, 0.5f - r,
                               Halide::select(r < -0.25f, -0.5f - r, r));
  Expr x = folded * float(2 * M_PI);
  Expr x2 = x * x;
  return x + x * x2 *
                 polynomial(x2, {-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880,
                                 -1.0 / 39916800, 1.0 / 6227020800});
}

/// Register block of an outer-product loop: `rows` x `cols` accumulators,
/// each step loading rows + cols vectors or scalars for rows * cols FMAs.
struct Block {
  int rows = 1;
  int cols = 1;
};

class HyperMixBuilder {
public:
  explicit HyperMixBuilder(const OpContext &ctx)
      : ctx_(ctx), params_(parseHyperMix(ctx.view)),
        vl_(ctx.vectorSize(Halide::Float(32))),
        maxAcc_(ctx.target.has_feature(Halide::Target::AVX512) ? 24 : 12),
        x_(ctx.input("x")) {
    // Self mixing: keys, values and queries are all x, under one mask.
    std::string queryMask = params_.hasMask ? "mask" : "";
    queries_ = {x_, x_.dim(1).extent(), queryMask};
    values_ = params_.hasKeys ? ctx.input("values") : x_;
    if (params_.hasKeys) {
      Halide::ImageParam keys = ctx.input("keys");
      keys_ = {keys, keys.dim(1).extent(),
               params_.hasKeyMask ? "key_mask" : ""};
    } else {
      keys_ = queries_;
    }
    const char *names[2][4] = {{"A1", "a1", "C1", "c1"},
                               {"A2", "a2", "C2", "c2"}};
    for (int i = 0; i < 2; ++i)
      for (int w = 0; w < 4; ++w)
        weights_[i][w] = ctx.input(names[params_.tied ? 0 : i][w]);
  }

  Func build() {
    Func out = phaseB(phaseA());
    if (ctx_.gpu) {
      // GPU: phase A and phase B stay separate kernels (the reduction over
      // tokens: per-chunk sums, then over the chunks); the hypernetworks'
      // inputs, hidden units and generated rows, the position bases and Z
      // are computed once each, their dot products in register tiles per
      // thread (gpuRegisterTile).
      scheduleGpuPipeline(ctx_, out, gpuHints_);
      ctx_.gpu->scheduled = true;
    }
    return out;
  }

private:
  // Token-major stages run in blocks of kBlockVectors token vectors (the
  // row count of their register blocks), fewer in a phase B tile or a phase
  // A chunk shorter than that. Phase B normalises tiles of tokens together;
  // phase A's chunk size is chosen so that one chunk's reduction operands stay
  // within chunkBytes() (L1 by default).
  static constexpr int kBlockVectors = 4;
  static constexpr int kMaxSlices = 8;
  static constexpr int kVChannels = 6;  // channels per register block of V
  static constexpr int kMixerRows = 16; // reassociated mixer rows per task

  /// A_i(c, o, j) and C_i(o, q, j), whichever way the weights file stores
  /// them (hypernetwork_panels P: panels of P outputs, outputs innermost).
  Expr A(int i, const Expr &input, const Expr &output, const Expr &j) const {
    return weight(weights_[i][0], input, output, j);
  }
  Expr C(int i, const Expr &input, const Expr &output, const Expr &j) const {
    return weight(weights_[i][2], input, output, j);
  }
  Expr weight(const Halide::ImageParam &w, const Expr &input,
              const Expr &output, const Expr &j) const {
    int panel = params_.hypernetworkPanels;
    return panel ? w(output % panel, input, output / panel, j)
                 : w(input, output, j);
  }
  const Halide::ImageParam &a(int i) const { return weights_[i][1]; }
  const Halide::ImageParam &c(int i) const { return weights_[i][3]; }

  /// Tokens x output vectors per register block of a product vectorised
  /// over `outputs` outputs (whole vectors) for `tokens` tokens: up to 2
  /// output vectors (a divisor), then the most tokens (a power of two
  /// dividing `tokens`) within the accumulators. Few output vectors keep
  /// the weight loads per FMA low: at d = f = 256, 8 x 2 ran 5-9% faster
  /// than 4 x 4 and 2 x 8 was 20% slower.
  Block outputBlock(int outputs, int tokens) const {
    Block block{1, std::min(2, outputs / vl_)};
    while ((outputs / vl_) % block.cols)
      --block.cols;
    while (2 * block.rows * block.cols <= maxAcc_ &&
           tokens % (2 * block.rows) == 0)
      block.rows *= 2;
    return block;
  }

  /// `vectors` token vectors x outputs for a projection with `outputs`
  /// outputs (a divisor, so weights are never read past their end).
  Block projectionBlock(int outputs, int vectors) const {
    int cols = outputs;
    while (outputs % cols || vectors * cols > maxAcc_)
      --cols;
    return {vectors, cols};
  }

  /// Rows x channels for the token reduction over `rows` rows (padded to a
  /// multiple of the block with zero rows) and d_h channels (a divisor).
  Block reductionBlock(int rows) const {
    Block best;
    double bestCost = 1e9;
    for (int r = 1; r <= maxAcc_; ++r)
      for (int ch = 1; ch <= params_.dHead && r * ch <= maxAcc_; ++ch) {
        if (params_.dHead % ch)
          continue;
        int padded = (rows + r - 1) / r * r;
        double cost =
            padded * std::max(1.0, double(r + ch) / (r * ch)) - 1e-3 * r * ch;
        if (cost < bestCost) {
          bestCost = cost;
          best = {r, ch};
        }
      }
    return best;
  }

  /// Rows x channel vectors for a product vectorised over d_h channels (a
  /// multiple of the vector width) with `rows` rows: the fewest loads per
  /// FMA, then the least padding of the rows.
  Block channelBlock(int rows) const {
    int vectors = params_.dHead / vl_;
    Block best;
    double bestCost = 1e9;
    for (int cv = 1; cv <= vectors; ++cv) {
      if (vectors % cv)
        continue;
      for (int r = 1; r * cv <= maxAcc_; ++r) {
        int padded = (rows + r - 1) / r * r;
        double cost = padded * double(r + cv) / (r * cv);
        if (cost < bestCost) {
          bestCost = cost;
          best = {r, cv};
        }
      }
    }
    return best;
  }

  /// The phase A products run vectorised over channels (rather than
  /// tokens) when d_h is whole vectors: the token reduction then keeps no
  /// per-lane partial sums, which for h = 1 (d_h x k_h of 256 x 512 and
  /// more) would be a 16x larger buffer than S itself.
  bool byChannel() const { return !ctx_.gpu && params_.dHead % vl_ == 0; }

  /// The hypernetworks vectorised over their outputs (by channel, the
  /// weights stored in panels of whole output vectors, which f and k_h are
  /// multiples of): their inputs are dense rows of x and of the position
  /// table, broadcast into register blocks of tokens x output vectors, and
  /// phase B's y is vectorised over channels too, so no stage gathers
  /// tokens or transposes.
  bool channelMajorHyper() const {
    return byChannel() && params_.hypernetworkPanels > 0 &&
           params_.hypernetworkPanels % vl_ == 0;
  }

  /// Phase A's chunk budget on the CPU (knob chunk_kib). Vectorised over
  /// channels, chunks are computed whole even past N; a chunk's per-token
  /// operands are a few vectors, so 16 KiB (64 tokens at d_h = 256) already
  /// amortises the per-chunk sums. Two-phase is the short-input form: 8 KiB
  /// (32 tokens at d_h = 256) gives a 64-token input two slices of phase A,
  /// one per core. Each chunk adds into S (k_h x d_h), so only while S stays
  /// within 256 KiB of L2: at nlu_base's 1 MiB, 16 KiB measured 3-8% faster
  /// at 64 and 256 tokens.
  int chunkBytes() const {
    bool smallChunks = params_.algorithm == HyperMixAlgorithm::TwoPhase &&
                       int64_t(params_.kHead) * params_.dHead <= 65536;
    int chunkKib = !byChannel() ? 40 : smallChunks ? 8 : 16;
    return ctx_.knob("chunk_kib", chunkKib, 4, 1024) << 10;
  }

  /// Two-phase by channel: phase A over all tokens at once (wholeTwoPhase)
  /// for a single head whose longest input's W1 and masked tokens stay
  /// within 2 MiB, else in chunks. The chunks' slice sums of S go from core
  /// to core, and a single head has no other parallel work: at 64 tokens
  /// (d = k = 256) the whole form measured 14% faster on 2 cores, and 3-10%
  /// from 128 to 255 tokens; at 1024 tokens it was 3-15% slower, and with 8
  /// heads 4% slower.
  bool wholePhaseA() const {
    int64_t bytes = params_.maxKeyLength * (params_.kHead + params_.dHead) * 4;
    bool fits = params_.maxKeyLength > 0 && bytes <= (2 << 20);
    return ctx_.knob("phase_a_whole", params_.heads == 1 && fits, 0, 1);
  }

  /// Token vectors per block of a hypernetwork computed for all tokens at
  /// once: the whole two-phase forms' (both phases), and hid1 where phase
  /// B reuses it (reuseHidden). Vectorised over outputs, each row of tokens
  /// reads a block of outputs' weights anew; where those exceed L1, blocks
  /// of 4 vectors: nlu_base (d_h = f = 512) at 64 tokens on 2 cores then
  /// splits one block's outputs between the cores, 8.3 -> 7.7 ms of
  /// hyper_mix, where each core's block read all the weights.
  int wholeBlockVectors() const {
    int vectors = 2;
    if (channelMajorHyper()) {
      // The larger of A's (d_h rows) and C's (f rows) blocks of outputs.
      int rowVectors =
          std::max(params_.dHead * outputBlock(params_.hidden, vl_).cols,
                   params_.hidden * outputBlock(params_.kHead, vl_).cols);
      if (rowVectors * vl_ * 4 > (32 << 10))
        vectors = 4;
    }
    return ctx_.knob("whole_block_vectors", vectors, 1, kBlockVectors);
  }

  /// Tied self mixing generates W2 from the same tokens, mask and weights
  /// as W1, so after a whole phase A (which keeps W1 for every token) phase
  /// B reads W1 instead of running the hypernetwork again: a third fewer
  /// FLOPs where d = f = k.
  bool reuseW1() const {
    return params_.tied && !params_.hasKeys &&
           params_.algorithm == HyperMixAlgorithm::TwoPhase && byChannel() &&
           wholePhaseA();
  }

  /// Tied self mixing, reassociated: phase B's hidden units are phase A's
  /// (same tokens, mask, positions and weights), so phase A keeps hid1 for
  /// every token (N x f floats per batch element and head) and phase B
  /// reads it: 3 f d_h multiply-adds per token instead of 4.
  bool reuseHidden() const {
    return params_.tied && !params_.hasKeys &&
           params_.algorithm == HyperMixAlgorithm::Reassociated && !ctx_.gpu;
  }

  /// Phase B by channel (phaseBByChannel(mixer)) after a whole phase A of
  /// one self-mixing head, whose input length bounds W2 for all tokens at
  /// once; not with a LayerNorm, which needs whole rows where the tasks
  /// split the channels. Z and the output are channel-contiguous, so the
  /// mixing needs no transpose, but each core reads the half of W2 (N x k)
  /// the other made, where token tiles read the other's half of Z (k x d):
  /// the default while max_key_length < d. On 2 cores, d = k = 256: 5-8%
  /// faster at 64 tokens, even at 128, 8% slower at 256; d = k = 512: 8-12%
  /// faster at 64 tokens, even at 256 and 400.
  bool usePhaseBByChannel() const {
    bool applies = params_.algorithm == HyperMixAlgorithm::TwoPhase &&
                   byChannel() && wholePhaseA() && params_.heads == 1 &&
                   !params_.hasKeys && !params_.layerNorm;
    bool shortInputs =
        params_.maxKeyLength > 0 && params_.maxKeyLength < params_.dModel;
    return applies && ctx_.knob("phase_b_by_channel", shortInputs, 0, 1);
  }

  /// The tokens a phase reads: phase A the keys (mixing the values), phase
  /// B the queries, each with its length and mask input (none if empty).
  struct Side {
    Halide::ImageParam tokens;
    Expr length;
    std::string maskRole;
  };

  /// The side hypernetwork i reads: 0 the keys, 1 the queries.
  const Side &side(int i) const { return i == 0 ? keys_ : queries_; }

  /// Every GELU of the op: the exact form or torch's tanh approximation.
  Expr activation(const Expr &x) const { return gelu(x, params_.tanhGelu); }

  Expr clampToken(const Expr &token, const Expr &length) const {
    return Halide::clamp(token, 0, length - 1);
  }

  /// On the GPU, a coordinate of a register-tiled stage clamped to its
  /// extent: tiles past the edge compute on valid reads, their surplus is
  /// never stored.
  Expr tileCoordinate(const Var &var, int extent) const {
    return ctx_.gpu ? Halide::min(var, extent - 1) : Expr(var);
  }

  /// Output count at run time of a stage with `each` outputs per batch row
  /// and position (token or chunk); the GPU's register tile follows it.
  Expr batchOutputs(const Expr &positions, int each) const {
    return Halide::cast<int64_t>(positions) * x_.dim(2).extent() * each;
  }

  /// Effective mask m(n, b) of a side: its mask (or 1) for n below its
  /// length, 0 past the end.
  Func mask(const std::string &name, const Side &side) const {
    Func m(name);
    Expr value =
        side.maskRole.empty()
            ? Expr(1.0f)
            : ctx_.input(side.maskRole)(clampToken(n_, side.length), b_);
    m(n_, b_) = Halide::select(n_ < side.length, value, 0.0f);
    return m;
  }

  /// Masked token m * tokens at global channel `channel` (tokens of
  /// `length`); a select rather than a product so that padded rows never
  /// propagate what they hold. Without mask_tokens, the token itself (0
  /// past the length).
  Expr maskedToken(const Func &m, const Halide::ImageParam &tokens,
                   const Expr &length, const Expr &channel) const {
    Expr token = tokens(channel, clampToken(n_, length), b_);
    if (!params_.maskTokens)
      return Halide::select(n_ < length, token, 0.0f);
    Expr mn = m(n_, b_);
    return Halide::select(mn == 0.0f, 0.0f, mn * token);
  }

  /// A token as the hypernetworks read it: masked, or without
  /// mask_hyper_input the token itself (0 past the length).
  Expr hyperToken(const Func &m, const Halide::ImageParam &tokens,
                  const Expr &length, const Expr &channel) const {
    if (params_.maskHyperInput)
      return maskedToken(m, tokens, length, channel);
    return Halide::select(n_ < length,
                          tokens(channel, clampToken(n_, length), b_), 0.0f);
  }

  /// Hypernetwork i's input at global channel `channel`: its side's token
  /// (hyperToken under the side's mask m) through hyperInput.
  Expr hypernetworkInput(int i, const Func &m, const Expr &channel,
                         const Func &base) const {
    const Side &tokens = side(i);
    return hyperInput(hyperToken(m, tokens.tokens, tokens.length, channel),
                      channel, base);
  }

  /// The factor of generated rows W_i: the mask, or 1 where only the tokens
  /// are masked (their masked rows are 0 already, past the length too).
  Expr weightMask(const Func &m) const {
    return params_.maskWeights ? m(n_, b_) : Expr(1.0f);
  }

  /// Sinusoid bases for P: base(t, v, cg) = sin(2 pi (p0 g + phase + t/4))
  /// at the first position p0 of token vector v (t = 1: the cosine), with
  /// g = 10000^(-2i/d) / 2pi turns per position (2i = cg - cg % 2) and odd
  /// channels a quarter turn ahead. The angle is reduced to a fraction of a
  /// turn in float64, so long sequences keep float32 accuracy; the polynomial
  /// runs once per vector of tokens. The caller schedules it.
  Func positionBase(const std::string &name) {
    if (!turnsPerPosition_.defined()) {
      int d = params_.dModel;
      turnsPerPosition_ = Halide::Buffer<double>(d, "hm_turns");
      turnsAhead_ = Halide::Buffer<double>(d, 2, "hm_turns_ahead");
      // Channels innermost where positions are vectorised over them.
      std::vector<int> order =
          channelMajorHyper() ? std::vector<int>{1, 0} : std::vector<int>{0, 1};
      laneCos_ = Halide::Buffer<float>({vl_, d}, order, "hm_lane_cos");
      laneSin_ = Halide::Buffer<float>({vl_, d}, order, "hm_lane_sin");
      for (int ch = 0; ch < d; ++ch) {
        double turns = std::pow(10000.0, -double(ch - ch % 2) / d) / (2 * M_PI);
        turnsPerPosition_(ch) = turns;
        for (int t = 0; t < 2; ++t)
          turnsAhead_(ch, t) = 0.25 * (ch % 2 + t);
        for (int k = 0; k < vl_; ++k) {
          double angle = 2 * M_PI * std::remainder(k * turns, 1.0);
          laneCos_(k, ch) = float(std::cos(angle));
          laneSin_(k, ch) = float(std::sin(angle));
        }
      }
    }
    Func base(name);
    Expr first = v_ * vl_ + static_cast<int>(params_.positionOffset);
    // The quarter turns come from a table: cg % 2 in a vector over
    // channels makes Halide 14 split it into stride-2 loads of hm_turns,
    // which it marks 64-byte aligned at odd multiples of 32 bytes (a
    // crash for d = 18, 20, 22, 26, ...).
    Expr turns = Halide::cast<double>(first) * turnsPerPosition_(cg_) +
                 turnsAhead_(cg_, t_);
    base(t_, v_, cg_) =
        sinTwoPi(Halide::cast<float>(turns - Halide::round(turns)));
    gpuHints_.roots.push_back(base);
    return base;
  }

  /// P[n + offset, channel] = sin(a + k w) = sin a cos kw + cos a sin kw,
  /// a from the token vector's base, k the lane; or the model's own table
  /// row, exactly as it rounded it, where the table has one. A learned
  /// table has every row (the library refuses longer inputs).
  Expr position(const Func &base, const Expr &channel) const {
    Expr vector = n_ / vl_, lane = n_ % vl_;
    Expr formula = base(0, vector, channel) * laneCos_(lane, channel) +
                   base(1, vector, channel) * laneSin_(lane, channel);
    if (!params_.positionTable)
      return formula;
    const Halide::ImageParam &table = ctx_.input("positions");
    bool transposed = params_.positionsTransposed;
    Expr length = table.dim(transposed ? 0 : 1).extent();
    Expr position = n_ + static_cast<int>(params_.positionOffset);
    Expr row = Halide::min(position, length - 1);
    Expr stored = transposed ? table(row, channel) : table(channel, row);
    return params_.learnedTable
               ? stored
               : Halide::select(position < length, stored, formula);
  }

  /// Hypernetwork input: the (scaled) masked token plus P when positional.
  Expr hyperInput(const Expr &token, const Expr &channel,
                  const Func &base) const {
    Expr scaled = params_.inputScale == 1.0
                      ? token
                      : token * static_cast<float>(params_.inputScale);
    return params_.positional ? scaled + position(base, channel) : scaled;
  }

  /// Token-major stage vectorised over tokens, looping over `var` inside
  /// each vector (unrolled when `unroll`, e.g. so selects on it fold away).
  /// Returns the loop over blocks of `vectors` vectors, where per-block
  /// producers go.
  Var scheduleTokenMajor(Func stage, const Var &var, bool unroll,
                         int vectors = kBlockVectors) const {
    Var nb("nb"), nv("nv"), ni("ni");
    stage.split(n_, nb, nv, vectors * vl_, TailStrategy::RoundUp)
        .split(nv, nv, ni, vl_)
        .reorder(ni, var, nv, nb)
        .vectorize(ni);
    if (unroll)
      stage.unroll(var);
    return nb;
  }

  /// Schedules result(n, p, ...) = act(acc(n, p, ...)) with acc = init +
  /// sum_r w(r, p) * in(n, r, ...): a register block of token vectors x
  /// outputs at a time, `in` and the weights loaded once per block row.
  /// Returns the loop over token blocks.
  Var scheduleProjection(Func result, Func acc, const Var &p,
                         const Halide::RVar &r, int outputs,
                         int vectors) const {
    if (channelMajorHyper())
      return scheduleOutputMajor(result, acc, p, r, outputs, vectors);
    Block block = projectionBlock(outputs, vectors);
    Var nb("nb"), ni("ni"), pb("pb"), pi("pi");
    result.split(n_, nb, ni, vl_ * block.rows, TailStrategy::RoundUp)
        .split(p, pb, pi, block.cols)
        .reorder(ni, pi, pb, nb)
        .vectorize(ni, vl_)
        .unroll(ni)
        .unroll(pi);
    if (!ctx_.gpu)
      result.parallel(pb);
    scheduleBlockAccumulators(acc, Halide::LoopLevel(result, pb), n_, p, r);
    return nb;
  }

  /// scheduleProjection vectorised over the outputs p (stored innermost):
  /// per block of `vectors` token vectors, register blocks of tokens x
  /// output vectors, the weights loaded as vectors and `in` broadcast.
  Var scheduleOutputMajor(Func result, Func acc, const Var &p,
                          const Halide::RVar &r, int outputs,
                          int vectors) const {
    Block block = outputBlock(outputs, vectors * vl_);
    Var nb("nb"), rows("rows"), nr("nr"), nri("nri"), pb("pb"), pi("pi");
    // The last block computes only its register rows that start below N.
    result.reorder_storage(p, n_, j_, b_)
        .split(n_, rows, nri, block.rows, TailStrategy::RoundUp)
        .split(rows, nb, nr, vectors * vl_ / block.rows,
               TailStrategy::GuardWithIf)
        .split(p, pb, pi, block.cols * vl_)
        .reorder(pi, nri, nr, pb, nb)
        .vectorize(pi, vl_)
        .unroll(pi)
        .unroll(nri)
        .parallel(pb);
    scheduleBlockAccumulators(acc, Halide::LoopLevel(result, nr), p, n_, r);
    return nb;
  }

  /// `func`'s storage order with `var` innermost, the rest as declared.
  static std::vector<Var> innermost(const Func &func, const Var &var) {
    std::vector<Var> order = {var};
    for (const Var &arg : func.args())
      if (arg.name() != var.name())
        order.push_back(arg);
    return order;
  }

  /// A register block's accumulators, computed at `at`: vectorised over
  /// `vector` (stored innermost), `vector` and `row` unrolled, the
  /// reduction r outside them.
  void scheduleBlockAccumulators(Func acc, const Halide::LoopLevel &at,
                                 const Var &vector, const Var &row,
                                 const Halide::RVar &r) const {
    acc.compute_at(at)
        .reorder_storage(innermost(acc, vector))
        .vectorize(vector, vl_)
        .unroll(vector)
        .unroll(row);
    acc.update()
        .reorder(vector, row, r)
        .vectorize(vector, vl_)
        .unroll(vector)
        .unroll(row);
  }

  /// A hypernetwork's input hin(n, channel, ...): vectorised over tokens in
  /// blocks of `vectors`, or over channels (channelMajorHyper).
  void scheduleHyperInput(Func hin, const Var &channel, int vectors) const {
    if (!channelMajorHyper()) {
      scheduleTokenMajor(hin, channel, false, vectors);
      return;
    }
    hin.reorder_storage(innermost(hin, channel))
        .reorder(channel, n_)
        .vectorize(channel, vl_);
  }

  /// Position bases: vectorised over `vectors` token vectors, or over
  /// channels (stored innermost) where the hypernetworks are.
  void scheduleBase(Func base, int vectors) const {
    if (channelMajorHyper())
      base.reorder_storage(cg_, t_, v_)
          .reorder(cg_, t_, v_)
          .vectorize(cg_, vl_)
          .unroll(t_);
    else
      base.reorder(v_, t_, cg_).vectorize(v_, vectors).unroll(t_);
  }

  /// u(n, p) of phase A for p in [0, rows): token-major in blocks of
  /// `vectors` token vectors with p unrolled, or (channelMajorHyper) p
  /// vectorised and stored innermost, its vectors unrolled, so that selects
  /// on p fold away. Returns the loop over token blocks.
  Var scheduleReductionRows(Func u, int rows, int vectors) const {
    if (!channelMajorHyper())
      return scheduleTokenMajor(u, p_, true, vectors);
    Var nb("nb"), ni("ni"), pv("pv"), pi("pi");
    u.bound(p_, 0, (rows + vl_ - 1) / vl_ * vl_)
        .reorder_storage(p_, n_, j_, b_)
        .split(n_, nb, ni, vectors * vl_, TailStrategy::RoundUp)
        .split(p_, pv, pi, vl_)
        .reorder(pi, pv, ni, nb)
        .vectorize(pi)
        .unroll(pv);
    return nb;
  }

  /// First layer of hypernetwork i per head: gelu(a + A . input), in
  /// register blocks of `vectors` token vectors.
  Func hidden(int i, const Func &input, const std::string &name, int vectors,
              Var *blockLoop = nullptr) {
    Func pre(name + "_pre"), hid(name);
    RDom rc(0, params_.dHead, name + "_rc");
    Expr o = tileCoordinate(o_, params_.hidden);
    pre(n_, o_, j_, b_) = a(i)(o, j_);
    pre(n_, o_, j_, b_) += A(i, rc, o, j_) * input(n_, rc, j_, b_);
    hid(n_, o_, j_, b_) = activation(pre(n_, o_, j_, b_));
    Var loop = scheduleProjection(hid, pre, o_, rc.x, params_.hidden, vectors);
    if (blockLoop)
      *blockLoop = loop;
    gpuHints_.perThread.emplace_back(pre, hid);
    gpuHints_.outputs[hid.name()] =
        batchOutputs(side(i).length, params_.hidden * params_.heads);
    return hid;
  }

  /// Generated hypernetwork rows rowMask * (c + C . hid) (the two-phase
  /// W_i); `blockLoop`, if given, receives its loop over token blocks.
  Func generated(int i, const Func &hid, const Expr &rowMask,
                 const std::string &name, int vectors,
                 Var *blockLoop = nullptr) {
    Func acc(name + "_acc"), w(name);
    RDom ro(0, params_.hidden, name + "_ro");
    Expr q = tileCoordinate(q_, params_.kHead);
    acc(n_, q_, j_, b_) = c(i)(q, j_);
    acc(n_, q_, j_, b_) += C(i, ro, q, j_) * hid(n_, ro, j_, b_);
    w(n_, q_, j_, b_) = rowMask * acc(n_, q_, j_, b_);
    Var loop = scheduleProjection(w, acc, q_, ro.x, params_.kHead, vectors);
    gpuHints_.perThread.emplace_back(acc, w);
    gpuHints_.outputs[w.name()] =
        batchOutputs(side(i).length, params_.kHead * params_.heads);
    if (blockLoop)
      *blockLoop = loop;
    return w;
  }

  /// R(c, p, j, b) = sum over tokens of u(n, p, j, b) * v(n, c, j, b) for p
  /// below `rows` padded to a multiple of block.rows (u must be defined, as
  /// zero, on the padding): per-lane partial sums over chunks of tokens with
  /// the block's accumulators in registers, the lanes summed once at the
  /// end. `chunkStages` are computed once per chunk.
  Func reduceTokens(const Func &u, const Block &block, int rows, const Func &v,
                    const std::vector<Func> &chunkStages,
                    const std::string &name) {
    int chunkVectors = chunkTokens_ / vl_;
    Expr vectors = (keys_.length + vl_ - 1) / vl_;
    Var lane("lane"), chunk("chunk");
    RDom rv(0, chunkVectors, name + "_rv");
    rv.where(chunk * chunkVectors + rv < vectors);
    Expr token = (chunk * chunkVectors + rv) * vl_ + lane;
    Func part(name + "_part"), lanes(name + "_lanes"), result(name);
    part(lane, p_, c_, chunk, j_, b_) = 0.0f;
    part(lane, p_, c_, chunk, j_, b_) +=
        u(token, p_, j_, b_) * v(token, c_, j_, b_);
    RDom rch(0, (vectors + chunkVectors - 1) / chunkVectors, name + "_rch");
    lanes(lane, p_, c_, j_, b_) = 0.0f;
    lanes(lane, p_, c_, j_, b_) += part(lane, p_, c_, rch, j_, b_);
    RDom rl(0, vl_, name + "_rl");
    result(c_, p_, j_, b_) = 0.0f;
    result(c_, p_, j_, b_) += lanes(rl, p_, c_, j_, b_);

    // Rows past `rows` are u's zero padding: computed so that blocks divide
    // the rows evenly, never read.
    int padded = (rows + block.rows - 1) / block.rows * block.rows;
    lanes.bound(p_, 0, padded);
    Var pb("pb"), pi("pi"), cb("cb"), ci("ci");
    lanes.vectorize(lane);
    lanes.update()
        .split(p_, pb, pi, block.rows)
        .split(c_, cb, ci, block.cols)
        .reorder(lane, pi, ci, pb, cb, rch)
        .vectorize(lane)
        .unroll(pi)
        .unroll(ci);
    part.compute_at(lanes, pb).vectorize(lane).unroll(p_).unroll(c_);
    part.update()
        .reorder(lane, p_, c_, rv)
        .vectorize(lane)
        .unroll(p_)
        .unroll(c_);
    // Per chunk, its tokens below N in whole register blocks (a short
    // input's one chunk of up to 8 blocks computes only its own), in a
    // whole chunk's storage: a constant size keeps it on the stack and its
    // rows at constant offsets.
    chunkLevel_ = Halide::LoopLevel(lanes, rch);
    for (Func stage : chunkStages)
      stage.compute_at(chunkLevel_).bound_storage(n_, chunkTokens_);
    result.update().atomic().vectorize(rl);
    phaseAStages_.insert(phaseAStages_.end(), {lanes, result});
    return result;
  }

  /// reduceTokens for the GPU over u's `rows` rows: R(c, p, j, b) = sum
  /// over chunks of part(c, p, chunk, j, b), each thread's tile of parts
  /// summed over a chunk's tokens in registers. Channels are the threads' x:
  /// v's reads are coalesced and u's are one broadcast per warp. Partial
  /// sums per chunk keep every SM busy when (batch, head) pairs and rows are
  /// few.
  Func reduceTokensOnGpu(const Func &u, int rows, const Func &v,
                         const std::string &name) {
    Var chunk("chunk");
    RDom rn(0, chunkTokens_, name + "_rn");
    Expr token = chunk * chunkTokens_ + rn;
    rn.where(token < keys_.length);
    Func acc(name + "_acc"), part(name + "_part"), result(name);
    Expr p = tileCoordinate(p_, rows), c = tileCoordinate(c_, params_.dHead);
    acc(c_, p_, chunk, j_, b_) = 0.0f;
    acc(c_, p_, chunk, j_, b_) += u(token, p, j_, b_) * v(token, c, j_, b_);
    part(c_, p_, chunk, j_, b_) = acc(c_, p_, chunk, j_, b_);
    gpuHints_.perThread.emplace_back(acc, part);
    Expr chunks = (keys_.length + chunkTokens_ - 1) / chunkTokens_;
    gpuHints_.outputs[part.name()] =
        batchOutputs(chunks, rows * params_.dHead * params_.heads);
    RDom rch(0, chunks, name + "_rch");
    result(c_, p_, j_, b_) = 0.0f;
    result(c_, p_, j_, b_) += part(c_, p_, rch, j_, b_);
    return result;
  }

  /// reduceTokens vectorised over channels: R(c, p, j, b) = sum over tokens
  /// of u(n, p, j, b) * v(n, c, j, b), v stored channel-innermost. Per chunk
  /// a block of p rows x channel vectors accumulates in registers over the
  /// chunk's tokens and is then added into its slice's sum. Slices (runs of
  /// two or more consecutive chunks, at most kMaxSlices) run in parallel, so
  /// that few (batch, head) pairs still use every core; R adds them up.
  /// With `rowsInParallel` (R computed once per (batch, head)), R's rows are
  /// summed in parallel blocks, each from the slices into a block of its own
  /// and then stored; else the caller places R.
  Func reduceTokensByChannel(const Func &u, const Block &block, int rows,
                             const Func &v,
                             const std::vector<Func> &chunkStages,
                             const std::string &name, bool rowsInParallel) {
    Var chunk("chunk"), slice("slice");
    RDom rn(0, chunkTokens_, name + "_rn");
    Expr token = chunk * chunkTokens_ + rn;
    rn.where(token < keys_.length);
    Func part(name + "_part"), sliceSum(name + "_slice"), result(name);
    part(c_, p_, chunk, j_, b_) = 0.0f;
    part(c_, p_, chunk, j_, b_) += u(token, p_, j_, b_) * v(token, c_, j_, b_);
    Expr chunks = (keys_.length + chunkTokens_ - 1) / chunkTokens_;
    // At least two chunks per slice (each slice's sum costs a pass over R),
    // unless that leaves one slice: then one chunk each.
    Expr perSlice = Halide::max(1, Halide::min(2, chunks / 2),
                                (chunks + kMaxSlices - 1) / kMaxSlices);
    RDom rch(0, perSlice, name + "_rch");
    rch.where(slice * perSlice + rch < chunks);
    sliceSum(c_, p_, slice, j_, b_) = 0.0f;
    sliceSum(c_, p_, slice, j_, b_) +=
        part(c_, p_, slice * perSlice + rch, j_, b_);
    // R starts from the first slice's sum: no pass to zero it.
    RDom rs(1, (chunks + perSlice - 1) / perSlice - 1, name + "_rs");
    result(c_, p_, j_, b_) = sliceSum(c_, p_, 0, j_, b_);
    result(c_, p_, j_, b_) += sliceSum(c_, p_, rs, j_, b_);

    int padded = (rows + block.rows - 1) / block.rows * block.rows;
    int columns = block.cols * vl_;
    result.vectorize(c_, vl_);
    result.update().reorder(c_, p_, rs).vectorize(c_, vl_);
    Var pb("pb"), pi("pi"), cb("cb"), ci("ci");
    sliceSum.bound(p_, 0, padded).bound(c_, 0, params_.dHead);
    sliceSum.vectorize(c_, vl_).parallel(slice);
    sliceSum.update()
        .split(p_, pb, pi, block.rows)
        .split(c_, cb, ci, columns)
        .reorder(ci, pi, pb, cb, rch, slice)
        .vectorize(ci, vl_)
        .unroll(ci)
        .unroll(pi)
        .parallel(cb)
        .parallel(slice);
    scheduleBlockAccumulators(part, Halide::LoopLevel(sliceSum, pb), c_, p_,
                              rn);
    // Whole chunks, even past N: constant sizes keep them on the stack and
    // their rows at constant offsets. (Only the blocks below N, as by
    // token, measured 2-5% slower at 64-1024 tokens of d_h = 64.)
    chunkLevel_ = Halide::LoopLevel(sliceSum, rch);
    for (Func stage : chunkStages)
      stage.compute_at(chunkLevel_).bound_extent(n_, chunkTokens_);
    phaseAStages_.push_back(sliceSum);
    if (!rowsInParallel)
      return result;
    // Summed on one core, R (2 slices of 257 x 256 at d = 256) took about
    // 4% of a 256-token layer's time on 2 cores while the other core waited.
    Func stored = result.in();
    Var rb("rb"), ri("ri");
    stored.split(p_, rb, ri, kMixerRows, TailStrategy::GuardWithIf)
        .reorder(c_, ri, rb)
        .vectorize(c_, vl_)
        .parallel(rb);
    result.compute_at(stored, rb);
    return stored;
  }

  /// out(p, c, j, b) = act(init + sum_r weight * input) for p in [0, rows)
  /// and the d_h channels c, stored channel-innermost: a register block of p
  /// rows x channel vectors, the input's channel vectors loaded once per r
  /// and the weight broadcast.
  Func channelProduct(const std::string &name, const Expr &init, const RDom &r,
                      const Expr &weight, const Expr &input, int rows,
                      bool withGelu) {
    Func acc(name + "_acc"), out(name);
    acc(p_, c_, j_, b_) = init;
    acc(p_, c_, j_, b_) += weight * input;
    out(p_, c_, j_, b_) =
        withGelu ? activation(acc(p_, c_, j_, b_)) : acc(p_, c_, j_, b_);
    Block block = channelBlock(rows);
    block.rows = std::min(block.rows, rows);
    Var pb("pb"), pi("pi"), cb("cb"), ci("ci");
    out.bound(p_, 0, rows)
        .bound(c_, 0, params_.dHead)
        .reorder_storage(c_, p_, j_, b_)
        .split(p_, pb, pi, block.rows, TailStrategy::ShiftInwards)
        .split(c_, cb, ci, block.cols * vl_)
        .reorder(ci, pi, cb, pb)
        .vectorize(ci, vl_)
        .unroll(ci)
        .unroll(pi)
        .parallel(pb);
    scheduleBlockAccumulators(acc, Halide::LoopLevel(out, cb), c_, p_, r.x);
    phaseAStages_.push_back(out);
    return out;
  }

  /// The op's result at output element (cg, n, b) through the kernel's
  /// epilogue, if it has one (a residual add, say).
  Expr epilogue(const Expr &result) const {
    return applyEpilogue(ctx_, result, {cg_, n_, b_});
  }

  /// Largest power of two up to the vector width that divides `extent`.
  int vectorWidth(int extent) const {
    int width = vl_;
    while (extent % width)
      width /= 2;
    return width;
  }

  /// Phase A: the per-(batch, head) mixing matrix mixer(r, c, j, b),
  /// computed for all batches and heads before phase B. Reassociated: V with
  /// r in [0, f], row f holding u = c2^T Z. Two-phase: Z with r in [0, k_h).
  Func phaseA() {
    const int f = params_.hidden, kh = params_.kHead;
    const bool reassociated =
        params_.algorithm == HyperMixAlgorithm::Reassociated;
    if (!reassociated && byChannel() && wholePhaseA())
      return scheduleMixer(wholeTwoPhase());
    // u: the reduction's left factor. Reassociated: [m hid1 | m], so one
    // reduction yields hid1^T M Xm and m^T Xm; two-phase: W1.
    int rows = reassociated ? f + 1 : kh;
    Block block = ctx_.gpu      ? Block()
                  : byChannel() ? channelBlock(rows)
                                : reductionBlock(rows);
    int padded = (rows + block.rows - 1) / block.rows * block.rows;
    // By channel, the budget holds a block's column panel of the chunk's
    // tokens; by token, a chunk's operands. Chunks are whole register blocks
    // of tokens, or by channel fewer token vectors than one block.
    int bytesPerToken =
        byChannel() ? 4 * block.cols * vl_ : 4 * (padded + params_.dHead);
    int chunkVectors =
        ctx_.gpu ? kBlockVectors : chunkBytes() / bytesPerToken / vl_;
    if (chunkVectors >= kBlockVectors || !byChannel())
      chunkVectors = chunkVectors / kBlockVectors * kBlockVectors;
    chunkVectors = std::clamp(chunkVectors, byChannel() ? 1 : kBlockVectors,
                              8 * kBlockVectors);
    chunkTokens_ = chunkVectors * vl_;
    chunkBlockVectors_ = std::min(chunkVectors, kBlockVectors);
    if (ctx_.gpu)
      chunkTokens_ = ctx_.knob("chunk_tokens", 128, 16, 4096);

    // Per chunk and head: positions vectorised over the chunk's tokens.
    // Where phase B reads hid1, it is computed for every token first, in
    // parallel over blocks of tokens; else per chunk, inside u's loop.
    int hidVectors = reuseHidden() ? wholeBlockVectors() : chunkBlockVectors_;
    auto [m, xm, base, hin, hinMask] =
        phaseAInputs(reuseHidden() ? hidVectors : chunkTokens_ / vl_);
    m.vectorize(n_, vl_, TailStrategy::RoundUp);
    if (byChannel())
      xm.reorder_storage(c_, n_, j_, b_).reorder(c_, n_).vectorize(c_, vl_);
    else
      scheduleTokenMajor(xm, c_, false);
    scheduleHyperInput(hin, c_, hidVectors);
    Var hidBlock;
    Func hid = hidden(0, hin, "hid1", hidVectors, &hidBlock);

    // Unless hid1 is computed ahead, the hypernetwork runs one token block
    // at a time inside u's loop.
    Func u("u1");
    Var uBlock;
    std::vector<Func> chunkStages = {m, xm};
    if (reassociated) {
      u(n_, p_, j_, b_) =
          weightMask(m) *
          Halide::select(p_ < f, hid(n_, Halide::min(p_, f - 1), j_, b_),
                         Halide::select(p_ == f, 1.0f, 0.0f));
      uBlock = scheduleReductionRows(u, padded, chunkBlockVectors_);
    } else if (padded > kh) {
      Func w = generated(0, hid, weightMask(m), "w1", chunkBlockVectors_);
      u(n_, p_, j_, b_) =
          Halide::select(p_ < kh, w(n_, Halide::min(p_, kh - 1), j_, b_), 0.0f);
      uBlock = scheduleReductionRows(u, padded, chunkBlockVectors_);
      w.compute_at(u, uBlock);
    } else {
      u = generated(0, hid, weightMask(m), "w1", chunkBlockVectors_, &uBlock);
    }
    Func reduced;
    if (ctx_.gpu) {
      // The hypernetwork's input once per token, not once per hidden unit.
      gpuHints_.roots.push_back(hin);
      reduced = reduceTokensOnGpu(u, rows, xm, "s1");
    } else {
      chunkStages.push_back(u);
      reduced =
          byChannel()
              ? reduceTokensByChannel(u, block, rows, xm, chunkStages, "s1",
                                      /*rowsInParallel=*/reassociated)
              : reduceTokens(u, block, rows, xm, chunkStages, "s1");
      if (reuseHidden()) {
        hid.compute_root().parallel(hidBlock);
        for (Func stage : {hin, base, hinMask})
          stage.compute_at(hid, hidBlock);
        hinMask.vectorize(n_, vl_, TailStrategy::RoundUp);
        hid1_ = hid;
      } else {
        hid.compute_at(u, uBlock);
        hin.compute_at(u, uBlock);
        base.compute_at(chunkLevel_);
      }
    }

    Func mixer("mixer");
    if (byChannel()) {
      // Z(q, c) = gelu(S(q, c)), by channel; reassociated, S = C1ext R
      // and V = C2ext^T Z (row f: u = c2^T Z).
      if (reassociated) {
        phaseAStages_.push_back(reduced);
        RDom ro(0, f, "s_ro");
        Func z = channelProduct("z", c(0)(p_, j_) * reduced(c_, f, j_, b_), ro,
                                C(0, ro, p_, j_), reduced(c_, ro, j_, b_), kh,
                                /*withGelu=*/true);
        RDom rq(0, kh, "v_rq");
        Func v = channelProduct("v", 0.0f, rq, C(1, p_, rq, j_),
                                z(rq, c_, j_, b_), f, /*withGelu=*/false);
        Func u2("u2");
        u2(c_, j_, b_) = 0.0f;
        u2(c_, j_, b_) += c(1)(rq, j_) * z(rq, c_, j_, b_);
        // A block of channel vectors per pass over Z: with one accumulator
        // at a time, each FMA would wait for the one before.
        int vectors = params_.dHead / vl_, blockVectors = std::min(vectors, 8);
        while (vectors % blockVectors)
          --blockVectors;
        Var ub("ub"), ui("ui");
        u2.vectorize(c_, vl_);
        u2.update()
            .split(c_, ub, ui, blockVectors * vl_)
            .reorder(ui, rq, ub)
            .vectorize(ui, vl_)
            .unroll(ui);
        phaseAStages_.push_back(u2);
        mixer(p_, c_, j_, b_) = Halide::select(
            p_ < f, v(Halide::min(p_, f - 1), c_, j_, b_), u2(c_, j_, b_));
      } else {
        // Two-phase: the mixer is Z itself; each vector of S is summed over
        // the slices in registers and goes through the GELU once.
        mixer(p_, c_, j_, b_) = activation(reduced(c_, p_, j_, b_));
      }
      // Channel-innermost like its producers. One (batch, head) is the
      // whole phase A of a short single-head input, so its loops are the
      // parallel ones: reassociated, rows, as in V's products; two-phase,
      // S's column blocks, which the pool shares out between threads as it
      // did for S, so each core applies the GELU to the sums it made.
      mixer.reorder_storage(c_, p_, j_, b_);
      if (reassociated) {
        Var pb("pb"), pi("pi"), cb("cb"), ci("ci");
        mixer.split(c_, cb, ci, vl_)
            .split(p_, pb, pi, kMixerRows, TailStrategy::GuardWithIf)
            .reorder(ci, cb, pi, pb)
            .vectorize(ci)
            .parallel(pb);
      } else {
        Var cb("cb"), cc("cc"), cv("cv"), ci("ci");
        mixer.split(c_, cb, cc, block.cols * vl_)
            .split(cc, cv, ci, vl_)
            .reorder(ci, cv, p_, cb)
            .vectorize(ci)
            .parallel(cb);
        reduced.compute_at(mixer, cv);
      }
      return scheduleMixer(mixer);
    }

    // S(q, c): vectorised over q, weights transposed to q-major once. On
    // the GPU S is channel-major, so that the threads along c read R
    // coalesced and share each weight.
    int qWidth = vectorWidth(kh);
    Func s("s");
    std::vector<Var> sVars = {q_, c_, j_, b_};
    if (ctx_.gpu)
      std::swap(sVars[0], sVars[1]);
    if (reassociated) {
      Func c1ext("c1ext");
      c1ext(q_, o_, j_) = Halide::select(
          o_ < f, C(0, Halide::min(o_, f - 1), q_, j_), c(0)(q_, j_));
      RDom ro(0, f + 1, "s_ro");
      s(sVars) = 0.0f;
      s(sVars) += c1ext(q_, ro, j_) * reduced(c_, ro, j_, b_);
      s.vectorize(q_, qWidth);
      s.update().reorder(q_, ro).vectorize(q_, qWidth);
      phaseAStages_.insert(phaseAStages_.end(), {c1ext, s});
    } else {
      s(sVars) = reduced(c_, q_, j_, b_);
    }
    // Z once per element: inlined, each GELU would run once per reader.
    Func z("z");
    z(q_, c_, j_, b_) = activation(s(sVars));
    z.vectorize(q_, qWidth);
    gpuHints_.roots.push_back(z);

    if (reassociated) {
      // V(o, c) = sum_q C2ext(o, q) Z(q, c), vectorised over o (C2's
      // contiguous dim, zero past row f) with Z broadcast: a register
      // block of o vectors x channels per pass over q.
      int rowsPadded = (f + 1 + vl_ - 1) / vl_ * vl_;
      int channels = std::min(params_.dHead, kVChannels);
      Func c2ext("c2ext"), vacc("v_acc"), v("v");
      c2ext(o_, q_, j_) =
          Halide::select(o_ < f, C(1, Halide::min(o_, f - 1), q_, j_),
                         Halide::select(o_ == f, c(1)(q_, j_), 0.0f));
      RDom rq(0, kh, "v_rq");
      vacc(o_, c_, j_, b_) = 0.0f;
      vacc(o_, c_, j_, b_) += c2ext(o_, rq, j_) * z(rq, c_, j_, b_);
      v(o_, c_, j_, b_) = vacc(o_, c_, j_, b_);
      Var cb("cb"), ci("ci");
      c2ext.bound(o_, 0, rowsPadded).vectorize(o_, vl_);
      v.bound(o_, 0, rowsPadded)
          .bound(c_, 0, params_.dHead)
          .split(c_, cb, ci, channels, TailStrategy::ShiftInwards)
          .reorder(o_, ci, cb)
          .vectorize(o_, vl_)
          .unroll(o_)
          .unroll(ci);
      scheduleBlockAccumulators(vacc, Halide::LoopLevel(v, cb), o_, c_, rq);
      phaseAStages_.insert(phaseAStages_.end(), {c2ext, z, v});
      mixer(p_, c_, j_, b_) = v(p_, c_, j_, b_);
    } else {
      phaseAStages_.push_back(z);
      mixer(p_, c_, j_, b_) = z(p_, c_, j_, b_);
    }
    return scheduleMixer(mixer);
  }

  /// Phase A's operands: the keys' mask m, the masked values xm, the
  /// position bases (vectorised over `baseVectors` token vectors) and the
  /// first hypernetwork's input hin. Where hid1 is computed ahead of the
  /// chunks (reuseHidden), hin reads a mask of its own, hinMask. The caller
  /// schedules the rest.
  struct PhaseAInputs {
    Func m, xm, base, hin, hinMask;
  };
  PhaseAInputs phaseAInputs(int baseVectors) {
    PhaseAInputs in{mask("m_a", keys_), Func("xm_a"), positionBase("pos_a"),
                    Func("hin_a"), Func()};
    Expr channel = j_ * params_.dHead + c_;
    in.xm(n_, c_, j_, b_) = maskedToken(in.m, values_, keys_.length, channel);
    scheduleBase(in.base, baseVectors);
    if (reuseHidden()) {
      in.hinMask = mask("m_h", keys_);
      in.hin(n_, c_, j_, b_) =
          hypernetworkInput(0, in.hinMask, channel, in.base);
    } else {
      // Self mixing with masked hypernetwork inputs: they are xm.
      in.hin(n_, c_, j_, b_) =
          params_.hasKeys || !params_.maskHyperInput
              ? hypernetworkInput(0, in.m, channel, in.base)
              : hyperInput(in.xm(n_, c_, j_, b_), channel, in.base);
    }
    return in;
  }

  /// W_i for every token of a whole form, in parallel over blocks of
  /// tokens, each block's hypernetwork input (from `base`) and hidden units
  /// computed in it; `blockLoop`, if given, receives that loop.
  Func wholeGenerated(int i, const Func &m, const Func &hin, const Func &base,
                      Var *blockLoop = nullptr) {
    int blockVectors = wholeBlockVectors();
    std::string suffix = std::to_string(i + 1);
    scheduleHyperInput(hin, c_, blockVectors);
    if (channelMajorHyper()) {
      // A short input is one block, whose hidden units' output blocks are
      // the parallel loop: its input is shared out between the cores too.
      // Rounded up: a last block's rows may be fewer than a vector, which
      // shifted inwards would start before the first token.
      Var hv("hv"), hi("hi");
      Func(hin).split(n_, hv, hi, vl_, TailStrategy::RoundUp).parallel(hv);
    }
    Func hid = hidden(i, hin, "hid" + suffix, blockVectors);
    Var block;
    Func w =
        generated(i, hid, weightMask(m), "w" + suffix, blockVectors, &block);
    w.parallel(block);
    for (Func stage : {hid, hin, base})
      stage.compute_at(w, block);
    // A whole block's storage, though the last computes fewer rows: a
    // constant size keeps it on the stack.
    if (channelMajorHyper())
      for (Func stage : {hid, hin})
        stage.bound_storage(n_, blockVectors * vl_);
    if (blockLoop)
      *blockLoop = block;
    return w;
  }

  /// Two-phase phase A over all tokens at once: the masked tokens and W1
  /// for every token (each in parallel over blocks of tokens), then Z =
  /// gelu(W1^T Xm) in register blocks of rows x channel vectors (in
  /// parallel over the rows). Returns Z, the mixer.
  Func wholeTwoPhase() {
    auto [m, xm, base, hin, hinMask] = phaseAInputs(wholeBlockVectors());
    Func u = wholeGenerated(0, m, hin, base);
    Var nb("nb"), ni("ni");
    // In token vectors: a short input's single block would be one task.
    xm.reorder_storage(c_, n_, j_, b_)
        .split(n_, nb, ni, vl_, TailStrategy::RoundUp)
        .reorder(c_, ni, nb)
        .vectorize(c_, vl_)
        .parallel(nb);
    m.vectorize(n_, vl_, TailStrategy::RoundUp);
    RDom rn(0, keys_.length, "s1_rn");
    Func z = channelProduct("z", 0.0f, rn, u(rn, p_, j_, b_),
                            xm(rn, c_, j_, b_), params_.kHead,
                            /*withGelu=*/true);
    // z is the mixer itself; its producers run per (batch, head), or first
    // for every batch and head where phase B reads W1 (and the inputs W1
    // reads).
    phaseAStages_ = {m, xm, u};
    if (reuseW1()) {
      for (Func stage : phaseAStages_)
        stage.compute_root();
      phaseAStages_.clear();
      w1_ = u;
    }
    return z;
  }

  /// Phase A runs for every (batch, head) before phase B, in parallel
  /// over them, each with its own stages.
  Func scheduleMixer(Func mixer) {
    Var jb("jb");
    mixer.compute_root().fuse(j_, b_, jb).parallel(jb);
    for (Func stage : phaseAStages_)
      stage.compute_at(mixer, jb);
    return mixer;
  }

  /// sum(n, b) over the d channels of value(channel), computed per tile:
  /// vectorised over tokens, or for a channel-major y over channels, with
  /// one horizontal sum per token. Appends its stages to `stages`.
  Func channelSum(const std::string &name,
                  const std::function<Expr(const Expr &)> &value,
                  std::vector<Func> &stages) {
    Func sum(name);
    sum(n_, b_) = 0.0f;
    if (!channelMajorHyper()) {
      RDom rd(0, params_.dModel, name + "_rd");
      sum(n_, b_) += value(rd);
      sum.vectorize(n_, vl_, TailStrategy::RoundUp);
      sum.update().vectorize(n_, vl_, TailStrategy::RoundUp);
      stages.push_back(sum);
      return sum;
    }
    Var lane("lane");
    RDom rv(0, params_.dModel / vl_, name + "_rv"), rl(0, vl_, name + "_rl");
    Func lanes(name + "_lanes");
    lanes(lane, n_, b_) = 0.0f;
    lanes(lane, n_, b_) += value(rv * vl_ + lane);
    sum(n_, b_) += lanes(rl, n_, b_);
    // Tokens inside the channel loop: independent chains of vector adds.
    lanes.vectorize(lane);
    lanes.update().reorder(lane, n_, rv).vectorize(lane);
    sum.update().atomic().vectorize(rl);
    stages.insert(stages.end(), {lanes, sum});
    return sum;
  }

  /// Phase B: per tile of tokens and head, the second hypernetwork and the
  /// mixing into y; then the LayerNorm and the store (a transpose where y
  /// is token-major).
  Func phaseB(const Func &mixer) {
    if (usePhaseBByChannel())
      return phaseBByChannel(mixer);
    // Tunable: the tile. Tiles are whole token vectors, and whole register
    // blocks once they span more than one. 32 tokens by default (two vectors
    // with AVX-512): a 64-token input still makes two tiles, each a task
    // whose stages stay on one core, where one tile split its products'
    // columns across cores and handed every operand over.
    int tileVectors =
        ctx_.knob("tile_tokens", 32, vl_, 16 * kBlockVectors * vl_) / vl_;
    if (tileVectors > kBlockVectors)
      tileVectors = tileVectors / kBlockVectors * kBlockVectors;
    const int tileTokens = tileVectors * vl_;
    const int tileBlockVectors = std::min(tileVectors, kBlockVectors);
    const int dh = params_.dHead;
    const bool reassociated =
        params_.algorithm == HyperMixAlgorithm::Reassociated;
    Func m = mask("m_b", queries_);
    Expr rowMask = weightMask(m);
    // The tile's hypernetwork rows: hid2 when reassociated, else W2, or
    // phase A's hid1 or W1 where phase B reads them (W1 without m).
    Func in = reuseHidden() ? hid1_ : w1_, hin("hin_b"), hid, base;
    bool ownRows = !reuseW1() && !reuseHidden();
    if (ownRows) {
      // Per tile, for all channels at once: vectorised over channels.
      base = positionBase("pos_b");
      hin(n_, cg_, b_) = hypernetworkInput(1, m, cg_, base);
      Func hinHead("hin_b_head");
      hinHead(n_, c_, j_, b_) = hin(n_, j_ * dh + c_, b_);
      hid = hidden(1, hinHead, "hid2", tileBlockVectors);
      in = reassociated ? hid
                        : generated(1, hid, rowMask, "w2", tileBlockVectors);
      gpuHints_.roots.push_back(hin);
    }
    int rExtent = reassociated ? params_.hidden : params_.kHead;

    Expr cg = tileCoordinate(cg_, params_.dModel);
    Expr head = cg / dh, channel = cg % dh;
    RDom r(0, rExtent, "y_r");
    Func yacc("yacc"), y("y");
    // Reassociated: row f of V is u. The mask is applied last there; W2
    // already carries it.
    yacc(n_, cg_, b_) =
        reassociated ? mixer(params_.hidden, channel, head, b_) : Expr(0.0f);
    yacc(n_, cg_, b_) += in(n_, r, head, b_) * mixer(r, channel, head, b_);
    y(n_, cg_, b_) =
        reassociated ? rowMask * yacc(n_, cg_, b_) : yacc(n_, cg_, b_);
    gpuHints_.perThread.emplace_back(yacc, y);
    gpuHints_.outputs[y.name()] = batchOutputs(queries_.length, params_.dModel);

    Func out("output");
    std::vector<Func> tileStages;
    if (params_.layerNorm) {
      Func mean("ln_mean"), rstd("ln_rstd");
      Func sum1 = channelSum(
          "ln_sum1", [&](const Expr &ch) { return y(n_, ch, b_); }, tileStages);
      mean(n_, b_) = sum1(n_, b_) * (1.0f / params_.dModel);
      Func sum2 = channelSum(
          "ln_sum2",
          [&](const Expr &ch) {
            Expr dev = y(n_, ch, b_) - mean(n_, b_);
            return dev * dev;
          },
          tileStages);
      // A padded row is all zeros: with eps = 0 its 0 * inf must still
      // give beta.
      Expr variance =
          sum2(n_, b_) * (1.0f / params_.dModel) + float(params_.layerNormEps);
      rstd(n_, b_) =
          Halide::select(variance > 0.0f, 1.0f / Halide::sqrt(variance), 0.0f);
      out(cg_, n_, b_) = epilogue((y(n_, cg_, b_) - mean(n_, b_)) *
                                      rstd(n_, b_) * ctx_.input("gamma")(cg_) +
                                  ctx_.input("beta")(cg_));
      for (Func stage : {mean, rstd}) {
        stage.vectorize(n_, vl_, TailStrategy::RoundUp);
        tileStages.push_back(stage);
      }
    } else {
      out(cg_, n_, b_) = epilogue(y(n_, cg_, b_));
    }

    // Output: parallel over (batch, tile), vectorised over channels; where
    // y is token-major, this store is the one transpose.
    Var nt("nt"), nti("nti"), task("task");
    out.split(n_, nt, nti, tileTokens, TailStrategy::GuardWithIf)
        .reorder(cg_, nti, nt, b_)
        .fuse(nt, b_, task)
        .parallel(task);
    vectorizeInner(out, cg_, params_.dModel, vl_);
    for (Func stage : tileStages)
      stage.compute_at(out, task);
    if (!reuseW1()) // W1 carries the mask already
      m.compute_at(out, task).vectorize(n_, vl_, TailStrategy::RoundUp);

    // y: head by head over the whole tile; per head, the tile's hypernetwork
    // rows, then register blocks of tokens x channels: vectorised over
    // channels where the hypernetworks are (their rows broadcast, y stored
    // as the output is), else over tokens.
    Var j("j"), c("c"), cb("cb"), ci("ci"), nb("nb"), ni("ni");
    y.compute_at(out, task).split(cg_, j, c, dh);
    if (channelMajorHyper()) {
      // The last tile computes only its register rows below N.
      Block block = outputBlock(dh, tileTokens);
      y.bound_storage(n_, tileTokens)
          .reorder_storage(cg_, n_, b_)
          .split(c, cb, ci, block.cols * vl_)
          .split(n_, nb, ni, block.rows, TailStrategy::RoundUp)
          .reorder(ci, ni, nb, cb, j)
          .vectorize(ci, vl_)
          .unroll(ci)
          .unroll(ni);
      scheduleBlockAccumulators(yacc, Halide::LoopLevel(y, nb), cg_, n_, r);
    } else {
      Block block = projectionBlock(dh, tileBlockVectors);
      y.bound_extent(n_, tileTokens)
          .split(c, cb, ci, block.cols)
          .split(n_, nb, ni, vl_ * block.rows)
          .reorder(ni, ci, nb, cb, j)
          .vectorize(ni, vl_)
          .unroll(ni)
          .unroll(ci);
      scheduleBlockAccumulators(yacc, Halide::LoopLevel(y, nb), n_, cg_, r);
    }
    if (!ctx_.gpu)
      y.parallel(cb);
    if (ownRows) {
      for (Func stage : {in, hid, hin}) { // in is hid when reassociated
        stage.compute_at(y, j);
        if (channelMajorHyper())
          stage.bound_storage(n_, tileTokens);
      }
      base.compute_at(out, task).reorder(cg_, v_, t_).unroll(t_);
      if (channelMajorHyper())
        base.reorder_storage(cg_, t_, v_);
      vectorizeInner(base, cg_, params_.dModel, vl_);
      scheduleHyperInput(hin, cg_, tileBlockVectors);
    }
    return out;
  }

  /// Phase B by channel (one head, self mixing, no LayerNorm): W2 for
  /// every token, in parallel over blocks of tokens; then the output W2 Z in
  /// parallel over blocks of channels, vectorised over them, in register
  /// blocks of tokens x channel vectors with W2 broadcast.
  Func phaseBByChannel(const Func &z) {
    Func w2 = w1_;
    if (!reuseW1()) {
      Func m = mask("m_b", queries_);
      Func base = positionBase("pos_b");
      Func hin("hin_b");
      hin(n_, c_, j_, b_) = hypernetworkInput(1, m, c_, base);
      Var w2Block;
      w2 = wholeGenerated(1, m, hin, base, &w2Block);
      w2.compute_root();
      scheduleBase(base, wholeBlockVectors());
      m.vectorize(n_, vl_, TailStrategy::RoundUp).compute_at(w2, w2Block);
    }

    RDom r(0, params_.kHead, "y_r");
    Func yacc("yacc"), out("output");
    yacc(cg_, n_, b_) = 0.0f;
    yacc(cg_, n_, b_) += w2(n_, r, 0, b_) * z(r, cg_, 0, b_);
    out(cg_, n_, b_) = epilogue(yacc(cg_, n_, b_));
    // Channel vectors per task: the most, up to the knob, that divide d_h's
    // vectors into at least two tasks (so a single input uses two cores).
    int most = ctx_.knob("phase_b_vectors", 4, 1, 8), vectors = 1;
    for (int v = 2; v <= most; ++v)
      if (params_.dHead % (2 * v * vl_) == 0)
        vectors = v;
    int rows = maxAcc_ / vectors;
    Var cb("cb"), ci("ci"), nb("nb"), ni("ni"), task("task");
    out.split(cg_, cb, ci, vectors * vl_)
        .split(n_, nb, ni, rows, TailStrategy::GuardWithIf)
        .reorder(ci, ni, nb, cb, b_)
        .fuse(cb, b_, task)
        .parallel(task)
        .vectorize(ci, vl_);
    scheduleBlockAccumulators(yacc, Halide::LoopLevel(out, nb), cg_, n_, r);
    yacc.bound_extent(n_, rows);
    return out;
  }

  const OpContext &ctx_;
  HyperMixParams params_;
  int vl_;
  int maxAcc_;
  Halide::ImageParam x_;
  Side keys_, queries_;
  Halide::ImageParam values_;
  Halide::ImageParam weights_[2][4];
  Halide::Buffer<double> turnsPerPosition_;
  Halide::Buffer<double> turnsAhead_; // (cg % 2 + t) / 4: odd channels, cosines
  Halide::Buffer<float> laneCos_, laneSin_;
  std::vector<Func> phaseAStages_;
  Func w1_;   // W1 for every token, when phase B reuses it (reuseW1)
  Func hid1_; // hid1 for every token, when phase B reuses it (reuseHidden)
  GpuHints gpuHints_;            // refinements of the generic GPU schedule
  Halide::LoopLevel chunkLevel_; // phase A's loop over chunks of tokens
  int chunkTokens_ = 0;
  int chunkBlockVectors_ = kBlockVectors; // token vectors per phase A block
  Var n_{"n"}, c_{"c"}, o_{"o"}, q_{"q"}, j_{"j"}, b_{"b"}, cg_{"cg"}, p_{"p"};
  Var t_{"t"}, v_{"v"}; // sine or cosine, token vector (position bases)
};

} // namespace

Halide::Func buildHyperMix(const OpContext &ctx) {
  return HyperMixBuilder(ctx).build();
}

} // namespace hmc::halide
