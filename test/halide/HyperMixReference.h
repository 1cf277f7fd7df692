// A float64 HyperMixing reference, straight from the formulas of
// HYPERMIXING.md (W_1 and W_2 built explicitly, no reassociation), and the
// kernel graph for a hyper_mix kernel of the same configuration.
#ifndef HMC_TEST_HALIDE_HYPERMIXREFERENCE_H
#define HMC_TEST_HALIDE_HYPERMIXREFERENCE_H

#include "TestUtil.h"

namespace hmc::halide::test {

enum class MaskKind { None, Binary, NonBinary };

struct HyperMixConfig {
  int64_t batch = 1, tokens = 7, d = 12;
  int heads = 2, hidden = 6, kHead = 4;
  bool tied = false;
  MaskKind mask = MaskKind::None;
  bool positional = false;
  int64_t positionOffset = 0;
  int64_t tableRows = 0; // > 0: a stored position table of this many rows
  bool tableTransposed =
      false;                 // the table stored [d, L] (positions_transposed)
  bool learnedTable = false; // positional "table": the table has every row
  // P > 0: A_i stored [h, f / P, d_h, P] and C_i [h, k_h / P, f, P]
  // (hypernetwork_panels).
  int hypernetworkPanels = 0;
  bool layerNorm = false;
  double eps = 1e-5;
  bool maskWeights = true;    // false: only the tokens masked, not W_1 and W_2
  bool maskTokens = true;     // false: only W_1 and W_2 masked, not the tokens
  bool maskHyperInput = true; // false: the hypernetworks read unmasked tokens
  bool tanhGelu = false;      // every GELU in torch's tanh approximation
  std::string algorithm = "reassociated";
  bool dynamicShape = true; // B and N as symbols rather than static
  // > 0: cross mixing with keys and values of this many tokens (`tokens`
  // queries), the keys masked by `keyMask`; `mask` is the queries'.
  int64_t keyTokens = 0;
  MaskKind keyMask = MaskKind::None;
  int64_t maxKeyLength = 0; // > 0: the max_key_length attribute
  bool residual = false;    // an epilogue adds x (input e1) to the result
};

/// Random operands in kernel input order (x, keys, values, mask, key_mask,
/// A1..c2, gamma, beta, positions, and x again as e1 with `residual`).
/// Right-padded binary masks: batch b keeps N - b * N / B tokens (of the keys:
/// L - b * L / B).
std::vector<Tensor> hyperMixInputs(const HyperMixConfig &config,
                                   std::mt19937 &rng);

/// The kernel graph of one hyper_mix kernel with this configuration.
GraphBuilder hyperMixGraph(const HyperMixConfig &config);

/// The float64 reference output [B, N, d].
Tensor hyperMixReference(const HyperMixConfig &config,
                         const std::vector<Tensor> &inputs);

/// P[pos, c] of the sinusoidal table, in float64.
double sinusoid(int64_t pos, int64_t channel, int64_t d);

} // namespace hmc::halide::test

#endif // HMC_TEST_HALIDE_HYPERMIXREFERENCE_H
