//===- HostProgramTest.cpp - Host program, header and schema checks -------===//

#include "HostProgram.h"
#include "TestGraphs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace hmc::backend;
using hmc::backend::test::addGraph;
using nlohmann::json;

namespace {

namespace fs = std::filesystem;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

HostProgram emit(const json &graph, HostProgramOptions options = {}) {
  options.graphDir = "/models";
  HostProgram host;
  Status status = emitHostProgram(graph, options, host);
  EXPECT_TRUE(status.ok()) << status.message();
  return host;
}

std::string emitError(const json &graph, HostProgramOptions options = {}) {
  HostProgram host;
  Status status = emitHostProgram(graph, options, host);
  EXPECT_FALSE(status.ok());
  return status.message();
}

// A scratch folder for compiling emitted sources with the system compiler.
class Scratch : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "hmc-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir = pattern;
  }
  void TearDown() override { fs::remove_all(dir); }

  void write(const std::string &file, const std::string &text) {
    std::ofstream(dir / file) << text;
  }

  // The emitted C must be warning-free; the header must also serve C++.
  void expectCompiles(const HostProgram &host) {
    write("host.c", host.source);
    write(host.name + ".h", host.header);
    write("user.cpp", "#include \"" + host.name + ".h\"\nint main() {}\n");
    std::string includes =
        " -I " + dir.string() + " -I " HMC_RUNTIME_INCLUDE_DIR " ";
    EXPECT_EQ(std::system(("cc -fsyntax-only -std=c11 -Wall -Wextra -Werror "
                           "-pedantic" +
                           includes + (dir / "host.c").string())
                              .c_str()),
              0)
        << host.source;
    EXPECT_EQ(std::system(("c++ -fsyntax-only -std=c++17 -Wall -Wextra -Werror "
                           "-pedantic" +
                           includes + (dir / "user.cpp").string())
                              .c_str()),
              0)
        << host.header;
  }

  void expectTargetCompiles(const std::string &source) {
    write("target.c", source);
    EXPECT_EQ(std::system(("cc -fsyntax-only -std=c11 -Wall -Wextra -Werror "
                           "-pedantic -I " HMC_RUNTIME_INCLUDE_DIR " " +
                           (dir / "target.c").string())
                              .c_str()),
              0)
        << source;
  }

  fs::path dir;
};

} // namespace

TEST(HostProgram, Header) {
  HostProgram host = emit(addGraph());
  EXPECT_EQ(host.name, "addmodel");
  const std::string &h = host.header;
  // The api_types.h block, pasted verbatim.
  EXPECT_TRUE(contains(h, "#ifndef HMC_API_TYPES_V1"));
  EXPECT_TRUE(contains(h, "typedef struct hmc_library_v1 {"));
  EXPECT_TRUE(contains(h, "#ifndef HMC_MODEL_addmodel_H"));
  EXPECT_TRUE(contains(h, " *   batch in [1, 1024]\n"));
  EXPECT_TRUE(contains(h, "  /* \"x:0\": float32 [batch, 4] */\n"
                          "  addmodel_INPUT_x_0 = 0,\n"
                          "  addmodel_NUM_INPUTS = 1\n"));
  EXPECT_TRUE(contains(h, "  /* \"onnx::Add_1\": float32 [batch, 4] */\n"
                          "  addmodel_OUTPUT_onnx__Add_1 = 0,\n"
                          "  addmodel_NUM_OUTPUTS = 1\n"));
  EXPECT_TRUE(contains(h, "typedef struct addmodel_handle addmodel_handle;"));
  EXPECT_TRUE(contains(h, "hmc_status addmodel_create(const hmc_create_options "
                          "*options, addmodel_handle **handle);"));
  EXPECT_TRUE(contains(h, "const hmc_library_v1 *addmodel_library(void);"));
}

TEST(HostProgram, Tables) {
  HostProgram host = emit(addGraph());
  const std::string &c = host.source;
  EXPECT_TRUE(contains(c, "extern int addmodel_k0_argv(void **args);"));
  EXPECT_TRUE(contains(c, "{\"batch\", 1, 1024, 0, 1, 0, 1, 0},"));
  EXPECT_TRUE(contains(c, "/* 0 */ {\"x:0\", HMC_DTYPE_FLOAT32, 2, "
                          "{{0, 0}, {-1, 4}}, HMCRT_INPUT, 0, 0},"));
  EXPECT_TRUE(contains(c, "/* 1 */ {\"bias\", HMC_DTYPE_FLOAT32, 2, "
                          "{{-1, 1}, {-1, 4}}, HMCRT_WEIGHT, -1, 0},"));
  EXPECT_TRUE(contains(c, "/* 2 */ {\"onnx::Add_1\", HMC_DTYPE_FLOAT32, 2, "
                          "{{0, 0}, {-1, 4}}, HMCRT_OUTPUT, 0, 0},"));
  EXPECT_TRUE(contains(c, "hmc_kernel_args_0[] = {0, 1, 2};"));
  EXPECT_TRUE(contains(c, "{\"addmodel_k0\", addmodel_k0_argv, 3, "
                          "hmc_kernel_args_0, NULL, 0, 0},"));
  EXPECT_TRUE(contains(c, "hmc_input_shape_0[] = {-1, 4};"));
  EXPECT_TRUE(contains(c, "hmc_input_dims_0[] = {\"batch\", NULL};"));
  EXPECT_TRUE(contains(c, "{\"x:0\", \"x_0\", HMC_DTYPE_FLOAT32, 2, "
                          "hmc_input_shape_0, hmc_input_dims_0},"));
  EXPECT_TRUE(contains(c, "__asm__(\"hmc_library_v1\")"));
  EXPECT_TRUE(contains(c, ".name = \"addmodel\","));
  EXPECT_TRUE(contains(c, ".target = hmc_target_name,"));
  EXPECT_TRUE(contains(c, ".schedule_source = hmc_schedule_source,"));
  EXPECT_TRUE(contains(c, ".weights = hmc_weights,"));
  EXPECT_TRUE(contains(c, ".weights_size = 16,"));
  EXPECT_TRUE(contains(c, "extern const hmcrt_target_desc hmc_target;"));
  EXPECT_TRUE(contains(c, ".target = &hmc_target,"));
  EXPECT_EQ(host.kernels, std::vector<std::string>{"addmodel_k0"});
}

TEST(HostProgram, WeightsAndExports) {
  HostProgram host = emit(addGraph());
  EXPECT_EQ(host.weightsPath, "/models/addmodel.weights.bin");
  EXPECT_EQ(host.weightsSize, 16u);
  EXPECT_TRUE(contains(host.weightsAssembly, "\t.balign 64\n"));
  EXPECT_TRUE(contains(host.weightsAssembly, "\t.hidden hmc_weights\n"));
  EXPECT_TRUE(contains(host.weightsAssembly,
                       "\t.incbin \"/models/addmodel.weights.bin\"\n"));
  for (const std::string &function : exportedFunctions("addmodel"))
    EXPECT_TRUE(contains(host.versionScript, "    " + function + ";\n"));
  EXPECT_TRUE(
      contains(host.versionScript, "    hmc_library_v1;\n  local:\n    *;\n"));
}

TEST(HostProgram, OptionsOverrideTheGraph) {
  HostProgramOptions options;
  options.name = "other";
  options.target = "x86-64-linux-avx2";
  HostProgram host = emit(addGraph(), options);
  EXPECT_EQ(host.name, "other");
  EXPECT_TRUE(contains(host.source, ".name = \"other\","));
  EXPECT_TRUE(contains(host.header, "for target x86-64-linux-avx2."));
  EXPECT_TRUE(contains(host.header, "hmc_status other_run(other_handle"));
  // Kernel names are the graph's own, whatever the model is called.
  EXPECT_EQ(host.kernels, std::vector<std::string>{"addmodel_k0"});
}

// Buffer 3: a [batch, 4] float32 temporary.
void addTemporary(json &graph) {
  graph["buffers"].push_back({{"id", 3},
                              {"name", "t"},
                              {"dtype", "float32"},
                              {"shape", {"batch", 4}},
                              {"storage", "temp"}});
}

TEST(HostProgram, RepeatedKernelIsDeclaredOnce) {
  // x + bias into a temporary, then the same kernel adds bias again.
  json graph = addGraph();
  addTemporary(graph);
  graph["kernels"].push_back(graph["kernels"][0]);
  graph["kernels"][0]["outputs"][0]["buffer"] = 3;
  graph["kernels"][1]["inputs"][0]["buffer"] = 3;
  HostProgram host = emit(graph);
  EXPECT_EQ(host.kernels, std::vector<std::string>{"addmodel_k0"});
  EXPECT_TRUE(contains(host.source, "hmc_kernel_args_1[] = {3, 1, 2};"));
  size_t first = host.source.find("extern int addmodel_k0_argv");
  EXPECT_EQ(host.source.find("extern int addmodel_k0_argv", first + 1),
            std::string::npos);
}

TEST(HostProgram, RejectsReadsBeforeWrites) {
  json graph = addGraph();
  addTemporary(graph);
  graph["kernels"][0]["inputs"][0]["buffer"] = 3;
  HostProgram host;
  Status status = emitHostProgram(graph, {}, host);
  EXPECT_TRUE(contains(status.message(),
                       "kernels[0]: reads buffer \"t\" before any kernel "
                       "writes it"))
      << status.message();

  graph = addGraph();
  graph["kernels"][0]["outputs"][0]["buffer"] = 1;
  status = emitHostProgram(graph, {}, host);
  EXPECT_TRUE(contains(status.message(), "writes buffer \"bias\", which is "
                                         "an input, a weight or already "
                                         "written"))
      << status.message();
}

TEST(HostProgram, RejectsKernelsOutsideTheGraphNamespace) {
  json graph = addGraph();
  graph["kernels"][0]["name"] = "memcpy";
  HostProgram host;
  Status status = emitHostProgram(graph, {}, host);
  EXPECT_TRUE(contains(status.message(), "kernel \"memcpy\" must start with "
                                         "the graph name \"addmodel_\""))
      << status.message();
}

TEST_F(Scratch, EmittedCodeCompiles) { expectCompiles(emit(addGraph())); }

// Names that stress every escape: quotes, comment delimiters, trigraphs,
// control and non-ASCII bytes, a C keyword and a collision.
TEST_F(Scratch, HostileNamesAreEscaped) {
  json graph = addGraph();
  graph["symbols"][0]["name"] = "b*/ /*?\?=\n";
  graph["buffers"][0]["shape"][0] = "b*/ /*?\?=\n";
  graph["buffers"][2]["shape"][0] = "b*/ /*?\?=\n";
  graph["buffers"][0]["name"] = "a\"b\\c*/?\?/\xc3\xa9";
  graph["buffers"][2]["name"] = "int";
  HostProgram host = emit(graph);
  EXPECT_TRUE(contains(host.source, "{\"a\\\"b\\\\c*/\\?\\?/\\303\\251\", "
                                    "\"a_b_c_______\", HMC_DTYPE_FLOAT32"));
  EXPECT_TRUE(contains(host.header, "addmodel_OUTPUT_int_ = 0"));
  expectCompiles(host);
}

TEST_F(Scratch, ModelWithoutWeightsOrSymbols) {
  json graph = addGraph();
  graph.erase("symbols");
  graph.erase("weights");
  graph["buffers"][0]["shape"] = json::array({2, 4});
  graph["buffers"][1] = {{"id", 1},
                         {"name", "s"},
                         {"dtype", "bool"},
                         {"shape", json::array()},
                         {"storage", "input"}};
  graph["buffers"][2]["shape"] = json::array({2, 4});
  graph["inputs"] = json::array({0, 1});
  HostProgram host = emit(graph);
  EXPECT_TRUE(host.weightsAssembly.empty());
  EXPECT_TRUE(host.weightsPath.empty());
  EXPECT_TRUE(contains(host.source, ".symbols = NULL,"));
  EXPECT_TRUE(contains(host.source, ".weights = NULL,"));
  EXPECT_TRUE(
      contains(host.source, "{\"s\", \"s\", HMC_DTYPE_BOOL, 0, NULL, NULL},"));
  EXPECT_TRUE(contains(host.header, "/* \"s\": bool [] */"));
  expectCompiles(host);
}

// target.c from hmc-halide's target.json: the table create checks the CPU
// against.
TEST_F(Scratch, TargetSource) {
  json target = {
      {"target", "x86-64-linux-avx2-fma"},
      {"cpu_features",
       {{{"id", 6}, {"name", "avx2"}}, {{"id", 7}, {"name", "fma"}}}}};
  std::string source;
  Status status = emitTargetSource(target, source);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(contains(source, "    {6, \"avx2\"},\n    {7, \"fma\"},\n"));
  EXPECT_TRUE(contains(source, "const char hmc_target_name[] = "
                               "\"x86-64-linux-avx2-fma\";\n"));
  // No schedule_source: an untuned library.
  EXPECT_TRUE(contains(source, "const char hmc_schedule_source[] = "
                               "\"default\";\n"));
  EXPECT_TRUE(contains(source, "const hmcrt_target_desc hmc_target = {\n"
                               "    .name = hmc_target_name,\n"
                               "    .num_cpu_features = 2,\n"
                               "    .cpu_features = hmc_cpu_features,\n"));
  expectTargetCompiles(source);
  target["cpu_features"] = json::array();
  ASSERT_TRUE(emitTargetSource(target, source).ok());
  EXPECT_TRUE(contains(source, ".cpu_features = NULL,"));
  expectTargetCompiles(source);
  target["schedule_source"] = "tuning database: 2 of 5 kernels tuned";
  ASSERT_TRUE(emitTargetSource(target, source).ok());
  EXPECT_TRUE(contains(source, "const char hmc_schedule_source[] = "
                               "\"tuning database: 2 of 5 kernels tuned\";"));
}

TEST(HostProgram, TargetSourceRejectsBadInput) {
  auto error = [](const json &target) {
    std::string source;
    Status status = emitTargetSource(target, source);
    EXPECT_FALSE(status.ok());
    return status.message();
  };
  EXPECT_EQ(error({{"cpu_features", json::array()}}),
            "invalid target.json from hmc-halide: target.json: missing "
            "\"target\"");
  EXPECT_EQ(error({{"target", "host"},
                   {"cpu_features", {{{"id", -1}, {"name", "avx2"}}}}}),
            "invalid target.json from hmc-halide: cpu_features[0].id: "
            "expected a non-negative integer, got -1");
}

TEST(HostProgram, RejectsBadModelNames) {
  HostProgramOptions options;
  options.name = "my-model";
  EXPECT_TRUE(contains(emitError(addGraph(), options),
                       "invalid model name 'my-model'"));
  json graph = addGraph();
  graph["name"] = "9lives";
  EXPECT_TRUE(contains(emitError(graph), "invalid model name '9lives'"));
  // pthread_create would replace the C library's function in the process.
  options.name = "pthread";
  EXPECT_TRUE(contains(emitError(addGraph(), options),
                       "its exported function pthread_create is also a "
                       "libc.so.6 function"));
  options.name = "hmc";
  EXPECT_TRUE(contains(emitError(addGraph(), options), "reserved"));
}

TEST(HostProgram, RejectsKernelNamesThatClash) {
  json graph = addGraph();
  graph["kernels"][0]["name"] = "addmodel_run";
  EXPECT_TRUE(contains(emitError(graph),
                       "clashes with the exported function addmodel_run"));
  graph["kernels"][0]["name"] = "hmc_weights";
  EXPECT_TRUE(contains(emitError(graph), "must be a C identifier not starting "
                                         "with hmc or halide"));
}

struct SchemaCase {
  const char *description;
  void (*mutate)(json &graph);
  const char *error;
};

class Schema : public ::testing::TestWithParam<SchemaCase> {};

TEST_P(Schema, ReportsTheViolation) {
  json graph = addGraph();
  GetParam().mutate(graph);
  std::string error = emitError(graph);
  EXPECT_TRUE(contains(error, "invalid kernel graph: ")) << error;
  EXPECT_TRUE(contains(error, GetParam().error)) << error;
}

INSTANTIATE_TEST_SUITE_P(
    HostProgram, Schema,
    ::testing::Values(
        SchemaCase{"format", [](json &g) { g["format"] = "onnx"; },
                   "format: expected \"hmc.kernel_graph\""},
        SchemaCase{"version", [](json &g) { g["version"] = 2; },
                   "version: this hmc reads kernel graph version 1"},
        SchemaCase{"missing", [](json &g) { g.erase("buffers"); },
                   "kernel graph: missing \"buffers\""},
        SchemaCase{"dtype",
                   [](json &g) { g["buffers"][0]["dtype"] = "float16"; },
                   "buffers[0].dtype: unknown dtype \"float16\""},
        SchemaCase{"symbol",
                   [](json &g) { g["buffers"][0]["shape"][0] = "seq"; },
                   "buffers[0].shape[0]: unknown symbol \"seq\""},
        SchemaCase{"rank",
                   [](json &g) {
                     g["buffers"][0]["shape"] =
                         json::array({1, 1, 1, 1, 1, 1, 1, 1, 1});
                   },
                   "buffers[0].shape: rank 9 exceeds the maximum 8"},
        SchemaCase{"storage",
                   [](json &g) { g["buffers"][2]["storage"] = "temp"; },
                   "outputs[0]: buffer \"onnx::Add_1\" must have storage "
                   "output"},
        SchemaCase{"unlisted", [](json &g) { g["inputs"] = json::array(); },
                   "inputs: buffer \"x:0\" has storage input but is not "
                   "listed"},
        SchemaCase{"duplicate id", [](json &g) { g["buffers"][1]["id"] = 0; },
                   "buffers[1].id: buffer id 0 repeats"},
        SchemaCase{
            "unbound symbol",
            [](json &g) {
              g["symbols"].push_back({{"name", "seq"}, {"min", 1}, {"max", 2}});
            },
            "symbols[1]: symbol \"seq\" appears in no input shape"},
        SchemaCase{"misaligned",
                   [](json &g) {
                     g["buffers"][1]["offset"] = 4;
                     g["weights"]["size"] = 20;
                   },
                   "buffers[1].offset: not a multiple of 64"},
        SchemaCase{"weight bytes",
                   [](json &g) { g["buffers"][1]["bytes"] = 12; },
                   "buffers[1].bytes: expected 16 for its dtype and shape"},
        SchemaCase{"blob size", [](json &g) { g["weights"]["size"] = 8; },
                   "buffers[1]: extends past the end of the weights blob"},
        SchemaCase{"kernel buffer",
                   [](json &g) { g["kernels"][0]["inputs"][0]["buffer"] = 9; },
                   "kernels[0].inputs[0].buffer: no buffer has id 9"}),
    [](const ::testing::TestParamInfo<SchemaCase> &info) {
      std::string name = info.param.description;
      std::replace(name.begin(), name.end(), ' ', '_');
      return name;
    });
