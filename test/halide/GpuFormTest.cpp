// The GPU forms of the kernels against their CPU forms: every op kind
// compiles for CUDA (PTX for sm_86 and sm_80, no GPU needed), and its GPU
// form, run by JIT with CPU loops, matches the CPU form. The ops with their
// own tests run them again in GPU mode (halide-gpu-* in CMakeLists.txt); the
// ones here have no other JIT test.
#include "AotCompile.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

struct Case {
  std::string name;
  std::string op;
  json attrs;
  /// role, dtype, shape (symbols "B", "N": bound to 3 and 37).
  std::vector<std::tuple<std::string, std::string, json>> inputs;
  std::string outDtype;
  json outShape;
};

std::ostream &operator<<(std::ostream &os, const Case &c) {
  return os << c.name;
}

class GpuFormTest : public testing::TestWithParam<Case> {};

Tensor randomInput(const std::string &dtype, const std::vector<int64_t> &shape,
                   std::mt19937 &rng, int64_t indexRange) {
  Tensor t = randomTensor(shape, rng, 0.1, 2.0);
  if (dtype == "int32" || dtype == "int64")
    for (double &v : t.data)
      v = std::floor(std::fabs(v) * 1000) -
          std::floor(std::fabs(v) * 1000 / (2 * indexRange)) * 2 * indexRange -
          indexRange; // in [-range, range)
  if (dtype == "bool")
    for (double &v : t.data)
      v = v > 0;
  return t;
}

TEST_P(GpuFormTest, CompilesForCudaAndMatchesTheCpuForm) {
  const Case &c = GetParam();
  GraphBuilder graph;
  std::vector<std::pair<std::string, int64_t>> roles;
  for (const auto &[role, dtype, shape] : c.inputs)
    roles.emplace_back(role, graph.buffer(role, dtype, shape));
  int64_t out = graph.buffer("y", c.outDtype, c.outShape, "output");
  graph.kernel("test_k0_" + c.op, c.op, c.attrs, roles, out);
  KernelGraph parsed = graph.parse();

  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("hmc-gpu-form-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  for (const char *target :
       {"host-cuda-cuda_capability_86", "host-cuda-cuda_capability_80"})
    EXPECT_NO_THROW(compileKernel(parsed, parsed.kernels[0],
                                  parseTarget(target),
                                  (dir / (c.name + ".o")).string()))
        << target;
  std::filesystem::remove_all(dir);

  std::map<std::string, int64_t> sizes = {{"B", 3}, {"N", 37}};
  std::mt19937 rng(7);
  std::vector<Tensor> inputs;
  int64_t indexRange = 4;
  for (const auto &[role, dtype, shape] : c.inputs)
    inputs.push_back(
        randomInput(dtype, bindShape(shape, sizes), rng, indexRange));
  std::vector<int64_t> outShape = bindShape(c.outShape, sizes);
  Halide::Target host = Halide::get_jit_target_from_environment();
  Tensor cpu, gpu;
  for (bool gpuForm : {false, true}) {
    BuiltKernel built =
        buildKernel(parsed, parsed.kernels[0], host, {}, gpuForm);
    std::vector<Halide::Buffer<>> buffers;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const BufferDesc &desc =
          parsed.buffer(parsed.kernels[0].inputs[i].buffer);
      std::vector<int> sizesHalide(inputs[i].shape.rbegin(),
                                   inputs[i].shape.rend());
      Halide::Buffer<> buffer(halideType(desc.dtype), sizesHalide);
      for (size_t k = 0; k < inputs[i].size(); ++k) {
        double v = inputs[i][k];
        switch (desc.dtype) {
        case DType::Float32:
          static_cast<float *>(buffer.data())[k] = float(v);
          break;
        case DType::Float64:
          static_cast<double *>(buffer.data())[k] = v;
          break;
        case DType::Int32:
          static_cast<int32_t *>(buffer.data())[k] = int32_t(v);
          break;
        case DType::Int64:
          static_cast<int64_t *>(buffer.data())[k] = int64_t(v);
          break;
        case DType::Bool:
          static_cast<uint8_t *>(buffer.data())[k] = uint8_t(v);
          break;
        }
      }
      built.inputs[i].set(buffer);
      buffers.push_back(buffer);
    }
    DType outType = parsed.buffer(parsed.kernels[0].outputs[0].buffer).dtype;
    Halide::Buffer<> output(
        halideType(outType),
        std::vector<int>(outShape.rbegin(), outShape.rend()));
    built.pipeline.realize(Halide::Realization({output}));
    Tensor result(outShape);
    for (size_t k = 0; k < result.size(); ++k) {
      switch (outType) {
      case DType::Float32:
        result[k] = static_cast<const float *>(output.data())[k];
        break;
      case DType::Float64:
        result[k] = static_cast<const double *>(output.data())[k];
        break;
      case DType::Int32:
        result[k] = static_cast<const int32_t *>(output.data())[k];
        break;
      case DType::Int64:
        result[k] = static_cast<const int64_t *>(output.data())[k];
        break;
      case DType::Bool:
        result[k] = static_cast<const uint8_t *>(output.data())[k];
        break;
      }
    }
    (gpuForm ? gpu : cpu) = result;
  }
  ASSERT_EQ(gpu.shape, cpu.shape);
  double diff = 0, norm = 0;
  for (size_t k = 0; k < cpu.size(); ++k) {
    diff += (gpu[k] - cpu[k]) * (gpu[k] - cpu[k]);
    norm += cpu[k] * cpu[k];
  }
  EXPECT_LE(std::sqrt(diff), 1e-5 * std::sqrt(norm) + 1e-12) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Ops, GpuFormTest,
    testing::Values(
        Case{"gather",
             "gather",
             {{"axis", 0}},
             {{"x", "float32", json{10, 16}},
              {"indices", "int64", json{"B", "N"}}},
             "float32",
             json{"B", "N", 16}},
        Case{"gather_inner",
             "gather",
             {{"axis", 1}},
             {{"x", "float32", json{"B", 10}}, {"indices", "int32", json{5}}},
             "float32",
             json{"B", 5}},
        Case{"gather_elements_tokens",
             "gather_elements",
             {{"axis", 1}},
             {{"x", "float32", json{"B", "N", 16}},
              {"indices", "int64", json{"B", 1, 16}}},
             "float32",
             json{"B", 1, 16}},
        Case{"matmul_relative_shift_epilogue",
             "matmul",
             {{"relative_shift", true},
              {"epilogue",
               json::array({{{"op", "add"}, {"args", {"in0", "in1"}}}})}},
             {{"lhs", "float32", json{"B", 9, 18}},
              {"rhs", "float32", json{18, 17}},
              {"e1", "float32", json{"B", 9, 9}}},
             "float32",
             json{"B", 9, 9}},
        Case{"cumsum_last_axis",
             "cumsum",
             {{"axis", 2}, {"exclusive", false}, {"reverse", false}},
             {{"x", "float32", json{"B", "N", 5}}},
             "float32",
             json{"B", "N", 5}},
        Case{"cumsum_tokens_reverse",
             "cumsum",
             {{"axis", 1}, {"exclusive", true}, {"reverse", true}},
             {{"x", "float32", json{"B", "N", 24}}},
             "float32",
             json{"B", "N", 24}},
        Case{"scatter_nd_rows",
             "scatter_nd",
             json::object(),
             {{"x", "float32", json{5, 7, "B"}},
              {"indices", "int64", json{"N", 2}},
              {"updates", "float32", json{"N", "B"}}},
             "float32",
             json{5, 7, "B"}},
        Case{"scatter_nd_entries",
             "scatter_nd",
             json::object(),
             {{"x", "float32", json{6, 5}},
              {"indices", "int32", json{"N", 2}},
              {"updates", "float32", json{"N"}}},
             "float32",
             json{6, 5}},
        Case{"slice",
             "slice",
             {{"axes", {1}}, {"starts", {2}}, {"steps", {3}}},
             {{"x", "float32", json{"B", 20, 8}}},
             "float32",
             json{"B", 6, 8}},
        Case{"reshape",
             "reshape",
             json::object(),
             {{"x", "float32", json{"B", "N", 8}}},
             "float32",
             json{"B", "N", 2, 4}},
        Case{"reduce_sum_inner",
             "reduce_sum",
             {{"axes", {2}}, {"keepdims", false}},
             {{"x", "float32", json{"B", "N", 24}}},
             "float32",
             json{"B", "N"}},
        Case{"reduce_mean_outer",
             "reduce_mean",
             {{"axes", {0, 1}}, {"keepdims", true}},
             {{"x", "float32", json{"B", "N", 24}}},
             "float32",
             json{1, 1, 24}},
        Case{"reduce_sum_all_int",
             "reduce_sum",
             {{"axes", {0, 1}}, {"keepdims", false}},
             {{"x", "int64", json{"B", 7}}},
             "int64",
             json::array()},
        Case{"reduce_max_tokens",
             "reduce_max",
             {{"axes", {1}}, {"keepdims", false}},
             {{"x", "float32", json{"B", "N", 24}}},
             "float32",
             json{"B", 24}},
        Case{"arg_max_inner",
             "arg_max",
             {{"axis", 2}, {"keepdims", false}, {"select_last_index", false}},
             {{"x", "float32", json{"B", "N", 24}}},
             "int64",
             json{"B", "N"}},
        Case{"matmul",
             "matmul",
             json::object(),
             {{"lhs", "float32", json{"B", 4, "N", 16}},
              {"rhs", "float32", json{1, 4, 16, 24}}},
             "float32",
             json{"B", 4, "N", 24}},
        Case{"linear",
             "linear",
             json::object(),
             {{"x", "float32", json{"B", "N", 32}},
              {"weight", "float32", json{32, 48}},
              {"bias", "float32", json{48}}},
             "float32",
             json{"B", "N", 48}},
        // 64 x 32 blocks of 4 x 4 per thread: ragged M, N and batch dims.
        Case{"linear_blocked",
             "linear",
             json::object(),
             {{"x", "float32", json{"B", "N", 40}},
              {"weight", "float32", json{40, 100}},
              {"bias", "float32", json{100}}},
             "float32",
             json{"B", "N", 100}},
        Case{"linear_blocked_rows",
             "linear",
             json::object(),
             {{"x", "float32", json{"N", 24}},
              {"weight", "float32", json{24, 128}}},
             "float32",
             json{"N", 128}},
        Case{"linear_blocked_static",
             "linear",
             json::object(),
             {{"x", "float32", json{3, 10, 24}},
              {"weight", "float32", json{24, 68}}},
             "float32",
             json{3, 10, 68}},
        Case{"matmul_blocked",
             "matmul",
             json::object(),
             {{"lhs", "float32", json{"B", 2, "N", 16}},
              {"rhs", "float32", json{"B", 2, 16, 64}}},
             "float32",
             json{"B", 2, "N", 64}},
        Case{"where",
             "where",
             json::object(),
             {{"condition", "bool", json{"B", "N", 1}},
              {"x", "float32", json{"B", "N", 8}},
              {"y", "float32", json{8}}},
             "float32",
             json{"B", "N", 8}},
        Case{"cast",
             "cast",
             {{"to", "int32"}},
             {{"x", "float32", json{"B", "N"}}},
             "int32",
             json{"B", "N"}},
        Case{"int_div",
             "div",
             json::object(),
             {{"lhs", "int64", json{"B", "N"}},
              {"rhs", "int64", json{"B", "N"}}},
             "int64",
             json{"B", "N"}},
        Case{"less_mask",
             "less",
             json::object(),
             {{"lhs", "int64", json{1, "N"}}, {"rhs", "int64", json{"B", 1}}},
             "bool",
             json{"B", "N"}},
        Case{"iota",
             "iota",
             {{"axis", 1}},
             {{"reference", "float32", json{"B", "N", 8}}},
             "int64",
             json{"N"}},
        Case{"dim_size",
             "dim_size",
             {{"axis", 1}},
             {{"reference", "float32", json{"B", "N", 8}}},
             "float32",
             json::array()},
        Case{"round",
             "round",
             json::object(),
             {{"x", "float32", json{"B", "N"}}},
             "float32",
             json{"B", "N"}},
        Case{"or_mask",
             "or",
             json::object(),
             {{"lhs", "bool", json{"B", 1}}, {"rhs", "bool", json{"B", "N"}}},
             "bool",
             json{"B", "N"}},
        Case{"not",
             "not",
             json::object(),
             {{"x", "bool", json{"B", "N"}}},
             "bool",
             json{"B", "N"}},
        Case{"layer_norm_2axes",
             "layer_norm",
             {{"eps", 1e-5}, {"axes", 2}},
             {{"x", "float32", json{"B", "N", 4, 12}},
              {"gamma", "float32", json{4, 12}},
              {"beta", "float32", json{4, 12}}},
             "float32",
             json{"B", "N", 4, 12}},
        Case{"softmax_middle",
             "softmax",
             {{"axis", 1}},
             {{"x", "float32", json{"B", "N", 8}}},
             "float32",
             json{"B", "N", 8}},
        Case{"log_softmax_last",
             "log_softmax",
             {{"axis", 2}},
             {{"x", "float32", json{"B", "N", 21}}},
             "float32",
             json{"B", "N", 21}},
        Case{"ctc_greedy",
             "ctc_greedy",
             {{"blank", 0}},
             {{"log_probs", "float32", json{"B", "N", 6}}},
             "int64",
             json{"B", "N"}}),
    [](const testing::TestParamInfo<Case> &info) { return info.param.name; });

} // namespace
} // namespace hmc::halide::test
