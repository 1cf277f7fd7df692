#include "HyperMixReference.h"

#include <cmath>
#include <stdexcept>

namespace hmc::halide::test {

using nlohmann::json;

namespace {

double gelu(double x, bool tanh) {
  if (tanh)
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}

/// Of `tokens`, those batch b keeps under a right-padded mask.
int64_t validTokens(const HyperMixConfig &config, int64_t tokens, int64_t b) {
  return tokens - b * tokens / config.batch;
}

/// The keys' (and values') length: the queries' in self mixing.
int64_t keyLength(const HyperMixConfig &config) {
  return config.keyTokens > 0 ? config.keyTokens : config.tokens;
}

/// Shape of a hypernetwork weight with `outputs` x `inputs` per head: [h,
/// outputs, inputs], or in panels of P outputs [h, outputs / P, inputs, P].
std::vector<int64_t> weightShape(const HyperMixConfig &config, int64_t outputs,
                                 int64_t inputs) {
  int64_t panel = config.hypernetworkPanels;
  if (panel == 0)
    return {config.heads, outputs, inputs};
  return {config.heads, outputs / panel, inputs, panel};
}

/// Where weightShape stores head j's element (output, input).
int64_t weightIndex(const HyperMixConfig &config, int64_t j, int64_t output,
                    int64_t outputs, int64_t input, int64_t inputs) {
  int64_t panel = config.hypernetworkPanels;
  if (panel == 0)
    return (j * outputs + output) * inputs + input;
  return ((j * (outputs / panel) + output / panel) * inputs + input) * panel +
         output % panel;
}

struct Weights {
  const Tensor *A, *a, *C, *c;
};

} // namespace

double sinusoid(int64_t pos, int64_t channel, int64_t d) {
  double angle =
      double(pos) * std::pow(10000.0, -double(channel - channel % 2) / d);
  return channel % 2 ? std::cos(angle) : std::sin(angle);
}

std::vector<Tensor> hyperMixInputs(const HyperMixConfig &config,
                                   std::mt19937 &rng) {
  const int64_t B = config.batch, N = config.tokens, d = config.d,
                h = config.heads, f = config.hidden, kh = config.kHead,
                dh = d / h;
  auto scaled = [&](std::vector<int64_t> shape, double scale) {
    Tensor tensor = randomTensor(shape, rng);
    for (double &value : tensor.data)
      value *= scale;
    return tensor;
  };
  std::vector<Tensor> inputs{randomTensor({B, N, d}, rng)};
  const int64_t L = keyLength(config);
  if (config.keyTokens > 0) {
    inputs.push_back(randomTensor({B, L, d}, rng));
    inputs.push_back(randomTensor({B, L, d}, rng));
  }
  auto mask = [&](MaskKind kind, int64_t tokens) {
    Tensor mask({B, tokens});
    std::uniform_real_distribution<double> weight(0.2, 1.0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t n = 0; n < validTokens(config, tokens, b); ++n)
        mask[b * tokens + n] = kind == MaskKind::Binary ? 1.0 : weight(rng);
    return mask;
  };
  if (config.mask != MaskKind::None)
    inputs.push_back(mask(config.mask, N));
  if (config.keyMask != MaskKind::None)
    inputs.push_back(mask(config.keyMask, L));
  for (int i = 0; i < (config.tied ? 1 : 2); ++i) {
    inputs.push_back(
        scaled(weightShape(config, f, dh), 1.5 / std::sqrt(double(dh))));
    inputs.push_back(scaled({h, f}, 0.5));
    inputs.push_back(
        scaled(weightShape(config, kh, f), 1.5 / std::sqrt(double(f))));
    inputs.push_back(scaled({h, kh}, 0.5));
  }
  if (config.layerNorm) {
    inputs.push_back(randomTensor({d}, rng, 0.5, 1.5, true));
    inputs.push_back(randomTensor({d}, rng));
  }
  if (config.tableRows > 0) {
    // A table that differs from the formula shows which rows it supplies.
    const int64_t rows = config.tableRows;
    Tensor table = config.tableTransposed ? scaled({d, rows}, 0.5)
                                          : scaled({rows, d}, 0.5);
    for (int64_t pos = 0; pos < rows; ++pos)
      for (int64_t c = 0; c < d; ++c)
        table[config.tableTransposed ? c * rows + pos : pos * d + c] +=
            sinusoid(pos, c, d);
    inputs.push_back(table);
  }
  if (config.residual)
    inputs.push_back(inputs[0]);
  return inputs;
}

GraphBuilder hyperMixGraph(const HyperMixConfig &config) {
  const int64_t d = config.d, h = config.heads, f = config.hidden,
                kh = config.kHead, dh = d / h;
  json B = config.dynamicShape ? json("batch") : json(config.batch);
  json N = config.dynamicShape ? json("seq") : json(config.tokens);
  GraphBuilder graph;
  json L = config.dynamicShape ? json("keys") : json(keyLength(config));
  std::vector<std::pair<std::string, int64_t>> inputs{
      {"x", graph.buffer("x", "float32", {B, N, d})}};
  if (config.keyTokens > 0)
    for (const char *role : {"keys", "values"})
      inputs.push_back({role, graph.buffer(role, "float32", {B, L, d})});
  if (config.mask != MaskKind::None)
    inputs.push_back({"mask", graph.buffer("mask", "float32", {B, N})});
  if (config.keyMask != MaskKind::None)
    inputs.push_back({"key_mask", graph.buffer("key_mask", "float32", {B, L})});
  for (int i = 1; i <= (config.tied ? 1 : 2); ++i) {
    std::string k = std::to_string(i);
    inputs.push_back(
        {"A" + k, graph.buffer("A" + k, "float32", weightShape(config, f, dh),
                               "weight")});
    inputs.push_back(
        {"a" + k, graph.buffer("a" + k, "float32", {h, f}, "weight")});
    inputs.push_back(
        {"C" + k, graph.buffer("C" + k, "float32", weightShape(config, kh, f),
                               "weight")});
    inputs.push_back(
        {"c" + k, graph.buffer("c" + k, "float32", {h, kh}, "weight")});
  }
  if (config.layerNorm) {
    inputs.push_back(
        {"gamma", graph.buffer("gamma", "float32", {d}, "weight")});
    inputs.push_back({"beta", graph.buffer("beta", "float32", {d}, "weight")});
  }
  if (config.tableRows > 0)
    inputs.push_back({"positions", graph.buffer("positions", "float32",
                                                config.tableTransposed
                                                    ? json{d, config.tableRows}
                                                    : json{config.tableRows, d},
                                                "weight")});
  int64_t y = graph.buffer("y", "float32", {B, N, d}, "output");
  json attrs = {{"heads", h},
                {"hidden", f},
                {"tied", config.tied},
                {"has_mask", config.mask != MaskKind::None},
                {"has_keys", config.keyTokens > 0},
                {"has_key_mask", config.keyMask != MaskKind::None},
                {"has_position_table", config.tableRows > 0},
                {"positional", config.learnedTable ? "table"
                               : config.positional ? "sinusoidal"
                                                   : "none"},
                {"position_offset", config.positionOffset},
                {"layer_norm", config.layerNorm},
                {"layer_norm_eps", config.eps},
                {"algorithm", config.algorithm},
                {"positions_transposed", config.tableTransposed},
                {"mask_weights", config.maskWeights},
                {"mask_tokens", config.maskTokens},
                {"mask_hyper_input", config.maskHyperInput},
                {"gelu_approximate", config.tanhGelu ? "tanh" : "none"}};
  if (config.maxKeyLength > 0)
    attrs["max_key_length"] = config.maxKeyLength;
  if (config.hypernetworkPanels > 0)
    attrs["hypernetwork_panels"] = config.hypernetworkPanels;
  if (config.residual) {
    attrs["epilogue"] =
        json::parse(R"([{"op": "add", "args": ["in1", "in0"]}])");
    inputs.push_back({"e1", inputs[0].second});
  }
  graph.kernel("mix", "hyper_mix", attrs, inputs, y);
  return graph;
}

Tensor hyperMixReference(const HyperMixConfig &config,
                         const std::vector<Tensor> &inputs) {
  const int64_t B = config.batch, N = config.tokens, d = config.d,
                h = config.heads, f = config.hidden, kh = config.kHead,
                dh = d / h;
  const bool cross = config.keyTokens > 0;
  const int64_t L = keyLength(config);
  size_t next = 0;
  const Tensor &x = inputs[next++];
  const Tensor &keys = cross ? inputs[next++] : x;
  const Tensor &values = cross ? inputs[next++] : x;
  const Tensor *mask =
      config.mask != MaskKind::None ? &inputs[next++] : nullptr;
  const Tensor *keyMask = !cross                             ? mask
                          : config.keyMask != MaskKind::None ? &inputs[next++]
                                                             : nullptr;
  Weights hyper[2];
  for (int i = 0; i < (config.tied ? 1 : 2); ++i) {
    hyper[i] = {&inputs[next], &inputs[next + 1], &inputs[next + 2],
                &inputs[next + 3]};
    next += 4;
  }
  if (config.tied)
    hyper[1] = hyper[0];
  const Tensor *gamma = config.layerNorm ? &inputs[next++] : nullptr;
  const Tensor *beta = config.layerNorm ? &inputs[next++] : nullptr;
  const Tensor *table = config.tableRows > 0 ? &inputs[next++] : nullptr;

  // Batch b's `tokens` [B, count, d] under `m`: the factors of the tokens
  // and of the rows (m_n, or 1 without `maskTokens`, `maskWeights`), the
  // masked tokens and the rows W[j][n][q] = m_n (c + C gelu(a + A (m_n x_n +
  // P_n))).
  struct Side {
    std::vector<double> tokenMask, weightMask, xm;
    std::vector<std::vector<double>> w;
  };
  auto generate = [&](const Tensor &tokens, const Tensor *m, int64_t count,
                      const Weights &wt, int64_t b) {
    Side side;
    side.tokenMask.resize(count);
    side.weightMask.resize(count);
    side.xm.resize(count * d);
    std::vector<double> in(count * d);
    for (int64_t n = 0; n < count; ++n) {
      double mn = m ? (*m)[b * count + n] : 1.0;
      side.tokenMask[n] = config.maskTokens ? mn : 1.0;
      side.weightMask[n] = config.maskWeights ? mn : 1.0;
      int64_t pos = n + config.positionOffset;
      for (int64_t c = 0; c < d; ++c) {
        side.xm[n * d + c] =
            side.tokenMask[n] * tokens[(b * count + n) * d + c];
        double p = 0;
        if (config.learnedTable && pos >= config.tableRows)
          throw std::invalid_argument("more tokens than table rows");
        if (config.positional)
          p = !table || pos >= config.tableRows ? sinusoid(pos, c, d)
              : config.tableTransposed ? (*table)[c * config.tableRows + pos]
                                       : (*table)[pos * d + c];
        double read = config.maskHyperInput ? side.xm[n * d + c]
                                            : tokens[(b * count + n) * d + c];
        in[n * d + c] = read + p;
      }
    }
    side.w.assign(h, std::vector<double>(count * kh, 0.0));
    for (int64_t j = 0; j < h; ++j)
      for (int64_t n = 0; n < count; ++n) {
        std::vector<double> hid(f);
        for (int64_t o = 0; o < f; ++o) {
          double acc = (*wt.a)[j * f + o];
          for (int64_t c = 0; c < dh; ++c)
            acc += (*wt.A)[weightIndex(config, j, o, f, c, dh)] *
                   in[n * d + j * dh + c];
          hid[o] = gelu(acc, config.tanhGelu);
        }
        for (int64_t q = 0; q < kh; ++q) {
          double acc = (*wt.c)[j * kh + q];
          for (int64_t o = 0; o < f; ++o)
            acc += (*wt.C)[weightIndex(config, j, q, kh, o, f)] * hid[o];
          side.w[j][n * kh + q] = side.weightMask[n] * acc;
        }
      }
    return side;
  };

  Tensor out({B, N, d});
  for (int64_t b = 0; b < B; ++b) {
    Side key = generate(keys, keyMask, L, hyper[0], b);
    Side query = generate(x, mask, N, hyper[1], b);
    std::vector<double> y(N * d, 0.0);
    for (int64_t j = 0; j < h; ++j) {
      // Z = gelu(W1^T (m * values)).
      std::vector<double> z(kh * dh, 0.0);
      for (int64_t q = 0; q < kh; ++q)
        for (int64_t c = 0; c < dh; ++c) {
          double acc = 0;
          for (int64_t n = 0; n < L; ++n)
            acc += key.w[j][n * kh + q] * key.tokenMask[n] *
                   values[(b * L + n) * d + j * dh + c];
          z[q * dh + c] = gelu(acc, config.tanhGelu);
        }
      for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < dh; ++c)
          for (int64_t q = 0; q < kh; ++q)
            y[n * d + j * dh + c] += query.w[j][n * kh + q] * z[q * dh + c];
    }
    for (int64_t n = 0; n < N; ++n) {
      double *row = &out[(b * N + n) * d];
      const double *yn = &y[n * d];
      if (config.layerNorm) {
        layerNormRow(yn, d, gamma->data.data(), beta->data.data(), config.eps,
                     row);
      } else {
        std::copy(yn, yn + d, row);
      }
      if (config.residual)
        for (int64_t c = 0; c < d; ++c)
          row[c] += x[(b * N + n) * d + c];
    }
  }
  return out;
}

} // namespace hmc::halide::test
