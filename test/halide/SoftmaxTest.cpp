// softmax and log_softmax against float64 references: a vocabulary-wide last
// axis, dynamic attention rows, a middle and an outermost axis; float64
// tensors to float64 accuracy.
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

/// Softmax (or log-softmax) of `x` along row-major `axis`.
Tensor softmax(const Tensor &x, size_t axis, bool log) {
  int64_t n = x.shape[axis], inner = 1;
  for (size_t d = axis + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  Tensor out(x.shape);
  for (size_t base = 0; base < x.size(); base += n * inner)
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t i) { return base + i * inner + j; };
      double max = x[at(0)], sum = 0;
      for (int64_t i = 0; i < n; ++i)
        max = std::max(max, x[at(i)]);
      for (int64_t i = 0; i < n; ++i)
        sum += std::exp(x[at(i)] - max);
      for (int64_t i = 0; i < n; ++i)
        out[at(i)] = log ? x[at(i)] - max - std::log(sum)
                         : std::exp(x[at(i)] - max) / sum;
    }
  return out;
}

struct Case {
  std::string name;
  json shape;
  size_t axis;
  std::vector<std::map<std::string, int64_t>> runs = {{}};
  std::string dtype = "float32";
  double offset = 100;
  // The first row all the lowest finite value (masked_fill with finfo.min).
  bool lowestRow = false;
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

class SoftmaxTest
    : public ::testing::TestWithParam<std::tuple<Case, std::string>> {};

TEST_P(SoftmaxTest, MatchesFloat64Reference) {
  const auto &[tc, op] = GetParam();
  GraphBuilder graph;
  int64_t x = graph.buffer("x", tc.dtype, tc.shape);
  int64_t y = graph.buffer("y", tc.dtype, tc.shape, "output");
  graph.kernel("k", op, {{"axis", tc.axis}}, {{"x", x}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(31);
  for (const auto &sizes : tc.runs) {
    // Logits spread over [-12, 12], shifted so that exp without the max
    // subtracted would overflow float32.
    Tensor input = randomTensor(bindShape(tc.shape, sizes), rng, 0.1, 12);
    for (double &v : input.data)
      v = tc.dtype == "float64" ? v + tc.offset : float(v + tc.offset);
    if (tc.lowestRow)
      std::fill_n(input.data.begin(), input.shape.back(),
                  tc.dtype == "float64" ? std::numeric_limits<double>::lowest()
                                        : std::numeric_limits<float>::lowest());
    Tensor expected = softmax(input, tc.axis, op == "log_softmax");
    Tensor actual = kernel.run({input}, input.shape);
    // log_softmax of a one-element axis is exactly 0: no relative error.
    bool zero = std::all_of(expected.data.begin(), expected.data.end(),
                            [](double v) { return v == 0; });
    double error = zero ? (actual.data == expected.data ? 0 : 1)
                        : relativeL2(actual, expected);
    std::printf("[ relative L2 ] %s %s %s: %.3g\n", op.c_str(), tc.name.c_str(),
                json(sizes).dump().c_str(), error);
    EXPECT_LE(error, tc.dtype == "float64" ? 1e-13 : 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SoftmaxTest,
    ::testing::Combine(
        ::testing::Values(
            Case{"vocabulary_5000", json{2, 3, 5000}, 2},
            Case{"attention_dynamic",
                 json{2, 4, "t", "t"},
                 3,
                 {{{"t", 1}}, {{"t", 7}}, {{"t", 37}}}},
            Case{"last_axis_short", json{3, 5}, 1},
            // Short static rows: a task covers blocks of 6 rows.
            Case{"row_blocks", json{"b", 6, 5}, 2, {{{"b", 1}}, {{"b", 3}}}},
            Case{"middle_axis", json{2, "t", 37}, 1, {{{"t", 19}}}},
            Case{"middle_axis_strided", json{2, 19, 5, 3}, 1},
            Case{"outermost_axis", json{23, 33}, 0},
            Case{"last_axis_float64",
                 json{"b", 3, 501},
                 2,
                 {{{"b", 1}}, {{"b", 2}}},
                 "float64"},
            Case{"middle_axis_float64", json{2, 19, 5}, 1, {{}}, "float64"},
            // Rows padded to whole vectors: the padding must not count
            // even where the row's maximum is the lowest value.
            Case{"lowest_row_dynamic",
                 json{3, "t"},
                 1,
                 {{{"t", 20}}, {{"t", 37}}},
                 "float32",
                 100,
                 true},
            Case{"lowest_row_float64",
                 json{3, 20},
                 1,
                 {{}},
                 "float64",
                 100,
                 true},
            // x - max - log(total), not x - (max + log(total)).
            Case{"large_logits", json{2, 8}, 1, {{}}, "float32", 1e8}),
        ::testing::Values("softmax", "log_softmax")),
    [](const auto &info) {
      return std::get<1>(info.param) + "_" + std::get<0>(info.param).name;
    });

} // namespace
} // namespace hmc::halide::test
