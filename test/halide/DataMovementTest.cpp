// transpose, pad, slice and concat against straightforward references: odd
// sizes, dynamic dims, every pad mode.
#include "TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <tuple>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

/// Row-major coordinates of flat index `flat` in `shape`.
std::vector<int64_t> coordsOf(size_t flat, const std::vector<int64_t> &shape) {
  std::vector<int64_t> coords(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    coords[d] = static_cast<int64_t>(flat % shape[d]);
    flat /= shape[d];
  }
  return coords;
}

size_t flatOf(const std::vector<int64_t> &coords,
              const std::vector<int64_t> &shape) {
  size_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + coords[d];
  return flat;
}

struct TransposeCase {
  std::string name;
  json shape;
  std::vector<int64_t> perm;
  std::map<std::string, int64_t> sizes;
};

void PrintTo(const TransposeCase &c, std::ostream *os) { *os << c.name; }

class TransposeTest : public ::testing::TestWithParam<TransposeCase> {};

TEST_P(TransposeTest, MatchesReference) {
  const TransposeCase &tc = GetParam();
  json outShape = json::array();
  for (int64_t axis : tc.perm)
    outShape.push_back(tc.shape[axis]);
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", tc.shape);
  int64_t y = graph.buffer("y", "float32", outShape, "output");
  graph.kernel("k", "transpose", {{"perm", tc.perm}}, {{"x", x}}, y);
  std::mt19937 rng(41);
  Tensor input = randomTensor(bindShape(tc.shape, tc.sizes), rng);
  Tensor expected(bindShape(outShape, tc.sizes));
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<int64_t> out = coordsOf(i, expected.shape), in(out.size());
    for (size_t d = 0; d < out.size(); ++d)
      in[tc.perm[d]] = out[d];
    expected[i] = float(input[flatOf(in, input.shape)]);
  }
  EXPECT_EQ(runKernel(graph, {input}, expected.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Perms, TransposeTest,
    ::testing::Values(
        TransposeCase{"btc_to_bct", json{2, "t", 144}, {0, 2, 1}, {{"t", 75}}},
        TransposeCase{"bct_to_btc", json{2, 144, "t"}, {0, 2, 1}, {{"t", 75}}},
        TransposeCase{"odd_short", json{2, "t", 37}, {0, 2, 1}, {{"t", 5}}},
        TransposeCase{"static_odd", json{3, 29, 19}, {0, 2, 1}, {}},
        TransposeCase{"heads", json{2, "t", 4, 36}, {0, 2, 1, 3}, {{"t", 9}}},
        TransposeCase{"reverse", json{3, 5, 7}, {2, 1, 0}, {}}),
    [](const auto &info) { return info.param.name; });

struct PadCase {
  std::string name, mode;
  std::vector<int64_t> shape, pads;
};

void PrintTo(const PadCase &c, std::ostream *os) { *os << c.name; }

class PadTest : public ::testing::TestWithParam<PadCase> {};

TEST_P(PadTest, MatchesReference) {
  const PadCase &tc = GetParam();
  size_t rank = tc.shape.size();
  std::vector<int64_t> outShape = tc.shape;
  for (size_t d = 0; d < rank; ++d)
    outShape[d] += tc.pads[d] + tc.pads[rank + d];
  // The batch dim is dynamic (it keeps its symbol: it is not padded).
  json inJson = tc.shape, outJson = outShape;
  inJson[0] = outJson[0] = "b";
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", inJson);
  int64_t y = graph.buffer("y", "float32", outJson, "output");
  graph.kernel("k", "pad",
               {{"mode", tc.mode}, {"pads", tc.pads}, {"value", 0.5}},
               {{"x", x}}, y);
  std::mt19937 rng(43);
  Tensor input = randomTensor(tc.shape, rng);
  Tensor expected(outShape);
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<int64_t> c = coordsOf(i, outShape);
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      int64_t j = c[d] - tc.pads[d], n = tc.shape[d];
      inside = inside && j >= 0 && j < n;
      if (tc.mode == "reflect")
        j = j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
      c[d] = std::clamp<int64_t>(j, 0, n - 1);
    }
    expected[i] = tc.mode == "constant" && !inside
                      ? 0.5
                      : float(input[flatOf(c, tc.shape)]);
  }
  EXPECT_EQ(runKernel(graph, {input}, outShape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, PadTest,
    ::testing::Values(
        PadCase{"reflect_both_spatial",
                "reflect",
                {2, 3, 37, 20},
                {0, 0, 3, 5, 0, 0, 4, 2}},
        PadCase{"reflect_time", "reflect", {2, 5, 41}, {0, 0, 15, 0, 0, 15}},
        PadCase{"constant", "constant", {2, 7, 19}, {0, 1, 2, 0, 3, 17}},
        PadCase{"edge", "edge", {2, 6, 23}, {0, 2, 5, 0, 1, 9}}),
    [](const auto &info) { return info.param.name; });

TEST(PadTest, RejectsReflectWiderThanTheDim) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", {2, 4});
  int64_t y = graph.buffer("y", "float32", {2, 12}, "output");
  graph.kernel("k", "pad", {{"mode", "reflect"}, {"pads", {0, 4, 0, 4}}},
               {{"x", x}}, y);
  try {
    graph.parse();
    FAIL() << "expected a GraphError";
  } catch (const GraphError &error) {
    EXPECT_NE(std::string(error.what())
                  .find("reflect pads of dim 1 (4, 4) must be smaller than "
                        "its size 4"),
              std::string::npos)
        << error.what();
  }
}

// A dynamic dimension too short for its reflect pads fails the run (ONNX
// and torch need pad < size), one just long enough runs.
TEST(PadTest, FailsTheRunOnADynamicDimNoLongerThanTheReflectPad) {
  GraphBuilder graph;
  graph.raw()["symbols"].push_back({{"name", "t"}, {"min", 1}, {"max", 64}});
  graph.raw()["symbols"].push_back(
      {{"name", "t8"},
       {"min", 1},
       {"max", 72},
       {"derived", {{"base", "t"}, {"add", 8}, {"div", 1}, {"post", 0}}}});
  int64_t x = graph.buffer("x", "float32", json{2, "t"});
  int64_t y = graph.buffer("y", "float32", json{2, "t8"}, "output");
  graph.kernel("k", "pad", {{"mode", "reflect"}, {"pads", {0, 3, 0, 4}}},
               {{"x", x}}, y);
  std::mt19937 rng(54);
  JitKernel kernel(graph.parse());
  kernel.bind({randomTensor({2, 4}, rng)}, {2, 12});
  try {
    kernel.realize();
    ADD_FAILURE() << "a reflect pad of 4 on a dim of 4 ran";
  } catch (const Halide::RuntimeError &error) {
    EXPECT_THAT(error.what(),
                testing::HasSubstr("reflect padding by 4 needs a dimension "
                                   "longer than the pad, got 4"));
  }
  kernel.bind({randomTensor({2, 5}, rng)}, {2, 13});
  EXPECT_NO_THROW(kernel.realize());
}

struct SliceCase {
  std::string name;
  json in, out;
  std::vector<int64_t> axes, starts, steps;
  std::map<std::string, int64_t> sizes;
  /// A derived output symbol: {name, base, add, div, post[, mul]}.
  std::optional<json> derived = {};
};

void PrintTo(const SliceCase &c, std::ostream *os) { *os << c.name; }

/// A slice kernel of `tc`, with its derived symbol (after its base) declared
/// first.
GraphBuilder sliceGraph(const SliceCase &tc) {
  GraphBuilder graph;
  if (tc.derived) {
    graph.raw()["symbols"].push_back(
        {{"name", (*tc.derived)[1]}, {"min", 1}, {"max", 1 << 20}});
    graph.raw()["symbols"].push_back({{"name", (*tc.derived)[0]},
                                      {"min", 1},
                                      {"max", 1 << 20},
                                      {"derived",
                                       {{"base", (*tc.derived)[1]},
                                        {"add", (*tc.derived)[2]},
                                        {"div", (*tc.derived)[3]},
                                        {"post", (*tc.derived)[4]}}}});
    if (tc.derived->size() > 5)
      graph.raw()["symbols"].back()["derived"]["mul"] = (*tc.derived)[5];
  }
  int64_t x = graph.buffer("x", "float32", tc.in);
  int64_t y = graph.buffer("y", "float32", tc.out, "output");
  graph.kernel("k", "slice",
               {{"axes", tc.axes}, {"starts", tc.starts}, {"steps", tc.steps}},
               {{"x", x}}, y);
  return graph;
}

class SliceTest : public ::testing::TestWithParam<SliceCase> {};

// Output index i of a sliced axis reads start + i * step.
TEST_P(SliceTest, MatchesReference) {
  const SliceCase &tc = GetParam();
  GraphBuilder graph = sliceGraph(tc);
  std::mt19937 rng(53);
  Tensor input = randomTensor(bindShape(tc.in, tc.sizes), rng);
  Tensor expected(bindShape(tc.out, tc.sizes));
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<int64_t> c = coordsOf(i, expected.shape);
    for (size_t j = 0; j < tc.axes.size(); ++j)
      c[tc.axes[j]] = tc.starts[j] + c[tc.axes[j]] * tc.steps[j];
    expected[i] = float(input[flatOf(c, input.shape)]);
  }
  EXPECT_EQ(runKernel(graph, {input}, expected.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, SliceTest,
    ::testing::Values(
        SliceCase{"every_other", {5, 17}, {5, 8}, {1}, {1}, {2}, {}},
        SliceCase{"flip", {3, 7}, {3, 7}, {1}, {6}, {-1}, {}},
        SliceCase{"two_axes", {9, 17}, {3, 6}, {0, 1}, {2, 16}, {3, -3}, {}},
        // ESPnet's mask[:, :-2:2]: floor((T - 3) / 2) + 1 frames.
        SliceCase{"subsampled_time",
                  {"b", "t", 4},
                  {"b", "t_1", 4},
                  {1},
                  {0},
                  {2},
                  {{"b", 3}, {"t", 37}, {"t_1", 18}},
                  json{"t_1", "t", -3, 2, 1}},
        SliceCase{"time_from_one_by_three",
                  {"t", 5},
                  {"t_1", 5},
                  {0},
                  {1},
                  {3},
                  {{"t", 7}, {"t_1", 2}},
                  json{"t_1", "t", -2, 3, 1}},
        // A pool's last window over a padded t_1 = t + 2: t entries from 2.
        SliceCase{"unpadded_from_padded",
                  {"t_1", 5},
                  {"t", 5},
                  {0},
                  {2},
                  {1},
                  {{"t", 7}, {"t_1", 9}},
                  json{"t_1", "t", 2, 1, 0}},
        // Every other entry of 2t, from 0 and from 1: t entries.
        SliceCase{"every_other_of_twice",
                  {3, "t_1"},
                  {3, "t"},
                  {1},
                  {0},
                  {2},
                  {{"t", 5}, {"t_1", 10}},
                  json{"t_1", "t", 0, 1, 0, 2}},
        SliceCase{"every_other_of_twice_from_one",
                  {3, "t_1"},
                  {3, "t"},
                  {1},
                  {1},
                  {2},
                  {{"t", 5}, {"t_1", 10}},
                  json{"t_1", "t", 0, 1, 0, 2}},
        // The first t of the 2t - 1 relative positions (Transformer-XL's
        // relative shift keeps as many as there are tokens).
        SliceCase{"own_length_of_relative_positions",
                  {3, "t_1"},
                  {3, "t"},
                  {1},
                  {0},
                  {1},
                  {{"t", 7}, {"t_1", 13}},
                  json{"t_1", "t", -1, 1, 0, 2}}),
    [](const auto &info) { return info.param.name; });

TEST(SliceTest, RejectsReadsPastTheInput) {
  auto errorOf = [](const SliceCase &tc) -> std::string {
    try {
      sliceGraph(tc).parse();
    } catch (const GraphError &error) {
      return error.what();
    }
    return "";
  };
  EXPECT_NE(errorOf({"static", {3, 7}, {3, 4}, {1}, {1}, {2}, {}})
                .find("slice of axis 1 reads indices 1 to 7, outside the "
                      "input extent [7]"),
            std::string::npos);
  EXPECT_NE(errorOf({"below_zero", {3, 7}, {3, 4}, {1}, {2}, {-1}, {}})
                .find("reads indices 2 to -1"),
            std::string::npos);
  // floor((t - 1) / 2) + 1 entries from 1 by 2 read index t when t is odd.
  EXPECT_NE(errorOf({"dynamic",
                     {"t", 5},
                     {"t_1", 5},
                     {0},
                     {1},
                     {2},
                     {},
                     json{"t_1", "t", -1, 2, 1}})
                .find("slice of axis 0 from 1 by 2: output extent t_1 is not "
                      "a length the input extent [t] keeps in range"),
            std::string::npos);
  // t entries from 3 of t + 2 read index t + 2.
  EXPECT_NE(errorOf({"unpadded_past_the_end",
                     {"t_1", 5},
                     {"t", 5},
                     {0},
                     {3},
                     {1},
                     {},
                     json{"t_1", "t", 2, 1, 0}})
                .find("output extent t is not a length the input extent "
                      "[t_1] keeps in range"),
            std::string::npos);
  // t entries from 1 of 2t - 1 read index 2t - 1 when t is 1.
  EXPECT_NE(errorOf({"relative_positions_past_the_end",
                     {"t_1", 5},
                     {"t", 5},
                     {0},
                     {1},
                     {1},
                     {},
                     json{"t_1", "t", -1, 1, 0, 2}})
                .find("output extent t is not a length the input extent "
                      "[t_1] keeps in range"),
            std::string::npos);
  // t entries of 2t from 2 by 2 read index 2t.
  EXPECT_NE(errorOf({"every_other_of_twice_from_two",
                     {"t_1", 5},
                     {"t", 5},
                     {0},
                     {2},
                     {2},
                     {},
                     json{"t_1", "t", 0, 1, 0, 2}})
                .find("output extent t is not a length the input extent "
                      "[t_1] keeps in range"),
            std::string::npos);
  EXPECT_NE(errorOf({"zero_step", {3, 7}, {3, 7}, {1}, {0}, {0}, {}})
                .find("slice of axis 1 has step 0"),
            std::string::npos);
}

struct ConcatCase {
  std::string name;
  std::vector<json> inputs;
  json out;
  size_t axis;
  std::map<std::string, int64_t> sizes;
  /// Derived symbols, in order: {name, base, mul, add} for mul base + add.
  std::vector<std::tuple<std::string, std::string, int64_t, int64_t>> derived =
      {};
};

void PrintTo(const ConcatCase &c, std::ostream *os) { *os << c.name; }

class ConcatTest : public ::testing::TestWithParam<ConcatCase> {};

TEST_P(ConcatTest, MatchesReference) {
  const ConcatCase &tc = GetParam();
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> operands;
  std::vector<Tensor> inputs;
  std::mt19937 rng(47);
  std::map<std::string, int64_t> sizes = tc.sizes;
  // Derived symbols follow their base.
  if (!tc.derived.empty())
    graph.raw()["symbols"].push_back({{"name", std::get<1>(tc.derived.front())},
                                      {"min", 1},
                                      {"max", 1 << 20}});
  for (const auto &[name, base, mul, add] : tc.derived) {
    graph.raw()["symbols"].push_back({{"name", name},
                                      {"min", 1},
                                      {"max", 1 << 20},
                                      {"derived",
                                       {{"base", base},
                                        {"mul", mul},
                                        {"add", add},
                                        {"div", 1},
                                        {"post", 0}}}});
    sizes[name] = mul * sizes.at(base) + add;
  }
  for (size_t n = 0; n < tc.inputs.size(); ++n) {
    std::string role = "x" + std::to_string(n);
    operands.push_back({role, graph.buffer(role, "float32", tc.inputs[n])});
    inputs.push_back(randomTensor(bindShape(tc.inputs[n], sizes), rng));
  }
  int64_t y = graph.buffer("y", "float32", tc.out, "output");
  graph.kernel("k", "concat", {{"axis", tc.axis}}, operands, y);
  Tensor expected(bindShape(tc.out, sizes));
  for (size_t i = 0; i < expected.size(); ++i) {
    std::vector<int64_t> c = coordsOf(i, expected.shape);
    size_t n = 0;
    while (c[tc.axis] >= inputs[n].shape[tc.axis])
      c[tc.axis] -= inputs[n++].shape[tc.axis];
    expected[i] = float(inputs[n][flatOf(c, inputs[n].shape)]);
  }
  EXPECT_EQ(runKernel(graph, inputs, expected.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Axes, ConcatTest,
    ::testing::Values(
        ConcatCase{"three_inner",
                   {json{2, "t", 5}, json{2, "t", 17}, json{2, "t", 1}},
                   json{2, "t", 23},
                   2,
                   {{"t", 13}}},
        ConcatCase{"three_middle",
                   {json{2, 3, "c"}, json{2, 1, "c"}, json{2, 7, "c"}},
                   json{2, 11, "c"},
                   1,
                   {{"c", 37}}},
        ConcatCase{"symbolic_axis",
                   {json{2, "t", 37}, json{2, 3, 37}, json{2, 1, 37}},
                   json{2, "t4", 37},
                   1,
                   {{"t", 13}},
                   {{"t4", "t", 1, 4}}},
        // SpeechBrain's relative positions: t rows, then t - 1 more.
        ConcatCase{"relative_positions",
                   {json{2, "t", 37}, json{2, "t_1", 37}},
                   json{2, "t_2", 37},
                   1,
                   {{"t", 13}},
                   {{"t_1", "t", 1, -1}, {"t_2", "t", 2, -1}}},
        // Along the innermost dim, a run-time width: vector tails, and
        // enough rows for several parallel tasks.
        ConcatCase{"inner_wide",
                   {json{3, "t", 40}, json{3, "t", "c"}},
                   json{3, "t", "c_40"},
                   2,
                   {{"t", 301}, {"c", 21}},
                   {{"c_40", "c", 1, 40}}},
        ConcatCase{"one_input", {json{"t", 9}}, json{"t", 9}, 0, {{"t", 4}}},
        ConcatCase{"outer", {json{3, 19}, json{4, 19}}, json{7, 19}, 0, {}}),
    [](const auto &info) { return info.param.name; });

struct ReshapeCase {
  std::string name;
  json in, out;
  std::map<std::string, int64_t> sizes;
  /// Symbols mul t: {name, mul}.
  std::vector<std::pair<std::string, int64_t>> multiples = {};
};

void PrintTo(const ReshapeCase &c, std::ostream *os) { *os << c.name; }

class ReshapeTest : public ::testing::TestWithParam<ReshapeCase> {};

// A reshape keeps the row-major order: the output holds the input's values.
// Static neighbours split and merge group by group (units beside dynamic
// dims too), and so does a dynamic t with the static dims after it into a
// multiple mul t; [t, 2t] viewed as [2t, t] goes through the linear index.
TEST_P(ReshapeTest, KeepsTheRowMajorOrder) {
  const ReshapeCase &tc = GetParam();
  GraphBuilder graph;
  std::map<std::string, int64_t> sizes = tc.sizes;
  if (!tc.multiples.empty())
    graph.raw()["symbols"].push_back(
        {{"name", "t"}, {"min", 1}, {"max", 1 << 20}});
  for (const auto &[name, mul] : tc.multiples) {
    graph.raw()["symbols"].push_back(
        {{"name", name},
         {"min", 1},
         {"max", 1 << 20},
         {"derived",
          {{"base", "t"}, {"mul", mul}, {"add", 0}, {"div", 1}, {"post", 0}}}});
    sizes[name] = mul * sizes.at("t");
  }
  int64_t x = graph.buffer("x", "float32", tc.in);
  int64_t y = graph.buffer("y", "float32", tc.out, "output");
  graph.kernel("k", "reshape", json::object(), {{"x", x}}, y);
  std::mt19937 rng(67);
  Tensor input = randomTensor(bindShape(tc.in, sizes), rng);
  Tensor expected(bindShape(tc.out, sizes));
  for (size_t i = 0; i < expected.size(); ++i)
    expected[i] = float(input[i]);
  EXPECT_EQ(runKernel(graph, {input}, expected.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ReshapeTest,
    ::testing::Values(ReshapeCase{"split_heads",
                                  json{"b", "t", 54},
                                  json{"b", "t", 3, 18},
                                  {{"b", 2}, {"t", 5}}},
                      ReshapeCase{"merge_heads",
                                  json{"b", "t", 3, 18},
                                  json{"b", "t", 54},
                                  {{"b", 2}, {"t", 5}}},
                      ReshapeCase{"regroup", json{6, 4, 5}, json{4, 6, 5}, {}},
                      ReshapeCase{"units_beside_dynamic",
                                  json{"b", 1, "t", 12},
                                  json{"b", "t", 2, 6, 1},
                                  {{"b", 3}, {"t", 7}}},
                      ReshapeCase{"dynamic_regroup",
                                  json{3, "t", "s"},
                                  json{3, "s", "t"},
                                  {{"t", 7}},
                                  {{"s", 2}}},
                      // A model output [b, t * 24] of a [b, t, 3, 8].
                      ReshapeCase{"merge_into_multiple",
                                  json{"b", "t", 3, 8},
                                  json{"b", "m"},
                                  {{"b", 3}, {"t", 7}},
                                  {{"m", 24}}},
                      ReshapeCase{"merge_into_multiple_units",
                                  json{1, "t", 1, 5},
                                  json{"m", 1},
                                  {{"t", 13}},
                                  {{"m", 5}}},
                      // Only the dims after t merge: [t, 3, 4] is [3 t, 4].
                      ReshapeCase{"merge_into_multiple_rows",
                                  json{"t", 3, 4},
                                  json{"m", 4},
                                  {{"t", 9}},
                                  {{"m", 3}}}),
    [](const auto &info) { return info.param.name; });

// y[..., i, j] = x[..., i, j + T - 1 - i]: static sizes, and the derived
// 2t - 1 of a dynamic t (odd t, batch and heads).
TEST(RelativeShiftTest, MatchesReference) {
  std::mt19937 rng(61);
  for (bool dynamic : {false, true}) {
    GraphBuilder graph;
    int64_t t = dynamic ? 7 : 5;
    json tokens = dynamic ? json("t") : json(t);
    json positions = dynamic ? json("t_1") : json(2 * t - 1);
    if (dynamic)
      graph.relativeLength("t", "t_1");
    int64_t x = graph.buffer("x", "float32", json{2, 3, tokens, positions});
    int64_t y =
        graph.buffer("y", "float32", json{2, 3, tokens, tokens}, "output");
    graph.kernel("k", "relative_shift", json::object(), {{"x", x}}, y);
    Tensor input = randomTensor({2, 3, t, 2 * t - 1}, rng);
    Tensor expected({2, 3, t, t});
    for (int64_t r = 0; r < 2 * 3 * t; ++r)
      for (int64_t i = r % t, j = 0; j < t; ++j)
        expected[r * t + j] = float(input[r * (2 * t - 1) + j + t - 1 - i]);
    EXPECT_EQ(runKernel(graph, {input}, expected.shape).data, expected.data)
        << (dynamic ? "dynamic" : "static");
  }
}

TEST(RelativeShiftTest, RejectsALastDimOtherThanTwiceTheRowsLessOne) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{2, 5, 8});
  int64_t y = graph.buffer("y", "float32", json{2, 5, 5}, "output");
  graph.kernel("k", "relative_shift", json::object(), {{"x", x}}, y);
  try {
    graph.parse();
    FAIL() << "expected a GraphError";
  } catch (const GraphError &error) {
    EXPECT_THAT(error.what(),
                testing::HasSubstr("input 'x' has shape [2, 5, 8]: the last "
                                   "dim must be 2 x [5] - 1"));
  }
}

// scatter_nd against a reference: whole entries (k = rank; sinusoids written
// into a table's even columns, a negative index) and rows (k < rank), with
// a dynamic number of index rows.
TEST(ScatterNdTest, WritesEntriesAndRows) {
  std::mt19937 rng(47);
  for (int64_t t : {1, 5, 33}) {
    // y = x; y[i, 2c] = u[i, c], and y[i, -1] = u[i, 3] again last.
    GraphBuilder graph;
    int64_t x = graph.buffer("x", "float32", json{"t", 8});
    int64_t at = graph.buffer("at", "int64", json{"t", 5, 2});
    int64_t u = graph.buffer("u", "float32", json{"t", 5});
    int64_t y = graph.buffer("y", "float32", json{"t", 8}, "output");
    graph.kernel("k", "scatter_nd", json::object(),
                 {{"x", x}, {"indices", at}, {"updates", u}}, y);
    Tensor input = randomTensor({t, 8}, rng),
           updates = randomTensor({t, 5}, rng);
    Tensor indices({t, 5, 2});
    Tensor expected = input;
    for (double &v : expected.data)
      v = float(v);
    for (int64_t i = 0; i < t; ++i)
      for (int64_t c = 0; c < 5; ++c) {
        int64_t column = c < 4 ? 2 * c : -1;
        indices[(i * 5 + c) * 2] = static_cast<double>(i);
        indices[(i * 5 + c) * 2 + 1] = static_cast<double>(column);
        expected[i * 8 + (column < 0 ? column + 8 : column)] =
            float(updates[i * 5 + c]);
      }
    EXPECT_EQ(runKernel(graph, {input, indices, updates}, {t, 8}).data,
              expected.data)
        << "t = " << t;
  }
  // y = x; y[b, 1] = u[b, 0] and y[b, -1] = u[b, 1]: rows of 5.
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"b", 3, 5});
  int64_t at = graph.buffer("at", "int32", json{2, "b", 2});
  int64_t u = graph.buffer("u", "float32", json{2, "b", 5});
  int64_t y = graph.buffer("y", "float32", json{"b", 3, 5}, "output");
  graph.kernel("k", "scatter_nd", json::object(),
               {{"x", x}, {"indices", at}, {"updates", u}}, y);
  int64_t b = 3;
  Tensor input = randomTensor({b, 3, 5}, rng),
         updates = randomTensor({2, b, 5}, rng);
  Tensor indices({2, b, 2});
  Tensor expected = input;
  for (double &v : expected.data)
    v = float(v);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t i = 0; i < b; ++i) {
      indices[(r * b + i) * 2] = static_cast<double>(i);
      indices[(r * b + i) * 2 + 1] = r == 0 ? 1.0 : -1.0;
      for (int64_t c = 0; c < 5; ++c)
        expected[(i * 3 + (r == 0 ? 1 : 2)) * 5 + c] =
            float(updates[(r * b + i) * 5 + c]);
    }
  EXPECT_EQ(runKernel(graph, {input, indices, updates}, {b, 3, 5}).data,
            expected.data);
}

TEST(ScatterNdTest, FailsTheRunOnAnIndexOutOfRange) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"t", 4});
  int64_t at = graph.buffer("at", "int64", json{1, 2});
  int64_t u = graph.buffer("u", "float32", json{1});
  int64_t y = graph.buffer("y", "float32", json{"t", 4}, "output");
  graph.kernel("k", "scatter_nd", json::object(),
               {{"x", x}, {"indices", at}, {"updates", u}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(48);
  Tensor indices({1, 2});
  indices[0] = 2; // row 2 of a 2-row input
  kernel.bind({randomTensor({2, 4}, rng), indices, randomTensor({1}, rng)},
              {2, 4});
  EXPECT_ANY_THROW(kernel.realize());
}

// A gather along dims 1 and 2 of x taken as one axis of their product (the
// factors of a flattened [2, b*t, 3]), from index rows of two: out[i, r, m, c]
// = x[i, f / t, f % t, c] with f = at[r, m] (negative from the product's end).
TEST(GatherTest, IndexesAProductOfDims) {
  std::mt19937 rng(49);
  for (auto [b, t] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {2, 17}}) {
    GraphBuilder graph;
    int64_t x = graph.buffer("x", "float32", json{2, "b", "t", 3});
    int64_t at = graph.buffer("at", "int64", json{2, "m"});
    int64_t y = graph.buffer("y", "float32", json{2, 2, "m", 3}, "output");
    graph.kernel("k", "gather", json{{"axis", 1}, {"axis_dims", 2}},
                 {{"x", x}, {"indices", at}}, y);
    int64_t m = 4, product = b * t;
    Tensor input = randomTensor({2, b, t, 3}, rng);
    Tensor indices({2, m});
    std::uniform_int_distribution<int64_t> pick(-product, product - 1);
    for (double &v : indices.data)
      v = static_cast<double>(pick(rng));
    Tensor expected({2, 2, m, 3});
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t r = 0; r < 2 * m; ++r) {
        auto f = static_cast<int64_t>(indices[r]);
        f = f < 0 ? f + product : f;
        for (int64_t c = 0; c < 3; ++c)
          expected[(i * 2 * m + r) * 3 + c] =
              float(input[((i * product) + f) * 3 + c]);
      }
    EXPECT_EQ(runKernel(graph, {input, indices}, {2, 2, m, 3}).data,
              expected.data)
        << "b = " << b << ", t = " << t;
  }
}

TEST(GatherTest, FailsTheRunOnAnIndexPastTheProduct) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"b", "t", 3});
  int64_t at = graph.buffer("at", "int64", json{1});
  int64_t y = graph.buffer("y", "float32", json{1, 3}, "output");
  graph.kernel("k", "gather", json{{"axis", 0}, {"axis_dims", 2}},
               {{"x", x}, {"indices", at}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(50);
  Tensor indices({1});
  indices[0] = 6; // one past the 2 x 3 rows
  kernel.bind({randomTensor({2, 3, 3}, rng), indices}, {1, 3});
  EXPECT_ANY_THROW(kernel.realize());
}

TEST(GatherTest, RejectsAxisDimsPastTheRank) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"b", "t", 3});
  int64_t at = graph.buffer("at", "int64", json{1});
  int64_t y = graph.buffer("y", "float32", json{"b", 1}, "output");
  graph.kernel("k", "gather", json{{"axis", 1}, {"axis_dims", 3}},
               {{"x", x}, {"indices", at}}, y);
  try {
    graph.parse();
    ADD_FAILURE() << "axis_dims 3 from axis 1 of a rank-3 x was accepted";
  } catch (const GraphError &error) {
    EXPECT_THAT(error.what(),
                testing::HasSubstr(
                    "attribute 'axis_dims' must be an integer in [1, 2]"));
  }
}

// gather_elements against a reference: along the tokens of [b, t, 5] with a
// run-time number of index rows, 3 of the 5 columns and negative indices;
// along the last axis with one index per row (torch.gather of an argmax).
TEST(GatherElementsTest, MatchesReference) {
  std::mt19937 rng(51);
  struct Case {
    int64_t axis;
    json xShape, indexShape;
  };
  for (const Case &c : {Case{1, json{"b", "t", 5}, json{"b", "m", 3}},
                        Case{2, json{"b", "t", 7}, json{"b", "t", 1}}})
    for (auto [b, t] : {std::pair<int64_t, int64_t>{1, 1}, {3, 5}, {2, 17}}) {
      GraphBuilder graph;
      int64_t x = graph.buffer("x", "float32", c.xShape);
      int64_t at = graph.buffer("at", "int64", c.indexShape);
      int64_t y = graph.buffer("y", "float32", c.indexShape, "output");
      graph.kernel("k", "gather_elements", json{{"axis", c.axis}},
                   {{"x", x}, {"indices", at}}, y);
      std::map<std::string, int64_t> sizes{{"b", b}, {"t", t}, {"m", 4}};
      Tensor input = randomTensor(bindShape(c.xShape, sizes), rng);
      Tensor indices(bindShape(c.indexShape, sizes));
      int64_t extent = input.shape[c.axis];
      std::uniform_int_distribution<int64_t> pick(-extent, extent - 1);
      for (double &v : indices.data)
        v = static_cast<double>(pick(rng));
      Tensor expected(indices.shape);
      for (size_t i = 0; i < expected.size(); ++i) {
        std::vector<int64_t> at = coordsOf(i, indices.shape);
        auto index = static_cast<int64_t>(indices[i]);
        at[c.axis] = index < 0 ? index + extent : index;
        expected[i] = float(input[flatOf(at, input.shape)]);
      }
      EXPECT_EQ(runKernel(graph, {input, indices}, expected.shape).data,
                expected.data)
          << "axis " << c.axis << ", b = " << b << ", t = " << t;
    }
}

TEST(GatherElementsTest, FailsTheRunOnAnIndexOutOfRange) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"b", "t", 3});
  int64_t at = graph.buffer("at", "int64", json{"b", 1, 3});
  int64_t y = graph.buffer("y", "float32", json{"b", 1, 3}, "output");
  graph.kernel("k", "gather_elements", json{{"axis", 1}},
               {{"x", x}, {"indices", at}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(52);
  Tensor indices({2, 1, 3});
  indices[4] = 4; // token 4 of 4
  kernel.bind({randomTensor({2, 4, 3}, rng), indices}, {2, 1, 3});
  EXPECT_ANY_THROW(kernel.realize());
}

TEST(GatherElementsTest, RejectsIndicesThatMayPassTheInput) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"b", "t", 3});
  int64_t at = graph.buffer("at", "int64", json{"c", 1, 3});
  int64_t y = graph.buffer("y", "float32", json{"c", 1, 3}, "output");
  graph.kernel("k", "gather_elements", json{{"axis", 1}},
               {{"x", x}, {"indices", at}}, y);
  try {
    graph.parse();
    ADD_FAILURE() << "indices over c gathered from x over b";
  } catch (const GraphError &error) {
    EXPECT_THAT(error.what(),
                testing::HasSubstr("dimension 0 of 'indices' ([c]) does not "
                                   "fit in that of 'x' ([b])"));
  }
}

TEST(ScatterNdTest, RejectsUpdatesOfTheWrongShape) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"t", 4});
  int64_t at = graph.buffer("at", "int64", json{"t", 1});
  int64_t u = graph.buffer("u", "float32", json{"t", 3});
  int64_t y = graph.buffer("y", "float32", json{"t", 4}, "output");
  graph.kernel("k", "scatter_nd", json::object(),
               {{"x", x}, {"indices", at}, {"updates", u}}, y);
  EXPECT_THROW(graph.parse(), GraphError);
}

// iota and dim_size read only the reference's shape: the result follows its
// run-time length, in every numeric dtype.
class IndexTest : public ::testing::TestWithParam<std::string> {};

TEST_P(IndexTest, IotaCountsAlongTheReferenceAxis) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{2, "t", 5});
  int64_t y = graph.buffer("y", GetParam(), json{"t"}, "output");
  graph.kernel("k", "iota", {{"axis", 1}}, {{"reference", x}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(43);
  for (int64_t t : {1, 17, 300}) {
    Tensor expected({t});
    for (int64_t i = 0; i < t; ++i)
      expected[i] = static_cast<double>(i);
    Tensor actual = kernel.run({randomTensor({2, t, 5}, rng)}, {t});
    EXPECT_EQ(actual.data, expected.data) << "t = " << t;
  }
}

TEST_P(IndexTest, DimSizeIsTheReferenceDim) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"b", "t", 5});
  int64_t y = graph.buffer("y", GetParam(), json::array(), "output");
  graph.kernel("k", "dim_size", {{"axis", 1}}, {{"reference", x}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(44);
  for (int64_t t : {1, 17, 300}) {
    Tensor actual = kernel.run({randomTensor({3, t, 5}, rng)}, {});
    EXPECT_EQ(actual.data, std::vector<double>{static_cast<double>(t)});
  }
}

TEST(IndexTest, RejectsABoolResult) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", json{"t"});
  int64_t y = graph.buffer("y", "bool", json{"t"}, "output");
  graph.kernel("k", "iota", {{"axis", 0}}, {{"reference", x}}, y);
  try {
    graph.parse();
    FAIL() << "a bool iota was accepted";
  } catch (const GraphError &error) {
    EXPECT_NE(std::string(error.what()).find("output must be numeric"),
              std::string::npos)
        << error.what();
  }
}

INSTANTIATE_TEST_SUITE_P(DTypes, IndexTest,
                         ::testing::Values("int64", "int32", "float32"));

} // namespace
} // namespace hmc::halide::test
