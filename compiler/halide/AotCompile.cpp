#include "AotCompile.h"
#include "KernelBuilder.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdexcept>

namespace hmc::halide {
namespace {

// The target features that select instructions: code compiled with one
// needs a CPU that has it.
constexpr Halide::Target::Feature kCpuFeatures[] = {
    Halide::Target::SSE41,
    Halide::Target::AVX,
    Halide::Target::AVX2,
    Halide::Target::FMA,
    Halide::Target::FMA4,
    Halide::Target::F16C,
    Halide::Target::AVX512,
    Halide::Target::AVX512_KNL,
    Halide::Target::AVX512_Skylake,
    Halide::Target::AVX512_Cannonlake,
    Halide::Target::AVX512_SapphireRapids,
    Halide::Target::ARMv7s,
    Halide::Target::ARMv81a,
    Halide::Target::ARMDotProd,
    Halide::Target::ARMFp16,
    Halide::Target::SVE,
    Halide::Target::SVE2,
    Halide::Target::VSX,
    Halide::Target::POWER_ARCH_2_07,
    Halide::Target::WasmSimd128,
    Halide::Target::WasmSignExt,
    Halide::Target::WasmSatFloatToInt,
    Halide::Target::WasmBulkMemory,
    Halide::Target::RVV,
};

bool hostHasAvx512Fp16() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  // CPUID leaf 7, subleaf 0: EDX bit 23 is AVX512-FP16.
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx >> 23 & 1);
#else
  return false;
#endif
}

} // namespace

Halide::Target parseTarget(const std::string &name) {
  if (!Halide::Target::validate_target_string(name))
    throw std::invalid_argument(
        fmt::format("invalid target '{}' (expected 'host' or a "
                    "Halide target string such as "
                    "x86-64-linux-avx2)",
                    name));
  Halide::Target target(name);
  // Halide 14 calls any host with AVX512-BF16 Sapphire Rapids and lets LLVM
  // use AVX512-FP16 instructions, which AMD Zen 4 lacks (SIGILL): a host
  // without FP16 stays at the Cannon Lake feature level.
  if (name.rfind("host", 0) == 0 &&
      target.has_feature(Halide::Target::AVX512_SapphireRapids) &&
      !hostHasAvx512Fp16())
    target = target.without_feature(Halide::Target::AVX512_SapphireRapids);
  // GPU targets: CUDA only (the kernels' GPU schedules and the library's
  // device handling are written and tested for it).
  if (target.has_gpu_feature() && !target.has_feature(Halide::Target::CUDA))
    throw std::invalid_argument(
        fmt::format("target '{}' asks for a GPU API hmc does not support; "
                    "use CUDA (e.g. --target host-cuda) or the CPU",
                    name));
  return target;
}

Halide::Target kernelTarget(const Halide::Target &base) {
  return base.with_feature(Halide::Target::NoRuntime)
      .with_feature(Halide::Target::UserContext);
}

Halide::Target runtimeTarget(const Halide::Target &base) {
  Halide::Target target = base.without_feature(Halide::Target::NoRuntime)
                              .with_feature(Halide::Target::UserContext);
  // The runtime holds the CPU check that create runs before any kernel; built
  // with the kernels' instructions it could itself die of SIGILL.
  for (Halide::Target::Feature feature : kCpuFeatures)
    target = target.without_feature(feature);
  return target;
}

std::vector<std::string> compileKernel(const KernelGraph &graph,
                                       const KernelDesc &kernel,
                                       const Halide::Target &base,
                                       const std::string &path,
                                       const ScheduleChoice &schedule) {
  Halide::Target target = kernelTarget(base);
  // Testing aid: HMC_GPU_FORMS_ON_HOST=1 builds the GPU forms of the kernels
  // with CPU loops for a CPU target, so whole models check them by running.
  const char *gpuForms = std::getenv("HMC_GPU_FORMS_ON_HOST");
  bool gpuOnHost =
      gpuForms && std::string(gpuForms) == "1" && !target.has_gpu_feature();
  BuiltKernel built = buildKernel(graph, kernel, target, schedule, gpuOnHost);
  std::vector<Halide::Argument> args(built.inputs.begin(), built.inputs.end());
  built.pipeline.compile_to({{Halide::OutputFileType::object, path}}, args,
                            kernel.name, target);
  return built.knobNotes;
}

void compileRuntime(const Halide::Target &base, const std::string &path) {
  Halide::compile_standalone_runtime(path, runtimeTarget(base));
}

void writeTargetFile(const Halide::Target &base, const std::string &path,
                     const std::string &scheduleSource) {
  nlohmann::json features = nlohmann::json::array();
  for (Halide::Target::Feature feature : kCpuFeatures)
    if (base.has_feature(feature))
      features.push_back({{"id", int(feature)},
                          {"name", Halide::Target::feature_to_name(feature)}});
  nlohmann::json root{{"target", base.to_string()},
                      {"cpu_features", features},
                      {"schedule_source", scheduleSource}};
  // A GPU library's create opens the device through this API's runtime.
  if (base.has_feature(Halide::Target::CUDA))
    root["gpu"] = "cuda";
  std::ofstream file(path);
  file << root.dump(2) << "\n";
  file.close();
  if (!file)
    throw std::runtime_error("cannot write " + path);
}

} // namespace hmc::halide
