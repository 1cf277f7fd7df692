// Parsing of the kernel graph's structure: top level, symbols, buffers and
// kernel operand lists. Op-specific checks live in Validate.cpp.
#include "KernelGraph.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <fstream>
#include <set>
#include <sstream>

namespace hmc::halide {

using nlohmann::json;

std::optional<DType> parseDType(const std::string &name) {
  static const std::map<std::string, DType> names = {
      {"float32", DType::Float32},
      {"float64", DType::Float64},
      {"int32", DType::Int32},
      {"int64", DType::Int64},
      {"bool", DType::Bool}};
  auto it = names.find(name);
  if (it == names.end())
    return std::nullopt;
  return it->second;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "float32";
  case DType::Float64:
    return "float64";
  case DType::Int32:
    return "int32";
  case DType::Int64:
    return "int64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

bool isFloat(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64;
}

bool isComparison(const std::string &op) {
  return op == "equal" || op == "less" || op == "less_equal";
}

bool isLogical(const std::string &op) {
  return op == "and" || op == "or" || op == "xor";
}

static int64_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::Float64:
  case DType::Int64:
    return 8;
  case DType::Bool:
    return 1;
  default:
    return 4;
  }
}

std::string formatShape(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text +=
        shape[i].isStatic() ? std::to_string(shape[i].size) : shape[i].symbol;
  }
  return text + "]";
}

bool isStaticShape(const Shape &shape) {
  for (const Dim &dim : shape)
    if (!dim.isStatic())
      return false;
  return true;
}

static bool isIdentifier(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

namespace {

/// Typed field access that reports the JSON path of what is wrong.
class Reader {
public:
  Reader(const json &object, std::string where)
      : object_(object), where_(std::move(where)) {
    if (!object_.is_object())
      fail("must be a JSON object");
  }

  bool has(const char *key) const { return object_.contains(key); }

  const json &get(const char *key) const {
    auto it = object_.find(key);
    if (it == object_.end())
      fail(fmt::format("missing field '{}'", key));
    return *it;
  }

  std::string string(const char *key) const {
    const json &value = get(key);
    if (!value.is_string())
      fail(fmt::format("field '{}' must be a string", key));
    return value.get<std::string>();
  }

  int64_t integer(const char *key) const {
    const json &value = get(key);
    if (!value.is_number_integer())
      fail(fmt::format("field '{}' must be an integer", key));
    return value.get<int64_t>();
  }

  const json &array(const char *key) const {
    const json &value = get(key);
    if (!value.is_array())
      fail(fmt::format("field '{}' must be an array", key));
    return value;
  }

  [[noreturn]] void fail(const std::string &message) const {
    throw GraphError(fmt::format("{}: {}", where_, message));
  }

private:
  const json &object_;
  std::string where_;
};

} // namespace

static Storage parseStorage(const Reader &reader) {
  static const std::map<std::string, Storage> names = {
      {"input", Storage::Input},
      {"output", Storage::Output},
      {"weight", Storage::Weight},
      {"temp", Storage::Temp}};
  std::string name = reader.string("storage");
  auto it = names.find(name);
  if (it == names.end())
    reader.fail(fmt::format("unknown storage '{}' (expected input, output, "
                            "weight or temp)",
                            name));
  return it->second;
}

static BufferDesc parseBuffer(const json &value, size_t index,
                              const std::set<std::string> &symbols) {
  Reader reader(value, fmt::format("buffers[{}]", index));
  BufferDesc buffer;
  buffer.id = reader.integer("id");
  if (buffer.id < 0)
    reader.fail("field 'id' must be non-negative");
  buffer.name = reader.string("name");
  Reader named(value, fmt::format("buffer {} ('{}')", buffer.id, buffer.name));
  std::string dtype = named.string("dtype");
  std::optional<DType> parsed = parseDType(dtype);
  if (!parsed)
    named.fail(fmt::format("unknown dtype '{}' (expected float32, float64, "
                           "int32, int64 or bool)",
                           dtype));
  buffer.dtype = *parsed;
  const json &shape = named.array("shape");
  for (size_t i = 0; i < shape.size(); ++i) {
    Dim dim;
    // Halide indexes with int32, which bounds every static size.
    if (shape[i].is_number_integer() && shape[i].get<int64_t>() >= 0 &&
        shape[i].get<int64_t>() <= INT32_MAX) {
      dim.size = shape[i].get<int64_t>();
    } else if (shape[i].is_string()) {
      dim.symbol = shape[i].get<std::string>();
      if (!symbols.count(dim.symbol))
        named.fail(fmt::format("shape entry {} names unknown symbol '{}'", i,
                               dim.symbol));
    } else {
      named.fail(fmt::format("shape entry {} must be an integer in [0, 2^31) "
                             "or a symbol name",
                             i));
    }
    buffer.shape.push_back(dim);
  }
  // Halide addresses a buffer with int32 offsets (without large_buffers).
  int64_t elements = 1;
  for (const Dim &dim : buffer.shape)
    if (dim.isStatic())
      elements = std::min<int64_t>(elements * dim.size, int64_t(1) << 32);
  if (elements > INT32_MAX)
    named.fail(fmt::format("shape {} has more than 2^31 - 1 elements",
                           formatShape(buffer.shape)));
  buffer.storage = parseStorage(named);
  if (buffer.storage == Storage::Weight) {
    if (!isStaticShape(buffer.shape))
      named.fail("a weight must have a static shape");
    int64_t offset = named.integer("offset");
    int64_t bytes = named.integer("bytes");
    int64_t expected = dtypeSize(buffer.dtype);
    for (const Dim &dim : buffer.shape)
      expected *= dim.size;
    if (offset < 0 || offset % 64 != 0)
      named.fail("field 'offset' must be a non-negative multiple of 64");
    if (bytes != expected)
      named.fail(fmt::format("field 'bytes' is {} but shape {} of {} needs {}",
                             bytes, formatShape(buffer.shape), dtype,
                             expected));
  }
  return buffer;
}

static std::vector<Operand> parseOperands(const Reader &reader, const char *key,
                                          const KernelGraph &graph) {
  std::vector<Operand> operands;
  const json &list = reader.array(key);
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object())
      reader.fail(fmt::format("{}[{}] must be an object with 'role' and "
                              "'buffer'",
                              key, i));
    Operand operand;
    const json &role = list[i].value("role", json());
    const json &buffer = list[i].value("buffer", json());
    if (!role.is_string() || !buffer.is_number_integer())
      reader.fail(fmt::format("{}[{}] must have a string 'role' and an "
                              "integer 'buffer'",
                              key, i));
    operand.role = role.get<std::string>();
    operand.buffer = buffer.get<int64_t>();
    if (!graph.buffers.count(operand.buffer))
      reader.fail(fmt::format("{} '{}' refers to unknown buffer {}", key,
                              operand.role, operand.buffer));
    operands.push_back(operand);
  }
  return operands;
}

static KernelDesc parseKernel(const json &value, size_t index,
                              const KernelGraph &graph) {
  Reader reader(value, fmt::format("kernels[{}]", index));
  KernelDesc kernel;
  kernel.name = reader.string("name");
  // The name becomes a symbol next to the library's own and Halide's.
  if (!isIdentifier(kernel.name) || kernel.name.rfind("hmc", 0) == 0 ||
      kernel.name.rfind("halide", 0) == 0)
    reader.fail(fmt::format("kernel name '{}' must be a C identifier not "
                            "starting with 'hmc' or 'halide'",
                            kernel.name));
  Reader named(value, fmt::format("kernel '{}'", kernel.name));
  kernel.op = named.string("op");
  if (named.has("attrs")) {
    kernel.attrs = named.get("attrs");
    if (!kernel.attrs.is_object())
      named.fail("field 'attrs' must be an object");
  }
  kernel.inputs = parseOperands(named, "inputs", graph);
  kernel.outputs = parseOperands(named, "outputs", graph);
  for (const Operand &output : kernel.outputs) {
    const BufferDesc &buffer = graph.buffer(output.buffer);
    if (buffer.storage == Storage::Input || buffer.storage == Storage::Weight)
      named.fail(fmt::format("output '{}' writes buffer {} ('{}') whose "
                             "storage is read-only",
                             output.role, buffer.id, buffer.name));
    for (const Operand &input : kernel.inputs)
      if (input.buffer == output.buffer)
        named.fail(fmt::format("output '{}' aliases input '{}' (buffer {}); "
                               "kernels do not run in place",
                               output.role, input.role, input.buffer));
  }
  return kernel;
}

/// Whether two calls can share one compiled function.
static bool sameSignature(const KernelGraph &graph, const KernelDesc &a,
                          const KernelDesc &b) {
  auto sameOperands = [&](const std::vector<Operand> &x,
                          const std::vector<Operand> &y) {
    if (x.size() != y.size())
      return false;
    for (size_t i = 0; i < x.size(); ++i) {
      const BufferDesc &bx = graph.buffer(x[i].buffer);
      const BufferDesc &by = graph.buffer(y[i].buffer);
      if (x[i].role != y[i].role || bx.dtype != by.dtype ||
          bx.shape != by.shape)
        return false;
    }
    return true;
  };
  return a.op == b.op && a.attrs == b.attrs &&
         sameOperands(a.inputs, b.inputs) && sameOperands(a.outputs, b.outputs);
}

static void checkBufferList(const Reader &reader, const char *key,
                            const KernelGraph &graph) {
  for (const json &id : reader.array(key))
    if (!id.is_number_integer() || !graph.buffers.count(id.get<int64_t>()))
      reader.fail(fmt::format("'{}' lists {}, which is not a buffer id", key,
                              id.dump()));
}

KernelGraph parseKernelGraph(const json &json) {
  Reader top(json, "kernel graph");
  KernelGraph graph;
  if (!top.has("format") || top.get("format") != "hmc.kernel_graph")
    top.fail("field 'format' must be \"hmc.kernel_graph\"");
  int64_t version = top.integer("version");
  if (version != 1)
    top.fail(fmt::format("unsupported version {} (this hmc-halide reads "
                         "version 1)",
                         version));
  graph.name = top.string("name");
  graph.target = top.has("target") ? top.string("target") : "";
  if (graph.target.empty())
    graph.target = "host";

  std::set<std::string> symbolNames;
  const nlohmann::json &symbols = top.array("symbols");
  for (size_t i = 0; i < symbols.size(); ++i) {
    Reader reader(symbols[i], fmt::format("symbols[{}]", i));
    SymbolDesc symbol{reader.string("name"), reader.integer("min"),
                      reader.integer("max")};
    if (!isIdentifier(symbol.name))
      reader.fail(
          fmt::format("symbol name '{}' is not an identifier", symbol.name));
    if (!symbolNames.insert(symbol.name).second)
      reader.fail(fmt::format("duplicate symbol '{}'", symbol.name));
    // A size-0 dimension breaks the kernels' clamps to extent - 1.
    if (symbol.min < 1 || symbol.max < symbol.min || symbol.max > INT32_MAX)
      reader.fail(
          fmt::format("symbol '{}' needs 1 <= min <= max < 2^31", symbol.name));
    if (reader.has("derived")) {
      Reader derived(reader.get("derived"),
                     fmt::format("symbols[{}].derived", i));
      symbol.base = derived.string("base");
      if (derived.has("mul"))
        symbol.mul = derived.integer("mul");
      symbol.add = derived.integer("add");
      symbol.div = derived.integer("div");
      symbol.post = derived.integer("post");
      // Bases come first, so a builder can evaluate symbols in order.
      if (!symbolNames.count(symbol.base) || symbol.base == symbol.name)
        derived.fail(
            fmt::format("base '{}' is not an earlier symbol", symbol.base));
      if (symbol.div < 1 || symbol.mul < 1 || symbol.mul > 1024 ||
          std::abs(symbol.add) > INT32_MAX || symbol.div > INT32_MAX ||
          std::abs(symbol.post) > INT32_MAX)
        derived.fail("needs div >= 1, 1 <= mul <= 1024 and add, div, post "
                     "below 2^31");
    }
    graph.symbols.push_back(symbol);
  }

  const nlohmann::json &buffers = top.array("buffers");
  for (size_t i = 0; i < buffers.size(); ++i) {
    BufferDesc buffer = parseBuffer(buffers[i], i, symbolNames);
    if (graph.buffers.count(buffer.id))
      throw GraphError(
          fmt::format("buffers[{}]: duplicate buffer id {}", i, buffer.id));
    graph.buffers.emplace(buffer.id, buffer);
  }
  checkBufferList(top, "inputs", graph);
  checkBufferList(top, "outputs", graph);

  std::map<std::string, size_t> firstCall;
  const nlohmann::json &kernels = top.array("kernels");
  for (size_t i = 0; i < kernels.size(); ++i) {
    KernelDesc kernel = parseKernel(kernels[i], i, graph);
    validateKernel(graph, kernel);
    auto [it, inserted] = firstCall.emplace(kernel.name, graph.kernels.size());
    if (inserted)
      graph.kernels.push_back(std::move(kernel));
    else if (!sameSignature(graph, graph.kernels[it->second], kernel))
      throw GraphError(fmt::format("kernels[{}]: kernel '{}' is called again "
                                   "with a different op, attributes or "
                                   "operand dtypes and shapes",
                                   i, kernel.name));
    // A variant for short inputs: the same call with other attributes,
    // compiled as its own function (the runtime picks one per run).
    if (inserted && kernels[i].contains("alternative")) {
      Reader alt(kernels[i]["alternative"],
                 fmt::format("kernels[{}].alternative", i));
      KernelDesc variant = graph.kernels.back();
      variant.name = alt.string("name");
      if (!isIdentifier(variant.name) || variant.name.rfind("hmc", 0) == 0 ||
          variant.name.rfind("halide", 0) == 0 || firstCall.count(variant.name))
        alt.fail(fmt::format("kernel name '{}' must be a new C identifier "
                             "not starting with 'hmc' or 'halide'",
                             variant.name));
      if (!alt.get("attrs").is_object())
        alt.fail("field 'attrs' must be an object");
      variant.attrs.update(alt.get("attrs"));
      std::string symbol = alt.string("symbol");
      if (std::none_of(graph.symbols.begin(), graph.symbols.end(),
                       [&](const SymbolDesc &s) { return s.name == symbol; }))
        alt.fail(fmt::format("unknown symbol '{}'", symbol));
      alt.integer("below");
      validateKernel(graph, variant);
      firstCall.emplace(variant.name, graph.kernels.size());
      graph.kernels.push_back(std::move(variant));
    }
  }
  return graph;
}

KernelGraph loadKernelGraph(const std::string &path) {
  std::ifstream file(path);
  if (!file)
    throw GraphError(fmt::format("cannot open kernel graph '{}'", path));
  std::stringstream text;
  text << file.rdbuf();
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error &error) {
    throw GraphError(
        fmt::format("'{}' is not valid JSON: {}", path, error.what()));
  }
  return parseKernelGraph(json);
}

} // namespace hmc::halide
