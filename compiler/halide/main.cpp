// hmc-halide: kernel graph -> one AOT object per kernel plus the Halide
// runtime object. Runs as a child of hmc; Halide (LLVM 14) lives only here.
#include "AotCompile.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace {

int fail(const std::string &message) {
  fmt::print(stderr, "hmc-halide: error: {}\n", message);
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Compile an hmc kernel graph (docs/kernel-graph.md) to Halide "
               "object files: OUTDIR/<kernel>.o and OUTDIR/halide_runtime.o, "
               "and OUTDIR/target.json naming the CPU features they need."};
  std::string graphPath, outDir, targetName;
  bool runtimeOnly = false, verbose = false;
  app.add_option("graph", graphPath, "Kernel graph JSON file");
  app.add_option("-o,--output-dir", outDir, "Directory for the objects")
      ->required();
  app.add_option("--target", targetName,
                 "'host' or a Halide target string (default: the graph's "
                 "target, else host)");
  app.add_flag("--runtime-only", runtimeOnly,
               "Write only halide_runtime.o (no graph argument)");
  app.add_flag("-v,--verbose", verbose, "Report each object written");
  CLI11_PARSE(app, argc, argv);

  if (runtimeOnly == !graphPath.empty())
    return fail(runtimeOnly ? "--runtime-only takes no kernel graph"
                            : "a kernel graph is required (or --runtime-only)");

  namespace hh = hmc::halide;
  std::string kernelName;
  try {
    hh::KernelGraph graph;
    if (!runtimeOnly)
      graph = hh::loadKernelGraph(graphPath);
    if (targetName.empty())
      targetName = runtimeOnly ? "host" : graph.target;
    Halide::Target target = hh::parseTarget(targetName);
    std::filesystem::create_directories(outDir);
    std::filesystem::path dir(outDir);

    for (const hh::KernelDesc &kernel : graph.kernels) {
      kernelName = kernel.name;
      auto start = std::chrono::steady_clock::now();
      std::string path = (dir / (kernel.name + ".o")).string();
      hh::compileKernel(graph, kernel, target, path);
      if (verbose)
        fmt::print("{} ({}) -> {} in {:.2f} s\n", kernel.name, kernel.op, path,
                   std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
    kernelName.clear();
    std::string runtimePath = (dir / "halide_runtime.o").string();
    hh::compileRuntime(target, runtimePath);
    if (verbose)
      fmt::print("halide runtime ({}) -> {}\n",
                 hh::runtimeTarget(target).to_string(), runtimePath);
    if (!runtimeOnly)
      hh::writeTargetFile(target, (dir / "target.json").string());
  } catch (const Halide::Error &error) {
    std::string where = kernelName.empty()
                            ? std::string("runtime")
                            : fmt::format("kernel '{}'", kernelName);
    return fail(fmt::format("{}: Halide: {}", where, error.what()));
  } catch (const std::exception &error) {
    if (!kernelName.empty())
      return fail(fmt::format("kernel '{}': {}", kernelName, error.what()));
    return fail(error.what());
  }
  return 0;
}
