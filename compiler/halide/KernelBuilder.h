// Kernel graph kernel -> Halide pipeline with its default CPU schedule. Used
// by hmc-halide for AOT compilation and by the unit tests for JIT runs.
#ifndef HMC_HALIDE_KERNELBUILDER_H
#define HMC_HALIDE_KERNELBUILDER_H

#include "KernelGraph.h"

#include <Halide.h>

namespace hmc::halide {

struct BuiltKernel {
  /// One per kernel input, in the kernel's argument order.
  std::vector<Halide::ImageParam> inputs;
  /// One output per kernel output; the outputs follow the inputs in the
  /// compiled function's signature.
  Halide::Pipeline pipeline;
};

/// Halide type of a graph dtype (bool is UInt(8)).
Halide::Type halideType(DType dtype);

/// Builds and schedules one (already validated) kernel for `target`. The
/// ImageParams carry the buffers' exact static extents and dense strides, and
/// every dynamic extent is tied to the first input dimension naming it.
/// A target with a GPU feature gets the GPU schedules (GpuSchedule.cpp);
/// `gpuOnHost` builds the same GPU forms with CPU loops, so tests can run
/// them by JIT on a machine without a GPU.
BuiltKernel buildKernel(const KernelGraph &graph, const KernelDesc &kernel,
                        const Halide::Target &target, bool gpuOnHost = false);

} // namespace hmc::halide

#endif // HMC_HALIDE_KERNELBUILDER_H
