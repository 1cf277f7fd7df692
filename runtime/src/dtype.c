/* Element sizes and names of the public dtypes. */
#include "hmc/runtime.h"

size_t hmcrt_dtype_size(hmc_dtype dtype) {
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

const char *hmcrt_dtype_name(hmc_dtype dtype) {
  switch (dtype) {
  case HMC_DTYPE_FLOAT32:
    return "float32";
  case HMC_DTYPE_FLOAT64:
    return "float64";
  case HMC_DTYPE_INT32:
    return "int32";
  case HMC_DTYPE_INT64:
    return "int64";
  case HMC_DTYPE_BOOL:
    return "bool";
  }
  return "unknown";
}
