//===- Safetensors.h - reading .safetensors weight files --------*- C++ -*-===//
//
// The format: an 8-byte little-endian header length n, n bytes of JSON
// mapping tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the data that follows the header), then the data.
// "__metadata__" holds free-form strings and is ignored.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_FRONTENDS_DSL_SAFETENSORS_H
#define HMC_FRONTENDS_DSL_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hmc::safetensors {

enum class DType {
  Bool,
  U8,
  I8,
  I16,
  U16,
  F16,
  BF16,
  I32,
  U32,
  F32,
  F64,
  I64,
  U64
};

struct Tensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  // The tensor's bytes inside the file's buffer (little-endian, row-major).
  llvm::StringRef data;
};

// A validated file, memory-mapped when large: every tensor lies inside the
// data section, its byte size matches dtype and shape, and no two tensors
// overlap.
class File {
public:
  static llvm::Expected<File> open(llvm::StringRef path);
  // The same checks on bytes already in memory.
  static llvm::Expected<File> parse(std::unique_ptr<llvm::MemoryBuffer> buffer);

  // Tensors sorted by name.
  llvm::ArrayRef<Tensor> tensors() const { return entries; }
  const Tensor *find(llvm::StringRef name) const;

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::vector<Tensor> entries;
  llvm::StringMap<size_t> index;
};

llvm::StringRef dtypeName(DType dtype);

// The values of a float tensor (F32 or F64) as doubles; an error names the
// tensor when it holds another dtype.
llvm::Expected<std::vector<double>> readFloats(const Tensor &tensor);

} // namespace hmc::safetensors

#endif // HMC_FRONTENDS_DSL_SAFETENSORS_H
