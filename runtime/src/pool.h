/* A per-handle thread pool behind Halide's do_par_for hook.
 *
 * halide_set_num_threads is process-wide, so each handle owns its own pool;
 * the calling thread always works on its own loop, so a pool of n threads has
 * n - 1 workers. */
#ifndef HMCRT_POOL_H
#define HMCRT_POOL_H

#include <HalideRuntime.h>
#include <stdint.h>

typedef struct hmcrt_pool hmcrt_pool;

/* The CPUs this process may run on (affinity, cpusets), not all; >= 1. */
int32_t hmcrt_pool_cpu_count(void);

/* Returns 0 or an errno value (EINVAL for num_threads < 1). */
int hmcrt_pool_create(int32_t num_threads, hmcrt_pool **out);
void hmcrt_pool_destroy(hmcrt_pool *pool);

/* Runs task(user_context, i, closure) for i in [min, min + size) and returns
 * 0, or the nonzero result of one failed task (the tasks not yet started are
 * then skipped). The tasks are cut into min(n, size) contiguous shares for
 * the pool's n threads; thread t first runs share t mod that count, then
 * helps with the others. pool == NULL, or a pool that is running another
 * caller's loop, runs the loop on the calling thread. */
int hmcrt_pool_par_for(hmcrt_pool *pool, void *user_context, halide_task_t task,
                       int min, int size, uint8_t *closure);

#endif /* HMCRT_POOL_H */
