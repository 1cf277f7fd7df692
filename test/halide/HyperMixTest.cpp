// hyper_mix against the float64 reference, for both algorithms, over odd
// sizes, masks (none, right-padded, non-binary), tied and untied
// hypernetworks, positions (formula and stored table) and LayerNorm.
#include "HyperMixReference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

namespace hmc::halide::test {
namespace {

constexpr double kTolerance = 1e-5;

struct Case {
  std::string name;
  HyperMixConfig config;
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

/// A configuration of these sizes, the rest at its defaults.
HyperMixConfig make(int64_t batch, int64_t tokens, int64_t d, int heads,
                    int hidden, int kHead) {
  HyperMixConfig config;
  config.batch = batch;
  config.tokens = tokens;
  config.d = d;
  config.heads = heads;
  config.hidden = hidden;
  config.kHead = kHead;
  return config;
}

std::vector<Case> cases() {
  std::vector<Case> list;
  list.push_back({"N1_B1_h1_plain", make(1, 1, 20, 1, 7, 5)});

  HyperMixConfig c = make(3, 7, 12, 2, 6, 4);
  c.mask = MaskKind::Binary;
  c.layerNorm = true;
  list.push_back({"N7_B3_h2_mask_norm", c});

  c = make(1, 37, 24, 8, 5, 9);
  c.tied = true;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"N37_B1_h8_tied_positions_norm", c});

  c = make(3, 130, 40, 8, 6, 10);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"N130_B3_h8_mask_positions_norm", c});

  c = make(1, 130, 20, 1, 12, 30);
  c.mask = MaskKind::NonBinary;
  c.layerNorm = true;
  list.push_back({"N130_B1_h1_nonbinary_mask_norm", c});

  c = make(3, 37, 20, 1, 20, 16);
  c.tied = true;
  c.mask = MaskKind::Binary;
  list.push_back({"N37_B3_h1_tied_mask", c});

  c = make(3, 7, 24, 8, 3, 6);
  c.tied = true;
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.positionOffset = 3;
  list.push_back({"N7_B3_h8_tied_nonbinary_offset", c});

  c = make(3, 37, 12, 2, 6, 4);
  c.dynamicShape = false;
  c.mask = MaskKind::Binary;
  c.layerNorm = true;
  list.push_back({"N37_B3_static_shape", c});

  c = make(1, 37, 12, 2, 6, 4);
  c.positional = true;
  c.positionOffset = 5;
  c.tableRows = 20;
  c.layerNorm = true;
  list.push_back({"N37_B1_position_table", c});

  // The 8M HyperConformer layer's head shapes (d_h 18, k_h 72).
  c = make(1, 130, 144, 8, 18, 72);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"N130_d144_h8_layer", c});

  // Its stored table as the CPU export writes it, [d, L]: 100 rows from
  // offset 2, so the last 32 tokens take the formula.
  c.batch = 2;
  c.positionOffset = 2;
  c.tableRows = 100;
  c.tableTransposed = true;
  list.push_back({"N130_B2_d144_h8_transposed_table", c});

  // The same table learned (positional "table"): every position is a row,
  // here from offset 1 of 140.
  c.learnedTable = true;
  c.positionOffset = 1;
  c.tableRows = 140;
  list.push_back({"N130_B2_d144_h8_learned_transposed_table", c});

  // d_h whole vectors: phase A runs vectorised over channels. With
  // AVX-512, 1300 tokens are 11 chunks of 128 tokens (two-phase: 21 of 64),
  // the last one partial, summed in parallel slices of two (three) chunks.
  c = make(2, 1300, 32, 1, 20, 24);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"N1300_B2_h1_dh32_mask_positions_norm", c});

  // A learned table [L, d] read to its last row.
  c = make(3, 37, 12, 2, 6, 4);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.learnedTable = true;
  c.tableRows = 37;
  c.layerNorm = true;
  list.push_back({"N37_B3_learned_table", c});

  // Only the tokens masked, not W_1 and W_2: padded rows are W_2's rows,
  // generated from positions alone, times the mixed matrix; with d_h 18
  // (token-major phase A) and d_h 32 (by channel), a non-binary mask.
  c = make(3, 37, 144, 8, 18, 72);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  c.maskWeights = false;
  list.push_back({"N37_B3_d144_h8_tokens_masked_only", c});
  c = make(2, 1300, 32, 1, 20, 24);
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.maskWeights = false;
  list.push_back({"N1300_B2_h1_dh32_nonbinary_tokens_masked_only", c});

  // Only W_1 and W_2 masked, the tokens not: a non-binary mask scales each
  // token's generated rows once; padded tokens' values still drop out.
  c = make(3, 37, 144, 8, 18, 72);
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.layerNorm = true;
  c.maskTokens = false;
  list.push_back({"N37_B3_d144_h8_nonbinary_weights_masked_only", c});
  c = make(2, 1300, 32, 1, 20, 24);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.maskTokens = false;
  list.push_back({"N1300_B2_h1_dh32_weights_masked_only", c});

  // The hypernetworks read the unmasked tokens, the mixed tokens and W_1,
  // W_2 are masked: padded tokens generate rows from their own values,
  // which the mask then scales away.
  c = make(3, 37, 144, 8, 18, 72);
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.layerNorm = true;
  c.maskHyperInput = false;
  list.push_back({"N37_B3_d144_h8_nonbinary_unmasked_hyper_input", c});
  c = make(2, 1300, 32, 1, 20, 24);
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.maskHyperInput = false;
  list.push_back({"N1300_B2_h1_dh32_nonbinary_unmasked_hyper_input", c});

  c = make(3, 37, 32, 2, 16, 40);
  c.tied = true;
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.positionOffset = 1;
  list.push_back({"N37_B3_h2_dh16_tied_nonbinary", c});

  // torch's tanh approximation for every GELU: the hypernetworks' hidden
  // layers and the mixing one, in phase A's tiles and by channel.
  c = make(3, 37, 144, 8, 18, 72);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  c.tanhGelu = true;
  list.push_back({"N37_B3_d144_h8_tanh_gelu", c});
  c = make(2, 1300, 32, 1, 20, 24);
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.tanhGelu = true;
  list.push_back({"N1300_B2_h1_dh32_nonbinary_tanh_gelu", c});

  // Cross mixing: 7 queries over 37 keys and values, each side under its
  // own mask.
  c = make(3, 7, 12, 2, 6, 4);
  c.keyTokens = 37;
  c.mask = MaskKind::Binary;
  c.keyMask = MaskKind::Binary;
  c.positional = true;
  c.positionOffset = 1;
  c.layerNorm = true;
  list.push_back({"cross_N7_L37_B3_h2_masks_positions_norm", c});

  // More queries than keys, the 8M's head shapes, a non-binary key mask
  // and unmasked queries, tied hypernetworks, a stored table shorter than
  // the queries.
  c = make(2, 130, 144, 8, 18, 72);
  c.keyTokens = 5;
  c.keyMask = MaskKind::NonBinary;
  c.tied = true;
  c.positional = true;
  c.tableRows = 100;
  c.tableTransposed = true;
  c.layerNorm = true;
  list.push_back({"cross_N130_L5_B2_d144_h8_tied_key_mask_table", c});

  // Phase A by channel over 1300 keys in several chunks and slices; only
  // the queries masked.
  c = make(2, 37, 32, 1, 20, 24);
  c.keyTokens = 1300;
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"cross_N37_L1300_B2_h1_dh32_query_mask", c});

  // Single-head inputs bounded by max_key_length: two-phase runs phase A
  // over all tokens at once (W1 and the masked tokens whole); without a
  // LayerNorm and with max_key_length below d (the first two tied cases,
  // whose 37 tokens pass the hint), phase B by channel. Tied self mixing
  // then reads W1 in phase B (HyperMixTiedTest).
  c = make(1, 1, 32, 1, 20, 24);
  c.maxKeyLength = 255;
  list.push_back({"whole_N1_B1_h1_dh32", c});
  c = make(3, 37, 32, 1, 20, 24);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  c.maxKeyLength = 100;
  list.push_back({"whole_N37_B3_h1_dh32_mask_positions_norm", c});
  c = make(2, 75, 64, 1, 24, 40);
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.maskHyperInput = false;
  c.tanhGelu = true;
  c.maxKeyLength = 80;
  list.push_back({"whole_N75_B2_h1_dh64_nonbinary_unmasked_hyper_tanh", c});
  c.tied = true;
  list.push_back({"whole_N75_B2_h1_dh64_tied_nonbinary_unmasked_hyper", c});
  c = make(3, 37, 32, 1, 20, 24);
  c.mask = MaskKind::NonBinary;
  c.tied = true;
  c.maskWeights = false;
  c.maxKeyLength = 31;
  list.push_back({"whole_N37_B3_h1_dh32_tied_tokens_masked_only", c});
  c.maskWeights = true;
  c.maskTokens = false;
  c.tableRows = 20;
  c.positional = true;
  list.push_back({"whole_N37_B3_h1_dh32_tied_weights_masked_only_table", c});
  c.maskTokens = true;
  c.mask = MaskKind::Binary;
  c.layerNorm = true;
  list.push_back({"whole_N37_B3_h1_dh32_tied_mask_table_norm", c});
  c = make(3, 9, 32, 1, 20, 24);
  c.keyTokens = 37;
  c.mask = MaskKind::Binary;
  c.keyMask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  c.maxKeyLength = 37;
  list.push_back({"whole_cross_N9_L37_B3_h1_dh32_masks_positions_norm", c});
  c.tied = true;
  list.push_back({"whole_cross_N9_L37_B3_h1_dh32_tied_masks_norm", c});

  // A residual add as the epilogue, in each form of phase B: tiles with and
  // without the LayerNorm (two heads), and by channel.
  c = make(3, 37, 32, 2, 20, 24);
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  c.residual = true;
  list.push_back({"residual_N37_B3_h2_mask_positions_norm", c});
  c.layerNorm = false;
  list.push_back({"residual_N37_B3_h2_mask_positions", c});
  c = make(3, 37, 32, 1, 20, 24);
  c.mask = MaskKind::NonBinary;
  c.residual = true;
  c.maxKeyLength = 31;
  list.push_back({"residual_whole_N37_B3_h1_dh32_by_channel", c});

  c = make(3, 9, 12, 2, 6, 4);
  c.keyTokens = 20;
  c.dynamicShape = false;
  c.mask = MaskKind::Binary;
  c.keyMask = MaskKind::Binary;
  list.push_back({"cross_N9_L20_B3_static_shape", c});

  // Hypernetwork weights in panels of 16 outputs, as the CPU export writes
  // them: with d_h whole vectors the hypernetworks and phase B run
  // vectorised over their outputs, in chunks and slices (1300 tokens), whole
  // (max_key_length), with tied reuse, two heads, cross mixing, a table and
  // an epilogue. Panels of 4 outputs (f = 20, k_h = 24) or 2 (f = 18) are
  // no whole vectors: the token-major forms read them.
  c = make(2, 1300, 32, 1, 32, 48);
  c.hypernetworkPanels = 16;
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"panels_N1300_B2_h1_dh32_mask_positions_norm", c});
  c = make(3, 37, 64, 2, 16, 32);
  c.hypernetworkPanels = 16;
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.positionOffset = 1;
  c.tableRows = 20;
  c.layerNorm = true;
  c.residual = true;
  list.push_back({"panels_N37_B3_h2_dh32_nonbinary_table_norm_residual", c});
  c = make(3, 37, 64, 2, 32, 32);
  c.hypernetworkPanels = 16;
  c.tied = true;
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"panels_N37_B3_h2_dh32_tied_mask_positions_norm", c});
  c = make(2, 75, 64, 1, 32, 48);
  c.hypernetworkPanels = 16;
  c.mask = MaskKind::NonBinary;
  c.positional = true;
  c.maskHyperInput = false;
  c.tanhGelu = true;
  c.maxKeyLength = 80;
  list.push_back({"panels_whole_N75_B2_h1_dh64_unmasked_hyper_tanh", c});
  c.tied = true;
  list.push_back({"panels_whole_N75_B2_h1_dh64_tied_unmasked_hyper", c});
  // A block of outputs' weights beyond L1 (C's f = 272 rows of 2 vectors of
  // k_h = 32 with AVX-512): whole blocks of 4 token vectors.
  c = make(2, 75, 32, 1, 272, 32);
  c.hypernetworkPanels = 16;
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.maxKeyLength = 80;
  list.push_back({"panels_whole_N75_B2_h1_f272_mask_positions", c});
  c = make(3, 37, 32, 1, 16, 32);
  c.hypernetworkPanels = 16;
  c.mask = MaskKind::NonBinary;
  c.maskWeights = false;
  c.positional = true;
  c.learnedTable = true;
  c.tableRows = 40;
  list.push_back({"panels_N37_B3_h1_dh32_tokens_masked_learned_table", c});
  // The whole form on fewer tokens than a register block: the block's
  // hypernetwork input, in whole token vectors, reads no table row before
  // the first (a learned table as long as the input).
  c = make(3, 5, 32, 1, 32, 32);
  c.hypernetworkPanels = 16;
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.learnedTable = true;
  c.tableRows = 5;
  c.maxKeyLength = 5;
  list.push_back({"panels_whole_N5_B3_h1_dh32_learned_table", c});
  c = make(3, 9, 32, 1, 16, 32);
  c.hypernetworkPanels = 16;
  c.keyTokens = 37;
  c.mask = MaskKind::Binary;
  c.keyMask = MaskKind::NonBinary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"panels_cross_N9_L37_B3_h1_dh32_masks_norm", c});
  c = make(2, 130, 32, 1, 20, 24);
  c.hypernetworkPanels = 4;
  c.mask = MaskKind::Binary;
  c.positional = true;
  list.push_back({"panels_N130_B2_h1_dh32_ragged_f_k", c});
  c = make(1, 130, 144, 8, 18, 72);
  c.hypernetworkPanels = 2;
  c.mask = MaskKind::Binary;
  c.positional = true;
  c.layerNorm = true;
  list.push_back({"panels_N130_d144_h8_layer", c});
  return list;
}

class HyperMixTest
    : public ::testing::TestWithParam<std::tuple<Case, std::string>> {};

TEST_P(HyperMixTest, MatchesFloat64Reference) {
  HyperMixConfig config = std::get<0>(GetParam()).config;
  config.algorithm = std::get<1>(GetParam());
  std::mt19937 rng(1234);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);
  Tensor actual = runKernel(hyperMixGraph(config), inputs, expected.shape);
  double error = relativeL2(actual, expected);
  std::printf("[ relative L2 ] %s/%s: %.3g\n",
              std::get<0>(GetParam()).name.c_str(), config.algorithm.c_str(),
              error);
  EXPECT_LE(error, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Configs, HyperMixTest,
                         ::testing::Combine(::testing::ValuesIn(cases()),
                                            ::testing::Values("reassociated",
                                                              "two_phase")),
                         [](const auto &info) {
                           return std::get<0>(info.param).name + "_" +
                                  std::get<1>(info.param);
                         });

// Phase B's tile (knob tile_tokens) sets its register blocks' token
// vectors: one, two or three vectors below the default four, or several
// blocks. Each tile size, in token vectors of this machine, against the
// reference, on tokens that leave a partial last tile, channels by vector
// (d_h 32) and ragged (d_h 18).
class HyperMixTileTest
    : public ::testing::TestWithParam<std::tuple<int, std::string>> {};

TEST_P(HyperMixTileTest, MatchesFloat64Reference) {
  int vectors = std::get<0>(GetParam());
  int tokens =
      vectors * Halide::get_jit_target_from_environment().natural_vector_size(
                    Halide::Float(32));
  for (auto [d, heads, hidden, kHead] :
       {std::tuple{32, 1, 20, 24}, std::tuple{144, 8, 18, 72}}) {
    HyperMixConfig config = make(2, 75, d, heads, hidden, kHead);
    config.mask = MaskKind::Binary;
    config.positional = true;
    config.layerNorm = true;
    config.algorithm = std::get<1>(GetParam());
    std::mt19937 rng(7);
    std::vector<Tensor> inputs = hyperMixInputs(config, rng);
    Tensor expected = hyperMixReference(config, inputs);
    ScheduleChoice schedule;
    schedule.knobs["tile_tokens"] = tokens;
    // The GPU form's knobs (HMC_TEST_GPU_TARGET): each thread's register
    // tile (1, 2 x 2, 4 x 4, 4 x 4) on sizes they do not divide, and chunks
    // of 16 to 128 tokens, the last one partial.
    schedule.knobs["thread_tile_log2"] = std::min(vectors - 1, 2);
    schedule.knobs["chunk_tokens"] = 16 * vectors;
    JitKernel kernel(hyperMixGraph(config).parse(), 0, schedule);
    double error = relativeL2(kernel.run(inputs, expected.shape), expected);
    std::printf("[ relative L2 ] d %d, tile %d tokens, %s: %.3g\n", d, tokens,
                config.algorithm.c_str(), error);
    EXPECT_LE(error, kTolerance) << "d " << d;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiles, HyperMixTileTest,
                         ::testing::Combine(::testing::Values(1, 2, 3, 8),
                                            ::testing::Values("reassociated",
                                                              "two_phase")),
                         [](const auto &info) {
                           return std::to_string(std::get<0>(info.param)) +
                                  "vectors_" + std::get<1>(info.param);
                         });

// Phase A's chunk (knob chunk_kib) by channel: with d_h = 64, a block's
// column panel is 256 bytes a token, so 4 to 32 KiB are chunks of 16 to 128
// tokens, one to three token vectors below a register block with AVX-512,
// a whole block, or two. 75 tokens then make one to five chunks, the last
// one partial, summed in one to three slices.
class HyperMixChunkTest
    : public ::testing::TestWithParam<std::tuple<int, std::string>> {};

TEST_P(HyperMixChunkTest, MatchesFloat64Reference) {
  HyperMixConfig config = make(2, 75, 64, 1, 20, 24);
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.algorithm = std::get<1>(GetParam());
  std::mt19937 rng(11);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);
  ScheduleChoice schedule;
  schedule.knobs["chunk_kib"] = std::get<0>(GetParam());
  JitKernel kernel(hyperMixGraph(config).parse(), 0, schedule);
  double error = relativeL2(kernel.run(inputs, expected.shape), expected);
  std::printf("[ relative L2 ] chunk %d KiB, %s: %.3g\n",
              std::get<0>(GetParam()), config.algorithm.c_str(), error);
  EXPECT_LE(error, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Chunks, HyperMixChunkTest,
                         ::testing::Combine(::testing::Values(4, 8, 12, 16, 32),
                                            ::testing::Values("reassociated",
                                                              "two_phase")),
                         [](const auto &info) {
                           return std::to_string(std::get<0>(info.param)) +
                                  "kib_" + std::get<1>(info.param);
                         });

// Phase A over all tokens at once (knob phase_a_whole, the default for a
// single head within max_key_length), in blocks of one to four token
// vectors (knob whole_block_vectors): 75 tokens end in a partial block.
class HyperMixWholeTest : public ::testing::TestWithParam<int> {};

TEST_P(HyperMixWholeTest, MatchesFloat64Reference) {
  HyperMixConfig config = make(2, 75, 64, 1, 20, 24);
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.layerNorm = true;
  config.algorithm = "two_phase";
  std::mt19937 rng(13);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);
  ScheduleChoice schedule;
  schedule.knobs["phase_a_whole"] = 1;
  schedule.knobs["whole_block_vectors"] = GetParam();
  JitKernel kernel(hyperMixGraph(config).parse(), 0, schedule);
  double error = relativeL2(kernel.run(inputs, expected.shape), expected);
  std::printf("[ relative L2 ] whole, blocks of %d vectors: %.3g\n", GetParam(),
              error);
  EXPECT_LE(error, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(BlockVectors, HyperMixWholeTest,
                         ::testing::Values(1, 2, 3, 4), [](const auto &info) {
                           return std::to_string(info.param) + "vectors";
                         });

// Phase B by channel (knob phase_b_by_channel, the default after a whole
// phase A of one self-mixing head without a LayerNorm while max_key_length
// is below d), in register blocks of one to four channel vectors (knob
// phase_b_vectors, each leaving two or more blocks with AVX-512; d_h = 96
// is six vectors) after W2 in blocks of one to four
// token vectors (whole_block_vectors): 75 tokens, past max_key_length, end
// in partial blocks, and the batch is ragged.
class HyperMixPhaseBTest
    : public ::testing::TestWithParam<std::tuple<int64_t, int, int>> {};

TEST_P(HyperMixPhaseBTest, MatchesFloat64Reference) {
  auto [d, vectors, blockVectors] = GetParam();
  HyperMixConfig config = make(3, 75, d, 1, 20, 24);
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.maxKeyLength = 40;
  config.algorithm = "two_phase";
  std::mt19937 rng(17);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);
  ScheduleChoice schedule;
  schedule.knobs["phase_b_by_channel"] = 1;
  schedule.knobs["phase_b_vectors"] = vectors;
  schedule.knobs["whole_block_vectors"] = blockVectors;
  JitKernel kernel(hyperMixGraph(config).parse(), 0, schedule);
  // Every knob read: the kernel runs phase B by channel (a CPU form; the
  // GPU forms read none of these knobs).
  if (!testingGpuForms()) {
    EXPECT_THAT(kernel.knobNotes(), ::testing::IsEmpty());
  }
  double error = relativeL2(kernel.run(inputs, expected.shape), expected);
  std::printf("[ relative L2 ] phase B by channel, d %lld, %d vectors, "
              "blocks of %d: %.3g\n",
              static_cast<long long>(d), vectors, blockVectors, error);
  EXPECT_LE(error, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(ChannelVectors, HyperMixPhaseBTest,
                         ::testing::Values(std::make_tuple(int64_t(64), 1, 2),
                                           std::make_tuple(int64_t(64), 2, 3),
                                           std::make_tuple(int64_t(128), 4, 1),
                                           std::make_tuple(int64_t(96), 3, 4)),
                         [](const auto &info) {
                           return "d" +
                                  std::to_string(std::get<0>(info.param)) +
                                  "_" +
                                  std::to_string(std::get<1>(info.param)) +
                                  "vectors_blocks" +
                                  std::to_string(std::get<2>(info.param));
                         });

// Tied self mixing: after a whole two-phase phase A, phase B reads W1 and
// generates no W2, by channel, in tiles (with the LayerNorm) and with two
// heads (phase_a_whole forced); reassociated, phase B reads phase A's hid1
// and computes no hid2, with the reduction by channel (d_h = 32) and by
// token (d_h = 20). Untied, or mixing other keys, each phase has its own.
struct TiedCase {
  std::string name;
  bool tied, layerNorm, keys;
  int heads;
  std::string algorithm = "two_phase";
  int64_t dHead = 32;
};

void PrintTo(const TiedCase &c, std::ostream *os) { *os << c.name; }

class HyperMixTiedTest : public ::testing::TestWithParam<TiedCase> {};

TEST_P(HyperMixTiedTest, PhaseBReusesPhaseA) {
  const TiedCase &c = GetParam();
  HyperMixConfig config = make(3, 37, c.dHead * c.heads, c.heads, 20, 24);
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.tied = c.tied;
  config.layerNorm = c.layerNorm;
  config.maxKeyLength = 31;
  config.algorithm = c.algorithm;
  if (c.keys) {
    config.keyTokens = 30;
    config.keyMask = MaskKind::Binary;
  }
  std::mt19937 rng(23);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);
  bool twoPhase = c.algorithm == "two_phase";
  ScheduleChoice schedule;
  if (twoPhase)
    schedule.knobs["phase_a_whole"] = 1;
  JitKernel kernel(hyperMixGraph(config).parse(), 0, schedule);
  if (!testingGpuForms()) {
    std::set<std::string> names = kernel.functionNames();
    const char *first = twoPhase ? "w1" : "hid1";
    const char *second = twoPhase ? "w2" : "hid2";
    EXPECT_TRUE(names.count(first));
    EXPECT_EQ(names.count(second), c.tied && !c.keys ? 0u : 1u);
  }
  double error = relativeL2(kernel.run(inputs, expected.shape), expected);
  std::printf("[ relative L2 ] %s: %.3g\n", c.name.c_str(), error);
  EXPECT_LE(error, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, HyperMixTiedTest,
    ::testing::Values(TiedCase{"tied_by_channel", true, false, false, 1},
                      TiedCase{"tied_tiles_norm", true, true, false, 1},
                      TiedCase{"tied_two_heads_norm", true, true, false, 2},
                      TiedCase{"tied_cross_norm", true, true, true, 1},
                      TiedCase{"untied_by_channel", false, false, false, 1},
                      TiedCase{"untied_tiles_norm", false, true, false, 1},
                      TiedCase{"tied_reassociated", true, false, false, 1,
                               "reassociated"},
                      TiedCase{"tied_reassociated_two_heads_norm", true, true,
                               false, 2, "reassociated"},
                      TiedCase{"tied_reassociated_by_token", true, true, false,
                               1, "reassociated", 20},
                      TiedCase{"tied_reassociated_cross", true, false, true, 1,
                               "reassociated"},
                      TiedCase{"untied_reassociated", false, false, false, 1,
                               "reassociated"}),
    [](const auto &info) { return info.param.name; });

class HyperMixPaddingTest
    : public ::testing::TestWithParam<std::tuple<std::string, double>> {};

// Right-padded rows come out as beta, and valid rows as in a run on the
// unpadded sequence (the same compiled kernel, dynamic B and N).
TEST_P(HyperMixPaddingTest, PaddedRowsAreBetaAndValidRowsUnchanged) {
  HyperMixConfig config = make(3, 37, 24, 8, 5, 6);
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.layerNorm = true;
  config.algorithm = std::get<0>(GetParam());
  config.eps = std::get<1>(GetParam());
  std::mt19937 rng(99);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  JitKernel kernel(hyperMixGraph(config).parse());
  const int64_t N = config.tokens, d = config.d;
  Tensor padded = kernel.run(inputs, {config.batch, N, d});
  const Tensor &mask = inputs[1];
  const Tensor &beta = inputs[inputs.size() - 1];

  double worst = 0;
  for (int64_t b = 0; b < config.batch; ++b) {
    int64_t valid = 0;
    while (valid < N && mask[b * N + valid] != 0)
      ++valid;
    for (int64_t n = valid; n < N; ++n)
      for (int64_t c = 0; c < d; ++c)
        ASSERT_EQ(float(padded[(b * N + n) * d + c]), float(beta[c]))
            << "batch " << b << " padded row " << n;

    // The same batch element alone, cut to its valid tokens.
    std::vector<Tensor> alone = inputs;
    alone[0] = Tensor({1, valid, d});
    alone[1] = Tensor({1, valid});
    for (int64_t n = 0; n < valid; ++n) {
      alone[1][n] = 1;
      for (int64_t c = 0; c < d; ++c)
        alone[0][n * d + c] = inputs[0][(b * N + n) * d + c];
    }
    Tensor unpadded = kernel.run(alone, {1, valid, d});
    Tensor rows({1, valid, d});
    for (size_t i = 0; i < rows.size(); ++i)
      rows[i] = padded[b * N * d + i];
    worst = std::max(worst, relativeL2(rows, unpadded));
  }
  std::printf("[ padded vs unpadded ] %s: %.3g\n", config.algorithm.c_str(),
              worst);
  EXPECT_LE(worst, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, HyperMixPaddingTest,
                         ::testing::Combine(::testing::Values("reassociated",
                                                              "two_phase"),
                                            ::testing::Values(1e-5, 0.0)),
                         [](const auto &info) {
                           return std::get<0>(info.param) +
                                  (std::get<1>(info.param) > 0 ? "_eps"
                                                               : "_eps0");
                         });

} // namespace
} // namespace hmc::halide::test
