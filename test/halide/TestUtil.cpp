#include "TestUtil.h"
#include "AotCompile.h"
#include "JitThreads.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace hmc::halide::test {

using nlohmann::json;

Tensor::Tensor(std::vector<int64_t> shape) : shape(std::move(shape)) {
  size_t count = 1;
  for (int64_t dim : this->shape)
    count *= static_cast<size_t>(dim);
  data.assign(count, 0.0);
}

Tensor randomTensor(const std::vector<int64_t> &shape, std::mt19937 &rng,
                    double lo, double hi, bool positive) {
  Tensor tensor(shape);
  std::uniform_real_distribution<double> magnitude(lo, hi);
  std::bernoulli_distribution negative(0.5);
  for (double &value : tensor.data)
    value = (!positive && negative(rng) ? -1 : 1) * magnitude(rng);
  return tensor;
}

double relativeL2(const Tensor &actual, const Tensor &expected) {
  if (actual.shape != expected.shape)
    return INFINITY;
  double diff = 0, norm = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
    norm += expected[i] * expected[i];
  }
  return std::sqrt(diff / norm);
}

void layerNormRow(const double *in, int64_t d, const double *gamma,
                  const double *beta, double eps, double *out) {
  double mean = 0, var = 0;
  for (int64_t c = 0; c < d; ++c)
    mean += in[c] / d;
  for (int64_t c = 0; c < d; ++c)
    var += (in[c] - mean) * (in[c] - mean) / d;
  for (int64_t c = 0; c < d; ++c)
    out[c] = (in[c] - mean) / std::sqrt(var + eps) * gamma[c] + beta[c];
}

GraphBuilder::GraphBuilder()
    : graph_({{"format", "hmc.kernel_graph"},
              {"version", 1},
              {"name", "test"},
              {"target", "host"},
              {"symbols", json::array()},
              {"buffers", json::array()},
              {"inputs", json::array()},
              {"outputs", json::array()},
              {"kernels", json::array()}}) {}

int64_t GraphBuilder::buffer(const std::string &name, const std::string &dtype,
                             const json &shape, const std::string &storage) {
  int64_t id = static_cast<int64_t>(graph_["buffers"].size());
  json buffer = {{"id", id},
                 {"name", name},
                 {"dtype", dtype},
                 {"shape", shape},
                 {"storage", storage}};
  for (const json &dim : shape) {
    if (!dim.is_string())
      continue;
    bool known = false;
    for (const json &symbol : graph_["symbols"])
      known |= symbol["name"] == dim;
    if (!known)
      graph_["symbols"].push_back(
          {{"name", dim}, {"min", 1}, {"max", 1 << 20}});
  }
  if (storage == "weight") {
    std::optional<DType> type = parseDType(dtype);
    int64_t bytes = type == DType::Float64 || type == DType::Int64 ? 8
                    : type == DType::Bool                          ? 1
                                                                   : 4;
    for (const json &dim : shape)
      bytes *= dim.get<int64_t>();
    buffer["offset"] = weightBytes_;
    buffer["bytes"] = bytes;
    weightBytes_ += (bytes + 63) / 64 * 64;
  }
  if (storage == "input")
    graph_["inputs"].push_back(id);
  if (storage == "output")
    graph_["outputs"].push_back(id);
  graph_["buffers"].push_back(buffer);
  return id;
}

void GraphBuilder::relativeLength(const std::string &tokens,
                                  const std::string &positions) {
  graph_["symbols"].push_back({{"name", tokens}, {"min", 1}, {"max", 1 << 20}});
  graph_["symbols"].push_back(
      {{"name", positions},
       {"min", 1},
       {"max", 1 << 20},
       {"derived",
        {{"base", tokens}, {"mul", 2}, {"add", -1}, {"div", 1}, {"post", 0}}}});
}

void GraphBuilder::kernel(
    const std::string &name, const std::string &op, const json &attrs,
    const std::vector<std::pair<std::string, int64_t>> &inputs,
    int64_t output) {
  json kernel = {
      {"name", name},
      {"op", op},
      {"attrs", attrs},
      {"inputs", json::array()},
      {"outputs", json::array({{{"role", "y"}, {"buffer", output}}})}};
  for (const auto &[role, id] : inputs)
    kernel["inputs"].push_back({{"role", role}, {"buffer", id}});
  graph_["kernels"].push_back(kernel);
}

namespace {

std::vector<int> halideSizes(const std::vector<int64_t> &shape) {
  return std::vector<int>(shape.rbegin(), shape.rend());
}

/// Calls fn(T{}) with the C type T of `dtype`.
template <typename Fn> void withCType(DType dtype, Fn fn) {
  switch (dtype) {
  case DType::Float32:
    return fn(float{});
  case DType::Float64:
    return fn(double{});
  case DType::Int32:
    return fn(int32_t{});
  case DType::Int64:
    return fn(int64_t{});
  case DType::Bool:
    return fn(uint8_t{});
  }
}

} // namespace

namespace {

/// HMC_TEST_GPU_TARGET (e.g. host-cuda-cuda_capability_86) switches the
/// tests to the GPU forms: each kernel is compiled for that target (the
/// ahead-of-time path hmc-halide takes, which needs no GPU) and its GPU
/// form runs by JIT with CPU loops.
const char *gpuTestTarget() {
  const char *target = std::getenv("HMC_TEST_GPU_TARGET");
  return target && *target ? target : nullptr;
}

BuiltKernel buildForTest(const KernelGraph &graph, size_t index,
                         const ScheduleChoice &schedule) {
  const KernelDesc &kernel = graph.kernels.at(index);
  const char *gpuTarget = gpuTestTarget();
  if (gpuTarget) {
    std::string path =
        (std::filesystem::temp_directory_path() /
         fmt::format("hmc-gpu-test-{}-{}.o", getpid(), kernel.name))
            .string();
    compileKernel(graph, kernel, parseTarget(gpuTarget), path, schedule);
    std::filesystem::remove(path);
  }
  return buildKernel(graph, kernel, Halide::get_jit_target_from_environment(),
                     schedule, gpuTarget != nullptr);
}

} // namespace

bool testingGpuForms() { return gpuTestTarget() != nullptr; }

JitKernel::JitKernel(const KernelGraph &graph, size_t kernelIndex,
                     const ScheduleChoice &schedule)
    : graph_(graph), index_(kernelIndex),
      built_(buildForTest(graph_, kernelIndex, schedule)) {
  useLibraryThreadPool(built_.pipeline);
}

void JitKernel::bind(const std::vector<Tensor> &inputs,
                     const std::vector<int64_t> &outputShape) {
  const KernelDesc &kernel = graph_.kernels[index_];
  if (inputs.size() != kernel.inputs.size())
    throw std::invalid_argument("wrong number of inputs");
  for (size_t i = 0; i < inputs.size(); ++i) {
    DType dtype = graph_.buffer(kernel.inputs[i].buffer).dtype;
    Halide::Buffer<> buffer(halideType(dtype), halideSizes(inputs[i].shape));
    withCType(dtype, [&](auto tag) {
      auto *data = static_cast<decltype(tag) *>(buffer.data());
      for (size_t k = 0; k < inputs[i].size(); ++k)
        data[k] = static_cast<decltype(tag)>(inputs[i][k]);
    });
    built_.inputs[i].set(buffer);
  }
  DType outType = graph_.buffer(kernel.outputs[0].buffer).dtype;
  output_ = Halide::Buffer<>(halideType(outType), halideSizes(outputShape));
  outputShape_ = outputShape;
}

std::set<std::string> JitKernel::functionNames() const {
  std::set<std::string> names;
  for (const Halide::Func &output : built_.pipeline.outputs())
    for (const auto &[name, function] :
         Halide::Internal::find_transitive_calls(output.function()))
      names.insert(name.substr(0, name.find('$')));
  return names;
}

Tensor JitKernel::output() const {
  Tensor result(outputShape_);
  DType outType = graph_.buffer(graph_.kernels[index_].outputs[0].buffer).dtype;
  withCType(outType, [&](auto tag) {
    const auto *data = static_cast<const decltype(tag) *>(output_.data());
    for (size_t k = 0; k < result.size(); ++k)
      result[k] = static_cast<double>(data[k]);
  });
  return result;
}

Tensor runKernel(const GraphBuilder &builder, const std::vector<Tensor> &inputs,
                 const std::vector<int64_t> &outputShape) {
  return JitKernel(builder.parse()).run(inputs, outputShape);
}

std::vector<int64_t> bindShape(const nlohmann::json &shape,
                               const std::map<std::string, int64_t> &sizes) {
  std::vector<int64_t> dims;
  for (const nlohmann::json &dim : shape)
    dims.push_back(dim.is_string() ? sizes.at(dim.get<std::string>())
                                   : dim.get<int64_t>());
  return dims;
}

} // namespace hmc::halide::test
