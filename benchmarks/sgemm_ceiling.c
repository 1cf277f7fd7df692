/* The machine's float32 ceiling for the benchmark harness: OpenBLAS sgemm.
 *
 *   sgemm_ceiling SIZE THREADS REPEATS
 *   sgemm_ceiling M N K THREADS REPEATS
 *
 * Times C = A B for SIZE x SIZE x SIZE float32 matrices (or A: M x K, B:
 * K x N, the shape of a model's dense layer) with OpenBLAS (cblas_sgemm) on
 * THREADS threads: one untimed call, then REPEATS timed calls. Prints one
 * JSON object: the best and the median GFLOP/s (2 M N K FLOPs per call) and
 * the OpenBLAS kernel that ran (set
 * OPENBLAS_CORETYPE to pick one; the harness uses SkylakeX on AVX-512 CPUs
 * that this OpenBLAS does not recognise).
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Declared by openblas_config.h in OpenBLAS >= 0.3; repeated here so that a
 * generic cblas.h works too. */
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 6) {
    fprintf(stderr, "usage: sgemm_ceiling SIZE THREADS REPEATS\n"
                    "       sgemm_ceiling M N K THREADS REPEATS\n");
    return 2;
  }
  int square = argc == 4;
  int m = atoi(argv[1]);
  int n = square ? m : atoi(argv[2]), k = square ? m : atoi(argv[3]);
  int threads = atoi(argv[square ? 2 : 4]);
  int repeats = atoi(argv[square ? 3 : 5]);
  if (m < 1 || n < 1 || k < 1 || threads < 1 || repeats < 1 || repeats > 1000) {
    fprintf(stderr, "sgemm_ceiling: bad arguments\n");
    return 2;
  }
  openblas_set_num_threads(threads);
  size_t a_count = (size_t)m * (size_t)k, b_count = (size_t)k * (size_t)n;
  size_t c_count = (size_t)m * (size_t)n;
  float *a = malloc(a_count * sizeof(float));
  float *b = malloc(b_count * sizeof(float));
  float *c = malloc(c_count * sizeof(float));
  double *times = malloc((size_t)repeats * sizeof(double));
  if (!a || !b || !c || !times) {
    fprintf(stderr, "sgemm_ceiling: out of memory\n");
    return 1;
  }
  unsigned state = 12345u;
  for (size_t i = 0; i < a_count; ++i) {
    state = state * 1664525u + 1013904223u;
    a[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
  }
  for (size_t i = 0; i < b_count; ++i) {
    state = state * 1664525u + 1013904223u;
    b[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b,
              n, 0.0f, c, n);
  for (int r = 0; r < repeats; ++r) {
    double start = now_s();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k,
                b, n, 0.0f, c, n);
    times[r] = now_s() - start;
  }
  qsort(times, (size_t)repeats, sizeof(double), compare);
  double flops = 2.0 * (double)m * (double)n * (double)k;
  printf("{\"m\": %d, \"n\": %d, \"k\": %d, \"threads\": %d, "
         "\"kernel\": \"%s\", \"best_gflops\": %.2f, \"median_gflops\": %.2f, "
         "\"check\": %.4f}\n",
         m, n, k, threads, openblas_get_corename(), flops / times[0] / 1e9,
         flops / times[repeats / 2] / 1e9, (double)c[c_count / 2]);
  free(a);
  free(b);
  free(c);
  free(times);
  return 0;
}
