//===- HostProgram.cpp - C host program and header from a kernel graph ----===//

#include "HostProgram.h"

#include "ApiTypesText.h"
#include "Naming.h"
#include "hmc/api_types.h"
#include "hmc/runtime.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace hmc::backend {
namespace {

using nlohmann::json;

constexpr int kMaxRank = HMC_MAX_RANK;
constexpr uint64_t kWeightAlignment = 64;

//===----------------------------------------------------------------------===//
// The kernel graph, validated
//===----------------------------------------------------------------------===//

struct DType {
  const char *name;  // as in the kernel graph
  const char *cEnum; // hmc_dtype
  uint64_t size;
};

// Storage names of the graph and their hmcrt_storage enumerators.
const std::map<std::string, const char *> kStorage = {
    {"input", "HMCRT_INPUT"},
    {"output", "HMCRT_OUTPUT"},
    {"weight", "HMCRT_WEIGHT"},
    {"temp", "HMCRT_TEMP"}};

constexpr DType kDTypes[] = {{"float32", "HMC_DTYPE_FLOAT32", 4},
                             {"float64", "HMC_DTYPE_FLOAT64", 8},
                             {"int32", "HMC_DTYPE_INT32", 4},
                             {"int64", "HMC_DTYPE_INT64", 8},
                             {"bool", "HMC_DTYPE_BOOL", 1}};

// A constant dimension has symbol -1.
struct Dim {
  int32_t symbol;
  int64_t value;
};

struct Symbol {
  std::string name;
  int64_t min;
  int64_t max;
  // floor((mul base + add) / div) + post of an earlier symbol, or base -1.
  int32_t base = -1;
  int64_t mul = 1, add = 0, div = 1, post = 0;
};

struct Buffer {
  std::string name;
  const DType *dtype;
  std::vector<Dim> shape;
  std::string storage; // as in the graph: input, output, weight or temp
  int32_t ioIndex = -1;
  uint64_t weightOffset = 0;
};

struct KernelCall {
  std::string name;
  std::vector<int32_t> args; // buffer indices: inputs then outputs
  size_t numInputs = 0;
  // The variant run while symbol shortSymbol is below shortBelow.
  std::string shortName;
  int32_t shortSymbol = -1;
  int64_t shortBelow = 0;
};

struct Graph {
  std::string name;
  std::string target;
  std::vector<Symbol> symbols;
  std::vector<Buffer> buffers;
  std::vector<int32_t> inputs;  // buffer indices
  std::vector<int32_t> outputs; // buffer indices
  std::string weightsFile;      // relative to the graph file
  uint64_t weightsSize = 0;
  std::vector<KernelCall> kernels;
};

// Parsing reports the first schema violation with its JSON location; an
// exception keeps the many nested checks readable.
struct SchemaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string &where, const std::string &what) {
  throw SchemaError(where + ": " + what);
}

// A JSON value for a message; invalid UTF-8 must not turn into an exception.
std::string show(const json &value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string at(const std::string &where, const std::string &key) {
  return where.empty() ? key : where + "." + key;
}
std::string at(const std::string &where, size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

const json &member(const json &object, const char *key,
                   const std::string &where) {
  if (!object.is_object())
    fail(where.empty() ? "kernel graph" : where, "expected an object");
  auto it = object.find(key);
  if (it == object.end())
    fail(where.empty() ? "kernel graph" : where,
         std::string("missing \"") + key + "\"");
  return *it;
}

int64_t integer(const json &value, const std::string &where) {
  if (!value.is_number_integer())
    fail(where, "expected an integer, got " + show(value));
  if (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(INT64_MAX))
    fail(where, "integer out of range");
  return value.get<int64_t>();
}

int64_t nonNegative(const json &value, const std::string &where) {
  int64_t result = integer(value, where);
  if (result < 0)
    fail(where, "expected a non-negative integer, got " + show(value));
  return result;
}

const std::string &string(const json &value, const std::string &where) {
  if (!value.is_string())
    fail(where, "expected a string, got " + show(value));
  return value.get_ref<const std::string &>();
}

const json &array(const json &value, const std::string &where) {
  if (!value.is_array())
    fail(where, "expected an array");
  return value;
}

std::vector<Symbol> parseSymbols(const json &graph) {
  std::vector<Symbol> symbols;
  if (!graph.contains("symbols"))
    return symbols;
  const json &list = array(graph["symbols"], "symbols");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = at("symbols", i);
    Symbol symbol{string(member(list[i], "name", where), at(where, "name")),
                  nonNegative(member(list[i], "min", where), at(where, "min")),
                  nonNegative(member(list[i], "max", where), at(where, "max"))};
    if (symbol.max < symbol.min)
      fail(where, "max is below min");
    for (const Symbol &other : symbols)
      if (other.name == symbol.name)
        fail(where, "symbol \"" + symbol.name + "\" is declared twice");
    if (list[i].contains("derived")) {
      std::string derivedWhere = at(where, "derived");
      const json &derived = list[i]["derived"];
      std::string base = string(member(derived, "base", derivedWhere),
                                at(derivedWhere, "base"));
      auto it = std::find_if(symbols.begin(), symbols.end(),
                             [&](const Symbol &s) { return s.name == base; });
      if (it == symbols.end())
        fail(at(derivedWhere, "base"),
             "base \"" + base + "\" is not a symbol declared before");
      symbol.base = int32_t(it - symbols.begin());
      if (derived.contains("mul"))
        symbol.mul = integer(derived["mul"], at(derivedWhere, "mul"));
      symbol.add = integer(member(derived, "add", derivedWhere),
                           at(derivedWhere, "add"));
      symbol.div = integer(member(derived, "div", derivedWhere),
                           at(derivedWhere, "div"));
      symbol.post = integer(member(derived, "post", derivedWhere),
                            at(derivedWhere, "post"));
      if (symbol.div < 1)
        fail(at(derivedWhere, "div"), "must be at least 1");
      if (symbol.mul < 1 || symbol.mul > HMCRT_MAX_DIM_MULTIPLE)
        fail(at(derivedWhere, "mul"),
             "must be 1 to " + std::to_string(HMCRT_MAX_DIM_MULTIPLE));
    }
    symbols.push_back(std::move(symbol));
  }
  return symbols;
}

const DType *parseDType(const json &value, const std::string &where) {
  const std::string &name = string(value, where);
  for (const DType &dtype : kDTypes)
    if (name == dtype.name)
      return &dtype;
  fail(where, "unknown dtype \"" + name +
                  "\" (expected float32, float64, int32, int64 or bool)");
}

std::vector<Dim> parseShape(const json &value, const std::string &where,
                            const std::vector<Symbol> &symbols) {
  const json &list = array(value, where);
  if (list.size() > size_t(kMaxRank))
    fail(where, "rank " + std::to_string(list.size()) +
                    " exceeds the maximum " + std::to_string(kMaxRank));
  std::vector<Dim> shape;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) {
      shape.push_back({-1, nonNegative(list[i], at(where, i))});
      continue;
    }
    const std::string &name = list[i].get_ref<const std::string &>();
    auto it = std::find_if(symbols.begin(), symbols.end(),
                           [&](const Symbol &s) { return s.name == name; });
    if (it == symbols.end())
      fail(at(where, i), "unknown symbol \"" + name + "\"");
    shape.push_back({int32_t(it - symbols.begin()), 0});
  }
  return shape;
}

// Reads "inputs" or "outputs": buffer ids whose storage must be `storage`,
// each buffer of that storage listed exactly once.
std::vector<int32_t> parseIoList(const json &graph, const char *key,
                                 const char *storage,
                                 const std::map<int64_t, int32_t> &indexOfId,
                                 std::vector<Buffer> &buffers) {
  const json &list = array(member(graph, key, ""), key);
  std::vector<int32_t> result;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = at(key, i);
    auto it = indexOfId.find(integer(list[i], where));
    if (it == indexOfId.end())
      fail(where, "no buffer has id " + show(list[i]));
    Buffer &buffer = buffers[it->second];
    if (buffer.storage != storage || buffer.ioIndex >= 0)
      fail(where, "buffer \"" + buffer.name + "\" must have storage " +
                      storage + " and be listed once");
    buffer.ioIndex = int32_t(i);
    result.push_back(it->second);
  }
  for (const Buffer &buffer : buffers)
    if (buffer.storage == storage && buffer.ioIndex < 0)
      fail(key, "buffer \"" + buffer.name + "\" has storage " + storage +
                    " but is not listed");
  return result;
}

// Kernels run in order: each reads only inputs, weights and what an earlier
// kernel wrote, and every temporary and output is written exactly once.
void checkDataFlow(const Graph &graph) {
  std::vector<bool> ready(graph.buffers.size(), false);
  for (size_t b = 0; b < graph.buffers.size(); ++b)
    ready[b] = graph.buffers[b].storage == "input" ||
               graph.buffers[b].storage == "weight";
  for (size_t k = 0; k < graph.kernels.size(); ++k) {
    const KernelCall &call = graph.kernels[k];
    for (size_t a = 0; a < call.args.size(); ++a) {
      const Buffer &buffer = graph.buffers[call.args[a]];
      bool isInput = a < call.numInputs;
      if (isInput && !ready[call.args[a]])
        fail(at("kernels", k), "reads buffer \"" + buffer.name +
                                   "\" before any kernel writes it");
      if (!isInput && ready[call.args[a]])
        fail(at("kernels", k),
             "writes buffer \"" + buffer.name +
                 "\", which is an input, a weight or already written");
      if (!isInput)
        ready[call.args[a]] = true;
    }
  }
  for (int32_t output : graph.outputs)
    if (!ready[output])
      fail("outputs",
           "no kernel writes output \"" + graph.buffers[output].name + "\"");
}

Graph parseGraph(const json &root) {
  if (!root.is_object())
    fail("kernel graph", "expected a JSON object");
  if (string(member(root, "format", ""), "format") != "hmc.kernel_graph")
    fail("format", "expected \"hmc.kernel_graph\"");
  if (integer(member(root, "version", ""), "version") != 1)
    fail("version", "this hmc reads kernel graph version 1");

  Graph graph;
  graph.name = string(member(root, "name", ""), "name");
  if (root.contains("target"))
    graph.target = string(root["target"], "target");
  graph.symbols = parseSymbols(root);

  bool hasWeights = root.contains("weights");
  if (hasWeights) {
    const json &weights = root["weights"];
    graph.weightsFile =
        string(member(weights, "file", "weights"), "weights.file");
    graph.weightsSize = uint64_t(
        nonNegative(member(weights, "size", "weights"), "weights.size"));
  }

  std::map<int64_t, int32_t> indexOfId;
  const json &buffers = array(member(root, "buffers", ""), "buffers");
  for (size_t i = 0; i < buffers.size(); ++i) {
    std::string where = at("buffers", i);
    const json &entry = buffers[i];
    int64_t id = integer(member(entry, "id", where), at(where, "id"));
    if (!indexOfId.emplace(id, int32_t(i)).second)
      fail(at(where, "id"), "buffer id " + std::to_string(id) + " repeats");
    Buffer buffer;
    buffer.name = string(member(entry, "name", where), at(where, "name"));
    buffer.dtype =
        parseDType(member(entry, "dtype", where), at(where, "dtype"));
    buffer.shape = parseShape(member(entry, "shape", where), at(where, "shape"),
                              graph.symbols);
    buffer.storage =
        string(member(entry, "storage", where), at(where, "storage"));
    if (!kStorage.count(buffer.storage))
      fail(at(where, "storage"), "unknown storage \"" + buffer.storage + "\"");
    if (buffer.storage == "weight") {
      if (!hasWeights)
        fail(where, "a weight buffer needs the graph's \"weights\" blob");
      uint64_t bytes = buffer.dtype->size;
      for (const Dim &dim : buffer.shape) {
        if (dim.symbol >= 0)
          fail(at(where, "shape"), "a weight must have a static shape");
        if (dim.value && bytes > UINT64_MAX / uint64_t(dim.value))
          fail(at(where, "shape"), "the weight is too large");
        bytes *= uint64_t(dim.value);
      }
      buffer.weightOffset = uint64_t(
          nonNegative(member(entry, "offset", where), at(where, "offset")));
      if (uint64_t(nonNegative(member(entry, "bytes", where),
                               at(where, "bytes"))) != bytes)
        fail(at(where, "bytes"),
             "expected " + std::to_string(bytes) + " for its dtype and shape");
      if (buffer.weightOffset % kWeightAlignment != 0)
        fail(at(where, "offset"), "not a multiple of 64");
      if (buffer.weightOffset > graph.weightsSize ||
          bytes > graph.weightsSize - buffer.weightOffset)
        fail(where, "extends past the end of the weights blob (" +
                        std::to_string(graph.weightsSize) + " bytes)");
    }
    graph.buffers.push_back(std::move(buffer));
  }

  graph.inputs = parseIoList(root, "inputs", "input", indexOfId, graph.buffers);
  graph.outputs =
      parseIoList(root, "outputs", "output", indexOfId, graph.buffers);
  if (graph.outputs.empty())
    fail("outputs", "the model has no outputs");

  // The runtime binds each symbol from the first input dimension naming it.
  for (size_t s = 0; s < graph.symbols.size(); ++s) {
    bool bound = graph.symbols[s].base >= 0;
    for (int32_t input : graph.inputs)
      for (const Dim &dim : graph.buffers[input].shape)
        bound |= dim.symbol == int32_t(s);
    if (!bound)
      fail(at("symbols", s), "symbol \"" + graph.symbols[s].name +
                                 "\" appears in no input shape, so it cannot "
                                 "be bound at run time");
  }

  const json &kernels = array(member(root, "kernels", ""), "kernels");
  if (kernels.empty())
    fail("kernels", "the graph has no kernels");
  for (size_t i = 0; i < kernels.size(); ++i) {
    std::string where = at("kernels", i);
    KernelCall call;
    call.name = string(member(kernels[i], "name", where), at(where, "name"));
    if (!isCIdentifier(call.name) || call.name.rfind("hmc", 0) == 0 ||
        call.name.rfind("halide", 0) == 0)
      fail(at(where, "name"),
           "kernel name \"" + call.name +
               "\" must be a C identifier not starting with hmc or halide");
    for (const char *key : {"inputs", "outputs"}) {
      const json &args = array(member(kernels[i], key, where), at(where, key));
      for (size_t a = 0; a < args.size(); ++a) {
        std::string argWhere = at(at(where, key), a);
        auto it = indexOfId.find(integer(member(args[a], "buffer", argWhere),
                                         at(argWhere, "buffer")));
        if (it == indexOfId.end())
          fail(at(argWhere, "buffer"),
               "no buffer has id " + show(args[a]["buffer"]));
        call.args.push_back(it->second);
      }
      if (std::string(key) == "inputs")
        call.numInputs = call.args.size();
    }
    if (kernels[i].contains("alternative")) {
      std::string altWhere = at(where, "alternative");
      const json &alt = kernels[i]["alternative"];
      call.shortName =
          string(member(alt, "name", altWhere), at(altWhere, "name"));
      if (!isCIdentifier(call.shortName) || call.shortName.rfind("hmc", 0) == 0)
        fail(at(altWhere, "name"), "kernel name \"" + call.shortName +
                                       "\" must be a C identifier not "
                                       "starting with hmc");
      std::string symbol =
          string(member(alt, "symbol", altWhere), at(altWhere, "symbol"));
      auto it = std::find_if(graph.symbols.begin(), graph.symbols.end(),
                             [&](const Symbol &s) { return s.name == symbol; });
      if (it == graph.symbols.end())
        fail(at(altWhere, "symbol"), "no symbol is named \"" + symbol + "\"");
      call.shortSymbol = int32_t(it - graph.symbols.begin());
      call.shortBelow =
          nonNegative(member(alt, "below", altWhere), at(altWhere, "below"));
    }
    graph.kernels.push_back(std::move(call));
  }
  checkDataFlow(graph);
  return graph;
}

//===----------------------------------------------------------------------===//
// Emission
//===----------------------------------------------------------------------===//

// Escapes text for a C or GNU assembler string literal. Everything outside
// printable ASCII becomes an octal escape (always three digits, so a following
// digit cannot extend it); '?' is escaped against trigraphs.
std::string escape(std::string_view text) {
  std::string result;
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c == '?') {
      result += '\\';
      result += char(c);
    } else if (c < 0x20 || c >= 0x7f) {
      static const char kOctal[] = "01234567";
      result += '\\';
      result += kOctal[c >> 6];
      result += kOctal[(c >> 3) & 7];
      result += kOctal[c & 7];
    } else {
      result += char(c);
    }
  }
  return result;
}

std::string literal(std::string_view text) {
  return "\"" + escape(text) + "\"";
}

// Text inside a /* */ comment must neither close nor open one.
std::string commentSafe(std::string text) {
  for (size_t pos = 0; pos + 1 < text.size(); ++pos)
    if ((text[pos] == '*' && text[pos + 1] == '/') ||
        (text[pos] == '/' && text[pos + 1] == '*'))
      text.insert(pos + 1, " ");
  return text;
}

std::string shapeText(const Graph &graph, const Buffer &buffer) {
  std::string text = "[";
  for (size_t i = 0; i < buffer.shape.size(); ++i) {
    if (i)
      text += ", ";
    const Dim &dim = buffer.shape[i];
    text += dim.symbol >= 0 ? escape(graph.symbols[dim.symbol].name)
                            : std::to_string(dim.value);
  }
  return text + "]";
}

// One line describing a graph input or output for the header's comments.
std::string describe(const Graph &graph, const Buffer &buffer) {
  return commentSafe(literal(buffer.name) + ": " + buffer.dtype->name + " " +
                     shapeText(graph, buffer));
}

// The items formatted and separated by ", ".
template <typename T, typename F>
std::string joined(const std::vector<T> &items, F &&format) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i)
    text += (i ? ", " : "") + format(items[i]);
  return text;
}

std::vector<std::string> graphNames(const Graph &graph,
                                    const std::vector<int32_t> &buffers) {
  std::vector<std::string> names;
  for (int32_t index : buffers)
    names.push_back(graph.buffers[index].name);
  return names;
}

void emitTensorInfos(std::ostringstream &os, const Graph &graph,
                     const char *kind, const std::vector<int32_t> &buffers,
                     const std::vector<std::string> &cNames) {
  if (buffers.empty())
    return;
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = graph.buffers[buffers[i]];
    if (buffer.shape.empty())
      continue;
    os << "static const int64_t hmc_" << kind << "_shape_" << i << "[] = {"
       << joined(buffer.shape,
                 [](const Dim &d) {
                   return d.symbol >= 0 ? std::string("-1")
                                        : std::to_string(d.value);
                 })
       << "};\n";
    os << "static const char *const hmc_" << kind << "_dims_" << i << "[] = {"
       << joined(buffer.shape,
                 [&](const Dim &d) {
                   return d.symbol >= 0 ? literal(graph.symbols[d.symbol].name)
                                        : std::string("NULL");
                 })
       << "};\n";
  }
  os << "static const hmc_tensor_info hmc_" << kind << "s[] = {\n";
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer &buffer = graph.buffers[buffers[i]];
    std::string index = std::to_string(i);
    bool scalar = buffer.shape.empty();
    os << "    {" << literal(buffer.name) << ", " << literal(cNames[i]) << ", "
       << buffer.dtype->cEnum << ", " << buffer.shape.size() << ", "
       << (scalar ? "NULL" : "hmc_" + std::string(kind) + "_shape_" + index)
       << ", "
       << (scalar ? "NULL" : "hmc_" + std::string(kind) + "_dims_" + index)
       << "},\n";
  }
  os << "};\n";
}

std::string indexArray(const std::vector<int32_t> &values) {
  return "{" + joined(values, [](int32_t v) { return std::to_string(v); }) +
         "}";
}

std::string emitSource(const Graph &graph, bool embedWeights, bool gpu,
                       const std::vector<std::string> &inputNames,
                       const std::vector<std::string> &outputNames,
                       const std::vector<std::string> &kernelNames) {
  const std::string &name = graph.name;
  // External weights: the runtime maps NAME.weights at create.
  const bool embedded = embedWeights && graph.weightsSize;
  std::ostringstream os;
  os << "/* Host program of model \"" << name << "\", generated by hmc "
     << HMC_VERSION_STRING << ". Do not edit.\n"
     << " * Only data and thin wrappers: the executor is hmc/runtime.h. */\n"
     << "#include \"" << name << ".h\"\n"
     << "#include \"hmc/runtime.h\"\n\n"
     << "#define HMC_EXPORT __attribute__((visibility(\"default\")))\n\n"
     << "/* Kernels, built by hmc-halide. */\n";
  for (const std::string &kernel : kernelNames)
    os << "extern int " << kernel << "_argv(void **args);\n";
  os << "\n/* What the kernels were compiled for, from target.c. */\n"
     << "extern const hmcrt_target_desc hmc_target;\n"
     << "extern const char hmc_target_name[];\n"
     << "extern const char hmc_schedule_source[];\n";
  if (embedded) {
    os << "\n/* The weights blob, embedded by weights.s. */\n"
       << "extern const uint8_t hmc_weights[];\n";
  }

  if (!graph.symbols.empty()) {
    os << "\nstatic const hmcrt_symbol_desc hmc_symbols[] = {\n";
    for (const Symbol &symbol : graph.symbols)
      os << "    {" << literal(symbol.name) << ", " << symbol.min << ", "
         << symbol.max << ", " << symbol.base + 1 << ", " << symbol.mul << ", "
         << symbol.add << ", " << symbol.div << ", " << symbol.post << "},\n";
    os << "};\n";
  }

  os << "\nstatic const hmcrt_buffer_desc hmc_buffers[] = {\n";
  for (size_t i = 0; i < graph.buffers.size(); ++i) {
    const Buffer &buffer = graph.buffers[i];
    os << "    /* " << i << " */ {" << literal(buffer.name) << ", "
       << buffer.dtype->cEnum << ", " << buffer.shape.size()
       << ", {"
       // ISO C has no empty initializer: a scalar gets one unused entry.
       << (buffer.shape.empty()
               ? "{-1, 0}"
               : joined(buffer.shape,
                        [](const Dim &d) {
                          return "{" + std::to_string(d.symbol) + ", " +
                                 std::to_string(d.value) + "}";
                        }))
       << "}, " << kStorage.at(buffer.storage) << ", " << buffer.ioIndex << ", "
       << buffer.weightOffset << "},\n";
  }
  os << "};\n\n";

  for (size_t i = 0; i < graph.kernels.size(); ++i)
    os << "static const int32_t hmc_kernel_args_" << i
       << "[] = " << indexArray(graph.kernels[i].args) << ";\n";
  os << "static const hmcrt_kernel_desc hmc_kernels[] = {\n";
  for (size_t i = 0; i < graph.kernels.size(); ++i) {
    const KernelCall &call = graph.kernels[i];
    os << "    {" << literal(call.name) << ", " << call.name << "_argv, "
       << call.args.size() << ", hmc_kernel_args_" << i;
    if (call.shortName.empty())
      os << ", NULL, 0, 0";
    else
      os << ", " << call.shortName << "_argv, " << call.shortSymbol + 1 << ", "
         << call.shortBelow;
    os << "},\n";
  }
  os << "};\n\n";

  if (!graph.inputs.empty())
    os << "static const int32_t hmc_input_buffers[] = "
       << indexArray(graph.inputs) << ";\n";
  os << "static const int32_t hmc_output_buffers[] = "
     << indexArray(graph.outputs) << ";\n\n";
  emitTensorInfos(os, graph, "input", graph.inputs, inputNames);
  emitTensorInfos(os, graph, "output", graph.outputs, outputNames);

  const std::string handle = name + "_handle";
  os << "\nstatic hmc_status hmc_create(const hmc_create_options *options, "
        "void **handle);\n"
     << "static void hmc_destroy(void *handle);\n"
     << "static hmc_status hmc_set_num_threads(void *handle, int32_t "
        "num_threads);\n"
     << "static hmc_status hmc_output_shapes(void *handle, const hmc_tensor "
        "*inputs, int32_t num_inputs, hmc_tensor *outputs, int32_t "
        "num_outputs);\n"
     << "static hmc_status hmc_run(void *handle, const hmc_tensor *inputs, "
        "int32_t num_inputs, hmc_tensor *outputs, int32_t num_outputs);\n"
     << "static const char *hmc_last_error(const void *handle);\n\n"
     << "/* The C name cannot be hmc_library_v1, which names the type; the "
        "asm label\n * gives the symbol that name. */\n"
     << "HMC_EXPORT const hmc_library_v1 hmc_descriptor "
        "__asm__(\"hmc_library_v1\") = {\n"
     << "    .abi_version = HMC_ABI_VERSION,\n"
     << "    .name = " << literal(name) << ",\n"
     << "    .hmc_version = " << literal(HMC_VERSION_STRING) << ",\n"
     << "    .target = hmc_target_name,\n"
     << "    .schedule_source = hmc_schedule_source,\n"
     << "    .num_inputs = " << graph.inputs.size() << ",\n"
     << "    .inputs = " << (graph.inputs.empty() ? "NULL" : "hmc_inputs")
     << ",\n"
     << "    .num_outputs = " << graph.outputs.size() << ",\n"
     << "    .outputs = hmc_outputs,\n"
     << "    .create = hmc_create,\n"
     << "    .destroy = hmc_destroy,\n"
     << "    .set_num_threads = hmc_set_num_threads,\n"
     << "    .output_shapes = hmc_output_shapes,\n"
     << "    .run = hmc_run,\n"
     << "    .last_error = hmc_last_error,\n"
     << "    .weights_bytes = " << graph.weightsSize << ",\n"
     << "    .weights_external = "
     << (embedWeights || !graph.weightsSize ? 0 : 1) << ",\n"
     << "};\n\n";

  os << "static const hmcrt_model_desc hmc_model = {\n"
     << "    .library = &hmc_descriptor,\n"
     << "    .num_symbols = " << graph.symbols.size() << ",\n"
     << "    .symbols = " << (graph.symbols.empty() ? "NULL" : "hmc_symbols")
     << ",\n"
     << "    .num_buffers = " << graph.buffers.size() << ",\n"
     << "    .buffers = hmc_buffers,\n"
     << "    .num_kernels = " << graph.kernels.size() << ",\n"
     << "    .kernels = hmc_kernels,\n"
     << "    .input_buffers = "
     << (graph.inputs.empty() ? "NULL" : "hmc_input_buffers") << ",\n"
     << "    .output_buffers = hmc_output_buffers,\n"
     << "    .weights = " << (embedded ? "hmc_weights" : "NULL") << ",\n"
     << "    .weights_size = " << graph.weightsSize << ",\n"
     << "    .target = &hmc_target,\n"
     << "};\n\n";

  os << "HMC_EXPORT hmc_status " << name
     << "_create(const hmc_create_options *options, " << handle
     << " **handle) {\n"
     << "  hmcrt_handle *created = NULL;\n"
     << "  hmc_status status =\n"
     << "      hmcrt_create(&hmc_model, options, handle ? &created : NULL);\n"
     << "  if (handle)\n"
     << "    *handle = (" << handle << " *)created;\n"
     << "  return status;\n"
     << "}\n\n"
     << "HMC_EXPORT void " << name << "_destroy(" << handle << " *handle) {\n"
     << "  hmcrt_destroy((hmcrt_handle *)handle);\n"
     << "}\n\n"
     << "HMC_EXPORT hmc_status " << name << "_set_num_threads(" << handle
     << " *handle, int32_t num_threads) {\n"
     << "  return hmcrt_set_num_threads((hmcrt_handle *)handle, "
        "num_threads);\n"
     << "}\n\n"
     << "HMC_EXPORT hmc_status " << name << "_output_shapes(" << handle
     << " *handle, const hmc_tensor *inputs, int32_t num_inputs, hmc_tensor "
        "*outputs, int32_t num_outputs) {\n"
     << "  return hmcrt_output_shapes((hmcrt_handle *)handle, inputs, "
        "num_inputs, outputs, num_outputs);\n"
     << "}\n\n"
     << "HMC_EXPORT hmc_status " << name << "_run(" << handle
     << " *handle, const hmc_tensor *inputs, int32_t num_inputs, hmc_tensor "
        "*outputs, int32_t num_outputs) {\n"
     << "  return hmcrt_run((hmcrt_handle *)handle, inputs, num_inputs, "
        "outputs, num_outputs);\n"
     << "}\n\n";
  if (gpu)
    os << "HMC_EXPORT hmc_status " << name << "_run_device(" << handle
       << " *handle, const hmc_tensor *inputs, int32_t num_inputs, "
          "hmc_tensor *outputs, int32_t num_outputs) {\n"
       << "  return hmcrt_run_device((hmcrt_handle *)handle, inputs, "
          "num_inputs, outputs, num_outputs);\n"
       << "}\n\n";
  os << "HMC_EXPORT const char *" << name << "_last_error(const " << handle
     << " *handle) {\n"
     << "  return hmcrt_last_error((const hmcrt_handle *)handle);\n"
     << "}\n\n"
     << "HMC_EXPORT const hmc_library_v1 *" << name << "_library(void) {\n"
     << "  return &hmc_descriptor;\n"
     << "}\n\n";

  // The descriptor's entries take void * handles; in C they convert
  // implicitly to the model's handle type.
  os << "static hmc_status hmc_create(const hmc_create_options *options, "
        "void **handle) {\n"
     << "  " << handle << " *created = NULL;\n"
     << "  hmc_status status = " << name
     << "_create(options, handle ? &created : NULL);\n"
     << "  if (handle)\n"
     << "    *handle = created;\n"
     << "  return status;\n"
     << "}\n"
     << "static void hmc_destroy(void *handle) { " << name
     << "_destroy(handle); }\n"
     << "static hmc_status hmc_set_num_threads(void *handle, int32_t "
        "num_threads) {\n"
     << "  return " << name << "_set_num_threads(handle, num_threads);\n"
     << "}\n"
     << "static hmc_status hmc_output_shapes(void *handle, const hmc_tensor "
        "*inputs, int32_t num_inputs, hmc_tensor *outputs, int32_t "
        "num_outputs) {\n"
     << "  return " << name
     << "_output_shapes(handle, inputs, num_inputs, outputs, num_outputs);\n"
     << "}\n"
     << "static hmc_status hmc_run(void *handle, const hmc_tensor *inputs, "
        "int32_t num_inputs, hmc_tensor *outputs, int32_t num_outputs) {\n"
     << "  return " << name
     << "_run(handle, inputs, num_inputs, outputs, num_outputs);\n"
     << "}\n"
     << "static const char *hmc_last_error(const void *handle) {\n"
     << "  return " << name << "_last_error(handle);\n"
     << "}\n";
  return os.str();
}

void emitPositions(std::ostringstream &os, const Graph &graph,
                   const std::string &name, const char *kind,
                   const char *upperKind, const std::vector<int32_t> &buffers,
                   const std::vector<std::string> &cNames) {
  os << "enum " << name << "_" << kind << " {\n";
  for (size_t i = 0; i < buffers.size(); ++i)
    os << "  /* " << describe(graph, graph.buffers[buffers[i]]) << " */\n"
       << "  " << name << "_" << upperKind << "_" << cNames[i] << " = " << i
       << ",\n";
  os << "  " << name << "_NUM_" << upperKind << "S = " << buffers.size()
     << "\n};\n\n";
}

std::string emitHeader(const Graph &graph, const std::string &target,
                       const std::vector<std::string> &inputNames,
                       const std::vector<std::string> &outputNames, bool gpu) {
  const std::string &name = graph.name;
  const std::string handle = name + "_handle";
  std::ostringstream os;
  os << "/* " << name << ".h: C API of the model \"" << name
     << "\", generated by hmc " << HMC_VERSION_STRING << " for target "
     << commentSafe(escape(target)) << ".\n"
     << " * Do not edit. The API is described in hmc's docs/c-api.md. */\n"
     << "#ifndef HMC_MODEL_" << name << "_H\n"
     << "#define HMC_MODEL_" << name << "_H\n\n"
     << kApiTypesText << "\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";

  if (!graph.symbols.empty()) {
    os << "/* Dynamic dimensions, bound at run time from the first input "
          "that uses them:\n";
    for (const Symbol &symbol : graph.symbols) {
      os << " *   " << commentSafe(escape(symbol.name)) << " in [" << symbol.min
         << ", " << symbol.max << "]";
      if (symbol.base >= 0)
        os << ", = floor(("
           << (symbol.mul == 1 ? "" : std::to_string(symbol.mul) + " ")
           << commentSafe(escape(graph.symbols[symbol.base].name)) << " + "
           << symbol.add << ") / " << symbol.div << ") + " << symbol.post;
      os << "\n";
    }
    os << " */\n\n";
  }

  os << "/* Inputs by position (the graph's name, dtype and shape). */\n";
  emitPositions(os, graph, name, "input", "INPUT", graph.inputs, inputNames);
  os << "/* Outputs by position (the graph's name, dtype and shape). */\n";
  emitPositions(os, graph, name, "output", "OUTPUT", graph.outputs,
                outputNames);

  os << "typedef struct " << handle << " " << handle << ";\n\n"
     << "/* Creates a handle. options may be NULL (all defaults). On error "
        "*handle is\n"
     << " * NULL and " << name
     << "_last_error(NULL) says why on this thread. */\n"
     << "hmc_status " << name << "_create(const hmc_create_options *options, "
     << handle << " **handle);\n\n"
     << "/* Frees the handle and everything it owns; NULL is ignored. */\n"
     << "void " << name << "_destroy(" << handle << " *handle);\n\n"
     << "/* Threads for this handle's runs; 0 = number of online CPUs. */\n"
     << "hmc_status " << name << "_set_num_threads(" << handle
     << " *handle, int32_t num_threads);\n\n"
     << "/* Fills dtype, rank and shape of every output for these inputs "
        "(their\n"
     << " * data may be NULL), so that the caller can allocate outputs. */\n"
     << "hmc_status " << name << "_output_shapes(" << handle
     << " *handle, const hmc_tensor *inputs,\n"
     << "    int32_t num_inputs, hmc_tensor *outputs, int32_t num_outputs);\n\n"
     << "/* Runs the model on the inputs, writing into the caller's outputs "
        "(data and\n"
     << " * size_bytes set by the caller). Tensors are in the order of the "
        "enums above. */\n"
     << "hmc_status " << name << "_run(" << handle
     << " *handle, const hmc_tensor *inputs,\n"
     << "    int32_t num_inputs, hmc_tensor *outputs, int32_t "
        "num_outputs);\n\n";
  if (gpu)
    os << "/* GPU library: like " << name
       << "_run, but every input's and output's data is a\n"
       << " * device pointer (a CUdeviceptr cast to void *), used in place; "
          "the outputs\n"
       << " * stay on the device. */\n"
       << "hmc_status " << name << "_run_device(" << handle
       << " *handle, const hmc_tensor *inputs,\n"
       << "    int32_t num_inputs, hmc_tensor *outputs, int32_t "
          "num_outputs);\n\n";
  os << "/* The message of the handle's last error (of this thread's last "
        "create when\n"
     << " * handle is NULL); valid until the next call on the handle. */\n"
     << "const char *" << name << "_last_error(const " << handle
     << " *handle);\n\n"
     << "/* The descriptor also exported as hmc_library_v1: names, infos, "
        "versions. */\n"
     << "const hmc_library_v1 *" << name << "_library(void);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n"
     << "#endif /* HMC_MODEL_" << name << "_H */\n";
  return os.str();
}

std::string emitWeightsAssembly(const std::string &name,
                                const std::string &path) {
  std::ostringstream os;
  os << "# Weights of model " << name << ", embedded by hmc: read-only, "
     << kWeightAlignment << "-byte aligned, hidden.\n"
     << "\t.section .rodata.hmc_weights,\"a\",@progbits\n"
     << "\t.balign " << kWeightAlignment << "\n"
     << "\t.globl hmc_weights\n"
     << "\t.hidden hmc_weights\n"
     << "\t.type hmc_weights, @object\n"
     << "hmc_weights:\n"
     << "\t.incbin " << literal(path) << "\n"
     << "\t.size hmc_weights, . - hmc_weights\n"
     << "\t.section .note.GNU-stack,\"\",@progbits\n";
  return os.str();
}

std::string emitVersionScript(const std::string &name, bool gpu) {
  std::ostringstream os;
  os << "/* Exports of model " << name << ": its C API and the descriptor. */\n"
     << "{\n  global:\n";
  for (const std::string &function : exportedFunctions(name, gpu))
    os << "    " << function << ";\n";
  os << "    hmc_library_v1;\n  local:\n    *;\n};\n";
  return os.str();
}

} // namespace

std::vector<std::string> exportedFunctions(const std::string &name, bool gpu) {
  std::vector<std::string> functions;
  for (const char *suffix : {"create", "destroy", "set_num_threads",
                             "output_shapes", "run", "last_error", "library"})
    functions.push_back(name + "_" + suffix);
  if (gpu)
    functions.push_back(name + "_run_device");
  return functions;
}

bool isGpuTarget(const std::string &target) {
  for (size_t start = 0; start <= target.size();) {
    size_t end = target.find('-', start);
    if (end == std::string::npos)
      end = target.size();
    if (target.compare(start, end - start, "cuda") == 0)
      return true;
    start = end + 1;
  }
  return false;
}

namespace {

// target.c of a CUDA library: Halide's CUDA runtime runs in the primary
// context of device 0, the one the CUDA runtime API (cudaMalloc, PyTorch)
// uses, so NAME_run_device takes their pointers; a missing driver or GPU
// becomes an error message, reported by create.
constexpr const char *kCudaContextSource = R"c(#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct CUctx_st;
struct halide_device_interface_t;
/* In the library's Halide runtime. */
extern const struct halide_device_interface_t *halide_cuda_device_interface(void);
extern void halide_error(void *user_context, const char *message);
typedef int (*hmc_acquire_fn)(void *, struct CUctx_st **, bool);
typedef int (*hmc_release_fn)(void *);
extern hmc_acquire_fn halide_set_cuda_acquire_context(hmc_acquire_fn handler);
extern hmc_release_fn halide_set_cuda_release_context(hmc_release_fn handler);

static struct CUctx_st *hmc_cuda_context;
static pthread_mutex_t hmc_cuda_lock = PTHREAD_MUTEX_INITIALIZER;

static void *hmc_cuda_library(void) {
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  return lib ? lib : dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
}

typedef int (*hmc_launch_fn)(void *, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, void *, void **,
                             void **);
static hmc_launch_fn hmc_cuda_launch;

/* Halide launches a GPU loop whatever its extent, while on the CPU a loop of
 * no iterations (a region bounds inference found empty, such as positions
 * past the table at short lengths) runs nothing; the driver refuses a grid
 * of zero or "negative" blocks. Such a launch has nothing to do. */
static int hmc_cuda_launch_nonempty(void *f, unsigned gx, unsigned gy,
                                    unsigned gz, unsigned bx, unsigned by,
                                    unsigned bz, unsigned shared, void *stream,
                                    void **params, void **extra) {
  if ((int)gx <= 0 || (int)gy <= 0 || (int)gz <= 0)
    return 0;
  return hmc_cuda_launch(f, gx, gy, gz, bx, by, bz, shared, stream, params,
                         extra);
}

/* Replaces the Halide runtime's weak lookup of driver functions: the driver
 * is libcuda.so.1 (Halide looks for libcuda.so, which only the development
 * package installs), and cuLaunchKernel skips empty grids. */
void *halide_cuda_get_symbol(void *user_context, const char *name) {
  (void)user_context;
  static void *lib;
  if (!lib && !(lib = hmc_cuda_library()))
    return NULL;
  void *symbol = dlsym(lib, name);
  if (symbol && strcmp(name, "cuLaunchKernel") == 0) {
    hmc_cuda_launch = (hmc_launch_fn)symbol;
    return (void *)hmc_cuda_launch_nonempty;
  }
  return symbol;
}

static const char *hmc_cuda_open(void) {
  static char message[256];
  void *lib = hmc_cuda_library();
  if (!lib)
    return "libcuda.so not found (the NVIDIA driver is not installed)";
  int (*init)(unsigned) = (int (*)(unsigned))dlsym(lib, "cuInit");
  int (*device_get)(int *, int) = (int (*)(int *, int))dlsym(lib, "cuDeviceGet");
  int (*retain)(struct CUctx_st **, int) =
      (int (*)(struct CUctx_st **, int))dlsym(lib, "cuDevicePrimaryCtxRetain");
  if (!init || !device_get || !retain)
    return "libcuda.so lacks cuInit, cuDeviceGet or cuDevicePrimaryCtxRetain";
  int device, err = init(0);
  if (err != 0) {
    snprintf(message, sizeof(message), "cuInit failed with CUDA error %d%s",
             err, err == 100 ? " (no CUDA-capable device)"
                  : err == 35 ? " (the driver is older than CUDA needs)" : "");
    return message;
  }
  if ((err = device_get(&device, 0)) != 0 ||
      (err = retain(&hmc_cuda_context, device)) != 0) {
    snprintf(message, sizeof(message),
             "cannot open device 0: CUDA error %d", err);
    return message;
  }
  return NULL;
}

static int hmc_cuda_acquire(void *user_context, struct CUctx_st **ctx,
                            bool create) {
  const char *error = NULL;
  pthread_mutex_lock(&hmc_cuda_lock);
  if (!hmc_cuda_context && create)
    error = hmc_cuda_open();
  *ctx = hmc_cuda_context;
  pthread_mutex_unlock(&hmc_cuda_lock);
  if (error) {
    halide_error(user_context, error);
    return -1;
  }
  return 0;
}

static int hmc_cuda_release(void *user_context) {
  (void)user_context;
  return 0;
}

static pthread_once_t hmc_cuda_once = PTHREAD_ONCE_INIT;

static void hmc_cuda_hooks(void) {
  halide_set_cuda_acquire_context(hmc_cuda_acquire);
  halide_set_cuda_release_context(hmc_cuda_release);
}

static const struct halide_device_interface_t *hmc_cuda_interface(void) {
  pthread_once(&hmc_cuda_once, hmc_cuda_hooks);
  return halide_cuda_device_interface();
}

)c";

} // namespace

Status emitTargetSource(const json &root, std::string &out) {
  std::ostringstream os;
  try {
    if (!root.is_object())
      fail("target.json", "expected a JSON object");
    const std::string &target =
        string(member(root, "target", "target.json"), "target");
    const json &features =
        array(member(root, "cpu_features", "target.json"), "cpu_features");
    // Which kernels use tuned schedules; older hmc-halide wrote none.
    std::string scheduleSource =
        root.contains("schedule_source")
            ? string(root["schedule_source"], "schedule_source")
            : "default";
    // "gpu": the GPU API of the kernels ("cuda"), absent for the CPU.
    std::string gpu;
    if (root.contains("gpu"))
      gpu = string(root["gpu"], "gpu");
    if (!gpu.empty() && gpu != "cuda")
      fail("gpu", "unsupported GPU API '" + gpu + "' (expected cuda)");
    os << "/* The kernels' target, from hmc-halide's target.json. Generated "
       << "by hmc " << HMC_VERSION_STRING << "; do not edit. */\n"
       << "#include \"hmc/runtime.h\"\n\n";
    if (!gpu.empty())
      os << kCudaContextSource;
    if (!features.empty()) {
      os << "static const hmcrt_cpu_feature hmc_cpu_features[] = {\n";
      for (size_t i = 0; i < features.size(); ++i) {
        std::string where = at("cpu_features", i);
        int64_t id =
            nonNegative(member(features[i], "id", where), at(where, "id"));
        if (id > INT32_MAX)
          fail(at(where, "id"), "out of range");
        os << "    {" << id << ", "
           << literal(
                  string(member(features[i], "name", where), at(where, "name")))
           << "},\n";
      }
      os << "};\n\n";
    }
    // The descriptor reports the resolved target through this name.
    os << "const char hmc_target_name[] = " << literal(target) << ";\n"
       << "const char hmc_schedule_source[] = " << literal(scheduleSource)
       << ";\n\n"
       << "const hmcrt_target_desc hmc_target = {\n"
       << "    .name = hmc_target_name,\n"
       << "    .num_cpu_features = " << features.size() << ",\n"
       << "    .cpu_features = "
       << (features.empty() ? "NULL" : "hmc_cpu_features") << ",\n";
    if (!gpu.empty())
      os << "    .gpu_api = " << literal(gpu) << ",\n"
         << "    .gpu_interface = hmc_cuda_interface,\n";
    os << "};\n";
  } catch (const SchemaError &error) {
    return Status::error(std::string("invalid target.json from hmc-halide: ") +
                         error.what());
  }
  out = os.str();
  return Status::success();
}

Status emitHostProgram(const json &root, const HostProgramOptions &options,
                       HostProgram &out) {
  Graph graph;
  try {
    graph = parseGraph(root);
  } catch (const SchemaError &error) {
    return Status::error(std::string("invalid kernel graph: ") + error.what());
  }
  // Kernels keep the graph's names whatever the library is called.
  const std::string kernelPrefix = graph.name + "_";
  if (!options.name.empty())
    graph.name = options.name;
  if (Status status = validateModelName(graph.name); !status.ok())
    return status;

  // A kernel's symbols (K, K_argv, K_metadata) share the library's namespace.
  std::vector<std::string> kernelNames;
  std::set<std::string> exports;
  std::string target = !options.target.empty() ? options.target
                       : !graph.target.empty() ? graph.target
                                               : "host";
  const bool gpu = isGpuTarget(target);
  for (const std::string &function : exportedFunctions(graph.name, gpu))
    exports.insert(function);
  for (const KernelCall &call : graph.kernels) {
    // Model-prefixed kernel names cannot capture libc or runtime symbols in
    // the static link.
    if (call.name.rfind(kernelPrefix, 0) != 0)
      return Status::error("kernel \"" + call.name +
                           "\" must start with the graph name \"" +
                           kernelPrefix + "\"");
    if (std::find(kernelNames.begin(), kernelNames.end(), call.name) !=
        kernelNames.end())
      continue;
    for (const char *suffix : {"", "_argv", "_metadata"})
      if (exports.count(call.name + suffix))
        return Status::error("kernel \"" + call.name +
                             "\" clashes with the exported function " +
                             call.name + suffix);
    kernelNames.push_back(call.name);
    if (!call.shortName.empty()) {
      if (call.shortName.rfind(kernelPrefix, 0) != 0)
        return Status::error("kernel \"" + call.shortName +
                             "\" must start with the graph name \"" +
                             kernelPrefix + "\"");
      kernelNames.push_back(call.shortName);
    }
  }

  std::vector<std::string> ioNames = graphNames(graph, graph.inputs);
  std::vector<std::string> outputs = graphNames(graph, graph.outputs);
  ioNames.insert(ioNames.end(), outputs.begin(), outputs.end());
  std::vector<std::string> sanitized = sanitizeIdentifiers(ioNames);
  std::vector<std::string> inputNames(sanitized.begin(),
                                      sanitized.begin() + graph.inputs.size());
  std::vector<std::string> outputNames(sanitized.begin() + graph.inputs.size(),
                                       sanitized.end());

  out = HostProgram();
  out.name = graph.name;
  out.source = emitSource(graph, options.embedWeights, gpu, inputNames,
                          outputNames, kernelNames);
  out.header = emitHeader(graph, target, inputNames, outputNames, gpu);
  if (graph.weightsSize) {
    out.weightsPath =
        std::filesystem::absolute(std::filesystem::path(options.graphDir) /
                                  graph.weightsFile)
            .lexically_normal()
            .string();
    out.weightsSize = graph.weightsSize;
    if (options.embedWeights)
      out.weightsAssembly = emitWeightsAssembly(graph.name, out.weightsPath);
  }
  out.versionScript = emitVersionScript(graph.name, gpu);
  out.kernels = std::move(kernelNames);
  return Status::success();
}

} // namespace hmc::backend
