// Times hyper_mix on the 8M HyperConformer layer (d 144, k 576, h 8,
// N 1024, masked, sinusoidal positions, LayerNorm) for both algorithms.
// Threads: HL_NUM_THREADS (default 1, set before Halide starts its pool).
#include "HyperMixReference.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

using namespace hmc::halide::test;

int main(int argc, char **argv) {
  setenv("HL_NUM_THREADS", "1", /*overwrite=*/0);
  int repeats = argc > 1 ? std::atoi(argv[1]) : 200;
  HyperMixConfig config;
  config.tokens = 1024;
  config.d = 144;
  config.heads = 8;
  config.hidden = 18;
  config.kHead = 72;
  config.mask = MaskKind::Binary;
  config.positional = true;
  config.layerNorm = true;
  std::mt19937 rng(7);
  std::vector<Tensor> inputs = hyperMixInputs(config, rng);
  Tensor expected = hyperMixReference(config, inputs);

  // Multiply-adds (x2 for FLOP) of each form. Two-phase, per token and head:
  // hid_i, W_i = C_i hid_i, S += W1 xm, y = W2 Z. Reassociated: hid1,
  // [hid1 | 1]^T xm, hid2, y = hid2 V; plus S and V once per head.
  const double N = 1024, h = 8, f = 18, dh = 18, kh = 72;
  std::map<std::string, double> mflop = {
      {"two_phase", 2 * N * h * (2 * f * dh + 4 * kh * f) / 1e6},
      {"reassociated",
       2 * (N * h * (3 * f * dh + (f + 1) * dh) + h * 2 * (f + 1) * kh * dh) /
           1e6}};

  std::printf("hyper_mix 8M layer, N=1024, HL_NUM_THREADS=%s, %d runs\n",
              std::getenv("HL_NUM_THREADS"), repeats);
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
