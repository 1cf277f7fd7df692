//===- LibraryBuilderTest.cpp - Tool lookup; failed builds leave nothing --===//
//
// Stand-ins for hmc-halide (shell scripts) make each stage of buildLibrary
// fail in turn; the error must say what failed, with the tool's output, and
// neither the output folder nor the temporary folder may keep anything.
//
//===----------------------------------------------------------------------===//

#include "LibraryBuilder.h"
#include "TestGraphs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace hmc::backend;
using hmc::backend::test::addGraph;

namespace {

namespace fs = std::filesystem;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

class BuildFailure : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "hmc-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root = pattern;
    // buildLibrary's own temporary folder goes here, so that the test can
    // see it is removed.
    fs::create_directory(root / "tmp");
    previousTmpDir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "";
    setenv("TMPDIR", (root / "tmp").c_str(), 1);
    std::ofstream(root / "addmodel.weights.bin", std::ios::binary)
        << std::string(16, '\0');
    options.name = "addmodel";
    options.outDir = (root / "out").string();
    options.runtimeLibPath = HMC_RUNTIME_LIB;
    options.includeDirs = {HMC_RUNTIME_INCLUDE_DIR};
  }

  void TearDown() override {
    if (previousTmpDir.empty())
      unsetenv("TMPDIR");
    else
      setenv("TMPDIR", previousTmpDir.c_str(), 1);
    fs::remove_all(root);
  }

  // An executable stand-in for hmc-halide running `body` with the graph as $1
  // and the object folder as $3.
  void fakeHalide(const std::string &body) {
    fs::path script = root / "fake-hmc-halide";
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
    options.hmcHalidePath = script.string();
  }

  std::string buildError() {
    Status status = buildLibrary(addGraph(), root.string(), options);
    EXPECT_FALSE(status.ok());
    return status.message();
  }

  void expectNothingLeft() {
    EXPECT_TRUE(!fs::exists(options.outDir) || fs::is_empty(options.outDir));
    EXPECT_TRUE(fs::is_empty(root / "tmp"));
  }

  fs::path root;
  std::string previousTmpDir;
  LibraryBuildOptions options;
};

} // namespace

TEST_F(BuildFailure, HmcHalideFails) {
  fakeHalide("echo \"hmc-halide: kernel addmodel_k0: unknown op\" >&2\n"
             "exit 3");
  std::string error = buildError();
  EXPECT_TRUE(contains(error, "fake-hmc-halide exited with status 3")) << error;
  EXPECT_TRUE(contains(error, "kernel addmodel_k0: unknown op")) << error;
  expectNothingLeft();
}

TEST_F(BuildFailure, HmcHalideWritesNoObjects) {
  fakeHalide("mkdir -p \"$3\"");
  std::string error = buildError();
  EXPECT_TRUE(contains(error, "hmc-halide did not write ")) << error;
  EXPECT_TRUE(contains(error, "addmodel_k0.o")) << error;
  expectNothingLeft();
}

TEST_F(BuildFailure, HmcHalideWritesNoTarget) {
  fakeHalide("mkdir -p \"$3\" && touch \"$3/addmodel_k0.o\" "
             "\"$3/halide_runtime.o\"");
  std::string error = buildError();
  EXPECT_TRUE(contains(error, "hmc-halide did not write ")) << error;
  EXPECT_TRUE(contains(error, "target.json")) << error;
  expectNothingLeft();
}

TEST_F(BuildFailure, LinkFails) {
  fakeHalide("mkdir -p \"$3\" && echo junk > \"$3/addmodel_k0.o\" && "
             "echo junk > \"$3/halide_runtime.o\" && "
             "echo '{\"target\": \"host\", \"cpu_features\": []}' > "
             "\"$3/target.json\"");
  std::string error = buildError();
  EXPECT_TRUE(contains(error, "cc exited with status 1")) << error;
  EXPECT_TRUE(contains(error, "-Wl,--version-script,")) << error;
  expectNothingLeft();
}

TEST_F(BuildFailure, ExistingOutputFolderStaysEmpty) {
  fs::create_directory(options.outDir);
  fakeHalide("exit 1");
  buildError();
  expectNothingLeft();
}

TEST_F(BuildFailure, MissingTools) {
  options.hmcHalidePath = (root / "nowhere" / "hmc-halide").string();
  EXPECT_TRUE(contains(buildError(), "hmc-halide not found at "));
  fakeHalide("exit 0");
  options.runtimeLibPath = (root / "libhmcrt.a").string();
  EXPECT_TRUE(contains(buildError(), "libhmcrt.a not found at "));
  expectNothingLeft();
}

TEST_F(BuildFailure, WeightsFileOfTheWrongSize) {
  fakeHalide("exit 0");
  std::ofstream(root / "addmodel.weights.bin", std::ios::binary)
      << std::string(12, '\0');
  EXPECT_TRUE(contains(buildError(), "addmodel.weights.bin has 12 bytes, the "
                                     "kernel graph says 16"));
  expectNothingLeft();
}

TEST_F(BuildFailure, InvalidModelName) {
  fakeHalide("exit 0");
  options.name = "2fast";
  EXPECT_TRUE(contains(buildError(), "invalid model name '2fast'"));
  expectNothingLeft();
}

TEST(LocateTools, BesideTheDriver) {
  LibraryBuildOptions options;
  locateTools("/opt/hmc/bin", options);
  EXPECT_EQ(options.hmcHalidePath, "/opt/hmc/bin/hmc-halide");
  EXPECT_EQ(options.runtimeLibPath, "/opt/hmc/lib/libhmcrt.a");
  // Without an installed include/ the source tree's runtime headers serve.
  EXPECT_EQ(options.includeDirs,
            std::vector<std::string>{HMC_RUNTIME_INCLUDE_DIR});
}
