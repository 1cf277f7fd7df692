//===- NpyFuzzer.cpp - bytes -> the runtime's .npy reader -----------------===//
//
// The reader must turn every malformed file into an error message; what it
// accepts must round-trip through the writer and read back identically.
//
//===----------------------------------------------------------------------===//

#include "MemFile.h"

#include "hmc/runtime.h"

#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = hmc::fuzz::writeMemFile(data, size);
  hmcrt_npy npy;
  char error[256];
  if (hmcrt_npy_read(path.c_str(), &npy, error, sizeof(error)) != HMC_OK) {
    if (error[0] == '\0')
      abort(); // every failure has a message
    return 0;
  }
  hmc_tensor tensor = {};
  tensor.dtype = npy.dtype;
  tensor.rank = npy.rank;
  memcpy(tensor.shape, npy.shape, sizeof(int64_t) * npy.rank);
  tensor.data = npy.data;
  tensor.size_bytes = npy.size_bytes;
  // Round trip through the writer, into the same memfd.
  if (hmcrt_npy_write(path.c_str(), &tensor, error, sizeof(error)) != HMC_OK)
    abort();
  hmcrt_npy back;
  if (hmcrt_npy_read(path.c_str(), &back, error, sizeof(error)) != HMC_OK ||
      back.dtype != npy.dtype || back.rank != npy.rank ||
      memcmp(back.shape, npy.shape, sizeof(int64_t) * npy.rank) != 0 ||
      back.size_bytes != npy.size_bytes ||
      memcmp(back.data, npy.data, npy.size_bytes) != 0)
    abort();
  hmcrt_npy_free(&back);
  hmcrt_npy_free(&npy);
  return 0;
}
