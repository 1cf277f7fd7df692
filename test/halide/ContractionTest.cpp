// linear and matmul against float64 references: tiled and untiled channel
// counts, dynamic rows and channels, broadcast batch dims, weights stored in
// panels, fused elementwise epilogues, and relative-position scores.
#include "TestUtil.h"

#include <gtest/gtest.h>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

/// Row-major offset, in units of whole matrices, of output batch `batch`
/// in an operand with batch dims `dims` (right-aligned, 1s broadcast).
size_t batchOffset(size_t batch, const std::vector<int64_t> &outBatch,
                   const std::vector<int64_t> &dims) {
  size_t offset = 0, stride = 1, outStride = 1;
  for (size_t q = 0; q < outBatch.size(); ++q) {
    int64_t outSize = outBatch[outBatch.size() - 1 - q];
    size_t coord = batch / outStride % outSize;
    outStride *= outSize;
    if (q < dims.size()) {
      int64_t size = dims[dims.size() - 1 - q];
      offset += size == 1 ? 0 : coord * stride;
      stride *= size;
    }
  }
  return offset;
}

/// Batched matmul with broadcast batch dims; a rank-1 lhs is one row.
Tensor matmul(const Tensor &a, const Tensor &b,
              const std::vector<int64_t> &outShape) {
  Tensor out(outShape);
  size_t rank = outShape.size();
  int64_t n = rank >= 2 ? outShape[rank - 2] : 1, m = outShape.back();
  int64_t k = a.shape.back();
  std::vector<int64_t> outBatch(outShape.begin(),
                                outShape.end() - std::min<size_t>(rank, 2));
  auto batchDims = [](const std::vector<int64_t> &shape) {
    return std::vector<int64_t>(
        shape.begin(), shape.end() - std::min<size_t>(shape.size(), 2));
  };
  for (size_t batch = 0; batch < out.size() / (n * m); ++batch) {
    size_t aBase = batchOffset(batch, outBatch, batchDims(a.shape)) * n * k;
    size_t bBase = batchOffset(batch, outBatch, batchDims(b.shape)) * k * m;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < m; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q)
          acc += a[aBase + i * k + q] * b[bBase + q * m + j];
        out[(batch * n + i) * m + j] = acc;
      }
  }
  return out;
}

struct Case {
  std::string name, op, dtype;
  json lhs, rhs, out;
  bool bias = false;
  std::vector<std::map<std::string, int64_t>> runs = {{}};
  int panels = 0; // linear: weight given as [M / panels, K, panels]
};

/// A [K, M] weight as panels [M / P, K, P].
Tensor toPanels(const Tensor &weight, int64_t panel) {
  int64_t k = weight.shape[0], m = weight.shape[1];
  Tensor packed({m / panel, k, panel});
  for (int64_t p = 0; p < m / panel; ++p)
    for (int64_t r = 0; r < k; ++r)
      for (int64_t i = 0; i < panel; ++i)
        packed[(p * k + r) * panel + i] = weight[r * m + p * panel + i];
  return packed;
}

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

class ContractionTest : public ::testing::TestWithParam<Case> {};

TEST_P(ContractionTest, MatchesFloat64Reference) {
  const Case &tc = GetParam();
  bool linear = tc.op == "linear";
  GraphBuilder graph;
  int64_t a = graph.buffer(linear ? "x" : "lhs", tc.dtype, tc.lhs);
  json weightShape = tc.rhs;
  json attrs = json::object();
  if (tc.panels) {
    weightShape = {tc.rhs[1].get<int64_t>() / tc.panels, tc.rhs[0], tc.panels};
    attrs["weight_panels"] = tc.panels;
  }
  int64_t b = graph.buffer(linear ? "weight" : "rhs", tc.dtype, weightShape,
                           linear ? "weight" : "input");
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {linear ? "x" : "lhs", a}, {linear ? "weight" : "rhs", b}};
  if (tc.bias)
    inputs.push_back(
        {"bias", graph.buffer("bias", tc.dtype, json::array({tc.rhs.back()}),
                              "weight")});
  int64_t y = graph.buffer("y", tc.dtype, tc.out, "output");
  graph.kernel("k", tc.op, attrs, inputs, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(17);
  for (const auto &sizes : tc.runs) {
    std::vector<Tensor> args = {randomTensor(bindShape(tc.lhs, sizes), rng),
                                randomTensor(bindShape(tc.rhs, sizes), rng)};
    std::vector<int64_t> outShape = bindShape(tc.out, sizes);
    Tensor expected = matmul(args[0], args[1], outShape);
    if (tc.bias) {
      args.push_back(randomTensor({outShape.back()}, rng));
      for (size_t i = 0; i < expected.size(); ++i)
        expected[i] += args[2][i % outShape.back()];
    }
    if (tc.panels)
      args[1] = toPanels(args[1], tc.panels);
    double error = relativeL2(kernel.run(args, outShape), expected);
    std::printf("[ relative L2 ] %s %s: %.3g\n", tc.name.c_str(),
                json(sizes).dump().c_str(), error);
    EXPECT_LE(error, tc.dtype == "float64" ? 1e-12 : 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ContractionTest,
    ::testing::Values(Case{"linear_tiled_bias", "linear", "float32",
                           json{2, 7, 37}, json{37, 50}, json{2, 7, 50}, true},
                      // On the GPU, 1500 and 2000 rows take threads of
                      // 2 x 2 and 4 x 4 outputs, with partial row tiles.
                      Case{"linear_ffn_dynamic_rows",
                           "linear",
                           "float32",
                           json{"n", 144},
                           json{144, 576},
                           json{"n", 576},
                           true,
                           {{{"n", 1}},
                            {{"n", 7}},
                            {{"n", 130}},
                            {{"n", 1500}},
                            {{"n", 2000}}}},
                      // 144 outputs: three 48-column blocks over nine
                      // panels; 80: the last block shifted onto panels 2-4.
                      // On the GPU, 4000 rows: 4 x 4 per thread with a
                      // partial column tile.
                      Case{"linear_panels_dynamic_rows",
                           "linear",
                           "float32",
                           json{2, "n", 37},
                           json{37, 144},
                           json{2, "n", 144},
                           true,
                           {{{"n", 1}}, {{"n", 13}}, {{"n", 4000}}},
                           16},
                      Case{"linear_panels_shifted_block",
                           "linear",
                           "float32",
                           json{9, 21},
                           json{21, 80},
                           json{9, 80},
                           false,
                           {{}},
                           16},
                      // 128 outputs: two 64-column tiles of 4 x 6
                      // accumulators rather than three of 48 columns.
                      Case{"linear_four_vector_tiles",
                           "linear",
                           "float32",
                           json{2, "n", 23},
                           json{23, 128},
                           json{2, "n", 128},
                           true,
                           {{{"n", 1}}, {{"n", 13}}},
                           16},
                      Case{"linear_rank1_small", "linear", "float32", json{5},
                           json{5, 3}, json{3}},
                      Case{"linear_one_output", "linear", "float32",
                           json{3, 4, 9}, json{9, 1}, json{3, 4, 1}, true},
                      Case{"linear_float64",
                           "linear",
                           "float64",
                           json{"n", 11},
                           json{11, 20},
                           json{"n", 20},
                           true,
                           {{{"n", 13}}}},
                      Case{"matmul_shared_rhs", "matmul", "float32",
                           json{3, 7, 9}, json{9, 20}, json{3, 7, 20}},
                      Case{"matmul_broadcast_batch", "matmul", "float32",
                           json{2, 1, 5, 6}, json{3, 6, 33}, json{2, 3, 5, 33}},
                      Case{"matmul_dynamic_channels",
                           "matmul",
                           "float32",
                           json{4, 6},
                           json{6, "m"},
                           json{4, "m"},
                           false,
                           {{{"m", 1}}, {{"m", 19}}, {{"m", 40}}}},
                      // Attention scores over a run-time T: tiles of rows
                      // and a run-time column count, partial at both ends.
                      Case{"matmul_dynamic_scores",
                           "matmul",
                           "float32",
                           json{"b", 3, "n", 18},
                           json{"b", 3, 18, "n"},
                           json{"b", 3, "n", "n"},
                           false,
                           {{{"b", 1}, {"n", 1}},
                            {{"b", 2}, {"n", 7}},
                            {{"b", 1}, {"n", 33}},
                            {{"b", 2}, {"n", 130}}}},
                      Case{"matmul_dynamic_batch_rows",
                           "matmul",
                           "float32",
                           json{"b", "n", 12},
                           json{"b", 12, 17},
                           json{"b", "n", 17},
                           false,
                           {{{"b", 1}, {"n", 1}}, {{"b", 3}, {"n", 37}}}}),
    [](const auto &info) { return info.param.name; });

// Each thread tile fixed by the knob (on the GPU form: 1, 2 x 2, 4 x 4),
// on outputs smaller than one block (guarded), at least a block (the last
// block shifted inwards), and 144 columns, which no block width divides.
TEST(LinearThreadTileTest, MatchesFloat64ReferenceAtEveryOutputSize) {
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {"x", graph.buffer("x", "float32", {2, "n", 37})},
      {"weight", graph.buffer("weight", "float32", {37, 144}, "weight")},
      {"bias", graph.buffer("bias", "float32", {144}, "weight")}};
  graph.kernel("k", "linear", json::object(), inputs,
               graph.buffer("y", "float32", {2, "n", 144}, "output"));
  KernelGraph parsed = graph.parse();
  for (int tileLog2 : {0, 1, 2}) {
    ScheduleChoice schedule;
    schedule.knobs["thread_tile_log2"] = tileLog2;
    JitKernel kernel(parsed, 0, schedule);
    std::mt19937 rng(29);
    for (int64_t n : {1, 13, 40, 131}) {
      std::vector<int64_t> outShape = {2, n, 144};
      std::vector<Tensor> args = {randomTensor({2, n, 37}, rng, -1, 1),
                                  randomTensor({37, 144}, rng, -1, 1),
                                  randomTensor({144}, rng, -1, 1)};
      Tensor expected = matmul(args[0], args[1], outShape);
      for (size_t i = 0; i < expected.size(); ++i)
        expected[i] += args[2][i % 144];
      double error = relativeL2(kernel.run(args, outShape), expected);
      std::printf("[ relative L2 ] tile 2^%d n=%lld: %.3g\n", tileLog2,
                  static_cast<long long>(n), error);
      EXPECT_LE(error, 1e-5);
    }
  }
}

// The GPU form staged through shared memory (knob gemm_staging; the CPU
// form ignores it): a linear with a residual epilogue and a batched matmul,
// on rows short of one 64-row block, partial last blocks and several
// blocks, and m = 144, whose last 128-wide block shifts inwards.
TEST(SharedStagingTest, MatchesFloat64Reference) {
  ScheduleChoice schedule;
  schedule.knobs["gemm_staging"] = 1;
  std::mt19937 rng(31);
  {
    GraphBuilder graph;
    json out = {"b", "n", 144};
    std::vector<std::pair<std::string, int64_t>> inputs = {
        {"x", graph.buffer("x", "float32", {"b", "n", 48})},
        {"weight", graph.buffer("weight", "float32", {48, 144}, "weight")},
        {"bias", graph.buffer("bias", "float32", {144}, "weight")},
        {"e1", graph.buffer("residual", "float32", out)}};
    json epilogue = json::parse(R"([{"op": "add", "args": ["in1", "in0"]}])");
    graph.kernel("k", "linear", {{"epilogue", epilogue}}, inputs,
                 graph.buffer("y", "float32", out, "output"));
    JitKernel kernel(graph.parse(), 0, schedule);
    for (auto [b, n] :
         {std::pair<int64_t, int64_t>{1, 1}, {2, 13}, {2, 64}, {3, 131}}) {
      std::vector<int64_t> outShape = {b, n, 144};
      std::vector<Tensor> args = {randomTensor({b, n, 48}, rng, -1, 1),
                                  randomTensor({48, 144}, rng, -1, 1),
                                  randomTensor({144}, rng, -1, 1),
                                  randomTensor(outShape, rng, -1, 1)};
      Tensor expected = matmul(args[0], args[1], outShape);
      for (size_t i = 0; i < expected.size(); ++i)
        expected[i] += args[2][i % 144] + args[3][i];
      double error = relativeL2(kernel.run(args, outShape), expected);
      std::printf("[ relative L2 ] linear b=%lld n=%lld: %.3g\n",
                  static_cast<long long>(b), static_cast<long long>(n), error);
      EXPECT_LE(error, 1e-5);
    }
  }
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {"lhs", graph.buffer("a", "float32", {2, "n", 32})},
      {"rhs", graph.buffer("b", "float32", {2, 32, 256})}};
  graph.kernel("k", "matmul", json::object(), inputs,
               graph.buffer("y", "float32", {2, "n", 256}, "output"));
  JitKernel kernel(graph.parse(), 0, schedule);
  for (int64_t n : {7, 100}) {
    std::vector<int64_t> outShape = {2, n, 256};
    std::vector<Tensor> args = {randomTensor({2, n, 32}, rng, -1, 1),
                                randomTensor({2, 32, 256}, rng, -1, 1)};
    double error = relativeL2(kernel.run(args, outShape),
                              matmul(args[0], args[1], outShape));
    std::printf("[ relative L2 ] matmul n=%lld: %.3g\n",
                static_cast<long long>(n), error);
    EXPECT_LE(error, 1e-5);
  }
}

// y = residual + scale * silu(x W + b): the epilogue's product input, a
// same-shaped input and a broadcast scalar, on tiled and untiled outputs.
TEST(LinearEpilogueTest, MatchesFloat64Reference) {
  for (int64_t m : {50, 3}) {
    GraphBuilder graph;
    json rows = {"b", "n", 37}, out = {"b", "n", m};
    std::vector<std::pair<std::string, int64_t>> inputs = {
        {"x", graph.buffer("x", "float32", rows)},
        {"weight", graph.buffer("weight", "float32", {37, m}, "weight")},
        {"bias", graph.buffer("bias", "float32", {m}, "weight")},
        {"e1", graph.buffer("scale", "float32", {1}, "weight")},
        {"e2", graph.buffer("residual", "float32", out)}};
    json epilogue = json::parse(R"([
        {"op": "sigmoid", "args": ["in0"]},
        {"op": "mul", "args": ["in0", "t0"]},
        {"op": "mul", "args": ["t1", "in1"]},
        {"op": "add", "args": ["in2", "t2"]}])");
    graph.kernel("k", "linear", {{"epilogue", epilogue}}, inputs,
                 graph.buffer("y", "float32", out, "output"));
    JitKernel kernel(graph.parse());
    std::mt19937 rng(23);
    for (auto [b, n] : {std::pair<int64_t, int64_t>{1, 1}, {3, 37}, {2, 130}}) {
      std::vector<int64_t> outShape = {b, n, m};
      std::vector<Tensor> args = {
          randomTensor({b, n, 37}, rng, -1, 1),
          randomTensor({37, m}, rng, -1, 1), randomTensor({m}, rng, -1, 1),
          randomTensor({1}, rng), randomTensor(outShape, rng, -1, 1)};
      Tensor expected = matmul(args[0], args[1], outShape);
      for (size_t i = 0; i < expected.size(); ++i) {
        double h = expected[i] + args[2][i % m];
        expected[i] = args[4][i] + args[3][0] * h / (1 + std::exp(-h));
      }
      double error = relativeL2(kernel.run(args, outShape), expected);
      std::printf("[ relative L2 ] m=%lld b=%lld n=%lld: %.3g\n",
                  static_cast<long long>(m), static_cast<long long>(b),
                  static_cast<long long>(n), error);
      EXPECT_LE(error, 1e-5);
    }
  }
}

// Relative-position scores with the content scores added (Transformer-XL):
// y[b, h, i, j] = e[b, h, i, j] + sum_k q[b, h, i, k] p[0, h, k, j + T - 1 - i]
// over the 2T - 1 positions p shared by the batch: a static T = 128 over
// K = 32 (where the staged GPU GEMM would otherwise apply), and a run-time
// T (1, odd, past several register tiles) over K = 18.
TEST(MatmulRelativeShiftTest, MatchesFloat64Reference) {
  std::mt19937 rng(29);
  for (bool dynamic : {false, true}) {
    GraphBuilder graph;
    json tokens = dynamic ? json("t") : json(128);
    json positions = dynamic ? json("t_1") : json(255);
    int64_t depth = dynamic ? 18 : 32;
    if (dynamic)
      graph.relativeLength("t", "t_1");
    json scores = {"b", 3, tokens, tokens};
    std::vector<std::pair<std::string, int64_t>> inputs = {
        {"lhs", graph.buffer("q", "float32", {"b", 3, tokens, depth})},
        {"rhs", graph.buffer("p", "float32", {1, 3, depth, positions})},
        {"e1", graph.buffer("content", "float32", scores)}};
    graph.kernel(
        "k", "matmul",
        {{"relative_shift", true}, {"epilogue", json::parse(R"([{"op": "add",
                                               "args": ["in0", "in1"]}])")}},
        inputs, graph.buffer("y", "float32", scores, "output"));
    // The default tile, one vector by 8 rows, 3 x 6 in 64 tasks, and the
    // staged GPU form asked for (it does not apply: its tiles share
    // columns across rows).
    std::vector<ScheduleChoice> schedules(4);
    schedules[1].knobs = {{"vectors", 1}, {"row_tile", 8}};
    schedules[2].knobs = {{"vectors", 3}, {"row_tile", 6}, {"tasks", 64}};
    schedules[3].knobs = {{"gemm_staging", 1}};
    std::vector<std::pair<int64_t, int64_t>> sizes = {{2, 128}};
    if (dynamic)
      sizes = {{1, 1}, {2, 7}, {1, 70}};
    for (const ScheduleChoice &schedule : schedules) {
      JitKernel kernel(graph.parse(), 0, schedule);
      for (auto [b, t] : sizes) {
        std::vector<Tensor> args = {
            randomTensor({b, 3, t, depth}, rng, -1, 1),
            randomTensor({1, 3, depth, 2 * t - 1}, rng, -1, 1),
            randomTensor({b, 3, t, t}, rng, -1, 1)};
        Tensor expected({b, 3, t, t});
        for (int64_t r = 0; r < b * 3 * t; ++r) {
          int64_t i = r % t, h = r / t % 3;
          for (int64_t j = 0; j < t; ++j) {
            double sum = args[2][r * t + j];
            for (int64_t k = 0; k < depth; ++k)
              sum += args[0][r * depth + k] *
                     args[1][(h * depth + k) * (2 * t - 1) + j + t - 1 - i];
            expected[r * t + j] = sum;
          }
        }
        double error = relativeL2(kernel.run(args, {b, 3, t, t}), expected);
        std::printf("[ relative L2 ] b=%lld t=%lld: %.3g\n",
                    static_cast<long long>(b), static_cast<long long>(t),
                    error);
        EXPECT_LE(error, 1e-5);
      }
    }
  }
}

TEST(MatmulRelativeShiftTest, RejectsPositionsOtherThanTwiceTheRowsLessOne) {
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {"lhs", graph.buffer("q", "float32", {2, 5, 4})},
      {"rhs", graph.buffer("p", "float32", {4, 10})}};
  graph.kernel("k", "matmul", {{"relative_shift", true}}, inputs,
               graph.buffer("y", "float32", {2, 5, 5}, "output"));
  try {
    graph.parse();
    FAIL() << "expected a GraphError";
  } catch (const GraphError &error) {
    EXPECT_NE(std::string(error.what())
                  .find("relative_shift needs 2 x 5 - 1 rhs columns (twice "
                        "the lhs rows less one), got 10"),
              std::string::npos)
        << error.what();
  }
}

// Epilogue inputs must broadcast to the output.
TEST(LinearEpilogueTest, RejectsInputOfOtherShape) {
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {"x", graph.buffer("x", "float32", {"n", 4})},
      {"weight", graph.buffer("weight", "float32", {4, 6}, "weight")},
      {"e1", graph.buffer("other", "float32", {"n", 5})}};
  graph.kernel("k", "linear", {{"epilogue", json::parse(R"([{"op": "add",
                                              "args": ["in0", "in1"]}])")}},
               inputs, graph.buffer("y", "float32", {"n", 6}, "output"));
  try {
    graph.parse();
    FAIL() << "expected a GraphError";
  } catch (const GraphError &error) {
    EXPECT_NE(std::string(error.what())
                  .find("epilogue input 'e1' must be float32 and broadcast"),
              std::string::npos)
        << error.what();
  }
}

/// The error parsing a one-linear graph raises, or "" when it parses.
std::string linearGraphError(const json &weightShape, const json &outShape) {
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {"x", graph.buffer("x", "float32", {"n", 4})},
      {"weight", graph.buffer("weight", "float32", weightShape, "weight")}};
  graph.kernel("k", "linear", {{"weight_panels", 16}}, inputs,
               graph.buffer("y", "float32", outShape, "output"));
  try {
    graph.parse();
    return "";
  } catch (const GraphError &error) {
    return error.what();
  }
}

TEST(LinearPanelsTest, ChecksPanelShapeAgainstTheOutput) {
  EXPECT_EQ(linearGraphError({2, 4, 16}, {"n", 32}), "");
  EXPECT_NE(linearGraphError({4, 32}, {"n", 32})
                .find("has shape [4, 32], expected [2, 4, 16]"),
            std::string::npos);
  EXPECT_NE(linearGraphError({2, 4, 16}, {"n", 24})
                .find("weight_panels 16 needs a static M that it divides"),
            std::string::npos);
}

} // namespace
} // namespace hmc::halide::test
