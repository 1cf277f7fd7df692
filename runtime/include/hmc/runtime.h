/* The generic executor linked (hidden) into every generated library.
 *
 * hmc emits a host program that is only data: the tables below, describing
 * symbols, buffers and kernels of one model, plus thin name-prefixed wrappers
 * that call these functions. All checking, shape binding, arena management,
 * threading and error reporting lives here, written and tested once. */
#ifndef HMC_RUNTIME_H
#define HMC_RUNTIME_H

#include "hmc/api_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A dimension is a constant (symbol < 0) or a dynamic symbol's value. */
typedef struct hmcrt_dim {
  int32_t symbol;
  int64_t value;
} hmcrt_dim;

/* A symbol is bound from an input dimension, or derived from an earlier
 * symbol as floor((mul base + add) / div) + post (convolution, padding and
 * concatenation lengths); a derived symbol that an input also names is
 * checked. */
typedef struct hmcrt_symbol_desc {
  const char *name;
  int64_t min;
  int64_t max;
  int32_t derived_from; /* 1 + index of an earlier symbol; 0: an input's */
  int64_t mul;
  int64_t add;
  int64_t div;
  int64_t post;
} hmcrt_symbol_desc;

/* The largest mul a derived symbol may have (a flattened [T, d] is d T). */
#define HMCRT_MAX_DIM_MULTIPLE 1024

typedef enum hmcrt_storage {
  HMCRT_INPUT = 0,  /* caller's input memory, used in place */
  HMCRT_OUTPUT = 1, /* caller's output memory, written in place */
  HMCRT_WEIGHT = 2, /* read-only, inside the weights blob */
  HMCRT_TEMP = 3    /* per-handle arena */
} hmcrt_storage;

typedef struct hmcrt_buffer_desc {
  const char *name;
  hmc_dtype dtype;
  int32_t rank;
  hmcrt_dim shape[HMC_MAX_RANK]; /* row-major, outermost first */
  hmcrt_storage storage;
  int32_t io_index;       /* position among inputs or outputs, else -1 */
  uint64_t weight_offset; /* byte offset in the weights blob (WEIGHT) */
} hmcrt_buffer_desc;

/* Halide's argv entry point: args[0] points at the user_context pointer,
 * args[1..] are halide_buffer_t pointers in the kernel's argument order. */
typedef int (*hmcrt_kernel_fn)(void **args);

typedef struct hmcrt_kernel_desc {
  const char *name;
  hmcrt_kernel_fn fn;
  int32_t num_args;
  const int32_t *args; /* buffer indices: inputs then outputs */
  /* A variant for short inputs, run instead of fn while the symbol
   * short_symbol - 1 is below short_below (short_symbol 0: none). */
  hmcrt_kernel_fn short_fn;
  int32_t short_symbol;
  int64_t short_below;
} hmcrt_kernel_desc;

/* A Halide target feature (halide_target_feature_t) that selects
 * instructions, e.g. avx2. */
typedef struct hmcrt_cpu_feature {
  int32_t id;
  const char *name;
} hmcrt_cpu_feature;

struct halide_device_interface_t;

/* What hmc-halide compiled the kernels for. */
typedef struct hmcrt_target_desc {
  const char *name; /* the Halide target string, "host" resolved */
  int32_t num_cpu_features;
  const hmcrt_cpu_feature *cpu_features; /* the kernels use them all */
  /* A GPU library: the GPU API ("cuda") and its Halide device interface
   * (halide_cuda_device_interface, in the library's Halide runtime). NULL
   * for a CPU library. */
  const char *gpu_api;
  const struct halide_device_interface_t *(*gpu_interface)(void);
} hmcrt_target_desc;

typedef struct hmcrt_model_desc {
  const hmc_library_v1 *library; /* names, io infos, version strings */
  int32_t num_symbols;
  const hmcrt_symbol_desc *symbols;
  int32_t num_buffers;
  const hmcrt_buffer_desc *buffers;
  int32_t num_kernels;
  const hmcrt_kernel_desc *kernels;
  const int32_t *input_buffers;  /* library->num_inputs entries */
  const int32_t *output_buffers; /* library->num_outputs entries */
  const uint8_t *weights;        /* embedded blob, 64-byte aligned */
  uint64_t weights_size;
  const hmcrt_target_desc *target; /* NULL: no CPU features to check */
} hmcrt_model_desc;

typedef struct hmcrt_handle hmcrt_handle;

/* options == NULL means defaults. Weights: the embedded blob if the model has
 * one (then weights_path must be NULL), else the file weights_path, else
 * NAME.weights in the folder of the shared object holding the model;
 * the file is mapped read-only and must be exactly weights_size bytes.
 *
 * Before loading anything create checks that this CPU has the target's CPU
 * features, else returns HMC_ERROR_UNSUPPORTED_CPU naming the missing ones.
 * A GPU library's create then opens the GPU (HMC_ERROR_NO_DEVICE with the
 * GPU runtime's message when it cannot) and copies the weights to it once;
 * runs copy inputs to the device and outputs back, and keep the
 * intermediates on the device.
 *
 * run, output_shapes and set_num_threads on a handle that another thread is
 * using return HMC_ERROR_BUSY; hmcrt_last_error(handle) then gives the
 * refused thread its own message. Destroying a handle that another thread is
 * using is the caller's error: destroy then waits for that call to return.
 * Temporaries are laid out per run from the kernels' use ranges, in an arena
 * that only grows; the kernels' own heap blocks are cached per handle. */
hmc_status hmcrt_create(const hmcrt_model_desc *model,
                        const hmc_create_options *options, hmcrt_handle **out);
void hmcrt_destroy(hmcrt_handle *handle);
hmc_status hmcrt_set_num_threads(hmcrt_handle *handle, int32_t num_threads);
hmc_status hmcrt_output_shapes(hmcrt_handle *handle, const hmc_tensor *inputs,
                               int32_t num_inputs, hmc_tensor *outputs,
                               int32_t num_outputs);
/* A GPU library's run on device memory: every input's and output's data is
 * a device pointer of the library's GPU API (a CUdeviceptr for CUDA), used
 * in place; the outputs stay on the device. HMC_ERROR_INVALID_ARGUMENT for
 * a CPU library. */
hmc_status hmcrt_run_device(hmcrt_handle *handle, const hmc_tensor *inputs,
                            int32_t num_inputs, hmc_tensor *outputs,
                            int32_t num_outputs);
hmc_status hmcrt_run(hmcrt_handle *handle, const hmc_tensor *inputs,
                     int32_t num_inputs, hmc_tensor *outputs,
                     int32_t num_outputs);
/* handle == NULL: the calling thread's last error (e.g. from create). */
const char *hmcrt_last_error(const hmcrt_handle *handle);

size_t hmcrt_dtype_size(hmc_dtype dtype);
const char *hmcrt_dtype_name(hmc_dtype dtype);

/* .npy files (format 1.0-3.0, little-endian, C order) for hmc run and tests.
 * The reader is bounds-checked: any malformed file yields an error message. */
typedef struct hmcrt_npy {
  hmc_dtype dtype;
  int32_t rank;
  int64_t shape[HMC_MAX_RANK];
  void *data; /* malloc'ed; free with hmcrt_npy_free */
  size_t size_bytes;
} hmcrt_npy;

hmc_status hmcrt_npy_read(const char *path, hmcrt_npy *out, char *error,
                          size_t error_size);
hmc_status hmcrt_npy_write(const char *path, const hmc_tensor *tensor,
                           char *error, size_t error_size);
void hmcrt_npy_free(hmcrt_npy *npy);

#ifdef __cplusplus
}
#endif

#endif /* HMC_RUNTIME_H */
