//===- MemFile.h - a path whose contents are the fuzzer's input -*- C++ -*-===//
//
// The .npy reader and the DSL importer take paths. A memfd gives them one
// without touching the disk: /proc/self/fd/N reopens it from the start.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_FUZZ_MEMFILE_H
#define HMC_FUZZ_MEMFILE_H

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace hmc::fuzz {

// Replaces the memfd's contents with the input and returns its path.
inline const std::string &writeMemFile(const uint8_t *data, size_t size) {
  static int fd = -1;
  static std::string path;
  if (fd < 0) {
    fd = memfd_create("hmc-fuzz", 0);
    if (fd < 0) {
      perror("memfd_create");
      abort();
    }
    path = "/proc/self/fd/" + std::to_string(fd);
  }
  if (ftruncate(fd, 0) != 0 ||
      (size > 0 && pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))) {
    perror("writing the memfd");
    abort();
  }
  return path;
}

} // namespace hmc::fuzz

#endif // HMC_FUZZ_MEMFILE_H
