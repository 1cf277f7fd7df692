// layer_norm against a float64 reference: feature counts that do and do not
// fill whole vectors, dynamic rows, rank 1, float64, two normalised dims and
// a fused elementwise epilogue.
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

/// Normalises each run of `d` consecutive elements (the trailing dims).
Tensor layerNorm(const Tensor &x, const Tensor &gamma, const Tensor &beta,
                 double eps, int64_t d) {
  Tensor out(x.shape);
  for (size_t row = 0; row < x.size() / d; ++row)
    layerNormRow(&x.data[row * d], d, gamma.data.data(), beta.data.data(), eps,
                 &out.data[row * d]);
  return out;
}

struct Case {
  std::string name, dtype;
  json shape;
  std::vector<std::vector<int64_t>> runs; // row-major shapes to run
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

class LayerNormTest : public ::testing::TestWithParam<Case> {};

TEST_P(LayerNormTest, MatchesFloat64Reference) {
  const Case &tc = GetParam();
  int64_t d = tc.runs[0].back();
  GraphBuilder graph;
  int64_t x = graph.buffer("x", tc.dtype, tc.shape);
  int64_t gamma = graph.buffer("gamma", tc.dtype, {d}, "weight");
  int64_t beta = graph.buffer("beta", tc.dtype, {d}, "weight");
  int64_t y = graph.buffer("y", tc.dtype, tc.shape, "output");
  graph.kernel("k", "layer_norm", {{"eps", 1e-5}},
               {{"x", x}, {"gamma", gamma}, {"beta", beta}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(21);
  for (const std::vector<int64_t> &shape : tc.runs) {
    // An offset mean exercises the two-pass variance.
    Tensor input = randomTensor(shape, rng);
    for (double &v : input.data)
      v += 3;
    Tensor g = randomTensor({d}, rng, 0.5, 1.5, true);
    Tensor b = randomTensor({d}, rng);
    Tensor expected = layerNorm(input, g, b, 1e-5, d);
    double error = relativeL2(kernel.run({input, g, b}, shape), expected);
    std::printf("[ relative L2 ] %s rows=%ld: %.3g\n", tc.name.c_str(),
                long(input.size() / d), error);
    EXPECT_LE(error, tc.dtype == "float64" ? 1e-12 : 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, LayerNormTest,
    ::testing::Values(
        Case{"d37_padded_lanes", "float32", json{3, 7, 37}, {{3, 7, 37}}},
        Case{"d144_dynamic_rows",
             "float32",
             json{"n", 144},
             {{1, 144}, {130, 144}}},
        Case{"d5_rank1", "float32", json{5}, {{5}}},
        Case{"d20_float64", "float64", json{2, 3, 20}, {{2, 3, 20}}},
        Case{"d300_batched", "float32", json{"b", "n", 300}, {{3, 37, 300}}}),
    [](const auto &info) { return info.param.name; });

// Normalising the last two dims ([B, T, 20, 32] over [20, 32], the
// HyperConformer front-end's shape) with dynamic rows.
TEST(LayerNormAxesTest, TwoTrailingDims) {
  for (const auto &[inner, outer] :
       std::vector<std::pair<int64_t, int64_t>>{{32, 20}, {37, 3}, {5, 7}}) {
    GraphBuilder graph;
    json shape = {2, "t", outer, inner};
    int64_t x = graph.buffer("x", "float32", shape);
    int64_t gamma = graph.buffer("gamma", "float32", {outer, inner}, "weight");
    int64_t beta = graph.buffer("beta", "float32", {outer, inner}, "weight");
    int64_t y = graph.buffer("y", "float32", shape, "output");
    graph.kernel("k", "layer_norm", {{"eps", 1e-5}, {"axes", 2}},
                 {{"x", x}, {"gamma", gamma}, {"beta", beta}}, y);
    JitKernel kernel(graph.parse());
    std::mt19937 rng(22);
    for (int64_t t : {1, 13}) {
      Tensor input = randomTensor({2, t, outer, inner}, rng);
      for (double &v : input.data)
        v += 3;
      Tensor g = randomTensor({outer, inner}, rng, 0.5, 1.5, true);
      Tensor b = randomTensor({outer, inner}, rng);
      Tensor expected = layerNorm(input, g, b, 1e-5, outer * inner);
      double error =
          relativeL2(kernel.run({input, g, b}, input.shape), expected);
      std::printf("[ relative L2 ] [2, %ld, %ld, %ld] over 2 axes: %.3g\n",
                  long(t), long(outer), long(inner), error);
      EXPECT_LE(error, 1e-5);
    }
  }
}

// The front-end's LayerNorm over [20, 32] with its LeakyReLU fused, then a
// same-shaped input added: y = leaky_relu(LN(x)) + e1.
TEST(LayerNormEpilogueTest, MatchesFloat64Reference) {
  GraphBuilder graph;
  json shape = {"b", "t", 20, 32};
  int64_t x = graph.buffer("x", "float32", shape);
  int64_t gamma = graph.buffer("gamma", "float32", {20, 32}, "weight");
  int64_t beta = graph.buffer("beta", "float32", {20, 32}, "weight");
  int64_t other = graph.buffer("other", "float32", shape);
  int64_t y = graph.buffer("y", "float32", shape, "output");
  json epilogue = json::parse(R"([
      {"op": "leaky_relu", "args": ["in0"], "attrs": {"alpha": 0.01}},
      {"op": "add", "args": ["t0", "in1"]}])");
  graph.kernel("k", "layer_norm",
               {{"eps", 1e-5}, {"axes", 2}, {"epilogue", epilogue}},
               {{"x", x}, {"gamma", gamma}, {"beta", beta}, {"e1", other}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(24);
  for (auto [b, t] : {std::pair<int64_t, int64_t>{1, 1}, {2, 13}}) {
    std::vector<int64_t> dims = {b, t, 20, 32};
    Tensor input = randomTensor(dims, rng, -1, 1);
    Tensor g = randomTensor({20, 32}, rng, 0.5, 1.5, true);
    Tensor beta = randomTensor({20, 32}, rng, -1, 1);
    Tensor e1 = randomTensor(dims, rng);
    Tensor expected = layerNorm(input, g, beta, 1e-5, 20 * 32);
    for (size_t i = 0; i < expected.size(); ++i)
      expected[i] =
          (expected[i] < 0 ? 0.01 * expected[i] : expected[i]) + e1[i];
    double error = relativeL2(kernel.run({input, g, beta, e1}, dims), expected);
    std::printf("[ relative L2 ] [%ld, %ld, 20, 32] with epilogue: %.3g\n",
                long(b), long(t), error);
    EXPECT_LE(error, 1e-5);
  }
}

// [B, C, T, F] normalised over (F, C) per (b, t), gamma indexed [F, C]:
// the front-end's LayerNorm without its transposes.
TEST(LayerNormDimsTest, NormalisesDimsInPlace) {
  const int64_t C = 6, F = 20;
  GraphBuilder graph;
  json shape = {"b", C, "t", F};
  int64_t x = graph.buffer("x", "float32", shape);
  int64_t gamma = graph.buffer("gamma", "float32", {F, C}, "weight");
  int64_t beta = graph.buffer("beta", "float32", {F, C}, "weight");
  int64_t y = graph.buffer("y", "float32", shape, "output");
  graph.kernel("k", "layer_norm", {{"eps", 1e-5}, {"dims", {3, 1}}},
               {{"x", x}, {"gamma", gamma}, {"beta", beta}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(25);
  for (auto [b, t] : {std::pair<int64_t, int64_t>{1, 1}, {2, 13}}) {
    std::vector<int64_t> dims = {b, C, t, F};
    Tensor input = randomTensor(dims, rng, -1, 1);
    Tensor g = randomTensor({F, C}, rng, 0.5, 1.5, true);
    Tensor bias = randomTensor({F, C}, rng, -1, 1);
    // The reference on the transposed [B, T, F, C] copy, transposed back.
    Tensor moved({b, t, F, C});
    auto index = [&](int64_t i, int64_t c, int64_t k, int64_t f) {
      return ((i * C + c) * t + k) * F + f;
    };
    for (int64_t i = 0; i < b; ++i)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < t; ++k)
          for (int64_t f = 0; f < F; ++f)
            moved[((i * t + k) * F + f) * C + c] = input[index(i, c, k, f)];
    Tensor normed = layerNorm(moved, g, bias, 1e-5, F * C);
    Tensor expected(dims);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < t; ++k)
          for (int64_t f = 0; f < F; ++f)
            expected[index(i, c, k, f)] = normed[((i * t + k) * F + f) * C + c];
    double error = relativeL2(kernel.run({input, g, bias}, dims), expected);
    std::printf("[ relative L2 ] [%ld, %ld, %ld, %ld] over dims (3, 1): %.3g\n",
                long(b), long(C), long(t), long(F), error);
    EXPECT_LE(error, 1e-5);
  }
}

TEST(LayerNormDimsTest, RejectsDimsWithoutTheInnermost) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", {2, 6, 20});
  int64_t gamma = graph.buffer("gamma", "float32", {6}, "weight");
  int64_t beta = graph.buffer("beta", "float32", {6}, "weight");
  int64_t y = graph.buffer("y", "float32", {2, 6, 20}, "output");
  graph.kernel("k", "layer_norm", {{"eps", 1e-5}, {"dims", {1}}},
               {{"x", x}, {"gamma", gamma}, {"beta", beta}}, y);
  try {
    graph.parse();
    FAIL() << "expected a GraphError";
  } catch (const GraphError &error) {
    EXPECT_NE(std::string(error.what()).find("the innermost among them"),
              std::string::npos)
        << error.what();
  }
}

TEST(LayerNormAxesTest, RejectsMismatchedGamma) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", {2, 20, 32});
  int64_t gamma = graph.buffer("gamma", "float32", {32}, "weight");
  int64_t beta = graph.buffer("beta", "float32", {20, 32}, "weight");
  int64_t y = graph.buffer("y", "float32", {2, 20, 32}, "output");
  graph.kernel("k", "layer_norm", {{"eps", 1e-5}, {"axes", 2}},
               {{"x", x}, {"gamma", gamma}, {"beta", beta}}, y);
  EXPECT_THROW(
      {
        try {
          graph.parse();
        } catch (const GraphError &error) {
          EXPECT_NE(std::string(error.what())
                        .find("input 'gamma' (buffer 1) has shape [32], "
                              "expected [20, 32]"),
                    std::string::npos)
              << error.what();
          throw;
        }
      },
      GraphError);
}

} // namespace
} // namespace hmc::halide::test
