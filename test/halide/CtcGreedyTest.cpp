// ctc_greedy against a reference decoder: hand-made frame sequences (repeats,
// a blank between equal tokens, all blank, ties), rows of one batch with
// different patterns, a 5000-token vocabulary, and the validation messages.
#include "TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hmc::halide::test {
namespace {

using nlohmann::json;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

/// log_probs [B, T, V] -> ctc_greedy -> ids [B, T] int64.
GraphBuilder ctcGraph(const json &vocabulary, std::optional<int> blank) {
  GraphBuilder graph;
  int64_t logProbs =
      graph.buffer("log_probs", "float32", {"B", "T", vocabulary});
  int64_t ids = graph.buffer("ids", "int64", {"B", "T"}, "output");
  json attrs = json::object();
  if (blank)
    attrs["blank"] = *blank;
  graph.kernel("ctc", "ctc_greedy", attrs, {{"log_probs", logProbs}}, ids);
  return graph;
}

/// Per row: argmax per frame (lowest id on ties), repeats collapsed, blanks
/// dropped, left-aligned, -1 after.
Tensor decode(const Tensor &logProbs, int64_t blank) {
  int64_t batch = logProbs.shape[0], frames = logProbs.shape[1],
          vocabulary = logProbs.shape[2];
  Tensor out({batch, frames});
  for (int64_t b = 0; b < batch; ++b) {
    int64_t count = 0, previous = -1;
    for (int64_t t = 0; t < frames; ++t) {
      const double *row = &logProbs.data[(b * frames + t) * vocabulary];
      int64_t best = 0;
      for (int64_t v = 1; v < vocabulary; ++v)
        if (row[v] > row[best])
          best = v;
      if (best != blank && best != previous)
        out[b * frames + count++] = static_cast<double>(best);
      previous = best;
    }
    for (int64_t t = count; t < frames; ++t)
      out[b * frames + t] = -1;
  }
  return out;
}

/// Log-probs whose argmax in row b, frame t is tokens[b][t] (a tie with the
/// next id when `tie`).
Tensor peaks(const std::vector<std::vector<int>> &tokens, int64_t vocabulary,
             bool tie = false) {
  int64_t batch = static_cast<int64_t>(tokens.size());
  int64_t frames = static_cast<int64_t>(tokens[0].size());
  Tensor logProbs({batch, frames, vocabulary});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < frames; ++t) {
      double *row = &logProbs.data[(b * frames + t) * vocabulary];
      for (int64_t v = 0; v < vocabulary; ++v)
        row[v] = -5 - 0.01 * static_cast<double>(v);
      int token = tokens[b][t];
      row[token] = -0.5;
      if (tie && token + 1 < vocabulary)
        row[token + 1] = -0.5;
    }
  return logProbs;
}

std::vector<double> run(const Tensor &logProbs, std::optional<int> blank) {
  return runKernel(ctcGraph(logProbs.shape[2], blank), {logProbs},
                   {logProbs.shape[0], logProbs.shape[1]})
      .data;
}

TEST(CtcGreedyTest, HandMadeSequences) {
  // Repeats collapse; a blank separates repeated tokens.
  EXPECT_THAT(run(peaks({{3, 3, 3, 1, 1, 2}}, 5), 0),
              ElementsAreArray({3, 1, 2, -1, -1, -1}));
  EXPECT_THAT(run(peaks({{1, 1, 0, 1}}, 5), 0),
              ElementsAreArray({1, 1, -1, -1}));
  EXPECT_THAT(run(peaks({{0, 0, 0}}, 5), 0), ElementsAreArray({-1, -1, -1}));
  EXPECT_THAT(run(peaks({{2}}, 5), 0), ElementsAreArray({2}));
  // Without the attribute the blank is 0; another blank id.
  EXPECT_THAT(run(peaks({{0, 4, 0, 2}}, 5), std::nullopt),
              ElementsAreArray({4, 2, -1, -1}));
  EXPECT_THAT(run(peaks({{4, 0, 4, 4, 2, 4}}, 5), 4),
              ElementsAreArray({0, 2, -1, -1, -1, -1}));
}

TEST(CtcGreedyTest, TiesGoToTheLowestId) {
  // Every frame ties its token with the next id; all equal is a tie of all.
  EXPECT_THAT(run(peaks({{2, 2, 0, 3, 1}}, 37, true), 0),
              ElementsAreArray({2, 3, 1, -1, -1}));
  EXPECT_THAT(run(Tensor({1, 3, 37}), 1), ElementsAreArray({0, -1, -1}));
  // Ties across vector lanes and chunks (35 and 17), within a lane (35
  // and 19).
  Tensor logProbs = peaks({{35}}, 37);
  logProbs[17] = -0.5;
  EXPECT_THAT(run(logProbs, 0), ElementsAreArray({17}));
  logProbs = peaks({{35}}, 37);
  logProbs[19] = -0.5;
  EXPECT_THAT(run(logProbs, 0), ElementsAreArray({19}));
}

TEST(CtcGreedyTest, RowsDecodeIndependently) {
  Tensor logProbs =
      peaks({{5, 5, 0, 5, 6, 6, 0, 0, 1}, {0, 0, 0, 2, 3, 4, 4, 4, 0}}, 7);
  EXPECT_THAT(run(logProbs, 0),
              ElementsAreArray({5, 5, 6, 1, -1, -1, -1, -1, -1, //
                                2, 3, 4, -1, -1, -1, -1, -1, -1}));
}

TEST(CtcGreedyTest, RandomVocabulary5000) {
  JitKernel kernel(ctcGraph(5000, 0).parse());
  std::mt19937 rng(5);
  for (auto [batch, frames] :
       {std::pair<int64_t, int64_t>{2, 75}, {3, 1}, {1, 301}}) {
    // Few distinct winners so repeats and blanks occur: a random token from
    // a small set gets a boost over noise.
    Tensor logProbs = randomTensor({batch, frames, 5000}, rng, 1, 10);
    std::uniform_int_distribution<int> pick(0, 3);
    for (int64_t row = 0; row < batch * frames; ++row)
      logProbs[row * 5000 + pick(rng) * 1237] = 20;
    Tensor expected = decode(logProbs, 0);
    EXPECT_EQ(kernel.run({logProbs}, expected.shape).data, expected.data)
        << "B=" << batch << " T=" << frames;
  }
}

std::string errorOf(const GraphBuilder &graph) {
  try {
    graph.parse();
  } catch (const GraphError &error) {
    return error.what();
  }
  return "";
}

TEST(CtcGreedyTest, Validation) {
  EXPECT_THAT(errorOf(ctcGraph(5, 5)),
              HasSubstr("kernel 'ctc' (ctc_greedy): attribute 'blank' must "
                        "be an integer in [0, 4], got 5"));
  GraphBuilder float64 = ctcGraph(5, 0);
  float64.raw()["buffers"][1]["dtype"] = "int32";
  EXPECT_THAT(errorOf(float64),
              HasSubstr("output 'y' has dtype int32, expected int64"));
  GraphBuilder twoOutputs = ctcGraph(5, 0);
  json &kernel = twoOutputs.raw()["kernels"][0];
  kernel["outputs"].push_back(kernel["outputs"][0]);
  EXPECT_THAT(errorOf(twoOutputs), HasSubstr("expected exactly one output"));
  GraphBuilder rank2;
  int64_t x = rank2.buffer("x", "float32", {"T", 5});
  int64_t y = rank2.buffer("y", "int64", {"T"}, "output");
  rank2.kernel("ctc", "ctc_greedy", json::object(), {{"log_probs", x}}, y);
  EXPECT_THAT(errorOf(rank2),
              HasSubstr("input 'log_probs' must be [B, T, V], got [T, 5]"));
}

} // namespace
} // namespace hmc::halide::test
