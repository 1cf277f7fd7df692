// reduce_max, reduce_min, arg_max, arg_min and cumsum against exact
// references: inner and outer axes, dynamic dims, keepdims, ties (first or
// last index), exclusive and reversed running sums.
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

/// Row-major [outer, extent, inner] view of a shape around `axis`.
struct AxisView {
  int64_t outer = 1, extent = 1, inner = 1;
  AxisView(const std::vector<int64_t> &shape, size_t axis) {
    for (size_t d = 0; d < shape.size(); ++d)
      (d < axis ? outer : d == axis ? extent : inner) *= shape[d];
  }
};

struct ReduceCase {
  std::string name, op, dtype;
  json shape;
  int64_t axis;
  bool keepdims;
  std::map<std::string, int64_t> sizes;
  bool lastIndex = false;
};

void PrintTo(const ReduceCase &c, std::ostream *os) { *os << c.name; }

class ReduceTest : public ::testing::TestWithParam<ReduceCase> {};

TEST_P(ReduceTest, MatchesReference) {
  const ReduceCase &tc = GetParam();
  bool arg = tc.op.rfind("arg_", 0) == 0;
  bool isMax = tc.op == "reduce_max" || tc.op == "arg_max";
  json outShape = tc.shape;
  if (tc.keepdims)
    outShape[tc.axis] = 1;
  else
    outShape.erase(outShape.begin() + tc.axis);
  GraphBuilder graph;
  int64_t x = graph.buffer("x", tc.dtype, tc.shape);
  int64_t y = graph.buffer("y", arg ? "int64" : tc.dtype, outShape, "output");
  json attrs = arg ? json{{"axis", tc.axis},
                          {"keepdims", tc.keepdims},
                          {"select_last_index", tc.lastIndex}}
                   : json{{"axes", {tc.axis}}, {"keepdims", tc.keepdims}};
  graph.kernel("k", tc.op, attrs, {{"x", x}}, y);

  // Small integers (halves for floats): ties are common.
  std::mt19937 rng(23);
  std::uniform_int_distribution<int> value(-6, 6);
  std::vector<int64_t> shape = bindShape(tc.shape, tc.sizes);
  Tensor input(shape);
  for (double &v : input.data)
    v = tc.dtype == "float32" ? value(rng) / 2.0 : value(rng);
  AxisView view(shape, static_cast<size_t>(tc.axis));
  Tensor expected(bindShape(outShape, tc.sizes));
  for (int64_t o = 0; o < view.outer; ++o)
    for (int64_t i = 0; i < view.inner; ++i) {
      auto at = [&](int64_t k) {
        return input[(o * view.extent + k) * view.inner + i];
      };
      int64_t best = 0;
      for (int64_t k = 1; k < view.extent; ++k) {
        bool better = isMax ? at(k) > at(best) : at(k) < at(best);
        if (better || (tc.lastIndex && at(k) == at(best)))
          best = k;
      }
      expected[o * view.inner + i] = arg ? double(best) : at(best);
    }
  EXPECT_EQ(runKernel(graph, {input}, expected.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(Ops, ReduceTest,
                         ::testing::Values(ReduceCase{"max_inner",
                                                      "reduce_max",
                                                      "float32",
                                                      json{"B", "N", 37},
                                                      2,
                                                      false,
                                                      {{"B", 3}, {"N", 5}}},
                                           ReduceCase{"max_tokens_keepdims",
                                                      "reduce_max",
                                                      "float32",
                                                      json{"B", "N", 19},
                                                      1,
                                                      true,
                                                      {{"B", 2}, {"N", 131}}},
                                           ReduceCase{"min_outer_int64",
                                                      "reduce_min",
                                                      "int64",
                                                      json{"N", 7},
                                                      0,
                                                      false,
                                                      {{"N", 9}}},
                                           ReduceCase{"max_outer_ragged",
                                                      "reduce_max",
                                                      "float32",
                                                      json{"N", 17},
                                                      0,
                                                      false,
                                                      {{"N", 25}}},
                                           ReduceCase{"min_one_token",
                                                      "reduce_min",
                                                      "float32",
                                                      json{"B", "N", 16},
                                                      1,
                                                      false,
                                                      {{"B", 2}, {"N", 1}}},
                                           ReduceCase{"argmax_vocab",
                                                      "arg_max",
                                                      "float32",
                                                      json{"B", "T", 501},
                                                      2,
                                                      false,
                                                      {{"B", 2}, {"T", 9}}},
                                           ReduceCase{"argmax_tokens_last",
                                                      "arg_max",
                                                      "float32",
                                                      json{"B", "N", 19},
                                                      1,
                                                      true,
                                                      {{"B", 3}, {"N", 40}},
                                                      true},
                                           ReduceCase{"argmin_int32",
                                                      "arg_min",
                                                      "int32",
                                                      json{"N", 33},
                                                      1,
                                                      true,
                                                      {{"N", 4}}},
                                           ReduceCase{"argmin_outer_last",
                                                      "arg_min",
                                                      "float32",
                                                      json{"N", 17},
                                                      0,
                                                      false,
                                                      {{"N", 25}},
                                                      true}),
                         [](const auto &info) { return info.param.name; });

TEST(ReduceTest, RejectsABadAxis) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{3, 4});
  int64_t y = graph.buffer("y", "int64", json{3}, "output");
  graph.kernel("k", "arg_max",
               {{"axis", 2}, {"keepdims", false}, {"select_last_index", false}},
               {{"x", x}}, y);
  EXPECT_THROW(graph.parse(), GraphError);
}

struct CumSumCase {
  std::string name, dtype;
  json shape;
  int64_t axis;
  bool exclusive, reverse;
  std::map<std::string, int64_t> sizes;
};

void PrintTo(const CumSumCase &c, std::ostream *os) { *os << c.name; }

class CumSumTest : public ::testing::TestWithParam<CumSumCase> {};

TEST_P(CumSumTest, MatchesReference) {
  const CumSumCase &tc = GetParam();
  GraphBuilder graph;
  int64_t x = graph.buffer("x", tc.dtype, tc.shape);
  int64_t y = graph.buffer("y", tc.dtype, tc.shape, "output");
  graph.kernel(
      "k", "cumsum",
      {{"axis", tc.axis}, {"exclusive", tc.exclusive}, {"reverse", tc.reverse}},
      {{"x", x}}, y);

  // Halves for floats: every partial sum is exact in float32.
  std::mt19937 rng(29);
  std::uniform_int_distribution<int> value(-6, 6);
  std::vector<int64_t> shape = bindShape(tc.shape, tc.sizes);
  Tensor input(shape);
  for (double &v : input.data)
    v = tc.dtype == "float32" ? value(rng) / 2.0 : value(rng);
  AxisView view(shape, static_cast<size_t>(tc.axis));
  Tensor expected(shape);
  for (int64_t o = 0; o < view.outer; ++o)
    for (int64_t i = 0; i < view.inner; ++i) {
      double running = 0;
      for (int64_t step = 0; step < view.extent; ++step) {
        int64_t k = tc.reverse ? view.extent - 1 - step : step;
        int64_t at = (o * view.extent + k) * view.inner + i;
        expected[at] = tc.exclusive ? running : running + input[at];
        running += input[at];
      }
    }
  EXPECT_EQ(runKernel(graph, {input}, expected.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, CumSumTest,
    ::testing::Values(CumSumCase{"tokens",
                                 "float32",
                                 json{"B", "N", 19},
                                 1,
                                 false,
                                 false,
                                 {{"B", 3}, {"N", 37}}},
                      CumSumCase{"tokens_exclusive_reverse",
                                 "float32",
                                 json{"B", "N", 19},
                                 1,
                                 true,
                                 true,
                                 {{"B", 2}, {"N", 131}}},
                      CumSumCase{"features_reverse",
                                 "float32",
                                 json{"B", "N", 37},
                                 2,
                                 false,
                                 true,
                                 {{"B", 2}, {"N", 5}}},
                      CumSumCase{"mask_positions_int32",
                                 "int32",
                                 json{"B", "N"},
                                 1,
                                 false,
                                 false,
                                 {{"B", 3}, {"N", 33}}},
                      CumSumCase{"outer_exclusive_int64",
                                 "int64",
                                 json{"N", 7},
                                 0,
                                 true,
                                 false,
                                 {{"N", 9}}},
                      CumSumCase{"one_element",
                                 "float32",
                                 json{"B", "N"},
                                 1,
                                 true,
                                 true,
                                 {{"B", 2}, {"N", 1}}},
                      CumSumCase{"last_axis_static_5",
                                 "float32",
                                 json{"B", "N", 5},
                                 2,
                                 false,
                                 false,
                                 {{"B", 2}, {"N", 8}}},
                      CumSumCase{"last_axis_exclusive_int64",
                                 "int64",
                                 json{"B", "N", 4},
                                 2,
                                 true,
                                 false,
                                 {{"B", 3}, {"N", 7}}},
                      CumSumCase{"last_axis_rank4",
                                 "float64",
                                 json{"B", 3, "N", 6},
                                 3,
                                 false,
                                 false,
                                 {{"B", 2}, {"N", 5}}}),
    [](const auto &info) { return info.param.name; });

TEST(CumSumTest, RejectsABadAxis) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{3, 4});
  int64_t y = graph.buffer("y", "float32", json{3, 4}, "output");
  graph.kernel("k", "cumsum",
               {{"axis", 2}, {"exclusive", false}, {"reverse", false}},
               {{"x", x}}, y);
  EXPECT_THROW(graph.parse(), GraphError);
}

} // namespace
} // namespace hmc::halide::test
