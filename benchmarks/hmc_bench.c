/* Times one hmc-generated library: the hmc engine of the benchmark harness.
 *
 *   hmc_bench LIB.so INPUT_DIR NUM_SETS THREADS WARMUP MIN_ITERS MAX_ITERS
 *             BUDGET_S OUTPUT_DIR
 *
 * Loads any hmc library through its hmc_library_v1 descriptor (dlopen), reads
 * input set i from INPUT_DIR/set<i>/<input name>.npy (i < NUM_SETS), creates
 * one handle with THREADS threads, runs every set once and writes its outputs
 * to OUTPUT_DIR/set<i>/<output name>.npy (for the agreement check), runs
 * WARMUP more untimed runs, then times runs that cycle through the sets until
 * MIN_ITERS runs and BUDGET_S seconds are done (at most MAX_ITERS runs).
 * Prints one JSON object on stdout: the run times in ms, the peak resident
 * set (VmHWM) and the resident set before the library was loaded (VmRSS),
 * in KiB. Reading and writing .npy covers what numpy's np.save writes for
 * the dtypes hmc has: C order, little endian.
 *
 * With HMC_BENCH_PERF_CONTROL=CTL,ACK (the control and acknowledgement
 * FIFOs of a `perf record -D -1 --control fifo:CTL,ACK` that runs it), the
 * timed runs alone are sampled: events are enabled just before them and
 * disabled after, so the first runs' one-time costs (first touch of the
 * outputs and temporaries, writing the .npy files) stay out of the profile.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hmc/api_types.h"

#define MAX_SETS 16
#define MAX_IO 16

static void die(const char *what, const char *detail) {
  fprintf(stderr, "hmc_bench: %s%s%s\n", what, detail ? ": " : "",
          detail ? detail : "");
  exit(1);
}

static size_t dtype_size(hmc_dtype dtype) {
  switch (dtype) {
  case HMC_DTYPE_FLOAT32:
  case HMC_DTYPE_INT32:
    return 4;
  case HMC_DTYPE_FLOAT64:
  case HMC_DTYPE_INT64:
    return 8;
  case HMC_DTYPE_BOOL:
    return 1;
  }
  return 0;
}

static const char *npy_descr(hmc_dtype dtype) {
  switch (dtype) {
  case HMC_DTYPE_FLOAT32:
    return "<f4";
  case HMC_DTYPE_FLOAT64:
    return "<f8";
  case HMC_DTYPE_INT32:
    return "<i4";
  case HMC_DTYPE_INT64:
    return "<i8";
  case HMC_DTYPE_BOOL:
    return "|b1";
  }
  return "";
}

/* Reads a .npy file of exactly `dtype` into tensor (data malloc'ed). */
static void read_npy(const char *path, hmc_dtype dtype, hmc_tensor *tensor) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot open", path);
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
    die("not a .npy file", path);
  size_t header_len;
  if (pre[6] == 1) {
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8;
  } else {
    unsigned char more[2];
    if (fread(more, 1, 2, f) != 2)
      die("truncated .npy header", path);
    header_len = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)more[0] << 16 |
                 (size_t)more[1] << 24;
  }
  if (header_len > 65536)
    die(".npy header too long", path);
  char *header = calloc(header_len + 1, 1);
  if (!header || fread(header, 1, header_len, f) != header_len)
    die("truncated .npy header", path);
  if (!strstr(header, npy_descr(dtype)))
    die("unexpected .npy dtype (want the model's dtype)", path);
  if (strstr(header, "'fortran_order': True"))
    die("Fortran-order .npy is not supported", path);
  const char *shape = strstr(header, "'shape': (");
  if (!shape)
    die("no shape in .npy header", path);
  shape += strlen("'shape': (");
  tensor->dtype = dtype;
  tensor->rank = 0;
  size_t count = 1;
  while (*shape && *shape != ')') {
    char *end;
    long long dim = strtoll(shape, &end, 10);
    if (end == shape)
      break;
    if (tensor->rank == HMC_MAX_RANK)
      die("rank too large", path);
    tensor->shape[tensor->rank++] = dim;
    count *= (size_t)dim;
    shape = end;
    while (*shape == ',' || *shape == ' ')
      ++shape;
  }
  free(header);
  tensor->size_bytes = count * dtype_size(dtype);
  tensor->data = malloc(tensor->size_bytes ? tensor->size_bytes : 1);
  if (!tensor->data)
    die("out of memory reading", path);
  if (fread(tensor->data, 1, tensor->size_bytes, f) != tensor->size_bytes)
    die("truncated .npy data", path);
  fclose(f);
}

static void write_npy(const char *path, const hmc_tensor *tensor) {
  char header[256];
  int len = snprintf(header, sizeof header,
                     "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     npy_descr(tensor->dtype));
  size_t count = 1;
  for (int d = 0; d < tensor->rank; ++d) {
    len += snprintf(header + len, sizeof header - (size_t)len, "%" PRId64 "%s",
                    tensor->shape[d],
                    tensor->rank == 1      ? ","
                    : d + 1 < tensor->rank ? ", "
                                           : "");
    count *= (size_t)tensor->shape[d];
  }
  len += snprintf(header + len, sizeof header - (size_t)len, "), }");
  /* pad with spaces so that magic + 2 + 2 + header + '\n' is a multiple of 64
   */
  int total = 10 + len + 1;
  int pad = (64 - total % 64) % 64;
  FILE *f = fopen(path, "wb");
  if (!f)
    die("cannot write", path);
  unsigned short header_len = (unsigned short)(len + pad + 1);
  unsigned char pre[10] = {0x93,
                           'N',
                           'U',
                           'M',
                           'P',
                           'Y',
                           1,
                           0,
                           (unsigned char)(header_len & 0xff),
                           (unsigned char)(header_len >> 8)};
  fwrite(pre, 1, 10, f);
  fwrite(header, 1, (size_t)len, f);
  for (int i = 0; i < pad; ++i)
    fputc(' ', f);
  fputc('\n', f);
  fwrite(tensor->data, 1, count * dtype_size(tensor->dtype), f);
  if (fclose(f) != 0)
    die("cannot write", path);
}

/* A field of /proc/self/status in KiB (VmRSS, VmHWM), or -1. */
static long status_kib(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long value = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, n) == 0 && line[n] == ':') {
      value = strtol(line + n + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return value;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static void check(const hmc_library_v1 *lib, void *handle, hmc_status status,
                  const char *what) {
  if (status != HMC_OK) {
    const char *message = lib->last_error(handle);
    fprintf(stderr, "hmc_bench: %s failed (status %d): %s\n", what, (int)status,
            message ? message : "no message");
    exit(1);
  }
}

/* The perf control FIFOs, or -1 when perf does not control this run. */
static int perf_ctl = -1, perf_ack = -1;

static void open_perf_control(void) {
  const char *spec = getenv("HMC_BENCH_PERF_CONTROL");
  if (!spec || !*spec)
    return;
  char ctl[4096];
  const char *comma = strchr(spec, ',');
  if (!comma || (size_t)(comma - spec) >= sizeof ctl)
    die("HMC_BENCH_PERF_CONTROL is not CTL,ACK", spec);
  memcpy(ctl, spec, (size_t)(comma - spec));
  ctl[comma - spec] = '\0';
  perf_ctl = open(ctl, O_WRONLY);
  perf_ack = open(comma + 1, O_RDONLY);
  if (perf_ctl < 0 || perf_ack < 0)
    die("cannot open the perf control FIFOs", spec);
}

/* Sends perf `command` ("enable" or "disable") and waits for its ack. */
static void perf_command(const char *command) {
  if (perf_ctl < 0)
    return;
  char line[16];
  int length = snprintf(line, sizeof line, "%s\n", command);
  if (write(perf_ctl, line, (size_t)length) != length)
    die("cannot write to the perf control FIFO", command);
  char ack[8];
  ssize_t got = read(perf_ack, ack, sizeof ack - 1);
  if (got <= 0)
    die("no ack from perf for", command);
}

static void make_dir(const char *path) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    die("cannot create folder", path);
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: hmc_bench LIB.so INPUT_DIR NUM_SETS THREADS WARMUP "
                    "MIN_ITERS MAX_ITERS BUDGET_S OUTPUT_DIR\n");
    return 2;
  }
  const char *lib_path = argv[1], *input_dir = argv[2], *output_dir = argv[9];
  int num_sets = atoi(argv[3]), threads = atoi(argv[4]), warmup = atoi(argv[5]);
  int min_iters = atoi(argv[6]), max_iters = atoi(argv[7]);
  double budget_ms = atof(argv[8]) * 1e3;
  if (num_sets < 1 || num_sets > MAX_SETS || max_iters < 1 ||
      min_iters > max_iters)
    die("bad arguments", NULL);

  /* The library's descriptor first (static data only), then the inputs, then
   * the baseline resident set, then the handle. */
  void *dll = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
  if (!dll)
    die("dlopen failed", dlerror());
  const hmc_library_v1 *lib =
      (const hmc_library_v1 *)dlsym(dll, "hmc_library_v1");
  if (!lib)
    die("no hmc_library_v1 in", lib_path);
  if (lib->abi_version != HMC_ABI_VERSION)
    die("unexpected C API version in", lib_path);
  if (lib->num_inputs > MAX_IO || lib->num_outputs > MAX_IO)
    die("too many inputs or outputs", NULL);

  static hmc_tensor inputs[MAX_SETS][MAX_IO];
  static hmc_tensor outputs[MAX_SETS][MAX_IO];
  char path[4096];
  for (int s = 0; s < num_sets; ++s) {
    for (int i = 0; i < lib->num_inputs; ++i) {
      snprintf(path, sizeof path, "%s/set%d/%s.npy", input_dir, s,
               lib->inputs[i].name);
      read_npy(path, lib->inputs[i].dtype, &inputs[s][i]);
      inputs[s][i].name = lib->inputs[i].name;
    }
  }
  long base_rss = status_kib("VmRSS");

  void *handle = NULL;
  hmc_create_options options = {.num_threads = threads, .weights_path = NULL};
  check(lib, NULL, lib->create(&options, &handle), "create");
  for (int s = 0; s < num_sets; ++s) {
    check(lib, handle,
          lib->output_shapes(handle, inputs[s], lib->num_inputs, outputs[s],
                             lib->num_outputs),
          "output_shapes");
    for (int o = 0; o < lib->num_outputs; ++o) {
      size_t count = 1;
      for (int d = 0; d < outputs[s][o].rank; ++d)
        count *= (size_t)outputs[s][o].shape[d];
      outputs[s][o].size_bytes = count * dtype_size(outputs[s][o].dtype);
      outputs[s][o].data =
          calloc(count ? count : 1, dtype_size(outputs[s][o].dtype));
      if (!outputs[s][o].data)
        die("out of memory for outputs", NULL);
    }
  }

  /* One run per set, outputs written for the agreement check. */
  make_dir(output_dir);
  for (int s = 0; s < num_sets; ++s) {
    check(lib, handle,
          lib->run(handle, inputs[s], lib->num_inputs, outputs[s],
                   lib->num_outputs),
          "run");
    snprintf(path, sizeof path, "%s/set%d", output_dir, s);
    make_dir(path);
    for (int o = 0; o < lib->num_outputs; ++o) {
      snprintf(path, sizeof path, "%s/set%d/%s.npy", output_dir, s,
               lib->outputs[o].name);
      write_npy(path, &outputs[s][o]);
    }
  }
  for (int w = 0; w < warmup; ++w) {
    int s = w % num_sets;
    check(lib, handle,
          lib->run(handle, inputs[s], lib->num_inputs, outputs[s],
                   lib->num_outputs),
          "run");
  }

  double *times = malloc(sizeof(double) * (size_t)max_iters);
  if (!times)
    die("out of memory", NULL);
  open_perf_control();
  perf_command("enable");
  int iters = 0;
  double start_all = now_ms();
  while (iters < max_iters &&
         (iters < min_iters || now_ms() - start_all < budget_ms)) {
    int s = iters % num_sets;
    double start = now_ms();
    hmc_status status = lib->run(handle, inputs[s], lib->num_inputs, outputs[s],
                                 lib->num_outputs);
    times[iters++] = now_ms() - start;
    check(lib, handle, status, "run");
  }
  perf_command("disable");
  long peak_rss = status_kib("VmHWM");

  printf("{\"engine\": \"hmc\", \"threads\": %d, \"base_rss_kib\": %ld, "
         "\"peak_rss_kib\": %ld, \"schedule_source\": \"%s\", \"times_ms\": [",
         threads, base_rss, peak_rss, lib->schedule_source);
  for (int i = 0; i < iters; ++i)
    printf("%s%.6f", i ? ", " : "", times[i]);
  printf("]}\n");

  lib->destroy(handle);
  free(times);
  for (int s = 0; s < num_sets; ++s) {
    for (int i = 0; i < lib->num_inputs; ++i)
      free(inputs[s][i].data);
    for (int o = 0; o < lib->num_outputs; ++o)
      free(outputs[s][o].data);
  }
  dlclose(dll);
  return 0;
}
