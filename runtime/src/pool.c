#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"

/* A contiguous run of a job's tasks, first claimed by its own thread. On its
 * own cache line: the threads claim from their own runs concurrently. */
typedef struct {
  _Alignas(64) atomic_llong next; /* next task offset to claim; 64-bit so
                                     claims past the end cannot wrap */
  long long end;
} task_run;

/* One parallel loop. It lives on the stack of the thread that called
 * par_for, which waits until no worker is inside it any more. */
typedef struct job {
  halide_task_t task;
  void *user_context;
  uint8_t *closure;
  int min;
  task_run *runs; /* the pool's, one per thread, `parts` in use */
  int parts;
  atomic_int result; /* first nonzero task result */
  /* Workers inside the job: changed under the pool mutex, read without it
   * while the poster spins. */
  atomic_int active;
} job;

/* After a job, a worker polls for the next one this long before it sleeps:
 * a model run posts a loop every few microseconds, and waking a sleeping
 * thread (a futex call, slower still on a virtual machine) costs more than
 * many of those loops take. */
#define SPIN_NS 200000

typedef struct {
  hmcrt_pool *pool;
  int self; /* this worker's thread index, >= 1 */
} worker_arg;

struct hmcrt_pool {
  int num_workers;
  pthread_t *workers;
  worker_arg *worker_args;
  /* Thread t (the caller 0, worker i as i + 1) starts on run t of the posted
   * job: loops over the same rows give each thread the same rows, so the
   * next kernel finds its operands in the cache of the core that wrote
   * them, where claiming tasks in turn spread every row over every core's
   * cache. One job at a time owns the array (busy). */
  task_run *runs;
  atomic_bool busy;
  pthread_mutex_t mutex;
  pthread_cond_t wake; /* a job was posted, or stop */
  pthread_cond_t idle; /* the last worker left some job */
  job *job;            /* the posted job, or NULL */
  /* Counts posted jobs, so a worker joins each once; written under the mutex,
   * read without it while spinning. */
  atomic_uint_fast64_t generation;
  atomic_bool stop;
};

/* Set while this thread runs a task of a posted job: a loop nested in it runs
 * on this thread (the other threads are busy with the outer loop, and
 * waiting for them could deadlock). A loop nested in a one-task loop, which
 * is never posted, still gets the pool. */
static _Thread_local bool in_posted_task;

/* Runs thread `self`'s own run of j, then takes what is left of the others'
 * (a thread that is late or asleep leaves its run to them). */
static void run_tasks(job *j, int self) {
  in_posted_task = true;
  for (int k = 0; k < j->parts; k++) {
    task_run *run = &j->runs[(self + k) % j->parts];
    long long i;
    while (atomic_load_explicit(&j->result, memory_order_relaxed) == 0 &&
           (i = atomic_fetch_add_explicit(&run->next, 1,
                                          memory_order_relaxed)) < run->end) {
      int r = j->task(j->user_context, j->min + (int)i, j->closure);
      if (r != 0) {
        int expected = 0;
        atomic_compare_exchange_strong(&j->result, &expected, r);
      }
    }
  }
  in_posted_task = false;
}

static int run_serial(void *user_context, halide_task_t task, int min, int size,
                      uint8_t *closure) {
  for (int i = 0; i < size; i++) {
    int r = task(user_context, min + i, closure);
    if (r != 0)
      return r;
  }
  return 0;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Polls until a job newer than `seen` is posted, stop is set, or SPIN_NS
 * pass. */
static void spin_for_job(hmcrt_pool *pool, uint64_t seen) {
  uint64_t deadline = hmcrt_now_ns() + SPIN_NS;
  for (unsigned i = 1;; i++) {
    if (atomic_load_explicit(&pool->generation, memory_order_relaxed) != seen ||
        atomic_load_explicit(&pool->stop, memory_order_relaxed))
      return;
    cpu_relax();
    if (i % 256 == 0 && hmcrt_now_ns() > deadline)
      return;
  }
}

/* Polls until no worker is inside j, or SPIN_NS pass. */
static void spin_for_workers(job *j) {
  uint64_t deadline = hmcrt_now_ns() + SPIN_NS;
  for (unsigned i = 1;; i++) {
    if (atomic_load_explicit(&j->active, memory_order_acquire) == 0)
      return;
    cpu_relax();
    if (i % 256 == 0 && hmcrt_now_ns() > deadline)
      return;
  }
}

static void *worker_main(void *arg) {
  worker_arg *me = arg;
  hmcrt_pool *pool = me->pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    if (!pool->stop && (pool->job == NULL || pool->generation == seen)) {
      if (pool->job == NULL) /* whatever was posted has finished */
        seen = pool->generation;
      pthread_mutex_unlock(&pool->mutex);
      spin_for_job(pool, seen);
      pthread_mutex_lock(&pool->mutex);
    }
    while (!pool->stop && (pool->job == NULL || pool->generation == seen))
      pthread_cond_wait(&pool->wake, &pool->mutex);
    if (pool->stop)
      break;
    seen = pool->generation;
    job *j = pool->job;
    j->active++;
    pthread_mutex_unlock(&pool->mutex);
    run_tasks(j, me->self);
    pthread_mutex_lock(&pool->mutex);
    /* Broadcast: a worker that posted a nested loop may be waiting on idle
     * too, next to the thread that posted the outer one. */
    if (--j->active == 0)
      pthread_cond_broadcast(&pool->idle);
  }
  pthread_mutex_unlock(&pool->mutex);
  return NULL;
}

static void stop_workers(hmcrt_pool *pool, int started) {
  pthread_mutex_lock(&pool->mutex);
  pool->stop = true;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int i = 0; i < started; i++)
    pthread_join(pool->workers[i], NULL);
}

int32_t hmcrt_pool_cpu_count(void) {
  cpu_set_t set;
  long n = sched_getaffinity(0, sizeof(set), &set) == 0
               ? CPU_COUNT(&set)
               : sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > INT32_MAX ? INT32_MAX : (int32_t)n;
}

int hmcrt_pool_create(int32_t num_threads, hmcrt_pool **out) {
  if (num_threads < 1)
    return EINVAL;
  hmcrt_pool *pool = calloc(1, sizeof(*pool));
  if (!pool)
    return ENOMEM;
  pool->num_workers = num_threads - 1;
  pool->workers = calloc((size_t)num_threads, sizeof(pthread_t));
  pool->worker_args = calloc((size_t)num_threads, sizeof(worker_arg));
  pool->runs =
      aligned_alloc(_Alignof(task_run), (size_t)num_threads * sizeof(task_run));
  if (!pool->workers || !pool->worker_args || !pool->runs) {
    free(pool->runs);
    free(pool->worker_args);
    free(pool->workers);
    free(pool);
    return ENOMEM;
  }
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->idle, NULL);
  /* Workers inherit a full signal mask: the application's signals must go
   * to its own threads, never to ours. */
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int err = 0;
  for (int i = 0; i < pool->num_workers && err == 0; i++) {
    pool->worker_args[i] = (worker_arg){.pool = pool, .self = i + 1};
    if ((err = pthread_create(&pool->workers[i], NULL, worker_main,
                              &pool->worker_args[i])) != 0)
      pool->num_workers = i;
  }
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  if (err != 0) {
    hmcrt_pool_destroy(pool);
    return err;
  }
  *out = pool;
  return 0;
}

void hmcrt_pool_destroy(hmcrt_pool *pool) {
  if (!pool)
    return;
  stop_workers(pool, pool->num_workers);
  pthread_cond_destroy(&pool->idle);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->runs);
  free(pool->worker_args);
  free(pool->workers);
  free(pool);
}

int hmcrt_pool_par_for(hmcrt_pool *pool, void *user_context, halide_task_t task,
                       int min, int size, uint8_t *closure) {
  if (size <= 0)
    return 0;
  if (!pool || pool->num_workers == 0 || size == 1 || in_posted_task)
    return run_serial(user_context, task, min, size, closure);
  /* A loop posted while another caller's runs (a pool shared between
   * threads) runs on its own thread: the runs array is the first's. */
  if (atomic_exchange_explicit(&pool->busy, true, memory_order_acquire))
    return run_serial(user_context, task, min, size, closure);
  int threads = pool->num_workers + 1;
  job j = {.task = task,
           .user_context = user_context,
           .closure = closure,
           .min = min,
           .runs = pool->runs,
           .parts = size < threads ? size : threads};
  for (int p = 0; p < j.parts; p++) {
    atomic_init(&j.runs[p].next, (long long)size * p / j.parts);
    j.runs[p].end = (long long)size * (p + 1) / j.parts;
  }
  atomic_init(&j.result, 0);
  atomic_init(&j.active, 0);
  pthread_mutex_lock(&pool->mutex);
  pool->job = &j;
  atomic_fetch_add_explicit(&pool->generation, 1, memory_order_relaxed);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);

  run_tasks(&j, 0);

  /* With the job withdrawn, no worker can join it any more. */
  pthread_mutex_lock(&pool->mutex);
  pool->job = NULL;
  pthread_mutex_unlock(&pool->mutex);
  spin_for_workers(&j);
  /* A worker's decrement is its last access to j, so once the spin has seen
   * none active, the mutex (which that worker may still hold to broadcast)
   * is not needed. */
  if (atomic_load_explicit(&j.active, memory_order_acquire) > 0) {
    pthread_mutex_lock(&pool->mutex);
    while (j.active > 0)
      pthread_cond_wait(&pool->idle, &pool->mutex);
    pthread_mutex_unlock(&pool->mutex);
  }
  int result = atomic_load(&j.result);
  atomic_store_explicit(&pool->busy, false, memory_order_release);
  return result;
}
