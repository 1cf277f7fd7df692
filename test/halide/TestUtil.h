// Helpers for the hmc-halide unit tests: kernel graphs built in code, random
// row-major tensors, JIT runs through the same builders hmc-halide uses, and
// the relative L2 error against float64 references.
#ifndef HMC_TEST_HALIDE_TESTUTIL_H
#define HMC_TEST_HALIDE_TESTUTIL_H

#include "KernelBuilder.h"

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace hmc::halide::test {

/// Dense row-major tensor of doubles, the currency of the references.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> shape);
  size_t size() const { return data.size(); }
  double &operator[](size_t i) { return data[i]; }
  double operator[](size_t i) const { return data[i]; }
};

/// Values uniform in [lo, hi] with a random sign unless `positive`: never 0.
Tensor randomTensor(const std::vector<int64_t> &shape, std::mt19937 &rng,
                    double lo = 0.1, double hi = 1.0, bool positive = false);

/// ||actual - expected|| / ||expected|| over all elements.
double relativeL2(const Tensor &actual, const Tensor &expected);

/// The float64 LayerNorm of one row of `d` values (biased variance):
/// out = (in - mean) / sqrt(var + eps) * gamma + beta.
void layerNormRow(const double *in, int64_t d, const double *gamma,
                  const double *beta, double eps, double *out);

/// Builds a kernel graph JSON; shape entries that are strings become
/// symbols, weights get offsets and sizes.
class GraphBuilder {
public:
  GraphBuilder();
  int64_t buffer(const std::string &name, const std::string &dtype,
                 const nlohmann::json &shape,
                 const std::string &storage = "input");
  void kernel(const std::string &name, const std::string &op,
              const nlohmann::json &attrs,
              const std::vector<std::pair<std::string, int64_t>> &inputs,
              int64_t output);
  /// Declares the symbol `tokens` and `positions` = 2 tokens - 1 (the
  /// relative positions of Transformer-XL attention).
  void relativeLength(const std::string &tokens, const std::string &positions);
  nlohmann::json &raw() { return graph_; }
  KernelGraph parse() const { return parseKernelGraph(graph_); }

private:
  nlohmann::json graph_;
  int64_t weightBytes_ = 0;
};

/// Whether the tests run the kernels' GPU forms (HMC_TEST_GPU_TARGET).
bool testingGpuForms();

/// One kernel of a graph, built for the host and run by JIT; the pipeline is
/// compiled once and can run on inputs of different dynamic sizes.
class JitKernel {
public:
  /// `schedule`: knobs or an autoscheduler instead of the default schedule.
  JitKernel(const KernelGraph &graph, size_t kernelIndex = 0,
            const ScheduleChoice &schedule = {});
  /// Binds row-major inputs (in the kernel's input order) and allocates an
  /// output of this shape.
  void bind(const std::vector<Tensor> &inputs,
            const std::vector<int64_t> &outputShape);
  /// Runs on the bound buffers.
  void realize() { built_.pipeline.realize(Halide::Realization({output_})); }
  Tensor output() const;
  /// The schedule's knobs the kernel did not use as given (KernelBuilder.h).
  const std::vector<std::string> &knobNotes() const { return built_.knobNotes; }
  /// Names of the pipeline's functions (what the kernel computes), without
  /// Halide's uniquing suffixes.
  std::set<std::string> functionNames() const;
  Tensor run(const std::vector<Tensor> &inputs,
             const std::vector<int64_t> &outputShape) {
    bind(inputs, outputShape);
    realize();
    return output();
  }

private:
  KernelGraph graph_;
  size_t index_;
  BuiltKernel built_;
  Halide::Buffer<> output_;
  std::vector<int64_t> outputShape_;
};

/// A graph shape (integers and symbol names) with the symbols' sizes filled in.
std::vector<int64_t> bindShape(const nlohmann::json &shape,
                               const std::map<std::string, int64_t> &sizes);

/// Builds graph kernel 0 from `builder` and runs it once.
Tensor runKernel(const GraphBuilder &builder, const std::vector<Tensor> &inputs,
                 const std::vector<int64_t> &outputShape);

} // namespace hmc::halide::test

#endif // HMC_TEST_HALIDE_TESTUTIL_H
