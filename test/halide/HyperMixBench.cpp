// Times hyper_mix for both algorithms on one layer, by default the 8M
// HyperConformer layer (d 144, k 576, h 8, N 1024, masked, sinusoidal
// positions, LayerNorm):
//   HyperMixBench [REPEATS [N [D HEADS HIDDEN K]]]
// e.g. `HyperMixBench 50 256 256 1 256 512` for the NLU "small" token mixer.
// Threads: HL_NUM_THREADS (default 1), read by the library thread pool that
// JIT runs use (compiler/halide/JitThreads.h).
#include "HyperMixReference.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

using namespace hmc::halide::test;

int main(int argc, char **argv) {
  setenv("HL_NUM_THREADS", "1", /*overwrite=*/0);
  auto arg = [&](int i, int fallback) {
    return argc > i ? std::atoi(argv[i]) : fallback;
  };
  int repeats = arg(1, 200);
  HyperMixConfig config;
  config.tokens = arg(2, 1024);
  config.d = arg(3, 144);
  config.heads = arg(4, 8);
  config.hidden = arg(5, config.d / config.heads);
  config.kHead = arg(6, 4 * config.d) / config.heads;
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.layerNorm = true;
  std::mt19937 rng(7);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);

  // Multiply-adds (x2 for FLOP) of each form. Two-phase, per token and head:
  // hid_i, W_i = C_i hid_i, S += W1 xm, y = W2 Z. Reassociated: hid1,
  // [hid1 | 1]^T xm, hid2, y = hid2 V; plus S and V once per head.
  const double N = config.tokens, h = config.heads, f = config.hidden,
               dh = double(config.d) / h, kh = config.kHead;
  std::map<std::string, double> mflop = {
      {"two_phase", 2 * N * h * (2 * f * dh + 4 * kh * f) / 1e6},
      {"reassociated",
       2 * (N * h * (3 * f * dh + (f + 1) * dh) + h * 2 * (f + 1) * kh * dh) /
           1e6}};

  std::printf("hyper_mix N=%lld d=%lld h=%d hidden=%d k=%d, "
              "HL_NUM_THREADS=%s, %d runs\n",
              static_cast<long long>(config.tokens),
              static_cast<long long>(config.d), config.heads, config.hidden,
              config.kHead * config.heads, std::getenv("HL_NUM_THREADS"),
              repeats);
  for (const char *algorithm : {"reassociated", "two_phase"}) {
    config.algorithm = algorithm;
    JitKernel kernel(hyperMixGraph(config).parse());
    Tensor actual = kernel.run(inputs, expected.shape);
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
      auto start = std::chrono::steady_clock::now();
      kernel.realize();
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    std::sort(ms.begin(), ms.end());
    double median = ms[ms.size() / 2];
    std::printf("%-13s median %.3f ms  min %.3f ms  %.1f MFLOP -> %.0f "
                "GFLOP/s  relative L2 %.2g\n",
                algorithm, median, ms[0], mflop[algorithm],
                mflop[algorithm] / median, relativeL2(actual, expected));
  }
  return 0;
}
