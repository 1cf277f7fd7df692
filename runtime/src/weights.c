#include "weights.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

hmc_status hmcrt_weights_map_file(const char *path, uint64_t expected_size,
                                  hmcrt_weights_map *out, char *error,
                                  size_t error_size) {
  out->addr = NULL;
  out->size = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(error, error_size, "weights file '%s': %s", path, strerror(errno));
    return HMC_ERROR_INVALID_ARGUMENT;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(error, error_size, "weights file '%s': not a regular file", path);
    close(fd);
    return HMC_ERROR_INVALID_ARGUMENT;
  }
  if ((uint64_t)st.st_size != expected_size) {
    snprintf(error, error_size,
             "weights file '%s' has %lld bytes, the library expects %llu "
             "(a file from another model or compilation?)",
             path, (long long)st.st_size, (unsigned long long)expected_size);
    close(fd);
    return HMC_ERROR_INVALID_ARGUMENT;
  }
  if (expected_size == 0) {
    close(fd);
    return HMC_OK;
  }
  void *addr = mmap(NULL, (size_t)expected_size, PROT_READ, MAP_PRIVATE, fd, 0);
  int mmap_errno = errno;
  close(fd);
  if (addr == MAP_FAILED) {
    snprintf(error, error_size, "weights file '%s': mmap failed: %s", path,
             strerror(mmap_errno));
    return HMC_ERROR_OUT_OF_MEMORY;
  }
  out->addr = addr;
  out->size = (size_t)expected_size;
  return HMC_OK;
}

hmc_status hmcrt_weights_default_path(const void *anchor, const char *name,
                                      char *path, size_t path_size, char *error,
                                      size_t error_size) {
  Dl_info info;
  if (dladdr(anchor, &info) == 0 || !info.dli_fname) {
    snprintf(error, error_size,
             "cannot locate the library file to find '%s.weights'; pass "
             "weights_path",
             name);
    return HMC_ERROR_INVALID_ARGUMENT;
  }
  const char *slash = strrchr(info.dli_fname, '/');
  int dir_len = slash ? (int)(slash - info.dli_fname) : 1;
  const char *dir = slash ? info.dli_fname : ".";
  int n = snprintf(path, path_size, "%.*s/%s.weights", dir_len, dir, name);
  if (n < 0 || (size_t)n >= path_size) {
    snprintf(error, error_size, "the path of '%s.weights' is too long", name);
    return HMC_ERROR_INVALID_ARGUMENT;
  }
  return HMC_OK;
}

void hmcrt_weights_unmap(hmcrt_weights_map *map) {
  if (map->addr)
    munmap(map->addr, map->size);
  map->addr = NULL;
  map->size = 0;
}

void hmcrt_weights_prefault(const void *addr, size_t size) {
  if (!addr || size == 0)
    return;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t begin = (uintptr_t)addr & ~(page - 1);
  uintptr_t end = ((uintptr_t)addr + size + page - 1) & ~(page - 1);
#ifdef MADV_POPULATE_READ
  /* One call for the whole range (Linux 5.14+); older kernels reject it. */
  if (madvise((void *)begin, end - begin, MADV_POPULATE_READ) == 0)
    return;
#endif
  const volatile unsigned char *bytes = addr;
  for (uintptr_t at = (uintptr_t)addr; at < (uintptr_t)addr + size;
       at = (at & ~(page - 1)) + page)
    (void)bytes[at - (uintptr_t)addr];
}
