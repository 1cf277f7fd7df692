/* The executor: checks a call against the model tables, binds the dynamic
 * symbols, lays out temporaries in the arena and calls the kernels in order.
 *
 * Nothing on the run path allocates: the halide_buffer_t array, the kernel
 * argument vectors and the symbol scratch are built once in create, the
 * arena only grows when a larger shape arrives, and the kernels' own heap
 * blocks (halide_malloc) come from the handle's block cache. */
#include <HalideRuntime.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block_cache.h"
#include "clock.h"
#include "hmc/runtime.h"
#include "pool.h"
#include "weights.h"

#define ERROR_SIZE 1024
#define KERNEL_ERROR_SIZE 768
#define ARENA_ALIGN 64
#define MAX_THREADS 1024
/* The size of the feature masks halide_can_use_target_features takes. */
#define FEATURE_WORDS ((halide_target_feature_end + 63) / 64)

/* Marks a run_context, so the hooks can tell one from another context. */
#define RUN_CONTEXT_MAGIC 0x686d6372746378ULL

/* The user_context every kernel receives: where its parallel loops run, its
 * heap blocks come from, and Halide's error handler leaves the message. */
typedef struct run_context {
  uint64_t magic;
  hmcrt_pool *pool;
  hmcrt_block_cache blocks;
  atomic_flag error_taken; /* the first message of a run wins */
  char error[KERNEL_ERROR_SIZE];
} run_context;

struct hmcrt_handle {
  const hmcrt_model_desc *model;
  atomic_bool busy;
  uint64_t id; /* unique per handle, unlike its address */
  hmcrt_pool *pool;
  const uint8_t *weights;
  hmcrt_weights_map weights_map;

  /* Symbol binding of the current call; source is input * HMC_MAX_RANK + dim
   * of the dimension that bound the symbol, or -1. */
  int64_t *symbol_value;
  int32_t *symbol_source;

  /* Per buffer. */
  halide_buffer_t *hbuf;
  halide_dimension_t *hdim;
  size_t *bytes;
  int32_t *first_use; /* kernel index, -1 if no kernel uses the buffer */
  int32_t *last_use;
  size_t *offset; /* temporaries: byte offset in the arena */

  /* Temporaries used by some kernel, ordered by first use, and the planner's
   * scratch list of placed ones ordered by offset. */
  int32_t num_temps;
  int32_t *temps;
  int32_t *placed;

  uint8_t *arena;
  size_t arena_size;

  void **kernel_args; /* per kernel: &ctx_ptr, then its buffers */

  /* GPU libraries: the device interface, and per buffer the bytes of the
   * device allocation the handle made for it (0: none). */
  const struct halide_device_interface_t *gpu;
  size_t *device_bytes;
  /* run_device: host memory behind the caller's device inputs, for kernels
   * that also read an input on the host (a gather checks its indices). */
  uint8_t **host_copy;
  size_t *host_copy_bytes;
  run_context ctx;
  void *ctx_ptr;
  char error[ERROR_SIZE];

  /* HMC_PROFILE: per kernel the wall time of its calls, and the runs' own
   * wall time, reported to stderr when the handle is destroyed. NULL when
   * off, so an unprofiled run reads no clock. The first run is kept apart
   * (first_ns, first_run_ns): it pays one-time costs (first touch of the
   * arena and the kernels' blocks), so it is reported only when it is the
   * only run. */
  uint64_t *profile_ns;
  uint64_t *first_ns;
  uint64_t profile_runs;
  uint64_t profile_run_ns;
  uint64_t first_run_ns;
  bool first_done;
};

/* Messages of calls without a handle, and of calls refused as BUSY (the
 * handle's own message belongs to the thread running it). The refused
 * handle is recorded by address and id: a later handle may reuse the
 * address. */
static _Thread_local char tls_error[ERROR_SIZE];
static _Thread_local const hmcrt_handle *tls_busy_handle;
static _Thread_local uint64_t tls_busy_id;

static atomic_uint_least64_t next_handle_id = 1;

/* Host pointer of empty buffers: Halide treats a NULL host as a bounds
 * query, never as data. */
static _Alignas(ARENA_ALIGN) uint8_t empty_storage[ARENA_ALIGN];

static hmc_status fail(hmcrt_handle *h, hmc_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hmc_status fail(hmcrt_handle *h, hmc_status status, const char *fmt,
                       ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h ? h->error : tls_error, ERROR_SIZE, fmt, ap);
  va_end(ap);
  return status;
}

/* ---- Halide hooks ------------------------------------------------------ */

/* Our run context, or NULL for any other (Halide's runtime passes NULL on
 * some paths). */
static run_context *our_context(void *user_context) {
  run_context *ctx = user_context;
  return ctx && ctx->magic == RUN_CONTEXT_MAGIC ? ctx : NULL;
}

static int do_par_for(void *user_context, halide_task_t task, int min, int size,
                      uint8_t *closure) {
  run_context *ctx = our_context(user_context);
  return hmcrt_pool_par_for(ctx ? ctx->pool : NULL, user_context, task, min,
                            size, closure);
}

static void error_handler(void *user_context, const char *msg) {
  run_context *ctx = our_context(user_context);
  /* Without a run there is nobody to tell; the default handler would print
   * (and for some targets abort), which a library must not do. */
  if (!ctx || atomic_flag_test_and_set(&ctx->error_taken))
    return;
  snprintf(ctx->error, sizeof(ctx->error), "%s", msg);
  size_t n = strlen(ctx->error);
  while (n > 0 && (ctx->error[n - 1] == '\n' || ctx->error[n - 1] == ' '))
    ctx->error[--n] = '\0';
}

/* Kernels allocate their intermediates per run; the handle's cache keeps
 * the blocks, so runs stop calling malloc once the largest shape has run. */
static void *block_malloc(void *user_context, size_t size) {
  run_context *ctx = our_context(user_context);
  return hmcrt_block_alloc(ctx ? &ctx->blocks : NULL, size);
}

/* The block's header says where it came from, whatever the context. */
static void block_free(void *user_context, void *ptr) {
  (void)user_context;
  hmcrt_block_free(ptr);
}

static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void install_hooks(void) {
  halide_set_custom_do_par_for(do_par_for);
  halide_set_error_handler(error_handler);
  halide_set_custom_malloc(block_malloc);
  halide_set_custom_free(block_free);
}

/* ---- Model checks ------------------------------------------------------ */

static int valid_dtype(hmc_dtype dtype) { return hmcrt_dtype_size(dtype) != 0; }

static hmc_status check_buffer_desc(const hmcrt_model_desc *m, int32_t i) {
  const hmcrt_buffer_desc *b = &m->buffers[i];
  const hmc_library_v1 *lib = m->library;
  if (!valid_dtype(b->dtype) || b->rank < 0 || b->rank > HMC_MAX_RANK)
    return fail(NULL, HMC_ERROR_INTERNAL,
                "invalid model: buffer %d has dtype %d, rank %d", i, b->dtype,
                b->rank);
  for (int32_t d = 0; d < b->rank; d++) {
    const hmcrt_dim *dim = &b->shape[d];
    if (dim->symbol >= m->num_symbols || (dim->symbol < 0 && dim->value < 0))
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: buffer %d dimension %d is symbol %d, value "
                  "%lld",
                  i, d, dim->symbol, (long long)dim->value);
  }
  switch (b->storage) {
  case HMCRT_INPUT:
  case HMCRT_OUTPUT: {
    int is_input = b->storage == HMCRT_INPUT;
    int32_t count = is_input ? lib->num_inputs : lib->num_outputs;
    const int32_t *list = is_input ? m->input_buffers : m->output_buffers;
    if (b->io_index < 0 || b->io_index >= count || list[b->io_index] != i)
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: buffer %d has io_index %d", i, b->io_index);
    return HMC_OK;
  }
  case HMCRT_WEIGHT: {
    uint64_t bytes = hmcrt_dtype_size(b->dtype);
    for (int32_t d = 0; d < b->rank; d++) {
      if (b->shape[d].symbol >= 0)
        return fail(NULL, HMC_ERROR_INTERNAL,
                    "invalid model: weight '%s' has a dynamic dimension",
                    b->name);
      uint64_t v = (uint64_t)b->shape[d].value;
      bytes = v != 0 && bytes > UINT64_MAX / v ? UINT64_MAX : bytes * v;
    }
    if (b->weight_offset > m->weights_size ||
        bytes > m->weights_size - b->weight_offset)
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: weight '%s' (%llu bytes at %llu) lies "
                  "outside the %llu-byte weights blob",
                  b->name, (unsigned long long)bytes,
                  (unsigned long long)b->weight_offset,
                  (unsigned long long)m->weights_size);
    return HMC_OK;
  }
  case HMCRT_TEMP:
    return HMC_OK;
  }
  return fail(NULL, HMC_ERROR_INTERNAL,
              "invalid model: buffer %d has storage %d", i, b->storage);
}

static hmc_status check_io_list(const hmcrt_model_desc *m, int32_t count,
                                const int32_t *list, hmcrt_storage storage) {
  if (count < 0 || (count > 0 && !list))
    return fail(NULL, HMC_ERROR_INTERNAL, "invalid model: %d %s", count,
                storage == HMCRT_INPUT ? "inputs" : "outputs");
  for (int32_t i = 0; i < count; i++)
    if (list[i] < 0 || list[i] >= m->num_buffers ||
        m->buffers[list[i]].storage != storage)
      return fail(NULL, HMC_ERROR_INTERNAL, "invalid model: %s %d is buffer %d",
                  storage == HMCRT_INPUT ? "input" : "output", i, list[i]);
  return HMC_OK;
}

static hmc_status check_target(const hmcrt_target_desc *t) {
  if (!t)
    return HMC_OK;
  if (!t->name || t->num_cpu_features < 0 ||
      (t->num_cpu_features > 0 && !t->cpu_features))
    return fail(NULL, HMC_ERROR_INTERNAL,
                "invalid model: target table with %d CPU features",
                t->num_cpu_features);
  for (int32_t i = 0; i < t->num_cpu_features; i++) {
    const hmcrt_cpu_feature *f = &t->cpu_features[i];
    if (f->id < 0 || f->id >= halide_target_feature_end || !f->name)
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: CPU feature %d has id %d", i, f->id);
  }
  return HMC_OK;
}

static hmc_status check_model(const hmcrt_model_desc *m) {
  const hmc_library_v1 *lib = m->library;
  if (!lib || !lib->name)
    return fail(NULL, HMC_ERROR_INTERNAL,
                "invalid model: no library table or name");
  if (m->num_symbols < 0 || (m->num_symbols > 0 && !m->symbols) ||
      m->num_buffers < 0 || (m->num_buffers > 0 && !m->buffers) ||
      m->num_kernels < 0 || (m->num_kernels > 0 && !m->kernels))
    return fail(NULL, HMC_ERROR_INTERNAL,
                "invalid model: %d symbols, %d buffers, %d kernels",
                m->num_symbols, m->num_buffers, m->num_kernels);
  hmc_status st = check_target(m->target);
  if (st == HMC_OK)
    st = check_io_list(m, lib->num_inputs, m->input_buffers, HMCRT_INPUT);
  if (st == HMC_OK)
    st = check_io_list(m, lib->num_outputs, m->output_buffers, HMCRT_OUTPUT);
  if (st != HMC_OK)
    return st;
  for (int32_t i = 0; i < m->num_buffers; i++)
    if ((st = check_buffer_desc(m, i)) != HMC_OK)
      return st;
  for (int32_t s = 0; s < m->num_symbols; s++) {
    const hmcrt_symbol_desc *sym = &m->symbols[s];
    if (sym->min < 0 || sym->min > sym->max)
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: symbol '%s' has range %lld..%lld", sym->name,
                  (long long)sym->min, (long long)sym->max);
    if (sym->derived_from < 0 || sym->derived_from > s ||
        (sym->derived_from > 0 &&
         (sym->div < 1 || sym->mul < 1 || sym->mul > HMCRT_MAX_DIM_MULTIPLE)))
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: symbol '%s' derives from symbol %d",
                  sym->name, sym->derived_from - 1);
    /* Output shapes are computed from the inputs alone. */
    int bound = sym->derived_from > 0;
    for (int32_t i = 0; i < lib->num_inputs && !bound; i++) {
      const hmcrt_buffer_desc *b = &m->buffers[m->input_buffers[i]];
      for (int32_t d = 0; d < b->rank; d++)
        bound |= b->shape[d].symbol == s;
    }
    if (!bound)
      return fail(NULL, HMC_ERROR_INTERNAL,
                  "invalid model: symbol '%s' is in no input shape", sym->name);
  }
  for (int32_t k = 0; k < m->num_kernels; k++) {
    const hmcrt_kernel_desc *kd = &m->kernels[k];
    if (!kd->fn || kd->num_args < 0 || (kd->num_args > 0 && !kd->args) ||
        kd->short_symbol < 0 || kd->short_symbol > m->num_symbols ||
        (kd->short_symbol > 0 && !kd->short_fn))
      return fail(NULL, HMC_ERROR_INTERNAL, "invalid model: kernel %d", k);
    for (int32_t a = 0; a < kd->num_args; a++)
      if (kd->args[a] < 0 || kd->args[a] >= m->num_buffers)
        return fail(NULL, HMC_ERROR_INTERNAL,
                    "invalid model: kernel '%s' argument %d is buffer %d",
                    kd->name, a, kd->args[a]);
  }
  return HMC_OK;
}

/* ---- CPU features ------------------------------------------------------ */

static int can_use(const hmcrt_cpu_feature *features, int32_t count) {
  uint64_t mask[FEATURE_WORDS] = {0};
  for (int32_t i = 0; i < count; i++)
    mask[features[i].id / 64] |= (uint64_t)1 << (features[i].id % 64);
  return halide_can_use_target_features(FEATURE_WORDS, mask);
}

/* Kernels built for instructions this CPU lacks would die of SIGILL. The
 * Halide runtime, built for any CPU of the architecture, can tell. */
static hmc_status check_cpu(const hmcrt_target_desc *t) {
  if (!t || can_use(t->cpu_features, t->num_cpu_features))
    return HMC_OK;
  char missing[ERROR_SIZE / 2] = "";
  size_t n = 0;
  for (int32_t i = 0; i < t->num_cpu_features && n < sizeof(missing); i++)
    if (!can_use(&t->cpu_features[i], 1))
      n += (size_t)snprintf(missing + n, sizeof(missing) - n, "%s%s",
                            n ? ", " : "", t->cpu_features[i].name);
  return fail(NULL, HMC_ERROR_UNSUPPORTED_CPU,
              "this CPU lacks features the library was built for: %s "
              "(target %s)",
              missing, t->name);
}

/* ---- Create / destroy -------------------------------------------------- */

static hmc_status resolve_threads(int32_t requested, int32_t *out) {
  if (requested < 0 || requested > MAX_THREADS)
    return HMC_ERROR_INVALID_ARGUMENT;
  if (requested == 0) {
    int32_t n = hmcrt_pool_cpu_count();
    requested = n > MAX_THREADS ? MAX_THREADS : n;
  }
  *out = requested;
  return HMC_OK;
}

static hmc_status start_pool(hmcrt_handle *h, int32_t num_threads,
                             hmcrt_pool **out) {
  int err = hmcrt_pool_create(num_threads, out);
  if (err != 0)
    return fail(h,
                err == EAGAIN || err == ENOMEM ? HMC_ERROR_OUT_OF_MEMORY
                                               : HMC_ERROR_INTERNAL,
                "cannot start %d threads: %s", num_threads, strerror(err));
  return HMC_OK;
}

static hmc_status load_weights(hmcrt_handle *h,
                               const hmc_create_options *options) {
  const hmcrt_model_desc *m = h->model;
  const char *path = options ? options->weights_path : NULL;
  if (m->weights) {
    if (path)
      return fail(NULL, HMC_ERROR_INVALID_ARGUMENT,
                  "library '%s' embeds its weights; weights_path must be NULL",
                  m->library->name);
    h->weights = m->weights;
    hmcrt_weights_prefault(h->weights, (size_t)m->weights_size);
    return HMC_OK;
  }
  if (m->weights_size == 0)
    return HMC_OK;
  char default_path[4096];
  if (!path) {
    hmc_status st = hmcrt_weights_default_path(
        m, m->library->name, default_path, sizeof(default_path), tls_error,
        sizeof(tls_error));
    if (st != HMC_OK)
      return st;
    path = default_path;
  }
  hmc_status st = hmcrt_weights_map_file(path, m->weights_size, &h->weights_map,
                                         tls_error, sizeof(tls_error));
  h->weights = h->weights_map.addr;
  if (st == HMC_OK)
    hmcrt_weights_prefault(h->weights, (size_t)m->weights_size);
  return st;
}

/* Records kernel use ranges and the temporaries in order of first use. */
static void plan_lifetimes(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  for (int32_t i = 0; i < m->num_buffers; i++)
    h->first_use[i] = h->last_use[i] = -1;
  for (int32_t k = 0; k < m->num_kernels; k++) {
    const hmcrt_kernel_desc *kd = &m->kernels[k];
    for (int32_t a = 0; a < kd->num_args; a++) {
      int32_t b = kd->args[a];
      if (h->first_use[b] < 0) {
        h->first_use[b] = k;
        if (m->buffers[b].storage == HMCRT_TEMP)
          h->temps[h->num_temps++] = b;
      }
      h->last_use[b] = k;
    }
  }
}

/* Everything the run path needs that does not depend on shapes. */
static void build_call_tables(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  halide_dimension_t *dim = h->hdim;
  for (int32_t i = 0; i < m->num_buffers; i++) {
    const hmcrt_buffer_desc *b = &m->buffers[i];
    halide_buffer_t *hb = &h->hbuf[i];
    static const uint8_t codes[] = {[HMC_DTYPE_FLOAT32] = halide_type_float,
                                    [HMC_DTYPE_FLOAT64] = halide_type_float,
                                    [HMC_DTYPE_INT32] = halide_type_int,
                                    [HMC_DTYPE_INT64] = halide_type_int,
                                    [HMC_DTYPE_BOOL] = halide_type_uint};
    hb->type.code = codes[b->dtype];
    hb->type.bits = (uint8_t)(8 * hmcrt_dtype_size(b->dtype));
    hb->type.lanes = 1;
    hb->dimensions = b->rank;
    hb->dim = dim;
    dim += b->rank;
  }
  void **args = h->kernel_args;
  h->ctx_ptr = &h->ctx;
  h->ctx.magic = RUN_CONTEXT_MAGIC;
  h->ctx.pool = h->pool;
  for (int32_t k = 0; k < m->num_kernels; k++) {
    const hmcrt_kernel_desc *kd = &m->kernels[k];
    *args++ = &h->ctx_ptr;
    for (int32_t a = 0; a < kd->num_args; a++)
      *args++ = &h->hbuf[kd->args[a]];
  }
}

static hmc_status allocate_tables(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  size_t nb = (size_t)m->num_buffers, ns = (size_t)m->num_symbols;
  size_t total_rank = 0, total_args = 0;
  for (int32_t i = 0; i < m->num_buffers; i++)
    total_rank += (size_t)m->buffers[i].rank;
  for (int32_t k = 0; k < m->num_kernels; k++)
    total_args += 1 + (size_t)m->kernels[k].num_args;
  /* calloc(n + 1) so empty tables are still valid pointers. */
  h->symbol_value = calloc(ns + 1, sizeof(*h->symbol_value));
  h->symbol_source = calloc(ns + 1, sizeof(*h->symbol_source));
  h->hbuf = calloc(nb + 1, sizeof(*h->hbuf));
  h->hdim = calloc(total_rank + 1, sizeof(*h->hdim));
  h->bytes = calloc(nb + 1, sizeof(*h->bytes));
  h->first_use = calloc(nb + 1, sizeof(*h->first_use));
  h->last_use = calloc(nb + 1, sizeof(*h->last_use));
  h->offset = calloc(nb + 1, sizeof(*h->offset));
  h->temps = calloc(nb + 1, sizeof(*h->temps));
  h->placed = calloc(nb + 1, sizeof(*h->placed));
  h->kernel_args = calloc(total_args + 1, sizeof(*h->kernel_args));
  if (!h->symbol_value || !h->symbol_source || !h->hbuf || !h->hdim ||
      !h->bytes || !h->first_use || !h->last_use || !h->offset || !h->temps ||
      !h->placed || !h->kernel_args)
    return fail(NULL, HMC_ERROR_OUT_OF_MEMORY,
                "out of memory creating a handle");
  return HMC_OK;
}

static hmc_status gpu_setup(hmcrt_handle *h);

/* HMC_PROFILE set to anything but "" or "0" turns the profile on. */
static hmc_status start_profile(hmcrt_handle *h) {
  const char *value = getenv("HMC_PROFILE");
  if (!value || !*value || strcmp(value, "0") == 0)
    return HMC_OK;
  /* One more than the kernels: calloc(0) may return NULL. */
  size_t entries = (size_t)h->model->num_kernels + 1;
  h->profile_ns = calloc(entries, sizeof(uint64_t));
  h->first_ns = calloc(entries, sizeof(uint64_t));
  if (!h->profile_ns || !h->first_ns) {
    free(h->profile_ns);
    free(h->first_ns);
    h->profile_ns = h->first_ns = NULL;
    return fail(NULL, HMC_ERROR_OUT_OF_MEMORY,
                "out of memory creating a handle");
  }
  return HMC_OK;
}

/* Ends a profiled run of run_ns: the first run's times move aside. */
static void count_profiled_run(hmcrt_handle *h, uint64_t run_ns) {
  if (h->first_done) {
    h->profile_runs++;
    h->profile_run_ns += run_ns;
    return;
  }
  size_t bytes = (size_t)h->model->num_kernels * sizeof(uint64_t);
  if (bytes) {
    memcpy(h->first_ns, h->profile_ns, bytes);
    memset(h->profile_ns, 0, bytes);
  }
  h->first_run_ns = run_ns;
  h->first_done = true;
}

/* One line per kernel in the order they run: its share of the runs' wall
 * time and its time per run, over the runs after the first, or the first
 * alone when no other ran. Silent if nothing ran. */
static void report_profile(const hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  if (!h->first_done)
    return;
  bool first_only = h->profile_runs == 0;
  const uint64_t *ns = first_only ? h->first_ns : h->profile_ns;
  uint64_t run_ns = first_only ? h->first_run_ns : h->profile_run_ns;
  double runs = first_only ? 1.0 : (double)h->profile_runs;
  uint64_t kernels_ns = 0;
  for (int32_t k = 0; k < m->num_kernels; k++)
    kernels_ns += ns[k];
  char first[96];
  if (first_only)
    snprintf(first, sizeof first, "the first run only: one-time costs in");
  else
    snprintf(first, sizeof first, "the first run (%.4f ms) left out",
             (double)h->first_run_ns / 1e6);
  fprintf(stderr,
          "hmc profile: %s: %.0f runs, %.4f ms per run, %.4f ms of it in "
          "kernels (%s)%s\n",
          m->library->name, runs, (double)run_ns / runs / 1e6,
          (double)kernels_ns / runs / 1e6, first,
          h->gpu ? " (GPU kernels run asynchronously: a kernel's time is "
                   "until its launch returns)"
                 : "");
  fprintf(stderr, "  %6s %10s  %s\n", "share", "ms/run", "kernel");
  for (int32_t k = 0; k < m->num_kernels; k++)
    fprintf(stderr, "  %5.1f%% %10.4f  %s\n",
            run_ns ? 100.0 * (double)ns[k] / (double)run_ns : 0.0,
            (double)ns[k] / runs / 1e6,
            m->kernels[k].name ? m->kernels[k].name : "?");
}

hmc_status hmcrt_create(const hmcrt_model_desc *model,
                        const hmc_create_options *options, hmcrt_handle **out) {
  if (!out)
    return fail(NULL, HMC_ERROR_INVALID_ARGUMENT, "create: handle is NULL");
  *out = NULL;
  if (!model)
    return fail(NULL, HMC_ERROR_INVALID_ARGUMENT, "create: model is NULL");
  int32_t num_threads;
  if (resolve_threads(options ? options->num_threads : 0, &num_threads) !=
      HMC_OK)
    return fail(NULL, HMC_ERROR_INVALID_ARGUMENT,
                "create: num_threads is %d, expected 0..%d",
                options->num_threads, MAX_THREADS);
  hmc_status st = check_model(model);
  if (st != HMC_OK)
    return st;
  pthread_once(&hooks_once, install_hooks);
  if ((st = check_cpu(model->target)) != HMC_OK)
    return st;

  hmcrt_handle *h = calloc(1, sizeof(*h));
  if (!h)
    return fail(NULL, HMC_ERROR_OUT_OF_MEMORY,
                "out of memory creating a handle");
  h->model = model;
  atomic_init(&h->busy, false);
  h->id = atomic_fetch_add(&next_handle_id, 1);
  hmcrt_block_cache_init(&h->ctx.blocks);
  if ((st = allocate_tables(h)) == HMC_OK &&
      (st = start_profile(h)) == HMC_OK &&
      (st = load_weights(h, options)) == HMC_OK &&
      (st = start_pool(NULL, num_threads, &h->pool)) == HMC_OK) {
    plan_lifetimes(h);
    build_call_tables(h);
    if (!model->target || !model->target->gpu_interface ||
        (st = gpu_setup(h)) == HMC_OK) {
      *out = h;
      return HMC_OK;
    }
  }
  hmcrt_destroy(h);
  return st;
}

/* Frees buffer i's device allocation. Halide's CUDA runtime files a freed
 * block for reuse under the size the buffer describes at the time, so the
 * buffer is first made to describe the block it was given: after a run that
 * grew it, its new shape would hand the small block out again as a large
 * one (copies then fail and kernels write past it). */
static void gpu_free(hmcrt_handle *h, int32_t i) {
  halide_buffer_t *hb = &h->hbuf[i];
  halide_dimension_t block = {0, 0, 1, 0};
  int32_t rank = hb->dimensions;
  halide_dimension_t *dim = hb->dim;
  block.extent = (int32_t)(h->device_bytes[i] / ((hb->type.bits + 7) / 8));
  hb->dimensions = 1;
  hb->dim = &block;
  halide_device_free(h->ctx_ptr, hb);
  hb->dimensions = rank;
  hb->dim = dim;
  h->device_bytes[i] = 0;
}

void hmcrt_destroy(hmcrt_handle *h) {
  if (!h)
    return;
  /* Destroying a handle in use is the caller's error; waiting for that call
   * to return at least frees nothing under it. */
  while (atomic_exchange_explicit(&h->busy, true, memory_order_acquire))
    sched_yield();
  if (h->profile_ns) {
    report_profile(h);
    free(h->profile_ns);
    free(h->first_ns);
  }
  if (h->gpu && h->hbuf)
    for (int32_t i = 0; i < h->model->num_buffers; i++)
      if (h->hbuf[i].device)
        gpu_free(h, i);
  free(h->device_bytes);
  if (h->host_copy)
    for (int32_t i = 0; i < h->model->num_buffers; i++)
      free(h->host_copy[i]);
  free(h->host_copy);
  free(h->host_copy_bytes);
  hmcrt_pool_destroy(h->pool);
  hmcrt_block_cache_destroy(&h->ctx.blocks);
  hmcrt_weights_unmap(&h->weights_map);
  free(h->arena);
  free(h->kernel_args);
  free(h->placed);
  free(h->temps);
  free(h->offset);
  free(h->last_use);
  free(h->first_use);
  free(h->bytes);
  free(h->hdim);
  free(h->hbuf);
  free(h->symbol_source);
  free(h->symbol_value);
  free(h);
}

/* ---- Exclusive use of a handle ----------------------------------------- */

static hmc_status acquire(hmcrt_handle *h, const char *what) {
  if (!h)
    return fail(NULL, HMC_ERROR_INVALID_ARGUMENT, "%s: handle is NULL", what);
  if (atomic_exchange_explicit(&h->busy, true, memory_order_acquire)) {
    tls_busy_handle = h;
    tls_busy_id = h->id;
    return fail(NULL, HMC_ERROR_BUSY,
                "%s: the handle is in use by another thread; use one handle "
                "per thread",
                what);
  }
  if (tls_busy_handle == h)
    tls_busy_handle = NULL;
  return HMC_OK;
}

static hmc_status release(hmcrt_handle *h, hmc_status status) {
  atomic_store_explicit(&h->busy, false, memory_order_release);
  return status;
}

hmc_status hmcrt_set_num_threads(hmcrt_handle *h, int32_t num_threads) {
  hmc_status st = acquire(h, "set_num_threads");
  if (st != HMC_OK)
    return st;
  int32_t n;
  if (resolve_threads(num_threads, &n) != HMC_OK)
    return release(h, fail(h, HMC_ERROR_INVALID_ARGUMENT,
                           "set_num_threads: %d, expected 0..%d", num_threads,
                           MAX_THREADS));
  hmcrt_pool *pool;
  if ((st = start_pool(h, n, &pool)) != HMC_OK)
    return release(h, st);
  hmcrt_pool_destroy(h->pool);
  h->pool = h->ctx.pool = pool;
  return release(h, HMC_OK);
}

const char *hmcrt_last_error(const hmcrt_handle *h) {
  return !h || (tls_busy_handle == h && tls_busy_id == h->id) ? tls_error
                                                              : h->error;
}

/* ---- Shapes ------------------------------------------------------------ */

static const char *symbol_name(const hmcrt_model_desc *m, int32_t s) {
  return m->symbols[s].name ? m->symbols[s].name : "?";
}

static const char *buffer_name(const hmcrt_buffer_desc *b) {
  return b->name ? b->name : "?";
}

/* Checks one input's dtype, rank and dimensions, binding symbols. */
static hmc_status bind_input(hmcrt_handle *h, int32_t i, const hmc_tensor *t) {
  const hmcrt_model_desc *m = h->model;
  const hmcrt_buffer_desc *b = &m->buffers[m->input_buffers[i]];
  const char *name = buffer_name(b);
  if (t->name && (!b->name || strcmp(t->name, b->name) != 0))
    return fail(h, HMC_ERROR_INVALID_ARGUMENT,
                "input %d is named '%s', expected '%s'", i, t->name, name);
  if (t->dtype != b->dtype)
    return fail(h, HMC_ERROR_DTYPE, "input '%s': dtype is %s, expected %s",
                name, hmcrt_dtype_name(t->dtype), hmcrt_dtype_name(b->dtype));
  if (t->rank != b->rank)
    return fail(h, HMC_ERROR_SHAPE, "input '%s': rank is %d, expected %d", name,
                t->rank, b->rank);
  for (int32_t d = 0; d < b->rank; d++) {
    int64_t v = t->shape[d];
    int32_t s = b->shape[d].symbol;
    if (s < 0) {
      if (v != b->shape[d].value)
        return fail(h, HMC_ERROR_SHAPE,
                    "input '%s': dimension %d is %lld, expected %lld", name, d,
                    (long long)v, (long long)b->shape[d].value);
      continue;
    }
    const hmcrt_symbol_desc *sym = &m->symbols[s];
    int32_t src = h->symbol_source[s];
    if (src < 0) {
      if (v < sym->min || v > sym->max)
        return fail(h, HMC_ERROR_OUT_OF_RANGE,
                    "input '%s': dimension %d (%s) is %lld, expected "
                    "%lld..%lld",
                    name, d, symbol_name(m, s), (long long)v,
                    (long long)sym->min, (long long)sym->max);
      h->symbol_value[s] = v;
      h->symbol_source[s] = i * HMC_MAX_RANK + d;
    } else if (v != h->symbol_value[s]) {
      const hmcrt_buffer_desc *first =
          &m->buffers[m->input_buffers[src / HMC_MAX_RANK]];
      return fail(h, HMC_ERROR_SHAPE,
                  "input '%s': dimension %d (%s) is %lld, but input '%s' "
                  "dimension %d set %s to %lld",
                  name, d, symbol_name(m, s), (long long)v, buffer_name(first),
                  src % HMC_MAX_RANK, symbol_name(m, s),
                  (long long)h->symbol_value[s]);
    }
  }
  return HMC_OK;
}

/* Computes the derived symbols in order (bases come first) and checks those
 * an input also bound. */
static hmc_status derive_symbols(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  for (int32_t s = 0; s < m->num_symbols; s++) {
    const hmcrt_symbol_desc *sym = &m->symbols[s];
    if (sym->derived_from == 0)
      continue;
    int32_t from = sym->derived_from - 1;
    int64_t base = sym->mul * h->symbol_value[from] + sym->add;
    int64_t v =
        base / sym->div - (base % sym->div != 0 && base < 0) + sym->post;
    if (v < 1)
      return fail(h, HMC_ERROR_OUT_OF_RANGE,
                  "%s = %lld is too short: dimension %s would be %lld",
                  symbol_name(m, from), (long long)h->symbol_value[from],
                  symbol_name(m, s), (long long)v);
    if (v < sym->min)
      return fail(h, HMC_ERROR_OUT_OF_RANGE,
                  "%s = %lld is too short: dimension %s would be %lld, below "
                  "its minimum %lld",
                  symbol_name(m, from), (long long)h->symbol_value[from],
                  symbol_name(m, s), (long long)v, (long long)sym->min);
    if (v > sym->max)
      return fail(h, HMC_ERROR_OUT_OF_RANGE,
                  "%s = %lld is too long: dimension %s would be %lld, above "
                  "its maximum %lld",
                  symbol_name(m, from), (long long)h->symbol_value[from],
                  symbol_name(m, s), (long long)v, (long long)sym->max);
    if (h->symbol_source[s] >= 0 && h->symbol_value[s] != v) {
      int32_t src = h->symbol_source[s];
      const hmcrt_buffer_desc *b =
          &m->buffers[m->input_buffers[src / HMC_MAX_RANK]];
      return fail(h, HMC_ERROR_SHAPE,
                  "input '%s': dimension %d (%s) is %lld, but the model "
                  "computes %lld from %s = %lld",
                  buffer_name(b), src % HMC_MAX_RANK, symbol_name(m, s),
                  (long long)h->symbol_value[s], (long long)v,
                  symbol_name(m, from), (long long)h->symbol_value[from]);
    }
    h->symbol_value[s] = v;
  }
  return HMC_OK;
}

/* Fills every buffer's Halide dimensions (innermost first, dense) and byte
 * size from the bound symbols. */
static hmc_status compute_shapes(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  for (int32_t i = 0; i < m->num_buffers; i++) {
    const hmcrt_buffer_desc *b = &m->buffers[i];
    halide_dimension_t *dim = h->hbuf[i].dim;
    int64_t stride = 1;
    for (int32_t d = b->rank - 1; d >= 0; d--) {
      const hmcrt_dim *sd = &b->shape[d];
      int64_t extent = sd->symbol < 0 ? sd->value : h->symbol_value[sd->symbol];
      /* Halide indexes with int32 extents and strides. */
      if (extent > INT32_MAX || (extent > 0 && stride > INT32_MAX / extent))
        return fail(h, HMC_ERROR_OUT_OF_RANGE,
                    "buffer '%s' would have more than %d elements, the most "
                    "a kernel can index",
                    buffer_name(b), INT32_MAX);
      halide_dimension_t *hd = &dim[b->rank - 1 - d];
      hd->min = 0;
      hd->extent = (int32_t)extent;
      hd->stride = (int32_t)stride;
      hd->flags = 0;
      stride *= extent;
    }
    h->bytes[i] = (size_t)stride * hmcrt_dtype_size(b->dtype);
  }
  return HMC_OK;
}

static void format_shape(const hmc_tensor *t, char *out, size_t size) {
  size_t n = (size_t)snprintf(out, size, "[");
  for (int32_t d = 0; d < t->rank && n < size; d++)
    n += (size_t)snprintf(out + n, size - n, "%s%lld", d ? ", " : "",
                          (long long)t->shape[d]);
  if (n < size)
    snprintf(out + n, size - n, "]");
}

/* The checks shared by output_shapes and run: counts, names, inputs, and
 * the shapes of all buffers, written into the output tensors. */
static hmc_status prepare(hmcrt_handle *h, const hmc_tensor *inputs,
                          int32_t num_inputs, hmc_tensor *outputs,
                          int32_t num_outputs) {
  const hmcrt_model_desc *m = h->model;
  const hmc_library_v1 *lib = m->library;
  if (num_inputs != lib->num_inputs)
    return fail(h, HMC_ERROR_INVALID_ARGUMENT, "expected %d inputs, got %d",
                lib->num_inputs, num_inputs);
  if (num_outputs != lib->num_outputs)
    return fail(h, HMC_ERROR_INVALID_ARGUMENT, "expected %d outputs, got %d",
                lib->num_outputs, num_outputs);
  if ((num_inputs > 0 && !inputs) || (num_outputs > 0 && !outputs))
    return fail(h, HMC_ERROR_INVALID_ARGUMENT, "%s array is NULL",
                num_inputs > 0 && !inputs ? "inputs" : "outputs");
  for (int32_t s = 0; s < m->num_symbols; s++)
    h->symbol_source[s] = -1;
  hmc_status st;
  for (int32_t i = 0; i < num_inputs; i++)
    if ((st = bind_input(h, i, &inputs[i])) != HMC_OK)
      return st;
  if ((st = derive_symbols(h)) != HMC_OK)
    return st;
  for (int32_t o = 0; o < num_outputs; o++) {
    const hmcrt_buffer_desc *b = &m->buffers[m->output_buffers[o]];
    if (outputs[o].name && (!b->name || strcmp(outputs[o].name, b->name) != 0))
      return fail(h, HMC_ERROR_INVALID_ARGUMENT,
                  "output %d is named '%s', expected '%s'", o, outputs[o].name,
                  buffer_name(b));
  }
  if ((st = compute_shapes(h)) != HMC_OK)
    return st;
  for (int32_t o = 0; o < num_outputs; o++) {
    const hmcrt_buffer_desc *b = &m->buffers[m->output_buffers[o]];
    hmc_tensor *t = &outputs[o];
    t->dtype = b->dtype;
    t->rank = b->rank;
    for (int32_t d = 0; d < b->rank; d++)
      t->shape[d] = b->shape[d].symbol < 0
                        ? b->shape[d].value
                        : h->symbol_value[b->shape[d].symbol];
  }
  return HMC_OK;
}

hmc_status hmcrt_output_shapes(hmcrt_handle *h, const hmc_tensor *inputs,
                               int32_t num_inputs, hmc_tensor *outputs,
                               int32_t num_outputs) {
  hmc_status st = acquire(h, "output_shapes");
  if (st != HMC_OK)
    return st;
  return release(h, prepare(h, inputs, num_inputs, outputs, num_outputs));
}

/* ---- GPU --------------------------------------------------------------- */

/* Clears the run context's message before a Halide call. */
static void clear_kernel_error(hmcrt_handle *h) {
  atomic_flag_clear(&h->ctx.error_taken);
  h->ctx.error[0] = '\0';
}

static const char *kernel_error(const hmcrt_handle *h) {
  return h->ctx.error[0] ? h->ctx.error : "no message";
}

/* Opens the GPU with a one-element device allocation (Halide's GPU runtime
 * loads the driver library, e.g. libcuda.so, and creates its context), then
 * copies the weights to the device once: their halide_buffer_t keep the
 * device copy for the handle's lifetime. */
static hmc_status gpu_setup(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  const hmcrt_target_desc *t = m->target;
  h->gpu = t->gpu_interface();
  h->device_bytes =
      calloc((size_t)m->num_buffers + 1, sizeof(*h->device_bytes));
  h->host_copy = calloc((size_t)m->num_buffers + 1, sizeof(*h->host_copy));
  h->host_copy_bytes =
      calloc((size_t)m->num_buffers + 1, sizeof(*h->host_copy_bytes));
  if (!h->device_bytes || !h->host_copy || !h->host_copy_bytes)
    return fail(NULL, HMC_ERROR_OUT_OF_MEMORY,
                "out of memory creating a handle");
  float probe_value = 0;
  halide_dimension_t probe_dim = {0, 1, 1, 0};
  halide_buffer_t probe = {0};
  probe.host = (uint8_t *)&probe_value;
  probe.type.code = halide_type_float;
  probe.type.bits = 32;
  probe.type.lanes = 1;
  probe.dimensions = 1;
  probe.dim = &probe_dim;
  clear_kernel_error(h);
  if (halide_device_malloc(h->ctx_ptr, &probe, h->gpu) != 0) {
    int cuda = t->gpu_api && strcmp(t->gpu_api, "cuda") == 0;
    return fail(NULL, HMC_ERROR_NO_DEVICE,
                "no %s device: %s (library '%s' was built for target %s)",
                cuda ? "CUDA" : "GPU", kernel_error(h), m->library->name,
                t->name);
  }
  halide_device_free(h->ctx_ptr, &probe);
  /* Later runs reuse freed device blocks instead of freeing them. */
  halide_reuse_device_allocations(h->ctx_ptr, true);

  /* Weight shapes are static; the dynamic buffers get extent 0 here. */
  for (int32_t s = 0; s < m->num_symbols; s++)
    h->symbol_value[s] = 0;
  hmc_status st = compute_shapes(h);
  if (st != HMC_OK)
    return fail(NULL, st, "%s", h->error);
  for (int32_t i = 0; i < m->num_buffers; i++) {
    const hmcrt_buffer_desc *b = &m->buffers[i];
    if (b->storage != HMCRT_WEIGHT || h->bytes[i] == 0)
      continue;
    halide_buffer_t *hb = &h->hbuf[i];
    hb->host = (uint8_t *)(uintptr_t)(h->weights + b->weight_offset);
    hb->flags = halide_buffer_flag_host_dirty;
    clear_kernel_error(h);
    if (halide_copy_to_device(h->ctx_ptr, hb, h->gpu) != 0)
      return fail(NULL, HMC_ERROR_NO_DEVICE,
                  "cannot copy weight '%s' (%zu bytes) to the %s device: %s",
                  buffer_name(b), h->bytes[i], t->gpu_api ? t->gpu_api : "GPU",
                  kernel_error(h));
    h->device_bytes[i] = h->bytes[i];
  }
  return HMC_OK;
}

/* Before a GPU run: a device allocation for every input, output and
 * temporary, reused across runs while large enough. `wrap` (run_device):
 * inputs and outputs are the caller's device memory instead. */
static hmc_status gpu_bind(hmcrt_handle *h, const hmc_tensor *inputs,
                           const hmc_tensor *outputs, int wrap) {
  const hmcrt_model_desc *m = h->model;
  for (int32_t i = 0; i < m->num_buffers; i++) {
    const hmcrt_buffer_desc *b = &m->buffers[i];
    if (b->storage == HMCRT_WEIGHT || h->first_use[i] < 0 || h->bytes[i] == 0)
      continue;
    halide_buffer_t *hb = &h->hbuf[i];
    int io = b->storage == HMCRT_INPUT || b->storage == HMCRT_OUTPUT;
    if (hb->device && (wrap && io ? 1 : h->device_bytes[i] < h->bytes[i]))
      gpu_free(h, i);
    clear_kernel_error(h);
    if (wrap && io) {
      const hmc_tensor *t = b->storage == HMCRT_INPUT ? &inputs[b->io_index]
                                                      : &outputs[b->io_index];
      hb->host = NULL;
      if (b->storage == HMCRT_INPUT) {
        if (h->host_copy_bytes[i] < h->bytes[i]) {
          free(h->host_copy[i]);
          h->host_copy_bytes[i] = 0;
          if (posix_memalign((void **)&h->host_copy[i], ARENA_ALIGN,
                             h->bytes[i]) != 0) {
            h->host_copy[i] = NULL;
            return fail(h, HMC_ERROR_OUT_OF_MEMORY,
                        "out of memory: %zu bytes of host memory for '%s'",
                        h->bytes[i], buffer_name(b));
          }
          h->host_copy_bytes[i] = h->bytes[i];
        }
        hb->host = h->host_copy[i];
      }
      if (halide_device_wrap_native(h->ctx_ptr, hb,
                                    (uint64_t)(uintptr_t)t->data, h->gpu) != 0)
        return fail(h, HMC_ERROR_KERNEL,
                    "cannot use device pointer of '%s': %s", buffer_name(b),
                    kernel_error(h));
      /* Only the device holds the input: a host read copies it first. */
      hb->flags =
          b->storage == HMCRT_INPUT ? halide_buffer_flag_device_dirty : 0;
      continue;
    }
    if (!hb->device) {
      if (halide_device_malloc(h->ctx_ptr, hb, h->gpu) != 0)
        return fail(h, HMC_ERROR_OUT_OF_MEMORY,
                    "cannot allocate %zu bytes on the device for '%s': %s",
                    h->bytes[i], buffer_name(b), kernel_error(h));
      h->device_bytes[i] = h->bytes[i];
    }
    /* Inputs are copied to the device by the first kernel using them. */
    hb->flags = b->storage == HMCRT_INPUT ? halide_buffer_flag_host_dirty : 0;
  }
  return HMC_OK;
}

/* After a GPU run: outputs back into the caller's memory, or (run_device)
 * the caller's device memory detached again. */
static hmc_status gpu_finish(hmcrt_handle *h, int wrap, hmc_status st) {
  const hmcrt_model_desc *m = h->model;
  for (int32_t i = 0; i < m->num_buffers; i++) {
    const hmcrt_buffer_desc *b = &m->buffers[i];
    halide_buffer_t *hb = &h->hbuf[i];
    int io = b->storage == HMCRT_INPUT || b->storage == HMCRT_OUTPUT;
    if (!io || h->first_use[i] < 0 || h->bytes[i] == 0 || !hb->device)
      continue;
    if (wrap) {
      /* The caller reads the outputs when run_device returns. */
      if (st == HMC_OK && b->storage == HMCRT_OUTPUT) {
        clear_kernel_error(h);
        if (halide_device_sync(h->ctx_ptr, hb) != 0)
          st = fail(h, HMC_ERROR_KERNEL, "kernels failed on the device: %s",
                    kernel_error(h));
      }
      halide_device_detach_native(h->ctx_ptr, hb);
      hb->flags = 0;
      continue;
    }
    if (st == HMC_OK && b->storage == HMCRT_OUTPUT &&
        (hb->flags & halide_buffer_flag_device_dirty)) {
      clear_kernel_error(h);
      if (halide_copy_to_host(h->ctx_ptr, hb) != 0)
        st =
            fail(h, HMC_ERROR_KERNEL, "cannot copy output '%s' to the host: %s",
                 buffer_name(b), kernel_error(h));
    }
  }
  return st;
}

/* ---- Run --------------------------------------------------------------- */

/* Checks a caller tensor's memory and points the kernel buffer at it. */
static hmc_status bind_io(hmcrt_handle *h, const hmc_tensor *t, int is_output,
                          int32_t buffer) {
  const hmcrt_buffer_desc *b = &h->model->buffers[buffer];
  const char *kind = is_output ? "output" : "input";
  size_t need = h->bytes[buffer];
  if (t->size_bytes < need) {
    char shape[160];
    format_shape(t, shape, sizeof(shape));
    return fail(
        h, is_output ? HMC_ERROR_BUFFER_TOO_SMALL : HMC_ERROR_INVALID_ARGUMENT,
        "%s '%s': size_bytes is %zu, but shape %s of %s needs %zu", kind,
        buffer_name(b), t->size_bytes, shape, hmcrt_dtype_name(b->dtype), need);
  }
  if (!t->data && need > 0)
    return fail(h, HMC_ERROR_INVALID_ARGUMENT, "%s '%s': data is NULL", kind,
                buffer_name(b));
  h->hbuf[buffer].host = need > 0 ? t->data : empty_storage;
  return HMC_OK;
}

static size_t align_up(size_t n) {
  return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

/* First-fit placement of the temporaries in order of first use: a
 * temporary may reuse the bytes of any other whose kernel range is disjoint
 * from its own. Returns the arena size needed. */
static size_t place_temps(hmcrt_handle *h) {
  size_t total = 0;
  int32_t num_placed = 0;
  for (int32_t n = 0; n < h->num_temps; n++) {
    int32_t t = h->temps[n];
    size_t size = align_up(h->bytes[t]);
    size_t offset = 0;
    for (int32_t k = 0; k < num_placed; k++) {
      int32_t p = h->placed[k];
      if (h->last_use[p] < h->first_use[t] || h->first_use[p] > h->last_use[t])
        continue;
      if (h->offset[p] >= offset + size)
        break;
      size_t end = h->offset[p] + align_up(h->bytes[p]);
      if (end > offset)
        offset = end;
    }
    int32_t pos = num_placed;
    while (pos > 0 && h->offset[h->placed[pos - 1]] > offset)
      pos--;
    memmove(&h->placed[pos + 1], &h->placed[pos],
            (size_t)(num_placed - pos) * sizeof(*h->placed));
    h->placed[pos] = t;
    num_placed++;
    h->offset[t] = offset;
    if (offset + size > total)
      total = offset + size;
  }
  return total;
}

static hmc_status bind_temps(hmcrt_handle *h) {
  size_t need = place_temps(h);
  if (need > h->arena_size) {
    void *arena = NULL;
    if (posix_memalign(&arena, ARENA_ALIGN, need) != 0)
      return fail(h, HMC_ERROR_OUT_OF_MEMORY,
                  "out of memory: the intermediates need %zu bytes", need);
    free(h->arena);
    h->arena = arena;
    h->arena_size = need;
  }
  for (int32_t n = 0; n < h->num_temps; n++) {
    int32_t t = h->temps[n];
    h->hbuf[t].host = h->bytes[t] > 0 ? h->arena + h->offset[t] : empty_storage;
  }
  return HMC_OK;
}

static hmc_status bind_buffers(hmcrt_handle *h, const hmc_tensor *inputs,
                               const hmc_tensor *outputs) {
  const hmcrt_model_desc *m = h->model;
  hmc_status st;
  for (int32_t i = 0; i < m->library->num_inputs; i++)
    if ((st = bind_io(h, &inputs[i], 0, m->input_buffers[i])) != HMC_OK)
      return st;
  for (int32_t o = 0; o < m->library->num_outputs; o++)
    if ((st = bind_io(h, &outputs[o], 1, m->output_buffers[o])) != HMC_OK)
      return st;
  for (int32_t i = 0; i < m->num_buffers; i++) {
    const hmcrt_buffer_desc *b = &m->buffers[i];
    if (h->gpu && b->storage == HMCRT_WEIGHT)
      continue; /* on the device since create */
    if (b->storage == HMCRT_WEIGHT)
      /* Kernels only read weights; Halide's buffer type is not const. */
      h->hbuf[i].host =
          h->bytes[i] > 0
              ? (uint8_t *)(uintptr_t)(h->weights + b->weight_offset)
              : empty_storage;
    h->hbuf[i].flags = 0;
  }
  return bind_temps(h);
}

static hmc_status run_kernels(hmcrt_handle *h) {
  const hmcrt_model_desc *m = h->model;
  void **args = h->kernel_args;
  for (int32_t k = 0; k < m->num_kernels; k++) {
    const hmcrt_kernel_desc *kd = &m->kernels[k];
    atomic_flag_clear(&h->ctx.error_taken);
    h->ctx.error[0] = '\0';
    hmcrt_kernel_fn fn =
        kd->short_symbol > 0 &&
                h->symbol_value[kd->short_symbol - 1] < kd->short_below
            ? kd->short_fn
            : kd->fn;
    uint64_t start = h->profile_ns ? hmcrt_now_ns() : 0;
    int r = fn(args);
    if (h->profile_ns)
      h->profile_ns[k] += hmcrt_now_ns() - start;
    if (r != 0)
      return fail(h, HMC_ERROR_KERNEL, "kernel '%s' failed (code %d): %s",
                  kd->name ? kd->name : "?", r,
                  h->ctx.error[0] ? h->ctx.error : "no message");
    args += 1 + kd->num_args;
  }
  return HMC_OK;
}

static hmc_status run(hmcrt_handle *h, const hmc_tensor *inputs,
                      int32_t num_inputs, hmc_tensor *outputs,
                      int32_t num_outputs, int device) {
  hmc_status st = acquire(h, device ? "run_device" : "run");
  if (st != HMC_OK)
    return st;
  if (device && !h->gpu)
    return release(h, fail(h, HMC_ERROR_INVALID_ARGUMENT,
                           "run_device: library '%s' is not a GPU library "
                           "(target %s)",
                           h->model->library->name,
                           h->model->target ? h->model->target->name : "?"));
  uint64_t start = h->profile_ns ? hmcrt_now_ns() : 0;
  if ((st = prepare(h, inputs, num_inputs, outputs, num_outputs)) == HMC_OK &&
      (st = bind_buffers(h, inputs, outputs)) == HMC_OK) {
    if (!h->gpu)
      st = run_kernels(h);
    else if ((st = gpu_bind(h, inputs, outputs, device)) == HMC_OK)
      st = gpu_finish(h, device, run_kernels(h));
    else
      gpu_finish(h, device, st);
    /* A run whose kernels started counts, failed or not: the kernel totals
     * include its kernels' times. */
    if (h->profile_ns)
      count_profiled_run(h, hmcrt_now_ns() - start);
  }
  return release(h, st);
}

hmc_status hmcrt_run(hmcrt_handle *h, const hmc_tensor *inputs,
                     int32_t num_inputs, hmc_tensor *outputs,
                     int32_t num_outputs) {
  return run(h, inputs, num_inputs, outputs, num_outputs, 0);
}

hmc_status hmcrt_run_device(hmcrt_handle *h, const hmc_tensor *inputs,
                            int32_t num_inputs, hmc_tensor *outputs,
                            int32_t num_outputs) {
  return run(h, inputs, num_inputs, outputs, num_outputs, 1);
}
