// Kernel graph kernel -> Halide pipeline with its default CPU schedule. Used
// by hmc-halide for AOT compilation and by the unit tests for JIT runs.
#ifndef HMC_HALIDE_KERNELBUILDER_H
#define HMC_HALIDE_KERNELBUILDER_H

#include "KernelGraph.h"
#include "Schedule.h"

#include <Halide.h>

namespace hmc::halide {

struct BuiltKernel {
  /// One per kernel input, in the kernel's argument order.
  std::vector<Halide::ImageParam> inputs;
  /// One output per kernel output; the outputs follow the inputs in the
  /// compiled function's signature.
  Halide::Pipeline pipeline;
  /// The schedule's knobs that this kernel did not use as given: one that
  /// is no parameter of its schedule, or a value clamped into range.
  std::vector<std::string> knobNotes;
};

/// Halide type of a graph dtype (bool is UInt(8)).
Halide::Type halideType(DType dtype);

/// Builds and schedules one (already validated) kernel for `target`. The
/// ImageParams carry the buffers' exact static extents and dense strides, and
/// every dynamic extent is tied to the first input dimension naming it.
/// `schedule` picks the hand-written schedule (with its knobs) or an
/// autoscheduler, which plans for the sizes in schedule.estimates. A target
/// with a GPU feature gets the GPU schedules (GpuSchedule.cpp) unless an
/// autoscheduler is asked for; `gpuOnHost` builds the same GPU forms with
/// CPU loops, so tests can run them by JIT on a machine without a GPU.
BuiltKernel buildKernel(const KernelGraph &graph, const KernelDesc &kernel,
                        const Halide::Target &target,
                        const ScheduleChoice &schedule = {},
                        bool gpuOnHost = false);

/// Whether an autoscheduler can schedule this op: hmc's fused kernels
/// (hyper_mix, conv, fbank, ctc_greedy) exist only in their hand-written
/// schedules, and iota and dim_size write a vector or one number.
bool autoschedulable(const std::string &op);

/// Sizes of a kernel's dynamic symbols at sequence length `length`: a
/// symbol that leads an input of rank 2 or more (the batch) is `batch`,
/// other base symbols are `length`, derived ones follow from them (clamped
/// into their range; `inRange`, when given, is cleared if one had to be: the
/// runtime refuses that length, e.g. T - 1 at T = 1).
std::map<std::string, int64_t> symbolSizes(const KernelGraph &graph,
                                           int64_t length, int64_t batch = 1,
                                           bool *inRange = nullptr);

/// Row-major shape of `buffer` at the given symbol sizes.
std::vector<int64_t> concreteShape(const BufferDesc &buffer,
                                   const std::map<std::string, int64_t> &sizes);

} // namespace hmc::halide

#endif // HMC_HALIDE_KERNELBUILDER_H
