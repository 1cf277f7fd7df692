// Ahead-of-time compilation of kernels and of the one Halide runtime object
// a generated library links.
#ifndef HMC_HALIDE_AOTCOMPILE_H
#define HMC_HALIDE_AOTCOMPILE_H

#include "KernelGraph.h"
#include "Schedule.h"

#include <Halide.h>

#include <string>

namespace hmc::halide {

/// "host" (this machine's CPU) or any Halide target string; throws
/// std::invalid_argument for an invalid one. Adds no features.
Halide::Target parseTarget(const std::string &name);

/// Kernels: no runtime inside (one shared runtime object instead) and
/// user_context as the first argument of every function.
Halide::Target kernelTarget(const Halide::Target &base);
/// The standalone runtime matching kernels compiled for kernelTarget(base),
/// without base's CPU features: it runs on any CPU of the architecture.
Halide::Target runtimeTarget(const Halide::Target &base);

/// Writes `path`: an object defining the kernel's function `kernel.name`
/// and its `kernel.name`_argv wrapper, scheduled as `schedule` says.
/// Returns BuiltKernel::knobNotes: what of `schedule` went unused.
std::vector<std::string> compileKernel(const KernelGraph &graph,
                                       const KernelDesc &kernel,
                                       const Halide::Target &base,
                                       const std::string &path,
                                       const ScheduleChoice &schedule = {});

/// Writes `path`: Halide's runtime for runtimeTarget(base).
void compileRuntime(const Halide::Target &base, const std::string &path);

/// Writes `path` (target.json): base's target string, "host" resolved, and
/// the features of base that select instructions (avx2, sve, ...), which the
/// CPU running the kernels needs, as {"id": halide_target_feature_t, "name"}
/// objects, and `scheduleSource`, which the library embeds.
void writeTargetFile(const Halide::Target &base, const std::string &path,
                     const std::string &scheduleSource = "default");

} // namespace hmc::halide

#endif // HMC_HALIDE_AOTCOMPILE_H
