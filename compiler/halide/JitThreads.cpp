#include "JitThreads.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

extern "C" {
#include "pool.h"
}

namespace hmc::halide {
namespace {

int poolThreads() {
  if (const char *env = std::getenv("HL_NUM_THREADS"))
    if (int threads = std::atoi(env); threads > 0)
      return threads;
  return hmcrt_pool_cpu_count();
}

hmcrt_pool *libraryPool() {
  static hmcrt_pool *pool = [] {
    hmcrt_pool *created = nullptr;
    if (int err = hmcrt_pool_create(poolThreads(), &created))
      throw std::runtime_error(std::string("cannot start the thread pool: ") +
                               std::strerror(err));
    return created;
  }();
  return pool;
}

int parForOnLibraryPool(Halide::JITUserContext *context,
                        int (*task)(Halide::JITUserContext *, int, uint8_t *),
                        int min, int size, uint8_t *closure) {
  return hmcrt_pool_par_for(libraryPool(), context,
                            reinterpret_cast<halide_task_t>(task), min, size,
                            closure);
}

} // namespace

void useLibraryThreadPool(Halide::Pipeline &pipeline) {
  pipeline.jit_handlers().custom_do_par_for = parForOnLibraryPool;
}

} // namespace hmc::halide
