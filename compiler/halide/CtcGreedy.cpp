// ctc_greedy: per row, the argmax token of every frame (ties to the lowest
// id), repeats collapsed and blanks dropped, written left-aligned and padded
// with -1. The argmax vectorises over the vocabulary; the compaction is a
// sequential scan over frames, rows run in parallel.
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

Halide::Func buildCtcGreedy(const OpContext &ctx) {
  const Halide::ImageParam &logProbs = ctx.input("log_probs");
  const nlohmann::json &attrs = ctx.view.kernel().attrs;
  int blank = attrs.contains("blank") ? attrs["blank"].get<int>() : 0;
  Expr frames = ctx.outputExtents[0];
  Expr vocabulary = logProbs.dim(0).extent();
  std::optional<int> staticV = staticExtent(vocabulary);
  int natural = ctx.vectorSize(Halide::Float(32));
  int lanes = staticV ? std::min(natural, *staticV) : natural;
  bool padded = !staticV || *staticV % lanes != 0;
  Expr minusInf = Halide::Float(32).min();

  // Lane-partial (max, first index) over the row padded to whole vectors
  // with -inf: a strict > keeps the earliest index of a tie in each lane.
  Halide::Var v("v"), lane("lane"), t("t"), b("b");
  Halide::Func scores("scores");
  scores(v, t, b) =
      padded ? Halide::select(v < vocabulary,
                              logProbs(Halide::min(v, vocabulary - 1), t, b),
                              minusInf)
             : logProbs(v, t, b);
  Halide::RDom chunk(0, (vocabulary + lanes - 1) / lanes, "chunk");
  Expr index = chunk * lanes + lane;
  Halide::Func partial("partial");
  partial(lane, t, b) = {minusInf, lane};
  Expr score = scores(index, t, b);
  Expr better = score > partial(lane, t, b)[0];
  partial(lane, t, b) = {Halide::select(better, score, partial(lane, t, b)[0]),
                         Halide::select(better, index, partial(lane, t, b)[1])};
  // Across lanes the lowest index wins a tie.
  Halide::RDom across(0, lanes, "across");
  Halide::Func best("best");
  best(t, b) = {minusInf, Halide::Int(32).max()};
  Expr value = partial(across, t, b)[0], id = partial(across, t, b)[1];
  Expr wins =
      value > best(t, b)[0] || (value == best(t, b)[0] && id < best(t, b)[1]);
  best(t, b) = {Halide::select(wins, value, best(t, b)[0]),
                Halide::select(wins, id, best(t, b)[1])};

  // A frame emits its token when it is not blank and differs from the
  // previous frame's; count(t) is the number emitted up to frame t.
  Expr token = best(t, b)[1];
  Expr previous = best(Halide::max(t - 1, 0), b)[1];
  Halide::Func emits("emits");
  emits(t, b) = token != blank && (t == 0 || token != previous);
  Halide::RDom scan(0, frames, "scan");
  Halide::Func count("count");
  count(t, b) = 0;
  count(scan, b) =
      Halide::select(scan > 0, count(Halide::max(scan - 1, 0), b), 0) +
      Halide::cast<int>(emits(scan, b));
  // The emitted tokens scattered to their slots; others rewrite their slot
  // with its current value.
  Halide::Func decoded("decoded");
  decoded(t, b) = Halide::cast<int64_t>(-1);
  Expr slot = Halide::clamp(count(scan, b) - 1, 0, frames - 1);
  decoded(slot, b) =
      Halide::select(emits(scan, b), Halide::cast<int64_t>(best(scan, b)[1]),
                     decoded(slot, b));
  Halide::Func out("output");
  out(t, b) = decoded(t, b);

  out.parallel(b);
  vectorizeInner(out, t, frames, ctx.vectorSize(Halide::Int(64)));
  for (Halide::Func stage : {decoded, count, best})
    stage.compute_at(out, b);
  partial.compute_at(best, t).vectorize(lane);
  partial.update().vectorize(lane);
  return out;
}

} // namespace hmc::halide
