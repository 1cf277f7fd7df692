// JIT runs (the tuner, the kernel tests and benchmarks) on the thread pool of
// the generated libraries (runtime/src/pool.c) rather than Halide's, so that
// a schedule is timed with the parallel loops it will run with: workers that
// poll between loops, and a loop nested in a parallel task run on its thread
// unless the outer loop had a single task.
#ifndef HMC_HALIDE_JITTHREADS_H
#define HMC_HALIDE_JITTHREADS_H

#include <Halide.h>

namespace hmc::halide {

/// Makes `pipeline`'s JIT runs use the library thread pool, shared by the
/// process: HL_NUM_THREADS threads, else one per CPU this process may run
/// on. Runs must come from one thread at a time.
void useLibraryThreadPool(Halide::Pipeline &pipeline);

} // namespace hmc::halide

#endif // HMC_HALIDE_JITTHREADS_H
