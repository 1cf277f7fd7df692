// conv against a float64 direct convolution: the Conformer/HyperConformer
// configurations (2-D 3x3 stride-2 front-end, 1-D pointwise, 1-D depthwise
// k=31) and odd generic ones (groups, dilation, asymmetric pads, reflect
// padding).
#include "TestUtil.h"

#include <gtest/gtest.h>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  json x, weight, out;
  std::vector<int64_t> strides, dilations, pads;
  int64_t groups = 1;
  bool bias = true;
  std::vector<std::map<std::string, int64_t>> runs = {{}};
  /// Derived output symbols: name -> {base, add, div, post}.
  std::map<std::string, json> derived = {};
  bool reflect = false; // pad_mode reflect instead of zero padding
  /// A folded layer norm over (C_out, W) in gamma's order ([3, 1] or
  /// [1, 3]) with a LeakyReLU epilogue; none when empty.
  std::vector<int64_t> normDims = {};
  /// The kernel reads x [B, S, C] and writes [B, O, C] (x, weight and out
  /// above stay channels-first, as the reference computes).
  bool channelsLast = false;
};

/// [B, A, C] -> [B, C, A].
Tensor swapLastTwo(const Tensor &t) {
  int64_t batch = t.shape[0], rows = t.shape[1], cols = t.shape[2];
  Tensor out({batch, cols, rows});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        out[(b * cols + c) * rows + r] = t[(b * rows + r) * cols + c];
  return out;
}

json swapLastTwo(json shape) {
  std::swap(shape[1], shape[2]);
  return shape;
}

/// Index `i` of a dim of size `n` under reflect padding.
int64_t reflected(int64_t i, int64_t n) {
  return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
}

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

/// out[b, co, o...] = bias[co] + sum x[b, g C_in/g + ci, o s + k d - pad] w.
Tensor conv(const Case &tc, const Tensor &x, const Tensor &w,
            const Tensor *bias, const std::vector<int64_t> &outShape) {
  size_t spatial = x.shape.size() - 2;
  // Treat 1-D as 2-D with a unit height.
  auto dim = [&](const std::vector<int64_t> &shape, size_t i) {
    return spatial == 1 ? (i == 0 ? 1 : shape[2]) : shape[2 + i];
  };
  auto attr = [&](const std::vector<int64_t> &values, size_t i, int64_t unit) {
    return spatial == 1 ? (i == 0 ? unit : values[0]) : values[i];
  };
  int64_t batch = x.shape[0], cin = x.shape[1], cout = w.shape[0];
  int64_t groupIn = w.shape[1], groupOut = cout / tc.groups;
  Tensor out(outShape);
  size_t index = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t co = 0; co < cout; ++co)
      for (int64_t oh = 0; oh < dim(outShape, 0); ++oh)
        for (int64_t ow = 0; ow < dim(outShape, 1); ++ow) {
          double acc = bias ? (*bias)[co] : 0;
          for (int64_t ci = 0; ci < groupIn; ++ci)
            for (int64_t kh = 0; kh < dim(w.shape, 0); ++kh)
              for (int64_t kw = 0; kw < dim(w.shape, 1); ++kw) {
                int64_t h = oh * attr(tc.strides, 0, 1) +
                            kh * attr(tc.dilations, 0, 1) - attr(tc.pads, 0, 0);
                int64_t wc = ow * attr(tc.strides, 1, 1) +
                             kw * attr(tc.dilations, 1, 1) -
                             (spatial == 1 ? tc.pads[0] : tc.pads[1]);
                if (tc.reflect) {
                  h = reflected(h, dim(x.shape, 0));
                  wc = reflected(wc, dim(x.shape, 1));
                }
                if (h < 0 || h >= dim(x.shape, 0) || wc < 0 ||
                    wc >= dim(x.shape, 1))
                  continue;
                int64_t c = co / groupOut * groupIn + ci;
                acc +=
                    x[((b * cin + c) * dim(x.shape, 0) + h) * dim(x.shape, 1) +
                      wc] *
                    w[((co * groupIn + ci) * dim(w.shape, 0) + kh) *
                          dim(w.shape, 1) +
                      kw];
              }
          out[index++] = acc;
        }
  return out;
}

/// leaky_relu(layer norm over (C, W) per (b, h)) of a [B, C, H, W] conv
/// output, in place; gamma and beta are [W, C] for normDims [3, 1], else
/// [C, W].
void normalizeRows(Tensor &out, const Tensor &gamma, const Tensor &beta,
                   const std::vector<int64_t> &normDims) {
  int64_t channels = out.shape[1], rows = out.shape[2], cols = out.shape[3];
  double count = double(channels * cols);
  for (int64_t b = 0; b < out.shape[0]; ++b)
    for (int64_t h = 0; h < rows; ++h) {
      auto at = [&](int64_t c, int64_t w) -> double & {
        return out[((b * channels + c) * rows + h) * cols + w];
      };
      double sum = 0, squares = 0;
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t w = 0; w < cols; ++w)
          sum += at(c, w);
      double mean = sum / count;
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t w = 0; w < cols; ++w)
          squares += (at(c, w) - mean) * (at(c, w) - mean);
      double rstd = 1 / std::sqrt(squares / count + 1e-5);
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t w = 0; w < cols; ++w) {
          size_t affine = normDims[0] == 3 ? w * channels + c : c * cols + w;
          double y = (at(c, w) - mean) * rstd * gamma[affine] + beta[affine];
          at(c, w) = y < 0 ? 0.01 * y : y;
        }
    }
}

/// Compiles the case's kernel once and returns its relative L2 error
/// against the float64 reference for each of its runs.
std::vector<double> runCase(const Case &tc) {
  GraphBuilder graph;
  int64_t x =
      graph.buffer("x", "float32", tc.channelsLast ? swapLastTwo(tc.x) : tc.x);
  // Derived symbols follow their base, which x introduces.
  for (const auto &[name, rule] : tc.derived)
    graph.raw()["symbols"].push_back(
        {{"name", name}, {"min", 1}, {"max", 1 << 20}, {"derived", rule}});
  int64_t w = graph.buffer("weight", "float32", tc.weight, "weight");
  std::vector<std::pair<std::string, int64_t>> inputs = {{"x", x},
                                                         {"weight", w}};
  if (tc.bias)
    inputs.push_back({"bias", graph.buffer("bias", "float32",
                                           json{tc.weight[0]}, "weight")});
  json attrs = {{"strides", tc.strides},
                {"dilations", tc.dilations},
                {"pads", tc.pads},
                {"groups", tc.groups}};
  std::vector<int64_t> normShape;
  if (!tc.normDims.empty()) {
    for (int64_t d : tc.normDims)
      normShape.push_back(tc.out[d].get<int64_t>());
    for (const char *role : {"gamma", "beta"})
      inputs.push_back(
          {role, graph.buffer(role, "float32", normShape, "weight")});
    attrs["norm_dims"] = tc.normDims;
    attrs["eps"] = 1e-5;
    attrs["epilogue"] = json::parse(R"([{"op": "leaky_relu",
        "args": ["in0"], "attrs": {"alpha": 0.01}}])");
  }
  if (tc.reflect)
    attrs["pad_mode"] = "reflect";
  if (tc.channelsLast)
    attrs["channels_last"] = true;
  int64_t y = graph.buffer(
      "y", "float32", tc.channelsLast ? swapLastTwo(tc.out) : tc.out, "output");
  graph.kernel("k", "conv", attrs, inputs, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(51);
  std::vector<double> errors;
  for (const auto &sizes : tc.runs) {
    std::vector<Tensor> args = {randomTensor(bindShape(tc.x, sizes), rng),
                                randomTensor(bindShape(tc.weight, {}), rng)};
    if (tc.bias)
      args.push_back(randomTensor({tc.weight[0].get<int64_t>()}, rng));
    if (!tc.normDims.empty())
      for (int i = 0; i < 2; ++i)
        args.push_back(randomTensor(normShape, rng));
    std::map<std::string, int64_t> all = sizes;
    for (const auto &[name, rule] : tc.derived)
      all[name] = (sizes.at(rule["base"]) + rule["add"].get<int64_t>()) /
                      rule["div"].get<int64_t>() +
                  rule["post"].get<int64_t>();
    std::vector<int64_t> outShape = bindShape(tc.out, all);
    Tensor expected =
        conv(tc, args[0], args[1], tc.bias ? &args[2] : nullptr, outShape);
    if (!tc.normDims.empty())
      normalizeRows(expected, args[args.size() - 2], args.back(), tc.normDims);
    if (tc.channelsLast) {
      args[0] = swapLastTwo(args[0]);
      expected = swapLastTwo(expected);
      std::swap(outShape[1], outShape[2]);
    }
    errors.push_back(relativeL2(kernel.run(args, outShape), expected));
  }
  return errors;
}

class ConvolutionTest : public ::testing::TestWithParam<Case> {};

TEST_P(ConvolutionTest, MatchesFloat64Reference) {
  const Case &tc = GetParam();
  std::vector<double> errors = runCase(tc);
  for (size_t i = 0; i < errors.size(); ++i) {
    std::printf("[ relative L2 ] %s %s: %.3g\n", tc.name.c_str(),
                json(tc.runs[i]).dump().c_str(), errors[i]);
    EXPECT_LE(errors[i], 1e-5);
  }
}

// Strided 2-D convolutions over every input width up to 40: rows narrower
// than a vector, and rows whose last vector is partial, once crashed.
TEST(ConvolutionTest, StridedRowsOfEveryWidth) {
  struct Config {
    int64_t stride, kernel, pad, channels, outChannels, groups;
  };
  for (Config c : {Config{2, 3, 1, 3, 3, 3}, Config{3, 1, 1, 17, 17, 17},
                   Config{2, 5, 2, 1, 4, 1}, Config{2, 3, 1, 3, 6, 3}})
    for (int64_t width = 1; width <= 40; ++width) {
      int64_t outWidth = (width + 2 * c.pad - c.kernel) / c.stride + 1;
      int64_t outHeight = (5 + 2 * c.pad - c.kernel) / c.stride + 1;
      if (outWidth < 1)
        continue;
      Case tc{"strided",
              json{2, c.channels, 5, width},
              json{c.outChannels, c.channels / c.groups, c.kernel, c.kernel},
              json{2, c.outChannels, outHeight, outWidth},
              {c.stride, c.stride},
              {1, 1},
              {c.pad, c.pad, c.pad, c.pad},
              c.groups};
      EXPECT_LE(runCase(tc)[0], 1e-5)
          << "stride " << c.stride << ", kernel " << c.kernel << ", groups "
          << c.groups << ", width " << width;
    }
}

// The pointwise form (and its tuning knobs) is a matmul over channels: a
// width-1 kernel at stride 1, unpadded, one group.
TEST(ConvolutionTest, PointwiseFormNeedsStrideOneNoPadsOneGroup) {
  struct Config {
    int64_t width, stride, pad, groups;
    bool pointwise;
  };
  for (Config c : {Config{1, 1, 0, 1, true}, Config{3, 1, 0, 1, false},
                   Config{1, 2, 0, 1, false}, Config{1, 1, 1, 1, false},
                   Config{1, 1, 0, 4, false}}) {
    GraphBuilder graph;
    std::vector<std::pair<std::string, int64_t>> inputs = {
        {"x", graph.buffer("x", "float32", {1, 8, 20})},
        {"weight", graph.buffer("weight", "float32", {8, 8 / c.groups, c.width},
                                "weight")}};
    int64_t outWidth = (20 + 2 * c.pad - c.width) / c.stride + 1;
    graph.kernel("k", "conv",
                 {{"strides", {c.stride}},
                  {"dilations", {1}},
                  {"pads", {c.pad, c.pad}},
                  {"groups", c.groups}},
                 inputs,
                 graph.buffer("y", "float32", {1, 8, outWidth}, "output"));
    KernelGraph parsed = graph.parse();
    EXPECT_EQ(isPointwiseConv(KernelView(parsed, parsed.kernels[0])),
              c.pointwise)
        << "width " << c.width << ", stride " << c.stride << ", pad " << c.pad
        << ", groups " << c.groups;
  }
}

struct ConvShapes {
  json x = {1, 2, 8, 8}, weight = {4, 2, 3, 3}, y = {1, 4, 6, 6};
  json attrs = {{"strides", {1, 1}},
                {"dilations", {1, 1}},
                {"pads", {0, 0, 0, 0}},
                {"groups", 1}};
};

/// The error parsing a conv (by default 2-D) with these extra attributes,
/// or "".
std::string convGraphError(const json &extra, const ConvShapes &conv = {}) {
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> inputs = {
      {"x", graph.buffer("x", "float32", conv.x)},
      {"weight", graph.buffer("weight", "float32", conv.weight, "weight")}};
  if (extra.contains("norm_dims"))
    for (const char *role : {"gamma", "beta"})
      inputs.push_back({role, graph.buffer(role, "float32", {6, 4}, "weight")});
  json attrs = conv.attrs;
  attrs.update(extra);
  graph.kernel("k", "conv", attrs, inputs,
               graph.buffer("y", "float32", conv.y, "output"));
  try {
    graph.parse();
    return "";
  } catch (const GraphError &error) {
    return error.what();
  }
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(ConvolutionTest, ChecksFoldedLayerNorm) {
  EXPECT_EQ(convGraphError({{"norm_dims", {3, 1}}, {"eps", 1e-5}}), "");
  EXPECT_TRUE(contains(convGraphError({{"norm_dims", {2, 1}}, {"eps", 1e-5}}),
                       "attribute 'norm_dims' must be [1, 3] or [3, 1]"));
  EXPECT_TRUE(contains(convGraphError({{"norm_dims", {1, 3}}, {"eps", 1e-5}}),
                       "has shape [6, 4], expected [4, 6]"));
  EXPECT_TRUE(contains(convGraphError({{"epilogue", json::parse(R"([{"op":
                                   "relu", "args": ["in0"]}])")}}),
                       "an epilogue needs 'norm_dims'"));
  EXPECT_TRUE(
      contains(convGraphError({{"eps", 1e-5}}), "'eps' needs 'norm_dims'"));
}

TEST(ConvolutionTest, ChecksChannelsLast) {
  ConvShapes depthwise{{1, 9, 4}, {4, 1, 3}, {1, 9, 4}};
  depthwise.attrs = {
      {"strides", {1}}, {"dilations", {1}}, {"pads", {1, 1}}, {"groups", 4}};
  EXPECT_EQ(convGraphError({{"channels_last", true}}, depthwise), "");
  EXPECT_TRUE(contains(convGraphError({{"channels_last", true}}),
                       "channels_last needs a 1-D conv"));
  EXPECT_TRUE(contains(
      convGraphError({{"channels_last", true}, {"pad_mode", "reflect"}},
                     depthwise),
      "channels_last supports zero padding only"));
  ConvShapes dense = depthwise;
  dense.weight = {4, 4, 3};
  dense.attrs["groups"] = 1;
  EXPECT_TRUE(contains(convGraphError({{"channels_last", true}}, dense),
                       "channels_last needs a depthwise conv"));
  // The result is [B, O, C]: channels-first shapes are refused.
  ConvShapes firstLayout = depthwise;
  firstLayout.y = {1, 4, 9};
  EXPECT_TRUE(contains(
      convGraphError({{"channels_last", true}}, firstLayout),
      "output 'y' (buffer 2) has shape [1, 4, 9]: spatial dim 0 does not "
      "match input [1, 9, 4]"));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, ConvolutionTest,
    ::testing::Values(
        Case{"frontend1_3x3_s2",
             json{2, 1, 23, 80},
             json{64, 1, 3, 3},
             json{2, 64, 12, 40},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1}},
        Case{"frontend1_dynamic_time",
             json{2, 1, "t", 80},
             json{64, 1, 3, 3},
             json{2, 64, "t2", 40},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"t", 1}}, {{"t", 2}}, {{"t", 24}}},
             {{"t2", {{"base", "t"}, {"add", -1}, {"div", 2}, {"post", 1}}}}},
        // Rows narrower than a vector (10 and 15 columns) and few channels:
        // odd vector widths over a strided, zero-padded input.
        Case{"narrow_10_columns_s2",
             json{2, 1, "t", 20},
             json{4, 1, 3, 3},
             json{2, 4, "t2", 10},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"t", 1}}, {{"t", 7}}, {{"t", 24}}},
             {{"t2", {{"base", "t"}, {"add", -1}, {"div", 2}, {"post", 1}}}}},
        Case{"narrow_15_columns_s2",
             json{3, 2, 9, 30},
             json{8, 2, 3, 3},
             json{3, 8, 5, 15},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1}},
        Case{"depthwise_1x1_s2_9_columns",
             json{1, 3, 8, 15},
             json{3, 1, 1, 1},
             json{1, 3, 5, 9},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             3},
        Case{"frontend2_3x3_s2",
             json{2, 64, 12, 40},
             json{32, 64, 3, 3},
             json{2, 32, 6, 20},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1}},
        // 20 columns: vectorised over output channels instead, reading x in
        // place.
        Case{"frontend2_unpadded_dynamic_time",
             json{2, 64, "t", 42},
             json{32, 64, 3, 3},
             json{2, 32, "t2", 20},
             {2, 2},
             {1, 1},
             {0, 0, 0, 0},
             1,
             true,
             {{{"t", 3}}, {{"t", 8}}, {{"t", 41}}},
             {{"t2", {{"base", "t"}, {"add", -3}, {"div", 2}, {"post", 1}}}}},
        // No pads and no channel vectors: staged rows that round up past
        // the row's end keep their reads guarded.
        Case{"unpadded_s2_31_columns",
             json{1, 2, 5, 31},
             json{4, 2, 3, 3},
             json{1, 4, 2, 15},
             {2, 2},
             {1, 1},
             {0, 0, 0, 0}},
        Case{"unpadded_dense_1d",
             json{2, 3, 22},
             json{5, 3, 3},
             json{2, 5, 20},
             {1},
             {1},
             {0, 0}},
        Case{"pointwise_144",
             json{2, 144, "t"},
             json{288, 144, 1},
             json{2, 288, "t"},
             {1},
             {1},
             {0, 0},
             1,
             true,
             {{{"t", 1}}, {{"t", 37}}, {{"t", 130}}}},
        Case{"pointwise_256_no_bias",
             json{2, 256, "t"},
             json{512, 256, 1},
             json{2, 512, "t"},
             {1},
             {1},
             {0, 0},
             1,
             false,
             {{{"t", 75}}}},
        Case{"depthwise_144_k31",
             json{2, 144, "t"},
             json{144, 1, 31},
             json{2, 144, "t"},
             {1},
             {1},
             {15, 15},
             144,
             true,
             {{{"t", 1}}, {{"t", 20}}, {{"t", 97}}}},
        Case{"depthwise_256_k31_static",
             json{2, 256, 75},
             json{256, 1, 31},
             json{2, 256, 75},
             {1},
             {1},
             {15, 15},
             256},
        Case{"grouped_dilated_1d",
             json{2, 6, 29},
             json{4, 3, 5},
             json{2, 4, 13},
             {2},
             {2},
             {3, 1},
             2,
             false},
        Case{"same_2d_dynamic_width",
             json{2, 3, 7, "w"},
             json{5, 3, 3, 3},
             json{2, 5, 7, "w"},
             {1, 1},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"w", 1}}, {{"w", 19}}}},
        // Reflect padding (a folded reflect pad kernel): the front-end's
        // convs over dynamic time from the shortest input reflect allows,
        // asymmetric pads, and a depthwise conv (built by the direct form).
        Case{"frontend1_reflect_dynamic_time",
             json{2, 1, "t", 80},
             json{64, 1, 3, 3},
             json{2, 64, "t2", 40},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"t", 2}}, {{"t", 3}}, {{"t", 24}}},
             {{"t2", {{"base", "t"}, {"add", -1}, {"div", 2}, {"post", 1}}}},
             true},
        Case{"frontend2_reflect_dynamic_time",
             json{2, 64, "t", 40},
             json{32, 64, 3, 3},
             json{2, 32, "t2", 20},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"t", 2}}, {{"t", 9}}, {{"t", 41}}},
             {{"t2", {{"base", "t"}, {"add", -1}, {"div", 2}, {"post", 1}}}},
             true},
        Case{"reflect_asymmetric_2d",
             json{1, 3, 9, 30},
             json{4, 3, 3, 3},
             json{1, 4, 10, 31},
             {1, 1},
             {1, 1},
             {2, 1, 1, 2},
             1,
             true,
             {{}},
             {},
             true},
        Case{"depthwise_reflect_k5",
             json{2, 16, "t"},
             json{16, 1, 5},
             json{2, 16, "t"},
             {1},
             {1},
             {2, 2},
             16,
             true,
             {{{"t", 3}}, {{"t", 20}}},
             {},
             true},
        // A layer norm over (channels, columns) folded in (norm_dims) with
        // its LeakyReLU epilogue: reflect padding over dynamic time, 20
        // columns (vectorised over channels) with gamma [C, W], stride 1.
        Case{"frontend1_norm",
             json{2, 1, "t", 80},
             json{64, 1, 3, 3},
             json{2, 64, "t2", 40},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"t", 2}}, {{"t", 37}}},
             {{"t2", {{"base", "t"}, {"add", -1}, {"div", 2}, {"post", 1}}}},
             true,
             {3, 1}},
        Case{"frontend2_norm",
             json{2, 8, 9, 40},
             json{32, 8, 3, 3},
             json{2, 32, 5, 20},
             {2, 2},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{}},
             {},
             false,
             {1, 3}},
        // 20 columns over 16 channels read in place through the mirror
        // (no staged rows), stride 1, dynamic time, the norm folded in.
        Case{"reflect_s1_by_channel_norm",
             json{2, 8, "t", 20},
             json{16, 8, 3, 3},
             json{2, 16, "t", 20},
             {1, 1},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{{"t", 2}}, {{"t", 3}}, {{"t", 29}}},
             {},
             true,
             {1, 3}},
        // Channels-last depthwise convs (a conv module without its
        // transposes): the HyperConformer's from one frame up, channels
        // that fill no vector (20) or less than one (7), stride and
        // dilation with asymmetric pads, no bias.
        Case{"depthwise_144_k31_channels_last",
             json{2, 144, "t"},
             json{144, 1, 31},
             json{2, 144, "t"},
             {1},
             {1},
             {15, 15},
             144,
             true,
             {{{"t", 1}}, {{"t", 20}}, {{"t", 97}}},
             {},
             false,
             {},
             true},
        Case{"depthwise_20_k5_strided_dilated_channels_last",
             json{2, 20, 29},
             json{20, 1, 5},
             json{2, 20, 13},
             {2},
             {2},
             {3, 1},
             20,
             false,
             {{}},
             {},
             false,
             {},
             true},
        Case{"depthwise_7_k3_channels_last",
             json{3, 7, "t"},
             json{7, 1, 3},
             json{3, 7, "t"},
             {1},
             {1},
             {1, 1},
             7,
             true,
             {{{"t", 1}}, {{"t", 2}}, {{"t", 33}}},
             {},
             false,
             {},
             true},
        Case{"depthwise_1_channel_k4_channels_last",
             json{2, 1, "t"},
             json{1, 1, 4},
             json{2, 1, "t"},
             {1},
             {1},
             {2, 1},
             1,
             true,
             {{{"t", 1}}, {{"t", 19}}},
             {},
             false,
             {},
             true},
        Case{"same_2d_norm",
             json{2, 3, 7, 19},
             json{5, 3, 3, 3},
             json{2, 5, 7, 19},
             {1, 1},
             {1, 1},
             {1, 1, 1, 1},
             1,
             true,
             {{}},
             {},
             false,
             {3, 1}}),
    [](const auto &info) { return info.param.name; });

} // namespace
} // namespace hmc::halide::test
