#include "AotCompile.h"
#include "KernelBuilder.h"

#include <fmt/format.h>

#include <stdexcept>

namespace hmc::halide {

Halide::Target parseTarget(const std::string &name) {
  if (!Halide::Target::validate_target_string(name))
    throw std::invalid_argument(
        fmt::format("invalid target '{}' (expected 'host' or a "
                    "Halide target string such as "
                    "x86-64-linux-avx2)",
                    name));
  return Halide::Target(name);
}

Halide::Target kernelTarget(const Halide::Target &base) {
  return base.with_feature(Halide::Target::NoRuntime)
      .with_feature(Halide::Target::UserContext);
}

Halide::Target runtimeTarget(const Halide::Target &base) {
  return base.without_feature(Halide::Target::NoRuntime)
      .with_feature(Halide::Target::UserContext);
}

void compileKernel(const KernelGraph &graph, const KernelDesc &kernel,
                   const Halide::Target &base, const std::string &path) {
  Halide::Target target = kernelTarget(base);
  BuiltKernel built = buildKernel(graph, kernel, target);
  std::vector<Halide::Argument> args(built.inputs.begin(), built.inputs.end());
  built.pipeline.compile_to({{Halide::OutputFileType::object, path}}, args,
                            kernel.name, target);
}

void compileRuntime(const Halide::Target &base, const std::string &path) {
  Halide::compile_standalone_runtime(path, runtimeTarget(base));
}

} // namespace hmc::halide
