// fbank against a float64 filterbank over the same float32 tables: random
// audio and a pure tone (whose far bins are ~1e-5 of the peak), dynamic
// sample counts that are no multiple of the hop, short inputs with a partial
// frame tile, and the validation messages.
#include "TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace hmc::halide::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kFft = 400, kHop = 160, kFreqs = kFft / 2 + 1, kMels = 80;
constexpr double kFloor = 1e-10, kRate = 16000;

/// Rounds every element to float32, as the kernel sees it.
Tensor toFloat(Tensor tensor) {
  for (double &value : tensor.data)
    value = static_cast<float>(value);
  return tensor;
}

/// Periodic Hann window, cos/sin DFT basis and HTK triangular Mel filters
/// over 0-8000 Hz (torchaudio's melscale_fbanks), rounded to float32.
std::vector<Tensor> tables() {
  Tensor window({kFft}), cosine({kFreqs, kFft}), sine({kFreqs, kFft});
  for (int64_t n = 0; n < kFft; ++n)
    window[n] = 0.5 - 0.5 * std::cos(2 * M_PI * n / kFft);
  for (int64_t f = 0; f < kFreqs; ++f)
    for (int64_t n = 0; n < kFft; ++n) {
      double angle = 2 * M_PI * static_cast<double>(f * n % kFft) / kFft;
      cosine[f * kFft + n] = std::cos(angle);
      sine[f * kFft + n] = std::sin(angle);
    }
  auto toMel = [](double hz) { return 2595 * std::log10(1 + hz / 700); };
  auto toHz = [](double mel) { return 700 * (std::pow(10, mel / 2595) - 1); };
  std::vector<double> points(kMels + 2);
  for (int64_t i = 0; i < kMels + 2; ++i)
    points[i] = toHz(toMel(kRate / 2) * static_cast<double>(i) / (kMels + 1));
  Tensor mel({kMels, kFreqs});
  for (int64_t m = 0; m < kMels; ++m)
    for (int64_t f = 0; f < kFreqs; ++f) {
      double hz = kRate / 2 * static_cast<double>(f) / (kFreqs - 1);
      double up = (hz - points[m]) / (points[m + 1] - points[m]);
      double down = (points[m + 2] - hz) / (points[m + 2] - points[m + 1]);
      mel[m * kFreqs + f] = std::max(0.0, std::min(up, down));
    }
  return {toFloat(window), toFloat(cosine), toFloat(sine), toFloat(mel)};
}

/// out[b, t, m] = ln(max(sum_f mel[m, f] |DFT(audio frame t * window)|^2,
/// floor)), all in float64.
Tensor fbank(const Tensor &audio, const std::vector<Tensor> &tables) {
  const Tensor &window = tables[0], &cosine = tables[1], &sine = tables[2],
               &mel = tables[3];
  int64_t batch = audio.shape[0], samples = audio.shape[1];
  int64_t frames = (samples - kFft) / kHop + 1;
  Tensor out({batch, frames, kMels});
  std::vector<double> frame(kFft), power(kFreqs);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < frames; ++t) {
      for (int64_t n = 0; n < kFft; ++n)
        frame[n] = audio[b * samples + t * kHop + n] * window[n];
      for (int64_t f = 0; f < kFreqs; ++f) {
        double re = 0, im = 0;
        for (int64_t n = 0; n < kFft; ++n) {
          re += frame[n] * cosine[f * kFft + n];
          im += frame[n] * sine[f * kFft + n];
        }
        power[f] = re * re + im * im;
      }
      for (int64_t m = 0; m < kMels; ++m) {
        double energy = 0;
        for (int64_t f = 0; f < kFreqs; ++f)
          energy += mel[m * kFreqs + f] * power[f];
        out[(b * frames + t) * kMels + m] = std::log(std::max(energy, kFloor));
      }
    }
  return out;
}

/// audio [B, samples] -> fbank -> [B, T, 80]; with a dynamic S, T is the
/// derived symbol floor((S - 400) / 160) + 1.
GraphBuilder fbankGraph(const json &batch, const json &samples,
                        const json &frames) {
  GraphBuilder graph;
  int64_t audio = graph.buffer("audio", "float32", {batch, samples});
  if (frames.is_string() && frames != samples)
    graph.raw()["symbols"].push_back(
        {{"name", frames},
         {"min", 1},
         {"max", 1 << 20},
         {"derived",
          {{"base", samples}, {"add", -kFft}, {"div", kHop}, {"post", 1}}}});
  int64_t window = graph.buffer("window", "float32", {kFft}, "weight");
  int64_t cosine = graph.buffer("cos", "float32", {kFreqs, kFft}, "weight");
  int64_t sine = graph.buffer("sin", "float32", {kFreqs, kFft}, "weight");
  int64_t mel = graph.buffer("mel", "float32", {kMels, kFreqs}, "weight");
  int64_t out =
      graph.buffer("features", "float32", {batch, frames, kMels}, "output");
  graph.kernel("fb", "fbank", {{"hop", kHop}, {"floor", kFloor}},
               {{"audio", audio},
                {"window", window},
                {"cos", cosine},
                {"sin", sine},
                {"mel", mel}},
               out);
  return graph;
}

/// 440 Hz at amplitude 0.5 in every row, each row with its own phase.
Tensor tone(int64_t batch, int64_t samples) {
  Tensor audio({batch, samples});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t s = 0; s < samples; ++s)
      audio[b * samples + s] =
          0.5 * std::sin(2 * M_PI * 440 * static_cast<double>(s) / kRate + b);
  return audio;
}

Tensor noise(int64_t batch, int64_t samples, std::mt19937 &rng) {
  Tensor audio({batch, samples});
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (double &value : audio.data)
    value = uniform(rng);
  return audio;
}

std::vector<Tensor> withTables(const Tensor &audio,
                               const std::vector<Tensor> &tables) {
  std::vector<Tensor> inputs = {toFloat(audio)};
  inputs.insert(inputs.end(), tables.begin(), tables.end());
  return inputs;
}

TEST(FbankTest, DynamicLengthsMatchFloat64) {
  JitKernel kernel(fbankGraph(2, "S", "T").parse());
  std::vector<Tensor> tabs = tables();
  std::mt19937 rng(7);
  // One second plus a partial hop, a partial frame tile, one frame.
  for (int64_t samples : {16077, 4077, 400}) {
    // The tone over noise 80 dB down needs the float64 DFT: float32 sums
    // are off by ~2e-4 there.
    Tensor faint = noise(2, samples, rng);
    Tensor floored = tone(2, samples);
    for (size_t i = 0; i < floored.size(); ++i)
      floored[i] += 1e-4 * faint[i];
    std::pair<const char *, Tensor> signals[] = {
        {"noise", noise(2, samples, rng)},
        {"tone", tone(2, samples)},
        {"tone+noise-80dB", floored}};
    for (const auto &[name, signal] : signals) {
      Tensor audio = toFloat(signal);
      Tensor expected = fbank(audio, tabs);
      Tensor actual = kernel.run(withTables(audio, tabs), expected.shape);
      double error = relativeL2(actual, expected);
      std::printf("[ relative L2 ] %s S=%lld T=%lld: %.3g\n", name,
                  static_cast<long long>(samples),
                  static_cast<long long>(expected.shape[1]), error);
      EXPECT_LE(error, 1e-5);
    }
  }
}

TEST(FbankTest, StaticLength) {
  std::vector<Tensor> tabs = tables();
  std::mt19937 rng(8);
  Tensor audio = toFloat(noise(1, 3333, rng));
  Tensor expected = fbank(audio, tabs);
  ASSERT_EQ(expected.shape[1], 19);
  Tensor actual =
      runKernel(fbankGraph(1, 3333, 19), withTables(audio, tabs), {1, 19, 80});
  EXPECT_LE(relativeL2(actual, expected), 1e-5);
}

TEST(FbankTest, SilenceHitsTheFloor) {
  std::vector<Tensor> tabs = tables();
  Tensor audio({2, 720});
  Tensor actual =
      runKernel(fbankGraph(2, 720, 3), withTables(audio, tabs), {2, 3, kMels});
  for (double value : actual.data)
    EXPECT_FLOAT_EQ(value, std::log(kFloor));
}

// Not a check: milliseconds per second of audio (run with HL_NUM_THREADS=1
// for one thread).
TEST(FbankTest, Timing) {
  JitKernel kernel(fbankGraph(1, "S", "T").parse());
  std::vector<Tensor> tabs = tables();
  std::mt19937 rng(9);
  int64_t samples = 10 * 16000;
  Tensor audio = noise(1, samples, rng);
  kernel.bind(withTables(audio, tabs), {1, (samples - kFft) / kHop + 1, kMels});
  std::vector<double> times;
  for (int i = 0; i < 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    kernel.realize();
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
  }
  std::sort(times.begin(), times.end());
  std::printf("[ timing ] fbank: %.3f ms per second of audio\n",
              times[times.size() / 2] / 10);
}

std::string errorOf(const GraphBuilder &graph) {
  try {
    graph.parse();
  } catch (const GraphError &error) {
    return error.what();
  }
  return "";
}

TEST(FbankTest, Validation) {
  GraphBuilder wrongFrames = fbankGraph(1, 3333, 20);
  EXPECT_THAT(errorOf(wrongFrames),
              HasSubstr("kernel 'fb' (fbank): output 'y' (buffer 5) has "
                        "shape [1, 20, 80]: the frame count must be "
                        "floor((S - 400) / 160) + 1 of audio [1, 3333]"));
  GraphBuilder plainSymbol = fbankGraph(1, "S", "S");
  EXPECT_THAT(errorOf(plainSymbol), HasSubstr("the frame count must be"));
  GraphBuilder noHop = fbankGraph(1, 3333, 19);
  noHop.raw()["kernels"][0]["attrs"].erase("hop");
  EXPECT_THAT(errorOf(noHop), HasSubstr("missing attribute 'hop'"));
  GraphBuilder zeroFloor = fbankGraph(1, 3333, 19);
  zeroFloor.raw()["kernels"][0]["attrs"]["floor"] = 0;
  EXPECT_THAT(errorOf(zeroFloor),
              HasSubstr("attribute 'floor' must be a number > 0"));
  GraphBuilder wrongMel = fbankGraph(1, 3333, 19);
  wrongMel.raw()["buffers"][4]["shape"] = {kMels, kFreqs + 1};
  wrongMel.raw()["buffers"][4]["bytes"] = kMels * (kFreqs + 1) * 4;
  EXPECT_THAT(errorOf(wrongMel),
              HasSubstr("input 'mel' (buffer 4) has shape [80, 202], "
                        "expected [80, 201]"));
  GraphBuilder swapped = fbankGraph(1, 3333, 19);
  std::swap(swapped.raw()["kernels"][0]["inputs"][2],
            swapped.raw()["kernels"][0]["inputs"][3]);
  EXPECT_THAT(errorOf(swapped), HasSubstr("inputs are (audio, window, sin, "
                                          "cos, mel) but expected (audio, "
                                          "window, cos, sin, mel)"));
}

} // namespace
} // namespace hmc::halide::test
