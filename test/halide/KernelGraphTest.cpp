// Kernel graph parsing and validation: a malformed graph is rejected with a
// message naming the kernel or buffer and what is wrong.
#include "HyperMixReference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hmc::halide::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// x [n, 12] -> linear [12, 5] + bias -> y [n, 5].
GraphBuilder linearGraph() {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", {"n", 12});
  int64_t w = graph.buffer("w", "float32", {12, 5}, "weight");
  int64_t b = graph.buffer("b", "float32", {5}, "weight");
  int64_t y = graph.buffer("y", "float32", {"n", 5}, "output");
  graph.kernel("lin", "linear", json::object(),
               {{"x", x}, {"weight", w}, {"bias", b}}, y);
  return graph;
}

/// The message of the GraphError `graph` raises ("" if it parses).
std::string errorOf(const json &graph) {
  try {
    parseKernelGraph(graph);
  } catch (const GraphError &error) {
    return error.what();
  }
  return "";
}

TEST(KernelGraphTest, ParsesAValidGraph) {
  KernelGraph graph = linearGraph().parse();
  ASSERT_EQ(graph.kernels.size(), 1u);
  EXPECT_EQ(graph.kernels[0].op, "linear");
  EXPECT_EQ(formatShape(graph.buffer(0).shape), "[n, 12]");
  EXPECT_EQ(graph.target, "host");
}

TEST(KernelGraphTest, RejectsWrongFormatAndVersion) {
  json graph = linearGraph().raw();
  graph["format"] = "onnx";
  EXPECT_THAT(errorOf(graph), HasSubstr("\"hmc.kernel_graph\""));
  graph = linearGraph().raw();
  graph["version"] = 2;
  EXPECT_THAT(errorOf(graph), HasSubstr("unsupported version 2"));
}

TEST(KernelGraphTest, RejectsMalformedBuffers) {
  json graph = linearGraph().raw();
  graph["buffers"][1]["id"] = 0;
  EXPECT_THAT(errorOf(graph), HasSubstr("duplicate buffer id 0"));
  graph = linearGraph().raw();
  graph["buffers"][0]["shape"][0] = "batch";
  EXPECT_THAT(errorOf(graph),
              HasSubstr("buffer 0 ('x'): shape entry 0 names unknown symbol "
                        "'batch'"));
  graph = linearGraph().raw();
  graph["buffers"][0]["dtype"] = "float16";
  EXPECT_THAT(errorOf(graph), HasSubstr("unknown dtype 'float16'"));
  graph = linearGraph().raw();
  graph["buffers"][1]["bytes"] = 12;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("buffer 1 ('w'): field 'bytes' is 12 but shape [12, "
                        "5] of float32 needs 240"));
  graph = linearGraph().raw();
  graph["buffers"][0]["shape"] = {50000, 50000};
  EXPECT_THAT(errorOf(graph), HasSubstr("has more than 2^31 - 1 elements"));
  graph = linearGraph().raw();
  graph["buffers"][2].erase("storage");
  EXPECT_THAT(errorOf(graph), HasSubstr("missing field 'storage'"));
}

TEST(KernelGraphTest, RejectsBadKernels) {
  json graph = linearGraph().raw();
  graph["kernels"][0]["op"] = "fft";
  EXPECT_THAT(errorOf(graph), HasSubstr("kernel 'lin' (fft): unknown op"));
  graph = linearGraph().raw();
  graph["kernels"][0]["name"] = "halide_k";
  EXPECT_THAT(errorOf(graph), HasSubstr("must be a C identifier"));
  graph = linearGraph().raw();
  graph["kernels"][0]["inputs"][0]["buffer"] = 42;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("kernel 'lin': inputs 'x' refers to unknown buffer "
                        "42"));
  graph = linearGraph().raw();
  graph["kernels"][0]["outputs"][0]["buffer"] = 0;
  EXPECT_THAT(errorOf(graph), HasSubstr("storage is read-only"));
}

TEST(KernelGraphTest, ChecksOperandsAgainstTheOp) {
  json graph = linearGraph().raw();
  graph["kernels"][0]["inputs"][0]["role"] = "input";
  EXPECT_THAT(errorOf(graph),
              HasSubstr("kernel 'lin' (linear): inputs are (input, weight, "
                        "bias) but expected (x, weight, bias)"));
  graph = linearGraph().raw();
  graph["buffers"][1]["shape"] = {13, 5};
  graph["buffers"][1]["bytes"] = 260;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("input 'weight' (buffer 1) has shape [13, 5], "
                        "expected [12, 5]"));
  graph = linearGraph().raw();
  graph["buffers"][3]["shape"] = {"n", 6};
  EXPECT_THAT(errorOf(graph),
              HasSubstr("output 'y' (buffer 3) has shape [n, 6], expected "
                        "[n, 5]"));
  graph = linearGraph().raw();
  graph["buffers"][3]["dtype"] = "float64";
  EXPECT_THAT(errorOf(graph),
              HasSubstr("output 'y' has dtype float64, expected float32"));
}

TEST(KernelGraphTest, BroadcastingFollowsNumPy) {
  Dim n{0, "n"};
  auto dim = [](int64_t size) { return Dim{size, ""}; };
  EXPECT_EQ(broadcastShapes({dim(3), dim(1), dim(5)}, {dim(4), dim(1)}),
            (Shape{dim(3), dim(4), dim(5)}));
  EXPECT_EQ(broadcastShapes({n, dim(7)}, {dim(7)}), (Shape{n, dim(7)}));
  EXPECT_EQ(broadcastShapes({n, dim(1)}, {dim(1), dim(3)}), (Shape{n, dim(3)}));
  EXPECT_FALSE(broadcastShapes({n}, {dim(4)}));
  EXPECT_FALSE(broadcastShapes({dim(3)}, {dim(4)}));

  GraphBuilder graph;
  int64_t a = graph.buffer("a", "float32", {3, 4});
  int64_t b = graph.buffer("b", "float32", {5});
  int64_t y = graph.buffer("y", "float32", {3, 4}, "output");
  graph.kernel("add0", "add", json::object(), {{"lhs", a}, {"rhs", b}}, y);
  EXPECT_THAT(errorOf(graph.raw()),
              HasSubstr("kernel 'add0' (add): shapes [3, 4] and [5] do not "
                        "broadcast"));
}

TEST(KernelGraphTest, RepeatedKernelNamesMustShareASignature) {
  GraphBuilder graph = linearGraph();
  json call = graph.raw()["kernels"][0];
  graph.raw()["kernels"].push_back(call);
  EXPECT_EQ(graph.parse().kernels.size(), 1u);

  int64_t z = graph.buffer("z", "float32", {"n", 12});
  call["inputs"][0]["buffer"] = z;
  graph.raw()["kernels"].push_back(call);
  EXPECT_NO_THROW(graph.parse());

  call["attrs"] = {{"unused", 1}};
  graph.raw()["kernels"].push_back(call);
  EXPECT_THAT(errorOf(graph.raw()),
              HasSubstr("kernel 'lin' is called again with a different op, "
                        "attributes or operand dtypes and shapes"));
}

TEST(KernelGraphTest, ValidatesHyperMix) {
  HyperMixConfig config;
  config.mask = MaskKind::Binary;
  config.layerNorm = true;
  EXPECT_NO_THROW(hyperMixGraph(config).parse());

  json graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["heads"] = 5;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("kernel 'mix' (hyper_mix): d = 12 is not divisible "
                        "by heads = 5"));

  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["tied"] = true;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("but has_keys=false, has_mask=true, "
                        "has_key_mask=false, tied=true, layer_norm=true, "
                        "has_position_table=false expected (x, mask, A1, a1, "
                        "C1, c1, gamma, beta)"));

  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["hidden"] = 7;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("input 'A1' (buffer 2) has shape [2, 6, 6], expected "
                        "[2, 7, 6]"));

  // hypernetwork_panels P: A_i [h, f / P, d_h, P], C_i [h, k_h / P, f, P],
  // P dividing f = 6 (and k_h = 4, by the shape).
  HyperMixConfig panels = config;
  panels.hypernetworkPanels = 2;
  EXPECT_NO_THROW(hyperMixGraph(panels).parse());
  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["hypernetwork_panels"] = 2;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("input 'C1' must be [h, k_h / P, f, P] with a static "
                        "k_h, got [2, 4, 6]"));
  graph = hyperMixGraph(panels).raw();
  graph["kernels"][0]["attrs"]["hypernetwork_panels"] = 4;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("hypernetwork_panels 4 does not divide hidden = 6"));
  graph = hyperMixGraph(panels).raw();
  graph["buffers"][2]["shape"] = {2, 6, 3, 2};
  EXPECT_THAT(errorOf(graph),
              HasSubstr("input 'A1' (buffer 2) has shape [2, 6, 3, 2], "
                        "expected [2, 3, 6, 2]"));

  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["algorithm"] = "fast";
  EXPECT_THAT(errorOf(graph),
              HasSubstr("attribute 'algorithm' must be one of (reassociated, "
                        "two_phase), got \"fast\""));

  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"].erase("layer_norm");
  EXPECT_THAT(errorOf(graph), HasSubstr("missing attribute 'layer_norm'"));

  graph = hyperMixGraph(config).raw();
  graph["buffers"][1]["shape"] = {"batch", 3};
  EXPECT_THAT(errorOf(graph),
              HasSubstr("input 'mask' (buffer 1) has shape [batch, 3], "
                        "expected [batch, seq]"));

  // Cross mixing: values of the keys' length, a key mask only with keys.
  HyperMixConfig cross = config;
  cross.keyTokens = 9;
  cross.keyMask = MaskKind::Binary;
  EXPECT_NO_THROW(hyperMixGraph(cross).parse());
  graph = hyperMixGraph(cross).raw();
  graph["buffers"][2]["shape"] = {"batch", "seq", 12};
  EXPECT_THAT(errorOf(graph),
              HasSubstr("input 'values' (buffer 2) has shape [batch, seq, 12], "
                        "expected [batch, keys, 12]"));
  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["has_key_mask"] = true;
  EXPECT_THAT(errorOf(graph), HasSubstr("has_key_mask needs has_keys"));

  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["has_position_table"] = true;
  EXPECT_THAT(errorOf(graph), HasSubstr("has_position_table needs positional = "
                                        "\"sinusoidal\""));

  // An epilogue reads inputs e1, ... that broadcast to the output: the
  // residual x, not the [batch, seq] mask.
  graph = hyperMixGraph(config).raw();
  graph["kernels"][0]["attrs"]["epilogue"] =
      json::parse(R"([{"op": "add", "args": ["in1", "in0"]}])");
  graph["kernels"][0]["inputs"].push_back({{"role", "e1"}, {"buffer", 0}});
  EXPECT_EQ(errorOf(graph), "");
  graph["kernels"][0]["inputs"].back()["buffer"] = 1;
  EXPECT_THAT(errorOf(graph),
              HasSubstr("epilogue input 'e1' must be float32 and broadcast to "
                        "the output's [batch, seq, 12], got float32 [batch, "
                        "seq]"));
  graph["kernels"][0]["attrs"].erase("epilogue");
  EXPECT_THAT(errorOf(graph), HasSubstr("expected (x, mask, A1, a1, C1, c1, "
                                        "A2, a2, C2, c2, gamma, beta)"));
}

TEST(KernelGraphTest, LoadReportsIoAndJsonErrors) {
  EXPECT_THROW(loadKernelGraph("/nonexistent/graph.json"), GraphError);
  try {
    loadKernelGraph("/nonexistent/graph.json");
  } catch (const GraphError &error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot open kernel graph"));
  }
}

} // namespace
} // namespace hmc::halide::test
