/* Types shared by every hmc-generated library's public header.
 *
 * hmc pastes this block verbatim into each generated NAME.h, guarded so that a
 * product including several model headers sees it once. Changing a layout here
 * is an ABI change: bump HMC_ABI_VERSION. */
#ifndef HMC_API_TYPES_V1
#define HMC_API_TYPES_V1

#include <stddef.h>
#include <stdint.h>

#define HMC_ABI_VERSION 1
#define HMC_MAX_RANK 8

typedef enum hmc_status {
  HMC_OK = 0,
  HMC_ERROR_INVALID_ARGUMENT = 1, /* null pointer, wrong count or name */
  HMC_ERROR_DTYPE = 2,            /* tensor dtype differs from the model's */
  HMC_ERROR_SHAPE = 3,            /* rank, static dim or dynamic dim mismatch */
  HMC_ERROR_OUT_OF_RANGE = 4,     /* a dynamic dim outside [min, max] */
  HMC_ERROR_BUFFER_TOO_SMALL = 5, /* output size_bytes below what is needed */
  HMC_ERROR_OUT_OF_MEMORY = 6,
  HMC_ERROR_KERNEL = 7,          /* a kernel reported an error */
  HMC_ERROR_UNSUPPORTED_CPU = 8, /* the CPU lacks features the library uses */
  HMC_ERROR_BUSY = 9,            /* the handle is running on another thread */
  HMC_ERROR_INTERNAL = 10,
  HMC_ERROR_NO_DEVICE = 11 /* a GPU library found no usable GPU */
} hmc_status;

typedef enum hmc_dtype {
  HMC_DTYPE_FLOAT32 = 0,
  HMC_DTYPE_FLOAT64 = 1,
  HMC_DTYPE_INT32 = 2,
  HMC_DTYPE_INT64 = 3,
  HMC_DTYPE_BOOL = 4 /* one byte per element, 0 or 1 */
} hmc_dtype;

/* A dense row-major tensor. For inputs the caller sets every field. For
 * outputs the caller sets data and size_bytes (capacity); run writes dtype,
 * rank and shape. name may be NULL (tensors are matched by position); when
 * set, it must equal the graph name. */
typedef struct hmc_tensor {
  const char *name;
  hmc_dtype dtype;
  int32_t rank;
  int64_t shape[HMC_MAX_RANK];
  void *data;
  size_t size_bytes;
} hmc_tensor;

/* Static description of one graph input or output. shape[i] == -1 marks a
 * dynamic dimension named dim_names[i]. */
typedef struct hmc_tensor_info {
  const char *name;   /* the graph's own name, e.g. "onnx::Mul_0" */
  const char *c_name; /* sanitised C identifier used in the header */
  hmc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  const char *const *dim_names;
} hmc_tensor_info;

typedef struct hmc_create_options {
  int32_t num_threads;      /* 0 = number of online CPUs */
  const char *weights_path; /* external weights only; NULL = next to the .so */
} hmc_create_options;

/* The one well-known symbol every library exports ("hmc_library_v1"), so
 * tools can drive a library without knowing its name. */
typedef struct hmc_library_v1 {
  uint32_t abi_version;
  const char *name;
  const char *hmc_version;
  const char *target;
  const char *schedule_source;
  int32_t num_inputs;
  const hmc_tensor_info *inputs;
  int32_t num_outputs;
  const hmc_tensor_info *outputs;
  hmc_status (*create)(const hmc_create_options *options, void **handle);
  void (*destroy)(void *handle);
  hmc_status (*set_num_threads)(void *handle, int32_t num_threads);
  hmc_status (*output_shapes)(void *handle, const hmc_tensor *inputs,
                              int32_t num_inputs, hmc_tensor *outputs,
                              int32_t num_outputs);
  hmc_status (*run)(void *handle, const hmc_tensor *inputs, int32_t num_inputs,
                    hmc_tensor *outputs, int32_t num_outputs);
  const char *(*last_error)(const void *handle);
  uint64_t weights_bytes;   /* size of the model's weights */
  int32_t weights_external; /* 1: in NAME.weights beside the library */
} hmc_library_v1;

#endif /* HMC_API_TYPES_V1 */
