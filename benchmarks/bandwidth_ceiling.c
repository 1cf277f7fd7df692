/* The machine's memory bandwidth for the benchmark harness: a STREAM-style
 * triad.
 *
 *   bandwidth_ceiling MIB_PER_ARRAY THREADS REPEATS
 *
 * a[i] = b[i] + s c[i] over three float32 arrays of MIB_PER_ARRAY MiB each
 * (far larger than the caches, so the traffic goes to memory), split into
 * THREADS contiguous slices, one per thread, each first touched by its own
 * thread. One untimed pass, then REPEATS timed passes, each between two
 * barriers. Prints one JSON object: the best and the median GB/s, counting
 * the bytes the triad reads and writes (12 per element, STREAM's
 * convention; a kernel's traffic floor in the harness counts the same way).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
  float *a, *b, *c;
  size_t begin, end;
  int repeats;
  pthread_barrier_t *barrier;
  double *times; /* thread 0 writes each pass's time */
  int self;
} slice;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void triad(slice *s, float scale) {
  float *restrict a = s->a;
  const float *restrict b = s->b, *restrict c = s->c;
  for (size_t i = s->begin; i < s->end; ++i)
    a[i] = b[i] + scale * c[i];
}

static void *run(void *arg) {
  slice *s = arg;
  for (size_t i = s->begin; i < s->end; ++i) {
    s->a[i] = 0.0f;
    s->b[i] = (float)(i % 1024) * 0.001f;
    s->c[i] = (float)(i % 512) * 0.002f;
  }
  triad(s, 0.5f);
  for (int r = 0; r < s->repeats; ++r) {
    pthread_barrier_wait(s->barrier);
    double start = now_s();
    triad(s, 0.5f + (float)r);
    pthread_barrier_wait(s->barrier);
    if (s->self == 0)
      s->times[r] = now_s() - start;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: bandwidth_ceiling MIB_PER_ARRAY THREADS REPEATS\n");
    return 2;
  }
  long mib = atol(argv[1]);
  int threads = atoi(argv[2]), repeats = atoi(argv[3]);
  if (mib < 1 || mib > 4096 || threads < 1 || threads > 256 || repeats < 1 ||
      repeats > 1000) {
    fprintf(stderr, "bandwidth_ceiling: bad arguments\n");
    return 2;
  }
  size_t count = (size_t)mib * 1024 * 1024 / sizeof(float);
  float *a = aligned_alloc(64, count * sizeof(float));
  float *b = aligned_alloc(64, count * sizeof(float));
  float *c = aligned_alloc(64, count * sizeof(float));
  double *times = malloc((size_t)repeats * sizeof(double));
  slice *slices = malloc((size_t)threads * sizeof(slice));
  pthread_t *ids = malloc((size_t)threads * sizeof(pthread_t));
  if (!a || !b || !c || !times || !slices || !ids) {
    fprintf(stderr, "bandwidth_ceiling: out of memory\n");
    return 1;
  }
  pthread_barrier_t barrier;
  pthread_barrier_init(&barrier, NULL, (unsigned)threads);
  for (int t = 0; t < threads; ++t) {
    /* Slices start on 64-byte boundaries so no cache line is shared. */
    size_t begin = count * (size_t)t / (size_t)threads / 16 * 16;
    size_t end = t + 1 == threads
                     ? count
                     : count * (size_t)(t + 1) / (size_t)threads / 16 * 16;
    slices[t] = (slice){a, b, c, begin, end, repeats, &barrier, times, t};
  }
  for (int t = 1; t < threads; ++t)
    if (pthread_create(&ids[t], NULL, run, &slices[t]) != 0) {
      fprintf(stderr, "bandwidth_ceiling: cannot start thread %d\n", t);
      return 1;
    }
  run(&slices[0]);
  for (int t = 1; t < threads; ++t)
    pthread_join(ids[t], NULL);
  pthread_barrier_destroy(&barrier);
  qsort(times, (size_t)repeats, sizeof(double), compare);
  double bytes = 3.0 * (double)count * sizeof(float);
  printf("{\"mib_per_array\": %ld, \"threads\": %d, \"best_gbps\": %.2f, "
         "\"median_gbps\": %.2f, \"check\": %.4f}\n",
         mib, threads, bytes / times[0] / 1e9, bytes / times[repeats / 2] / 1e9,
         (double)a[count / 2 + 1]);
  free(ids);
  free(slices);
  free(times);
  free(c);
  free(b);
  free(a);
  return 0;
}
