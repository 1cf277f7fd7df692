//===- SafetensorsFuzzer.cpp - bytes -> the safetensors reader ------------===//
//
// A file the reader accepts must keep its promise: every tensor lies inside
// the buffer with the size its dtype and shape need.
//
//===----------------------------------------------------------------------===//

#include "Safetensors.h"

#include <cstdlib>

using namespace hmc::safetensors;

static size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::Bool:
  case DType::U8:
  case DType::I8:
    return 1;
  case DType::I16:
  case DType::U16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I32:
  case DType::U32:
  case DType::F32:
    return 4;
  case DType::F64:
  case DType::I64:
  case DType::U64:
    return 8;
  }
  abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<File> file =
      File::parse(llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz"));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  for (const Tensor &tensor : file->tensors()) {
    size_t count = 1;
    for (int64_t d : tensor.shape)
      count *= static_cast<size_t>(d);
    if (tensor.data.size() != count * dtypeSize(tensor.dtype) ||
        file->find(tensor.name) != &tensor)
      abort();
    llvm::Expected<std::vector<double>> values = readFloats(tensor);
    if (!values)
      llvm::consumeError(values.takeError());
    else if (values->size() != count)
      abort();
  }
  return 0;
}
