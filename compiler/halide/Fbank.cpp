// fbank: log-Mel filterbank energies of framed, windowed audio. Per tile of
// frames the real DFT is a [frames, W] x [W, 2F] product. The tables keep W
// (and F for the Mel filters) contiguous, so the products vectorise over
// frames with the table entries as scalar broadcasts, like the token-major
// hypermixing schedule.
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;
using Halide::TailStrategy;

Halide::Func buildFbank(const OpContext &ctx) {
  const Halide::ImageParam &audio = ctx.input("audio");
  const Halide::ImageParam &window = ctx.input("window");
  const Halide::ImageParam &cosine = ctx.input("cos");
  const Halide::ImageParam &sine = ctx.input("sin");
  const Halide::ImageParam &mel = ctx.input("mel");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  int hop = attrs.at("hop").get<int>();
  float energyFloor = attrs.at("floor").get<float>();
  int width = static_cast<int>(ctx.view.input("window").shape[0].size);
  int freqs = static_cast<int>(ctx.view.input("cos").shape[0].size);
  int mels = static_cast<int>(ctx.view.input("mel").shape[0].size);
  Expr frames = ctx.outputExtents[1];

  // Far from a loud tone the spectrum is ~1e-5 of its peak: float32 sums of
  // 400 terms of the peak's size would drown those bins, so the DFT sums in
  // float64 (the products of float32 values are exact there).
  Halide::Type acc = Halide::Float(64);
  Halide::Var t("t"), n("n"), f("f"), c("c"), m("m"), b("b");
  // A partial last tile computes clamped copies of the last frame.
  Halide::Func windowed("windowed");
  windowed(t, n, b) =
      Halide::cast(acc, audio(Halide::min(t, frames - 1) * hop + n, b)) *
      Halide::cast(acc, window(n));
  Halide::RDom r(0, width, "r");
  Halide::Func dft("dft");
  dft(t, c, f, b) = Halide::Internal::make_zero(acc);
  dft(t, c, f, b) +=
      windowed(t, r, b) *
      Halide::cast(acc, Halide::select(c == 0, cosine(r, f), sine(r, f)));
  Halide::Func power("power");
  power(t, f, b) = Halide::cast<float>(dft(t, 0, f, b) * dft(t, 0, f, b) +
                                       dft(t, 1, f, b) * dft(t, 1, f, b));
  // All terms are positive: float32 keeps the Mel energies to ~1e-7.
  Halide::RDom k(0, freqs, "k");
  Halide::Func melSum("mel_sum");
  melSum(t, m, b) = 0.0f;
  melSum(t, m, b) += power(t, k, b) * mel(k, m);
  Halide::Func logMel("log_mel");
  logMel(t, m, b) = Halide::log(Halide::max(melSum(t, m, b), energyFloor));
  Halide::Func out("output");
  out(m, t, b) = logMel(t, m, b);

  // Register blocks: tile frames (three vectors) x freqBlock x {re, im} DFT
  // accumulators, tile x melBlock Mel accumulators. Wider frame tiles cut
  // the table loads per FMA; float64 tables staged per block measured no
  // faster (the windowed tile streams from L2 either way).
  bool avx512 = ctx.target.has_feature(Halide::Target::AVX512);
  int lanes = ctx.vectorSize(acc);
  int tile = 3 * lanes;
  int freqBlock = std::min(avx512 ? 4 : 2, freqs);
  int floatLanes = tile % ctx.vectorSize(Halide::Float(32)) == 0
                       ? ctx.vectorSize(Halide::Float(32))
                       : lanes;
  int melBlock = std::min(avx512 ? 8 : 4, mels);

  Halide::Var to("to"), ti("ti"), fo("fo"), fi("fi"), mo("mo"), mi("mi"),
      task("task");
  out.split(t, to, ti, tile, TailStrategy::GuardWithIf)
      .reorder(m, ti, to, b)
      .fuse(to, b, task)
      .parallel(task);
  vectorizeInner(out, m, mels, ctx.vectorSize(Halide::Float(32)));
  Halide::LoopLevel frameTile(out, task);

  windowed.compute_at(frameTile).bound_extent(t, tile).vectorize(t, lanes);
  power.compute_at(frameTile)
      .bound_extent(t, tile)
      .split(f, fo, fi, freqBlock, TailStrategy::ShiftInwards)
      .reorder(t, fi, fo)
      .vectorize(t, floatLanes);
  dft.compute_at(power, fo).vectorize(t, lanes).unroll(t).unroll(c).unroll(f);
  dft.update()
      .reorder(t, c, f, r)
      .vectorize(t, lanes)
      .unroll(t)
      .unroll(c)
      .unroll(f);
  logMel.compute_at(frameTile)
      .bound_extent(t, tile)
      .split(m, mo, mi, melBlock, TailStrategy::ShiftInwards)
      .reorder(t, mi, mo)
      .vectorize(t, floatLanes);
  melSum.compute_at(logMel, mo).vectorize(t, floatLanes).unroll(t).unroll(m);
  melSum.update().reorder(t, m, k).vectorize(t, floatLanes).unroll(t).unroll(m);
  return out;
}

} // namespace hmc::halide
