/* A stand-in for the NVIDIA driver (libcuda.so.1) that refuses what the real
 * one refuses: copies outside a live allocation and launches whose grid or
 * block is out of range (CUDA_ERROR_INVALID_VALUE). Device memory is host
 * memory and kernels do nothing, so a CUDA library runs its whole host
 * program here without a GPU. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, MAX_ALLOCATIONS = 4096 };

typedef uintptr_t devptr;
static struct {
  devptr base;
  size_t size;
} allocations[MAX_ALLOCATIONS];
static int context_token, module_token, function_token;

static int inside(devptr p, size_t n) {
  for (int i = 0; i < MAX_ALLOCATIONS; i++)
    if (allocations[i].base && p >= allocations[i].base &&
        p + n <= allocations[i].base + allocations[i].size)
      return 1;
  return 0;
}

int cuInit(unsigned flags) { return flags ? INVALID_VALUE : OK; }
int cuDriverGetVersion(int *version) {
  *version = 12000;
  return OK;
}
int cuDeviceGetCount(int *count) {
  *count = 1;
  return OK;
}
int cuDeviceGet(int *device, int ordinal) {
  *device = 0;
  return ordinal == 0 ? OK : INVALID_VALUE;
}
int cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)attribute;
  (void)device;
  *value = 1;
  return OK;
}
int cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  strncpy(name, "fake", (size_t)length);
  return OK;
}
int cuDeviceTotalMem_v2(size_t *bytes, int device) {
  (void)device;
  *bytes = (size_t)1 << 34;
  return OK;
}
int cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &context_token;
  return OK;
}
int cuCtxCreate_v2(void **context, unsigned flags, int device) {
  (void)flags;
  return cuDevicePrimaryCtxRetain(context, device);
}
int cuCtxDestroy_v2(void *context) { return context ? OK : INVALID_VALUE; }
int cuCtxPushCurrent_v2(void *context) { return context ? OK : INVALID_VALUE; }
int cuCtxPopCurrent_v2(void **context) {
  if (context)
    *context = &context_token;
  return OK;
}
int cuCtxGetApiVersion(void *context, unsigned *version) {
  (void)context;
  *version = 3020;
  return OK;
}
int cuCtxSynchronize(void) { return OK; }
int cuStreamSynchronize(void *stream) {
  (void)stream;
  return OK;
}
int cuProfilerStop(void) { return OK; }
int cuModuleLoadData(void **module, const void *image) {
  *module = &module_token;
  return image ? OK : INVALID_VALUE;
}
int cuModuleLoadDataEx(void **module, const void *image, unsigned count,
                       void *options, void **values) {
  (void)count;
  (void)options;
  (void)values;
  return cuModuleLoadData(module, image);
}
int cuModuleUnload(void *module) { return module ? OK : INVALID_VALUE; }
int cuModuleGetFunction(void **function, void *module, const char *name) {
  *function = &function_token;
  return module && name ? OK : INVALID_VALUE;
}
int cuModuleGetGlobal_v2(devptr *p, size_t *bytes, void *module,
                         const char *name) {
  (void)p;
  (void)bytes;
  (void)module;
  (void)name;
  return INVALID_VALUE;
}
int cuPointerGetAttribute(void *result, int attribute, devptr p) {
  (void)attribute;
  *(void **)result = &context_token;
  return inside(p, 1) ? OK : INVALID_VALUE;
}

int cuMemAlloc_v2(devptr *p, size_t size) {
  for (int i = 0; i < MAX_ALLOCATIONS; i++)
    if (!allocations[i].base) {
      void *memory = malloc(size);
      if (!memory)
        return OUT_OF_MEMORY;
      allocations[i].base = *p = (devptr)memory;
      allocations[i].size = size;
      return OK;
    }
  return OUT_OF_MEMORY;
}
int cuMemFree_v2(devptr p) {
  for (int i = 0; i < MAX_ALLOCATIONS; i++)
    if (allocations[i].base == p) {
      free((void *)p);
      allocations[i].base = 0;
      return OK;
    }
  return INVALID_VALUE;
}
int cuMemcpyHtoD_v2(devptr dst, const void *src, size_t n) {
  if (!inside(dst, n))
    return INVALID_VALUE;
  memcpy((void *)dst, src, n);
  return OK;
}
int cuMemcpyDtoH_v2(void *dst, devptr src, size_t n) {
  if (!inside(src, n))
    return INVALID_VALUE;
  memcpy(dst, (void *)src, n);
  return OK;
}
int cuMemcpyDtoD_v2(devptr dst, devptr src, size_t n) {
  if (!inside(dst, n) || !inside(src, n))
    return INVALID_VALUE;
  memmove((void *)dst, (void *)src, n);
  return OK;
}
int cuMemcpy3D_v2(const void *copy) {
  (void)copy;
  return INVALID_VALUE;
}
int cuMemsetD8_v2(devptr p, unsigned char value, size_t n) {
  if (!inside(p, n))
    return INVALID_VALUE;
  memset((void *)p, value, n);
  return OK;
}
int cuMemsetD32_v2(devptr p, unsigned value, size_t n) {
  if (!inside(p, 4 * n))
    return INVALID_VALUE;
  for (size_t i = 0; i < n; i++)
    memcpy((char *)p + 4 * i, &value, 4);
  return OK;
}

/* The limits of every GPU since compute capability 3.0. */
int cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                   unsigned bx, unsigned by, unsigned bz, unsigned shared,
                   void *stream, void **params, void **extra) {
  (void)stream;
  (void)params;
  (void)extra;
  if (!function || gx == 0 || gy == 0 || gz == 0 || gx > 0x7fffffffu ||
      gy > 65535 || gz > 65535 || bx == 0 || by == 0 || bz == 0 ||
      (uint64_t)bx * by * bz > 1024 || bz > 64 || shared > 48 * 1024)
    return INVALID_VALUE;
  return OK;
}
