//===- LibraryTest.cpp - Kernel graph -> lib<NAME>.so -> hmc run ----------===//
//
// Builds the library of a one-kernel graph with the real hmc-halide, runs it
// through runLibrary and from a C program, and checks the library's contract:
// only libc-family dependencies, only the model's API exported, usable next
// to another model in one process.
//
//===----------------------------------------------------------------------===//

#include "HostProgram.h"
#include "LibraryBuilder.h"
#include "RunCommand.h"
#include "TestGraphs.h"

#include "hmc/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace hmc::backend;
using hmc::backend::test::addGraph;

namespace {

namespace fs = std::filesystem;

const float kBias[4] = {0.5f, -1.0f, 2.0f, 10.0f};

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// stdout of a shell command; the test fails if it exits non-zero.
std::string capture(const std::string &command) {
  std::string output;
  FILE *pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << command;
  if (!pipe)
    return output;
  char chunk[4096];
  while (size_t n = fread(chunk, 1, sizeof chunk, pipe))
    output.append(chunk, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  return output;
}

struct RunResult {
  int status;
  std::string out;
  std::string err;
};

RunResult run(const RunOptions &options) {
  std::ostringstream out, err;
  int status = runLibrary(options, out, err);
  return {status, out.str(), err.str()};
}

class Library : public ::testing::Test {
protected:
  // One build serves every test: hmc-halide takes seconds.
  static void SetUpTestSuite() {
    std::string pattern =
        (fs::temp_directory_path() / "hmc-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root = pattern;
    std::ofstream(root / "addmodel.weights.bin", std::ios::binary)
        .write(reinterpret_cast<const char *>(kBias), sizeof kBias);
    buildError = build(addGraph(), "addmodel", root / "out");
  }

  static void TearDownTestSuite() { fs::remove_all(root); }

  void SetUp() override { ASSERT_EQ(buildError, "") << buildError; }

  static std::string build(const nlohmann::json &graph, const std::string &name,
                           const fs::path &outDir,
                           const std::string &target = "",
                           WeightStorage storage = WeightStorage::Embedded) {
    LibraryBuildOptions options;
    options.name = name;
    options.outDir = outDir.string();
    options.target = target;
    options.weightStorage = storage;
    options.hmcHalidePath = HMC_HALIDE;
    options.runtimeLibPath = HMC_RUNTIME_LIB;
    options.includeDirs = {HMC_RUNTIME_INCLUDE_DIR};
    Status status = buildLibrary(graph, root.string(), options);
    return status.ok() ? "" : status.message();
  }

  static std::string library() {
    return (root / "out" / "libaddmodel.so").string();
  }

  // x[i] = i / 4 - 1 over a [batch, 4] float32 array.
  static std::string writeInput(const std::string &file, int64_t batch,
                                hmc_dtype dtype = HMC_DTYPE_FLOAT32,
                                double last = 0) {
    std::vector<double> data64;
    std::vector<float> data32;
    for (int64_t i = 0; i < batch * 4; ++i) {
      data64.push_back(i + 1 < batch * 4 || last == 0 ? double(i) / 4 - 1
                                                      : last);
      data32.push_back(float(data64.back()));
    }
    hmc_tensor tensor{};
    tensor.dtype = dtype;
    tensor.rank = 2;
    tensor.shape[0] = batch;
    tensor.shape[1] = 4;
    tensor.data = dtype == HMC_DTYPE_FLOAT32
                      ? static_cast<void *>(data32.data())
                      : data64.data();
    tensor.size_bytes = size_t(batch) * 4 * hmcrt_dtype_size(dtype);
    std::string path = (root / file).string();
    char error[256];
    EXPECT_EQ(hmcrt_npy_write(path.c_str(), &tensor, error, sizeof error),
              HMC_OK)
        << error;
    return path;
  }

  static fs::path root;
  static std::string buildError;
};

fs::path Library::root;
std::string Library::buildError;

} // namespace

TEST_F(Library, InstallsOnlyTheLibraryAndHeader) {
  std::set<std::string> files;
  for (const fs::directory_entry &entry : fs::directory_iterator(root / "out"))
    files.insert(entry.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"addmodel.h", "libaddmodel.so"}));
}

TEST_F(Library, RunAddsTheBroadcastWeight) {
  for (int64_t batch : {1, 3, 7}) {
    RunOptions options;
    options.library = library();
    options.inputs = {"x:0=" + writeInput("x.npy", batch)};
    options.outputDir = (root / "results").string();
    RunResult result = run(options);
    ASSERT_EQ(result.status, 0) << result.err;
    std::string output = (root / "results" / "onnx__Add_1.npy").string();
    EXPECT_EQ(result.out, "onnx::Add_1: float32 [" + std::to_string(batch) +
                              ", 4] -> " + output + "\n");

    hmcrt_npy npy{};
    char error[256];
    ASSERT_EQ(hmcrt_npy_read(output.c_str(), &npy, error, sizeof error), HMC_OK)
        << error;
    EXPECT_EQ(npy.dtype, HMC_DTYPE_FLOAT32);
    ASSERT_EQ(npy.rank, 2);
    EXPECT_EQ(npy.shape[0], batch);
    EXPECT_EQ(npy.shape[1], 4);
    const float *y = static_cast<const float *>(npy.data);
    for (int64_t i = 0; i < batch * 4; ++i)
      EXPECT_EQ(y[i], float(i) / 4 - 1 + kBias[i % 4]) << "element " << i;
    hmcrt_npy_free(&npy);
  }
}

TEST_F(Library, RepeatPrintsTimings) {
  RunOptions options;
  options.library = library();
  options.inputs = {"x:0=" + writeInput("x.npy", 5)};
  options.repeat = 5;
  options.threads = 1;
  RunResult result = run(options);
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(contains(result.out, "median_ms: ")) << result.out;
  EXPECT_TRUE(contains(result.out, "\np90_ms: ")) << result.out;
}

TEST_F(Library, RunErrorsAreClear) {
  std::string x = writeInput("x.npy", 2);
  RunOptions options;
  options.library = library();

  options.inputs = {"x=" + x};
  RunResult result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "with NAME one of the model's inputs: x:0"))
      << result.err;

  options.inputs = {};
  result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "missing --input x:0=FILE.npy"))
      << result.err;

  options.inputs = {"x:0=" + x, "x:0=" + x};
  result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "--input x:0 is given twice")) << result.err;

  // numpy's default float64 arrays are rounded to the model's float32.
  options.inputs = {"x:0=" + writeInput("x64.npy", 2, HMC_DTYPE_FLOAT64)};
  result = run(options);
  EXPECT_EQ(result.status, 0) << result.err;
  // One that float32 cannot hold would become inf: refused.
  options.inputs = {"x:0=" +
                    writeInput("huge64.npy", 2, HMC_DTYPE_FLOAT64, -1e39)};
  result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "element 7 (-9.9999999999999994e+38") &&
              contains(result.err, ") is beyond the range of float32"))
      << result.err;

  // The library's own checks come back with its last_error message.
  options.inputs = {"x:0=" + writeInput("big.npy", 2000)};
  result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "failed (status 4): ")) << result.err;

  options.library = (root / "out" / "addmodel.h").string();
  result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "cannot load the library: ")) << result.err;
}

TEST_F(Library, DependsOnlyOnTheCLibrary) {
  std::string ldd = capture("ldd " + library());
  std::istringstream lines(ldd);
  for (std::string line; std::getline(lines, line);) {
    std::string dependency;
    std::istringstream(line) >> dependency;
    std::string base = fs::path(dependency).filename().string();
    bool allowed = false;
    for (const char *prefix : {"linux-vdso.so", "libc.so", "libm.so",
                               "libpthread.so", "libdl.so", "ld-linux"})
      allowed |= base.rfind(prefix, 0) == 0;
    EXPECT_TRUE(allowed) << line;
  }
}

TEST_F(Library, ExportsOnlyTheApi) {
  std::istringstream lines(capture("nm -D --defined-only " + library()));
  std::set<std::string> exports;
  for (std::string line; std::getline(lines, line);)
    exports.insert(line.substr(line.rfind(' ') + 1));
  std::set<std::string> expected = {"hmc_library_v1"};
  for (const std::string &function : exportedFunctions("addmodel"))
    expected.insert(function);
  EXPECT_EQ(exports, expected);
}

// The generated header and prefixed functions, as a product uses them.
TEST_F(Library, UsableFromC) {
  std::ofstream(root / "main.c") << R"(#include "addmodel.h"
#include <string.h>
int main(void) {
  addmodel_handle *handle;
  if (addmodel_create(NULL, &handle) != HMC_OK)
    return 1;
  float x[2][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}}, y[2][4];
  hmc_tensor in = {NULL, HMC_DTYPE_FLOAT32, 2, {2, 4}, x, sizeof x};
  hmc_tensor out = {NULL, HMC_DTYPE_FLOAT32, 0, {0}, y, sizeof y};
  if (addmodel_output_shapes(handle, &in, addmodel_NUM_INPUTS, &out,
                             addmodel_NUM_OUTPUTS) != HMC_OK ||
      out.rank != 2 || out.shape[0] != 2 || out.shape[1] != 4)
    return 2;
  if (addmodel_run(handle, &in, 1, &out, 1) != HMC_OK)
    return 3;
  if (y[1][3] != 18.0f || y[0][1] != 1.0f)
    return 4;
  const hmc_library_v1 *library = addmodel_library();
  if (strcmp(library->name, "addmodel") != 0 ||
      strcmp(library->inputs[addmodel_INPUT_x_0].name, "x:0") != 0)
    return 5;
  addmodel_destroy(handle);
  return 0;
}
)";
  std::string out = (root / "out").string();
  std::string exe = (root / "main").string();
  capture("cc -std=c11 -Wall -Wextra -Werror " + (root / "main.c").string() +
          " -I " + out + " -L " + out + " -laddmodel -Wl,-rpath," + out +
          " -o " + exe);
  EXPECT_EQ(std::system(exe.c_str()), 0);
}

// Two models in one process, both in the global scope: each library's own
// uses of hmc_library_v1 must stay its own.
TEST_F(Library, TwoModelsShareAProcess) {
  ASSERT_EQ(build(addGraph(), "addmodel2", root / "out2"), "");
  void *first = dlopen(library().c_str(), RTLD_NOW | RTLD_GLOBAL);
  ASSERT_NE(first, nullptr) << dlerror();
  void *second = dlopen((root / "out2" / "libaddmodel2.so").c_str(),
                        RTLD_NOW | RTLD_GLOBAL);
  ASSERT_NE(second, nullptr) << dlerror();
  using LibraryFn = const hmc_library_v1 *(*)();
  auto descriptor =
      reinterpret_cast<LibraryFn>(dlsym(second, "addmodel2_library"));
  ASSERT_NE(descriptor, nullptr);
  EXPECT_EQ(descriptor(), dlsym(second, "hmc_library_v1"));
  EXPECT_STREQ(descriptor()->name, "addmodel2");
  dlclose(second);
  dlclose(first);
}

// create checks the CPU first: a library built for features this CPU lacks
// refuses to start instead of dying of SIGILL in a kernel.
TEST_F(Library, CreateChecksTheCpuFeatures) {
  void *host = dlopen(library().c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(host, nullptr) << dlerror();
  auto *descriptor =
      static_cast<const hmc_library_v1 *>(dlsym(host, "hmc_library_v1"));
  ASSERT_NE(descriptor, nullptr);
  void *handle = nullptr;
  EXPECT_EQ(descriptor->create(nullptr, &handle), HMC_OK)
      << descriptor->last_error(nullptr);
  descriptor->destroy(handle);
  dlclose(host);

#if defined(__x86_64__)
  // avx512_knl: only the Xeon Phi has it.
  if (__builtin_cpu_supports("avx512er"))
    GTEST_SKIP() << "this CPU has avx512_knl";
  ASSERT_EQ(
      build(addGraph(), "knlmodel", root / "knl", "x86-64-linux-avx512_knl"),
      "");
  std::string knl = (root / "knl" / "libknlmodel.so").string();
  void *lib = dlopen(knl.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  descriptor =
      static_cast<const hmc_library_v1 *>(dlsym(lib, "hmc_library_v1"));
  ASSERT_NE(descriptor, nullptr);
  handle = &handle;
  EXPECT_EQ(descriptor->create(nullptr, &handle), HMC_ERROR_UNSUPPORTED_CPU);
  EXPECT_EQ(handle, nullptr);
  EXPECT_STREQ(descriptor->last_error(nullptr),
               "this CPU lacks features the library was built for: "
               "avx512_knl (target x86-64-linux-avx512_knl)");
  dlclose(lib);

  RunOptions options;
  options.library = knl;
  options.inputs = {"x:0=" + writeInput("x.npy", 2)};
  RunResult result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "create failed (status 8): this CPU lacks "
                                   "features the library was built for: "
                                   "avx512_knl"))
      << result.err;
#endif
}

namespace {

std::string readBytes(const fs::path &path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)),
                     std::istreambuf_iterator<char>());
}

// Creates a handle of the library at `path` with `options` and runs it on a
// [2, 4] input; returns create's error message, or "" and the output in `y`.
std::string createAndRun(const std::string &path,
                         const hmc_create_options *options, float (&y)[2][4]) {
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return std::string("dlopen: ") + dlerror();
  auto *descriptor =
      static_cast<const hmc_library_v1 *>(dlsym(lib, "hmc_library_v1"));
  std::string error;
  void *handle = nullptr;
  if (!descriptor) {
    error = "no hmc_library_v1";
  } else if (hmc_status status = descriptor->create(options, &handle);
             status != HMC_OK) {
    error = "status " + std::to_string(status) + ": " +
            descriptor->last_error(nullptr);
  } else {
    float x[2][4] = {{1, 2, 3, 4}, {5, 6, 7, 8}};
    hmc_tensor in = {nullptr, HMC_DTYPE_FLOAT32, 2, {2, 4}, x, sizeof x};
    hmc_tensor out = {nullptr, HMC_DTYPE_FLOAT32, 2, {2, 4}, y, sizeof y};
    if (descriptor->run(handle, &in, 1, &out, 1) != HMC_OK)
      error = std::string("run: ") + descriptor->last_error(handle);
    descriptor->destroy(handle);
  }
  dlclose(lib);
  return error;
}

} // namespace

// --weight-storage=external: NAME.weights beside the library, mapped at
// create, with the embedded build's bytes and results.
TEST_F(Library, ExternalWeights) {
  fs::path dir = root / "ext";
  ASSERT_EQ(build(addGraph(), "extmodel", dir, "", WeightStorage::External),
            "");
  std::set<std::string> files;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir))
    files.insert(entry.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"extmodel.h", "libextmodel.so",
                                          "extmodel.weights"}));
  EXPECT_EQ(readBytes(dir / "extmodel.weights"),
            std::string(reinterpret_cast<const char *>(kBias), sizeof kBias));
  std::string external = (dir / "libextmodel.so").string();

  // The blob is only in the embedded library.
  EXPECT_TRUE(contains(capture("nm " + library()), " hmc_weights\n"));
  EXPECT_FALSE(contains(capture("nm " + external), "hmc_weights"));

  // Same outputs as the embedded library, through hmc run.
  std::string x = writeInput("x.npy", 3);
  RunOptions options;
  options.inputs = {"x:0=" + x};
  options.library = library();
  options.outputDir = (root / "results-embedded").string();
  RunResult result = run(options);
  ASSERT_EQ(result.status, 0) << result.err;
  options.library = external;
  options.outputDir = (root / "results-external").string();
  result = run(options);
  ASSERT_EQ(result.status, 0) << result.err;
  std::string expected =
      readBytes(root / "results-embedded" / "onnx__Add_1.npy");
  EXPECT_FALSE(expected.empty());
  EXPECT_EQ(readBytes(root / "results-external" / "onnx__Add_1.npy"), expected);

  float y[2][4] = {};
  ASSERT_EQ(createAndRun(external, nullptr, y), "");
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(y[i / 4][i % 4], float(i + 1) + kBias[i % 4]) << i;

  // A moved file: missing by default, found through weights_path.
  fs::path moved = root / "moved.weights";
  fs::rename(dir / "extmodel.weights", moved);
  std::string error = createAndRun(external, nullptr, y);
  EXPECT_TRUE(contains(
      error, "status " + std::to_string(HMC_ERROR_INVALID_ARGUMENT) +
                 ": weights file '" + (dir / "extmodel.weights").string() +
                 "': No such file"))
      << error;
  options.outputDir = "";
  result = run(options);
  EXPECT_EQ(result.status, 1);
  EXPECT_TRUE(contains(result.err, "extmodel.weights': No such file"))
      << result.err;

  hmc_create_options createOptions = {1, nullptr};
  std::string movedPath = moved.string();
  createOptions.weights_path = movedPath.c_str();
  std::fill(&y[0][0], &y[0][0] + 8, 0.0f);
  ASSERT_EQ(createAndRun(external, &createOptions, y), "");
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(y[i / 4][i % 4], float(i + 1) + kBias[i % 4]) << i;

  // A truncated file is refused by its size.
  std::ofstream(dir / "extmodel.weights", std::ios::binary)
      .write(reinterpret_cast<const char *>(kBias), 12);
  error = createAndRun(external, nullptr, y);
  EXPECT_TRUE(contains(error, "extmodel.weights' has 12 bytes, the library "
                              "expects 16"))
      << error;

  // An embedded library takes no weights file.
  error = createAndRun(library(), &createOptions, y);
  EXPECT_TRUE(contains(error, "embeds its weights; weights_path must be NULL"))
      << error;
}

TEST_F(Library, UnknownOpFailsCleanly) {
  nlohmann::json graph = addGraph();
  graph["kernels"][0]["op"] = "frobnicate";
  std::string error = build(graph, "addmodel", root / "failed");
  EXPECT_TRUE(contains(error, "hmc-halide exited with status")) << error;
  EXPECT_TRUE(contains(error, "frobnicate")) << error;
  EXPECT_TRUE(!fs::exists(root / "failed") || fs::is_empty(root / "failed"));
}
