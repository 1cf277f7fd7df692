//===- Safetensors.cpp ----------------------------------------------------===//

#include "Safetensors.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string>

namespace hmc::safetensors {
namespace {

struct DTypeInfo {
  DType dtype;
  const char *name;
  unsigned bytes;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::Bool, "BOOL", 1}, {DType::U8, "U8", 1},   {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},   {DType::U16, "U16", 2}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I32, "I32", 4}, {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},   {DType::F64, "F64", 8}, {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
};

const DTypeInfo *lookupDType(llvm::StringRef name) {
  for (const DTypeInfo &info : kDTypes)
    if (name == info.name)
      return &info;
  return nullptr;
}

const DTypeInfo &infoOf(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info;
  llvm_unreachable("every DType has an entry");
}

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

// A JSON number that is a non-negative integer, else nullopt.
std::optional<uint64_t> unsignedValue(const nlohmann::json &value) {
  if (value.is_number_unsigned())
    return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0)
    return static_cast<uint64_t>(value.get<int64_t>());
  return std::nullopt;
}

} // namespace

llvm::StringRef dtypeName(DType dtype) { return infoOf(dtype).name; }

llvm::Expected<File> File::open(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return failure("cannot read the file: " + buffer.getError().message());
  return parse(std::move(*buffer));
}

llvm::Expected<File> File::parse(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  llvm::StringRef bytes = buffer->getBuffer();
  if (bytes.size() < 8)
    return failure("not a safetensors file: " + llvm::Twine(bytes.size()) +
                   " bytes, shorter than the 8-byte header length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > bytes.size() - 8)
    return failure("not a safetensors file: the header length " +
                   llvm::Twine(headerSize) + " exceeds the file (" +
                   llvm::Twine(bytes.size()) + " bytes)");
  llvm::StringRef headerText = bytes.substr(8, headerSize);
  llvm::StringRef data = bytes.substr(8 + headerSize);
  // A JSON object keeps the last of two equal keys; a tensor named twice
  // must not silently lose its first entry.
  std::set<std::string> names;
  std::string repeated;
  auto noteNames = [&](int depth, nlohmann::json::parse_event_t event,
                       nlohmann::json &parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key &&
        !names.insert(parsed.get<std::string>()).second && repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  nlohmann::json header =
      nlohmann::json::parse(headerText.begin(), headerText.end(), noteNames,
                            /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return failure("not a safetensors file: the header is not a JSON object");
  if (!repeated.empty())
    return failure("tensor '" + repeated + "' is listed twice in the header");

  File file;
  for (const auto &[name, entry] : header.items()) {
    if (name == "__metadata__")
      continue;
    auto bad = [&](const llvm::Twine &why) {
      return failure("tensor '" + name + "': " + why);
    };
    if (!entry.is_object() || !entry.contains("dtype") ||
        !entry.contains("shape") || !entry.contains("data_offsets"))
      return bad("needs \"dtype\", \"shape\" and \"data_offsets\"");
    const nlohmann::json &dtype = entry["dtype"];
    const DTypeInfo *info =
        dtype.is_string() ? lookupDType(dtype.get<std::string>()) : nullptr;
    if (!info)
      return bad("unknown dtype " + dtype.dump());
    Tensor tensor;
    tensor.name = name;
    tensor.dtype = info->dtype;
    const nlohmann::json &shape = entry["shape"];
    if (!shape.is_array())
      return bad("the shape is not a list");
    // Element count in bytes, checked against overflow dimension by dimension.
    uint64_t size = info->bytes;
    for (const nlohmann::json &dim : shape) {
      std::optional<uint64_t> extent = unsignedValue(dim);
      if (!extent || *extent > uint64_t(std::numeric_limits<int64_t>::max()))
        return bad("the shape " + shape.dump() +
                   " has an entry that is not a size");
      if (*extent != 0 && size > std::numeric_limits<uint64_t>::max() / *extent)
        return bad("the shape " + shape.dump() + " is too large");
      size *= *extent;
      tensor.shape.push_back(static_cast<int64_t>(*extent));
    }
    const nlohmann::json &offsets = entry["data_offsets"];
    std::optional<uint64_t> begin, end;
    if (offsets.is_array() && offsets.size() == 2) {
      begin = unsignedValue(offsets[0]);
      end = unsignedValue(offsets[1]);
    }
    if (!begin || !end || *begin > *end)
      return bad("data_offsets " + offsets.dump() +
                 " is not a [begin, end] pair with begin <= end");
    if (*end > data.size())
      return bad("data_offsets " + offsets.dump() + " ends beyond the data (" +
                 llvm::Twine(data.size()) + " bytes)");
    if (*end - *begin != size)
      return bad("data_offsets " + offsets.dump() + " hold " +
                 llvm::Twine(*end - *begin) + " bytes, but " +
                 dtypeName(info->dtype) + " " + shape.dump() + " needs " +
                 llvm::Twine(size));
    tensor.data = data.substr(*begin, size);
    file.entries.push_back(std::move(tensor));
  }

  // Tensors must tile the data: no overlaps and, as the format requires,
  // no unreferenced bytes.
  std::vector<const Tensor *> byOffset;
  for (const Tensor &tensor : file.entries)
    byOffset.push_back(&tensor);
  llvm::sort(byOffset, [](const Tensor *a, const Tensor *b) {
    return a->data.data() < b->data.data() ||
           (a->data.data() == b->data.data() &&
            a->data.size() < b->data.size());
  });
  const char *expected = data.data();
  for (const Tensor *tensor : byOffset) {
    if (tensor->data.data() < expected)
      return failure("tensor '" + tensor->name +
                     "' overlaps the tensor stored before it");
    if (tensor->data.data() > expected)
      return failure("the data has unreferenced bytes before tensor '" +
                     tensor->name + "'");
    expected = tensor->data.data() + tensor->data.size();
  }
  if (expected != data.data() + data.size())
    return failure("the data has " +
                   llvm::Twine(data.data() + data.size() - expected) +
                   " unreferenced bytes at its end");

  llvm::sort(file.entries,
             [](const Tensor &a, const Tensor &b) { return a.name < b.name; });
  for (auto [i, tensor] : llvm::enumerate(file.entries))
    file.index[tensor.name] = i;
  file.buffer = std::move(buffer);
  return std::move(file);
}

const Tensor *File::find(llvm::StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &entries[it->second];
}

llvm::Expected<std::vector<double>> readFloats(const Tensor &tensor) {
  std::vector<double> values;
  const char *bytes = tensor.data.data();
  switch (tensor.dtype) {
  case DType::F32:
    values.resize(tensor.data.size() / 4);
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t bits = llvm::support::endian::read32le(bytes + 4 * i);
      float value;
      std::memcpy(&value, &bits, sizeof(value));
      values[i] = value;
    }
    return values;
  case DType::F64:
    values.resize(tensor.data.size() / 8);
    for (size_t i = 0; i < values.size(); ++i) {
      uint64_t bits = llvm::support::endian::read64le(bytes + 8 * i);
      std::memcpy(&values[i], &bits, sizeof(double));
      // The model computes in float32: a finite value that rounds to
      // infinity there would silently change the model.
      if (std::isfinite(values[i]) &&
          std::isinf(static_cast<float>(values[i]))) {
        char value[32];
        std::snprintf(value, sizeof(value), "%.9g", values[i]);
        return failure("tensor '" + tensor.name + "' element " +
                       llvm::Twine(i) + " (" + value +
                       ") is beyond the float32 range");
      }
    }
    return values;
  default:
    return failure("tensor '" + tensor.name + "' has dtype " +
                   dtypeName(tensor.dtype) +
                   "; float weights must be F32 or F64");
  }
}

} // namespace hmc::safetensors
