// layer_norm against a float64 reference: feature counts that do and do not
// fill whole vectors, dynamic rows, rank 1, float64.
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

Tensor layerNorm(const Tensor &x, const Tensor &gamma, const Tensor &beta,
                 double eps) {
  int64_t d = x.shape.back();
  Tensor out(x.shape);
  for (size_t row = 0; row < x.size() / d; ++row) {
    const double *in = &x.data[row * d];
    double mean = 0, var = 0;
    for (int64_t c = 0; c < d; ++c)
      mean += in[c] / d;
    for (int64_t c = 0; c < d; ++c)
      var += (in[c] - mean) * (in[c] - mean) / d;
    for (int64_t c = 0; c < d; ++c)
      out[row * d + c] =
          (in[c] - mean) / std::sqrt(var + eps) * gamma[c] + beta[c];
  }
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
    Tensor expected = layerNorm(input, g, b, 1e-5);
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

} // namespace
} // namespace hmc::halide::test
