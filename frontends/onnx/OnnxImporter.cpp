//===- OnnxImporter.cpp - ONNX ModelProto -> hm dialect -------------------===//
//
// Imports a torch.onnx-style graph into one func.func of hm ops. Shape
// plumbing (Shape, Gather, Concat, Unsqueeze, Range, ...) is evaluated at
// compile time over symbolic dimensions, so the IR holds only the tensor
// computation, with dynamic batch and sequence dimensions preserved.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporter.h"
#include "SymbolicDim.h"

#include "hm/HMDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <type_traits>

using namespace mlir;

namespace hmc {
namespace {

using onnx_import::shapeToString;
using onnx_import::SymbolicDim;
using onnx_import::SymbolicShape;

constexpr int kMinOpset = kMinOnnxOpset;
constexpr int kMaxOpset = kMaxOnnxOpset;
// Initializers up to this many elements print inline; larger ones become
// dense_resource blobs.
constexpr int64_t kInlineConstantLimit = 16;
// Declared sizes beyond this are rejected before anything is allocated.
constexpr int64_t kMaxElements = int64_t(1) << 34;
// The largest multiple of a dimension a derived one may be (2T - 1).
constexpr int64_t kMaxDimMultiple = 64;

enum class DType { F32, F64, I32, I64, Bool };

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::Bool:
    return 1;
  }
  return 0;
}

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "float32";
  case DType::F64:
    return "float64";
  case DType::I32:
    return "int32";
  case DType::I64:
    return "int64";
  case DType::Bool:
    return "bool";
  }
  return "?";
}

std::optional<DType> dtypeFromOnnx(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return DType::F32;
  case onnx::TensorProto::DOUBLE:
    return DType::F64;
  case onnx::TensorProto::INT32:
    return DType::I32;
  case onnx::TensorProto::INT64:
    return DType::I64;
  case onnx::TensorProto::BOOL:
    return DType::Bool;
  default:
    return std::nullopt;
  }
}

std::string onnxTypeName(int32_t type) {
  if (onnx::TensorProto::DataType_IsValid(type))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(type));
  return "type " + std::to_string(type);
}

Type elementType(MLIRContext *context, DType dtype) {
  Builder b(context);
  switch (dtype) {
  case DType::F32:
    return b.getF32Type();
  case DType::F64:
    return b.getF64Type();
  case DType::I32:
    return b.getI32Type();
  case DType::I64:
    return b.getI64Type();
  case DType::Bool:
    return b.getI1Type();
  }
  return {};
}

bool isFloat(DType dtype) { return dtype == DType::F32 || dtype == DType::F64; }
bool isInteger(DType dtype) {
  return dtype == DType::I32 || dtype == DType::I64;
}

// A tensor whose contents are known at compile time.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  double getDouble(int64_t i) const {
    switch (dtype) {
    case DType::F32:
      return reinterpret_cast<const float *>(bytes.data())[i];
    case DType::F64:
      return reinterpret_cast<const double *>(bytes.data())[i];
    case DType::I32:
      return reinterpret_cast<const int32_t *>(bytes.data())[i];
    case DType::I64:
      return static_cast<double>(
          reinterpret_cast<const int64_t *>(bytes.data())[i]);
    case DType::Bool:
      return bytes[i] != 0;
    }
    return 0;
  }
  int64_t getInt(int64_t i) const {
    switch (dtype) {
    case DType::I32:
      return reinterpret_cast<const int32_t *>(bytes.data())[i];
    case DType::I64:
      return reinterpret_cast<const int64_t *>(bytes.data())[i];
    case DType::Bool:
      return bytes[i] != 0;
    default:
      return static_cast<int64_t>(getDouble(i));
    }
  }
  // Compile-time integers saturate (ONNX leaves a float beyond the range
  // undefined).
  void setFromDouble(int64_t i, double v) {
    switch (dtype) {
    case DType::F32:
      reinterpret_cast<float *>(bytes.data())[i] = static_cast<float>(v);
      break;
    case DType::F64:
      reinterpret_cast<double *>(bytes.data())[i] = v;
      break;
    case DType::I32:
    case DType::I64:
      setFromInt(i, v >= 0x1p63    ? INT64_MAX
                    : v <= -0x1p63 ? INT64_MIN
                    : v == v       ? static_cast<int64_t>(v)
                                   : 0);
      break;
    case DType::Bool:
      bytes[i] = v != 0;
      break;
    }
  }
  // Exact for integers: a double holds only 53 bits (INT64_MAX, the
  // exporters' "to the end" bound, would not survive); int32 keeps the low
  // bits, as ONNX Cast narrows.
  void setFromInt(int64_t i, int64_t v) {
    switch (dtype) {
    case DType::I32:
      reinterpret_cast<int32_t *>(bytes.data())[i] =
          static_cast<int32_t>(static_cast<uint32_t>(v));
      break;
    case DType::I64:
      reinterpret_cast<int64_t *>(bytes.data())[i] = v;
      break;
    default:
      setFromDouble(i, static_cast<double>(v));
    }
  }
};

// What the importer knows about one ONNX value.
struct Entry {
  DType dtype = DType::F32;
  SymbolicShape shape;
  Value value;                            // the IR value, once materialised
  std::optional<HostTensor> host;         // compile-time contents
  std::optional<SymbolicShape> intValues; // integer tensor of rank <= 1
                                          // whose elements are dimensions
  std::optional<SymbolicDim> iotaLength;  // Range(0, length, 1)
  std::string name;
};

class Importer {
public:
  // `bytes` is the model; `fromFile` says whether `path` is its file, which
  // external data is resolved against.
  Importer(MLIRContext &context, std::string path, llvm::StringRef bytes,
           bool fromFile)
      : context(context), builder(&context), path(std::move(path)),
        bytes(bytes), fromFile(fromFile) {}

  OwningOpRef<ModuleOp> run();

private:
  using Handler = std::function<LogicalResult(const onnx::NodeProto &)>;

  // Model loading.
  LogicalResult loadModel();
  // Replaces calls of the model's local functions (torch's
  // export_modules_as_functions) by their bodies.
  LogicalResult inlineFunctions();
  LogicalResult checkOperatorSupport();
  static const OnnxOpSupport *supportOf(const std::string &opType);
  // Whether the importer takes this node's operator at the model's opset.
  bool supported(const onnx::NodeProto &node) const;
  LogicalResult loadTensor(const onnx::TensorProto &proto, Location loc,
                           HostTensor &out);
  LogicalResult declareInputs(func::FuncOp &func);
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult finish(func::FuncOp func);

  // Diagnostics.
  Location nodeLoc(const onnx::NodeProto &node) {
    std::string name = node.name().empty()
                           ? node.op_type() + " producing '" +
                                 (node.output_size() ? node.output(0) : "") +
                                 "'"
                           : node.name();
    return NameLoc::get(builder.getStringAttr(name), fileLoc());
  }
  Location fileLoc() { return FileLineColLoc::get(&context, path, 0, 0); }
  InFlightDiagnostic error(const onnx::NodeProto &node) {
    return emitError(nodeLoc(node)) << node.op_type() << ": ";
  }
  InFlightDiagnostic unsupportedType(const onnx::NodeProto &node, DType dtype) {
    auto diag = error(node);
    diag << dtypeName(dtype) << " operands are not supported";
    if (dtype == DType::F64)
      diag << " (export the model in float32)";
    return diag;
  }

  // Values.
  Entry *lookup(const onnx::NodeProto &node, int index);
  Value materialise(const onnx::NodeProto &node, Entry &entry);
  void define(const onnx::NodeProto &node, int index, Entry entry);
  Entry tensorEntry(Value value, DType dtype, SymbolicShape shape) {
    Entry entry;
    entry.value = value;
    entry.dtype = dtype;
    entry.shape = std::move(shape);
    return entry;
  }
  RankedTensorType tensorType(DType dtype, const SymbolicShape &shape);
  std::optional<std::vector<int64_t>> constInts(Entry *entry);

  // Symbols.
  std::string findSymbol(const std::string &name);
  SymbolicDim canonical(const SymbolicDim &dim) {
    return dim.renamed([&](const std::string &s) { return findSymbol(s); });
  }
  // Shows two dimensions equal, unifying two input symbols if need be.
  bool unifyDims(SymbolicDim a, SymbolicDim b, SymbolicDim &out);
  LogicalResult unify(const onnx::NodeProto &node, SymbolicDim a, SymbolicDim b,
                      SymbolicDim &out);
  LogicalResult broadcast(const onnx::NodeProto &node, const SymbolicShape &a,
                          const SymbolicShape &b, SymbolicShape &out);
  Attribute dimAttr(const SymbolicDim &dim);
  ArrayAttr shapeAttr(const SymbolicShape &shape);

  // Op handlers.
  void registerHandlers();
  LogicalResult importConstant(const onnx::NodeProto &node);
  LogicalResult importShape(const onnx::NodeProto &node);
  LogicalResult importGather(const onnx::NodeProto &node);
  LogicalResult importScatterNd(const onnx::NodeProto &node);
  LogicalResult importGatherElements(const onnx::NodeProto &node);
  LogicalResult importUnsqueeze(const onnx::NodeProto &node, bool squeeze);
  LogicalResult importConcat(const onnx::NodeProto &node);
  LogicalResult importDataConcat(const onnx::NodeProto &node);
  LogicalResult importCast(const onnx::NodeProto &node);
  LogicalResult importBinary(const onnx::NodeProto &node);
  LogicalResult importUnary(const onnx::NodeProto &node);
  LogicalResult importSlice(const onnx::NodeProto &node);
  LogicalResult importRange(const onnx::NodeProto &node);
  LogicalResult importReshape(const onnx::NodeProto &node);
  LogicalResult importFlatten(const onnx::NodeProto &node);
  LogicalResult importTranspose(const onnx::NodeProto &node);
  LogicalResult importMatMul(const onnx::NodeProto &node);
  LogicalResult importGemm(const onnx::NodeProto &node);
  LogicalResult importConstantOfShape(const onnx::NodeProto &node);
  LogicalResult importHostSlice(const onnx::NodeProto &node,
                                const HostTensor &data,
                                const std::vector<int64_t> &starts,
                                const std::vector<int64_t> &ends,
                                const std::vector<int64_t> &axes,
                                const std::vector<int64_t> &steps);
  // pe[:, a - T : b + T] of a static axis (ESPnet's relative positions).
  LogicalResult
  importMovingWindow(const onnx::NodeProto &node, Entry &data,
                     Entry &startsEntry, Entry *endsEntry,
                     const std::optional<std::vector<int64_t>> &axes,
                     const std::optional<std::vector<int64_t>> &steps);
  LogicalResult importPad(const onnx::NodeProto &node);
  LogicalResult importPool(const onnx::NodeProto &node);
  LogicalResult importConv(const onnx::NodeProto &node);
  LogicalResult importActivation(const onnx::NodeProto &node);
  LogicalResult importVariadic(const onnx::NodeProto &node);
  LogicalResult importWhere(const onnx::NodeProto &node);
  LogicalResult importCompare(const onnx::NodeProto &node);
  LogicalResult importLogical(const onnx::NodeProto &node);
  LogicalResult importExpand(const onnx::NodeProto &node);
  // The elements of a vector of dimensions or integer constants (shape
  // plumbing), or nothing when `entry` is not one.
  std::optional<SymbolicShape> dimValues(Entry *entry);
  LogicalResult importSoftmax(const onnx::NodeProto &node);
  LogicalResult importSplit(const onnx::NodeProto &node);
  LogicalResult importBatchNorm(const onnx::NodeProto &node);
  LogicalResult importGroupNorm(const onnx::NodeProto &node);
  LogicalResult importRmsNorm(const onnx::NodeProto &node);
  std::optional<HostTensor> hostOf(Entry *entry);
  // A dimension floor((mul dim + add) / div) + post; a dynamic one becomes
  // a derived symbol computed at run time.
  FailureOr<SymbolicDim> deriveDim(const onnx::NodeProto &node,
                                   const SymbolicDim &dim, int64_t add,
                                   int64_t div, int64_t post, int64_t mul = 1);
  LogicalResult importEinsum(const onnx::NodeProto &node);
  LogicalResult importLayerNorm(const onnx::NodeProto &node);
  LogicalResult importReduce(const onnx::NodeProto &node);
  LogicalResult importArgExtremum(const onnx::NodeProto &node);
  LogicalResult importCumSum(const onnx::NodeProto &node);
  LogicalResult importTile(const onnx::NodeProto &node);
  LogicalResult importClip(const onnx::NodeProto &node);
  Value binaryOp(const std::string &op, Location loc, RankedTensorType type,
                 Value lhs, Value rhs);
  LogicalResult importIdentity(const onnx::NodeProto &node);
  LogicalResult importIf(const onnx::NodeProto &node);
  LogicalResult defineReshaped(const onnx::NodeProto &node, Entry &input,
                               const SymbolicShape &shape);
  LogicalResult definePrefix(const onnx::NodeProto &node, Entry &data,
                             int64_t axis, const SymbolicDim &length);
  // A tensor with `dim` at `axis` from which the run-time size is read: an
  // input, or a value computed from one; nothing for other dimensions.
  std::optional<std::pair<Value, int64_t>> dimOrigin(const SymbolicDim &dim);
  // A dynamic dimension as run-time data of `shape`: hm.dim_size of the
  // input that has it, or of the symbol it is derived from, then the
  // derivation's arithmetic; null if it is neither.
  Value dimAsData(const onnx::NodeProto &node, const SymbolicDim &dim,
                  DType dtype, const SymbolicShape &shape);
  // 0, 1, ..., length - 1 as a run-time vector (hm.iota).
  Value iota(const onnx::NodeProto &node, const SymbolicDim &length,
             DType dtype);
  // A tensor of `shape` filled with `value`; its dynamic dimensions come
  // from broadcasting against vectors of those run-time lengths.
  Value filled(const onnx::NodeProto &node, DType dtype,
               const SymbolicShape &shape, double value);

  MLIRContext &context;
  OpBuilder builder;
  std::string path;
  llvm::StringRef bytes;
  bool fromFile;
  onnx::ModelProto model;
  int opset = 0;
  std::map<std::string, Entry> values;
  std::map<std::string, Handler> handlers;
  std::map<std::string, std::string> symbolParent;
  std::map<std::string, int> symbolOrder;
  // Where each input symbol can be read: (function argument, dimension).
  std::map<std::string, std::pair<Value, int64_t>> symbolOrigin;
  std::vector<std::string> inputNames;
  std::set<std::string> usedBlobNames;
  // Values some node or the graph's outputs read.
  std::set<std::string> consumed;
  // floor((mul base + add) / div) + post of an earlier symbol.
  struct DerivedSymbol {
    std::string name, base;
    int64_t mul, add, div, post;
  };
  std::vector<DerivedSymbol> derivedSymbols;
  // The derived symbol `dim` names when it is base + c (a padded length),
  // or null.
  const DerivedSymbol *sumOf(const SymbolicDim &dim) {
    const DerivedSymbol *d = affineOf(dim);
    return d && d->mul == 1 ? d : nullptr;
  }
  // The derived symbol `dim` names when it is mul base + c (the 2T - 1
  // relative positions of a length T), or null.
  const DerivedSymbol *affineOf(const SymbolicDim &dim) {
    if (dim.getSymbols().size() != 1 || dim.getCoefficient() != 1)
      return nullptr;
    for (const DerivedSymbol &d : derivedSymbols)
      if (d.div == 1 && findSymbol(d.name) == dim.getSymbols()[0])
        return &d;
    return nullptr;
  }
  // The largest value a symbol may take (a window of a stored table).
  std::map<std::string, int64_t> symbolBounds;
  // A value holding each derived dimension, and its axis (for prefixes).
  std::map<std::string, std::pair<Value, int64_t>> derivedOrigin;
  void recordDerivedOrigins(Value value, const SymbolicShape &shape) {
    for (auto [axis, dim] : llvm::enumerate(shape))
      if (dim.getSymbols().size() == 1 && dim.getCoefficient() == 1 &&
          !symbolOrigin.count(dim.getSymbols()[0]))
        derivedOrigin.try_emplace(dim.getSymbols()[0], value,
                                  static_cast<int64_t>(axis));
  }
};

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

LogicalResult Importer::loadModel() {
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return emitError(fileLoc())
           << "not a valid ONNX model (the protobuf does not parse; the file "
              "may be truncated or of another format)";
  if (!model.has_graph() || model.graph().output_size() == 0)
    return emitError(fileLoc())
           << "not a valid ONNX model (no graph, or a graph without outputs)";
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = static_cast<int>(import.version());
  if (opset == 0)
    return emitError(fileLoc()) << "the model declares no default-domain opset";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc())
           << "opset " << opset << " is not supported (supported: " << kMinOpset
           << " to " << kMaxOpset << ")";
  if (failed(inlineFunctions()))
    return failure();
  // ONNX 1.12's checker knows opsets up to 17; newer models are checked by
  // the importer's own validation as it goes.
  if (opset <= 17) {
    try {
      onnx::checker::CheckerContext checkerContext;
      checkerContext.set_ir_version(static_cast<int>(model.ir_version()));
      std::unordered_map<std::string, int> opsets;
      for (const auto &import : model.opset_import())
        opsets[import.domain()] = static_cast<int>(import.version());
      checkerContext.set_opset_imports(opsets);
      checkerContext.set_model_dir(llvm::sys::path::parent_path(path).str());
      onnx::checker::LexicalScopeContext lex;
      // The checker wants every graph input and output shaped; ONNX Runtime
      // does not, and tools leave outputs unshaped (onnx.utils.Extractor).
      // The importer computes output shapes and names an unshaped input.
      auto unshaped = [](const onnx::ValueInfoProto &info) {
        return info.type().has_tensor_type() &&
               !info.type().tensor_type().has_shape();
      };
      const onnx::GraphProto *checked = &model.graph();
      std::optional<onnx::GraphProto> shaped;
      if (llvm::any_of(checked->input(), unshaped) ||
          llvm::any_of(checked->output(), unshaped)) {
        shaped = model.graph();
        for (auto *infos : {shaped->mutable_input(), shaped->mutable_output()})
          for (onnx::ValueInfoProto &info : *infos)
            if (unshaped(info))
              info.mutable_type()->mutable_tensor_type()->mutable_shape();
        checked = &*shaped;
      }
      onnx::checker::check_graph(*checked, checkerContext, lex);
    } catch (const std::exception &e) {
      std::string message = e.what();
      // The checker also validates operator schemas; unknown operators are
      // reported together by checkOperatorSupport instead.
      if (message.find("No Op registered") == std::string::npos &&
          message.find("No opset import") == std::string::npos)
        return emitError(fileLoc()) << "invalid ONNX model: " << message;
    }
  }
  return success();
}

LogicalResult Importer::inlineFunctions() {
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto *>
      functions;
  for (const onnx::FunctionProto &function : model.functions())
    functions[{function.domain(), function.name()}] = &function;
  if (functions.empty())
    return success();
  google::protobuf::RepeatedPtrField<onnx::NodeProto> inlined;
  std::set<std::string> prefixes;
  // Functions may call functions; a cycle would never end.
  constexpr int kMaxNesting = 64;
  std::function<LogicalResult(const onnx::NodeProto &, int)> expand =
      [&](const onnx::NodeProto &call, int nesting) -> LogicalResult {
    auto found = functions.find({call.domain(), call.op_type()});
    if (found == functions.end()) {
      *inlined.Add() = call;
      return success();
    }
    const onnx::FunctionProto &function = *found->second;
    std::string where = "node '" + call.name() + "' calls local function '" +
                        function.domain() + "." + function.name() + "'";
    if (nesting == kMaxNesting)
      return emitError(fileLoc())
             << "local function '" << function.domain() << "."
             << function.name() << "' is called " << kMaxNesting
             << " calls deep (does it call itself?)";
    for (const auto &import : function.opset_import())
      if ((import.domain().empty() || import.domain() == "ai.onnx") &&
          import.version() != opset)
        return emitError(fileLoc()) << where << " of opset " << import.version()
                                    << ", not the model's " << opset;
    if (call.input_size() > function.input_size() ||
        call.output_size() > function.output_size())
      return emitError(fileLoc()) << where << " with more inputs or outputs "
                                  << "than the function declares";
    // Values inside the body get the call's name as a prefix (unique per
    // call); its formal inputs and outputs become the call's.
    const std::string &base =
        call.name().empty() ? function.name() : call.name();
    std::string prefix = base;
    for (int copy = 1; !prefixes.insert(prefix).second; ++copy)
      prefix = base + "#" + std::to_string(copy);
    prefix += "/";
    // An output the call leaves empty still exists inside the body.
    std::map<std::string, std::string> inputs, outputs;
    for (int i = 0; i < function.input_size(); ++i)
      inputs[function.input(i)] = i < call.input_size() ? call.input(i) : "";
    for (int i = 0; i < function.output_size(); ++i)
      outputs[function.output(i)] =
          i < call.output_size() && !call.output(i).empty()
              ? call.output(i)
              : prefix + function.output(i);
    auto rename = [&](const std::string &name, bool produced) {
      if (name.empty())
        return name;
      if (auto input = inputs.find(name); !produced && input != inputs.end())
        return input->second;
      auto output = outputs.find(name);
      return output != outputs.end() ? output->second : prefix + name;
    };
    // A function output that is one of its inputs: a copy.
    for (const auto &[formal, actual] : outputs)
      if (inputs.count(formal) && !inputs[formal].empty()) {
        onnx::NodeProto copy;
        copy.set_op_type("Identity");
        copy.set_name(prefix + formal);
        copy.add_input(inputs[formal]);
        copy.add_output(actual);
        *inlined.Add() = copy;
      }
    for (const onnx::NodeProto &body : function.node()) {
      onnx::NodeProto node = body;
      node.set_name(prefix + body.name());
      for (std::string &input : *node.mutable_input())
        input = rename(input, false);
      for (std::string &output : *node.mutable_output())
        output = rename(output, true);
      // Attributes that refer to the call's.
      google::protobuf::RepeatedPtrField<onnx::AttributeProto> attributes;
      for (const onnx::AttributeProto &attribute : body.attribute()) {
        if (attribute.ref_attr_name().empty()) {
          *attributes.Add() = attribute;
          continue;
        }
        const onnx::AttributeProto *value = nullptr;
        for (const onnx::AttributeProto &given : call.attribute())
          if (given.name() == attribute.ref_attr_name())
            value = &given;
        if (!value)
          continue; // unset: the operator's own default
        onnx::AttributeProto *bound = attributes.Add();
        *bound = *value;
        bound->set_name(attribute.name());
      }
      node.mutable_attribute()->Swap(&attributes);
      if (failed(expand(node, nesting + 1)))
        return failure();
    }
    return success();
  };
  for (const onnx::NodeProto &node : model.graph().node())
    if (failed(expand(node, 0)))
      return failure();
  model.mutable_graph()->mutable_node()->Swap(&inlined);
  return success();
}

const OnnxOpSupport *Importer::supportOf(const std::string &opType) {
  for (const OnnxOpSupport &op : supportedOnnxOps())
    if (op.opType == opType)
      return &op;
  return nullptr;
}

bool Importer::supported(const onnx::NodeProto &node) const {
  const OnnxOpSupport *support =
      node.domain().empty() || node.domain() == "ai.onnx"
          ? supportOf(node.op_type())
          : nullptr;
  return support && opset >= support->minOpset && opset <= support->maxOpset;
}

LogicalResult Importer::checkOperatorSupport() {
  // One diagnostic listing every unsupported operator with its nodes.
  std::map<std::string, std::vector<std::string>> unsupported;
  for (const auto &node : model.graph().node()) {
    if (!supported(node)) {
      std::string type = node.domain().empty()
                             ? node.op_type()
                             : node.domain() + "." + node.op_type();
      unsupported[type].push_back(node.name().empty() ? "<unnamed>"
                                                      : node.name());
    }
  }
  if (unsupported.empty())
    return success();
  auto diag = emitError(fileLoc());
  diag << unsupported.size() << " unsupported ONNX operator type"
       << (unsupported.size() == 1 ? "" : "s") << " (model opset " << opset
       << "):";
  for (const auto &[type, nodes] : unsupported) {
    diag << "\n  " << type << " (" << nodes.size() << " node"
         << (nodes.size() == 1 ? "" : "s") << "): ";
    for (size_t i = 0; i < nodes.size() && i < 8; ++i)
      diag << (i ? ", " : "") << "'" << nodes[i] << "'";
    if (nodes.size() > 8)
      diag << ", and " << nodes.size() - 8 << " more";
  }
  diag << "\nsee docs/supported-ops.md for the operators hmc imports";
  return failure();
}

LogicalResult Importer::loadTensor(const onnx::TensorProto &proto, Location loc,
                                   HostTensor &out) {
  auto dtype = dtypeFromOnnx(proto.data_type());
  if (!dtype)
    return emitError(loc) << "tensor '" << proto.name()
                          << "' has unsupported element type "
                          << onnxTypeName(proto.data_type());
  out.dtype = *dtype;
  out.shape.assign(proto.dims().begin(), proto.dims().end());
  int64_t count = 1;
  for (int64_t d : out.shape) {
    if (d < 0 || (d > 0 && count > kMaxElements / d))
      return emitError(loc) << "tensor '" << proto.name()
                            << "' declares an invalid or too large shape";
    count *= d;
  }
  size_t bytes = static_cast<size_t>(count) * dtypeSize(out.dtype);

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    if (!fromFile)
      return emitError(loc) << "tensor '" << proto.name()
                            << "': external data needs the model's file";
    std::string location;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
    for (const auto &kv : proto.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::strtoull(kv.value().c_str(), nullptr, 10);
      else if (kv.key() == "length")
        length = std::strtoull(kv.value().c_str(), nullptr, 10);
    }
    if (location.empty() || llvm::sys::path::is_absolute(location) ||
        llvm::StringRef(location).contains(".."))
      return emitError(loc) << "tensor '" << proto.name()
                            << "': external data location '" << location
                            << "' must be a relative path inside the model's "
                               "directory";
    llvm::SmallString<256> file(llvm::sys::path::parent_path(path));
    llvm::sys::path::append(file, location);
    auto buffer = llvm::MemoryBuffer::getFile(file, false, false);
    if (!buffer)
      return emitError(loc) << "tensor '" << proto.name()
                            << "': cannot read external data file '" << file
                            << "': " << buffer.getError().message();
    uint64_t available = (*buffer)->getBufferSize();
    if (length && *length != bytes)
      return emitError(loc)
             << "tensor '" << proto.name() << "': external data length "
             << *length << " differs from the " << bytes
             << " bytes its shape needs";
    if (offset > available || bytes > available - offset)
      return emitError(loc)
             << "tensor '" << proto.name() << "': external data '" << location
             << "' is too short (" << available << " bytes, need " << bytes
             << " at offset " << offset << ")";
    const char *start = (*buffer)->getBufferStart() + offset;
    out.bytes.assign(start, start + bytes);
    return success();
  }

  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return emitError(loc) << "tensor '" << proto.name() << "' holds "
                            << proto.raw_data().size()
                            << " bytes of raw data, its shape needs " << bytes;
    out.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
    return success();
  }
  // Typed fields: check the count before allocating anything.
  auto fill = [&](const auto &field) -> LogicalResult {
    if (static_cast<int64_t>(field.size()) != count)
      return emitError(loc)
             << "tensor '" << proto.name() << "' holds " << field.size()
             << " values, its shape needs " << count;
    out.bytes.assign(bytes, 0);
    for (int64_t i = 0; i < count; ++i) {
      if constexpr (std::is_integral_v<decltype(field.Get(0))>)
        out.setFromInt(i, field.Get(i));
      else
        out.setFromDouble(i, field.Get(i));
    }
    return success();
  };
  switch (out.dtype) {
  case DType::F32:
    return fill(proto.float_data());
  case DType::F64:
    return fill(proto.double_data());
  case DType::I64:
    // int64 values must not round-trip through double.
    if (proto.int64_data_size() != count)
      return fill(proto.int64_data());
    out.bytes.assign(bytes, 0);
    if (bytes > 0) // an empty vector's data() may be null
      std::memcpy(out.bytes.data(), proto.int64_data().data(), bytes);
    return success();
  case DType::I32:
  case DType::Bool:
    return fill(proto.int32_data());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Symbols and shapes
//===----------------------------------------------------------------------===//

std::string Importer::findSymbol(const std::string &name) {
  auto it = symbolParent.find(name);
  if (it == symbolParent.end() || it->second == name)
    return name;
  std::string root = findSymbol(it->second);
  it->second = root;
  return root;
}

bool Importer::unifyDims(SymbolicDim a, SymbolicDim b, SymbolicDim &out) {
  a = canonical(a);
  b = canonical(b);
  if (a == b) {
    out = a;
    return true;
  }
  auto single = [](const SymbolicDim &d) {
    return d.getSymbols().size() == 1 && d.getCoefficient() == 1;
  };
  if (!single(a) || !single(b))
    return false;
  // Two input dimensions met elementwise, so they are the same size; the
  // symbol declared first names both.
  std::string sa = a.getSymbols()[0], sb = b.getSymbols()[0];
  if (symbolOrder[sb] < symbolOrder[sa])
    std::swap(sa, sb);
  symbolParent[sb] = sa;
  out = SymbolicDim::symbol(sa);
  return true;
}

LogicalResult Importer::unify(const onnx::NodeProto &node, SymbolicDim a,
                              SymbolicDim b, SymbolicDim &out) {
  if (unifyDims(a, b, out))
    return success();
  return error(node) << "dimensions " << canonical(a).toString() << " and "
                     << canonical(b).toString() << " cannot be shown equal";
}

LogicalResult Importer::broadcast(const onnx::NodeProto &node,
                                  const SymbolicShape &a,
                                  const SymbolicShape &b, SymbolicShape &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, SymbolicDim::constant(1));
  for (size_t i = 0; i < rank; ++i) {
    bool hasA = i < a.size(), hasB = i < b.size();
    SymbolicDim da = hasA ? a[a.size() - 1 - i] : SymbolicDim::constant(1);
    SymbolicDim db = hasB ? b[b.size() - 1 - i] : SymbolicDim::constant(1);
    SymbolicDim &result = out[rank - 1 - i];
    if (da.isStatic() && da.staticValue() == 1)
      result = db;
    else if (db.isStatic() && db.staticValue() == 1)
      result = da;
    else if (!unifyDims(da, db, result)) {
      auto diag = error(node) << "shapes " << shapeToString(a) << " and "
                              << shapeToString(b) << " do not broadcast";
      // One input declared a dimension fixed, another the same one dynamic
      // (e.g. ids [2, N] beside a mask [B, N]).
      SymbolicDim symbolic = canonical(da.isStatic() ? db : da);
      bool inputSymbol = symbolic.getCoefficient() == 1 &&
                         symbolic.getSymbols().size() == 1 &&
                         symbolOrigin.count(symbolic.getSymbols()[0]);
      if (da.isStatic() != db.isStatic() && inputSymbol)
        diag << " (the dynamic input dimension " << symbolic.toString()
             << " meets the fixed size "
             << (da.isStatic() ? da : db).staticValue()
             << "; if a graph input declares it fixed, declare it alike in "
                "every input)";
      return diag;
    }
  }
  return success();
}

RankedTensorType Importer::tensorType(DType dtype, const SymbolicShape &shape) {
  SmallVector<int64_t> dims;
  for (const SymbolicDim &d : shape)
    dims.push_back(d.isStatic() ? d.staticValue() : ShapedType::kDynamic);
  return RankedTensorType::get(dims, elementType(&context, dtype));
}

Attribute Importer::dimAttr(const SymbolicDim &dim) {
  SymbolicDim c = canonical(dim);
  if (c.isStatic())
    return builder.getI64IntegerAttr(c.staticValue());
  return builder.getStringAttr(c.toString());
}

ArrayAttr Importer::shapeAttr(const SymbolicShape &shape) {
  SmallVector<Attribute> attrs;
  for (const SymbolicDim &d : shape)
    attrs.push_back(dimAttr(d));
  return builder.getArrayAttr(attrs);
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

Entry *Importer::lookup(const onnx::NodeProto &node, int index) {
  if (index >= node.input_size() || node.input(index).empty())
    return nullptr;
  auto it = values.find(node.input(index));
  return it == values.end() ? nullptr : &it->second;
}

void Importer::define(const onnx::NodeProto &node, int index, Entry entry) {
  entry.name = node.output(index);
  values[node.output(index)] = std::move(entry);
}

std::optional<std::vector<int64_t>> Importer::constInts(Entry *entry) {
  if (!entry)
    return std::nullopt;
  std::vector<int64_t> result;
  if (entry->host && isInteger(entry->host->dtype)) {
    for (int64_t i = 0; i < entry->host->numElements(); ++i)
      result.push_back(entry->host->getInt(i));
    return result;
  }
  if (entry->intValues) {
    for (const SymbolicDim &d : *entry->intValues) {
      if (!canonical(d).isStatic())
        return std::nullopt;
      result.push_back(canonical(d).staticValue());
    }
    return result;
  }
  return std::nullopt;
}

Value Importer::dimAsData(const onnx::NodeProto &node, const SymbolicDim &dim,
                          DType dtype, const SymbolicShape &shape) {
  Location loc = nodeLoc(node);
  RankedTensorType type = tensorType(dtype, shape);
  if (auto origin = dimOrigin(dim))
    return builder.create<hm::DimSizeOp>(
        loc, type, origin->first, builder.getI64IntegerAttr(origin->second));
  SymbolicDim c = canonical(dim);
  if (c.getSymbols().size() != 1 || c.getCoefficient() != 1)
    return {};
  auto derived = llvm::find_if(derivedSymbols, [&](const DerivedSymbol &d) {
    return d.name == c.getSymbols()[0];
  });
  if (derived == derivedSymbols.end())
    return {};
  DerivedSymbol d = *derived;
  Value value = dimAsData(node, SymbolicDim::symbol(d.base), dtype, shape);
  auto plus = [&](Value v, int64_t constant) -> Value {
    if (!v || constant == 0)
      return v;
    Value other = filled(node, dtype, shape, static_cast<double>(constant));
    return other ? builder.create<hm::AddOp>(loc, type, v, other) : Value();
  };
  if (value && d.mul != 1) {
    Value factor = filled(node, dtype, shape, static_cast<double>(d.mul));
    value =
        factor ? builder.create<hm::MulOp>(loc, type, value, factor) : Value();
  }
  value = plus(value, d.add);
  if (value && d.div != 1) {
    // Floor division: the floored remainder comes off first, so the
    // quotient is exact whichever way the division rounds.
    Value divisor = filled(node, dtype, shape, static_cast<double>(d.div));
    if (!divisor)
      return {};
    Value remainder = builder.create<hm::ModOp>(loc, type, value, divisor);
    Value multiple = builder.create<hm::SubOp>(loc, type, value, remainder);
    value = builder.create<hm::DivOp>(loc, type, multiple, divisor);
  }
  return plus(value, d.post);
}

Value Importer::materialise(const onnx::NodeProto &node, Entry &entry) {
  if (entry.value)
    return entry.value;
  if (!entry.host && entry.intValues) {
    auto ints = constInts(&entry);
    if (!ints && entry.intValues->size() == 1) {
      // One dynamic dimension used as data, e.g. wav_lens * x.size(1).
      SymbolicDim dim = canonical((*entry.intValues)[0]);
      entry.value = dimAsData(node, dim, entry.dtype, entry.shape);
      if (!entry.value)
        error(node) << "'" << entry.name << "' is the dimension "
                    << dim.toString()
                    << " used as data; only an input dimension or one "
                       "derived from it by + c and floor division is "
                       "supported";
      return entry.value;
    }
    if (!ints) {
      error(node) << "'" << entry.name
                  << "' is a shape computed at run time from dynamic "
                     "dimensions and used as data; this is not supported";
      return {};
    }
    HostTensor host;
    host.dtype = entry.dtype;
    for (const SymbolicDim &d : entry.shape)
      host.shape.push_back(d.staticValue());
    host.bytes.resize(ints->size() * dtypeSize(host.dtype));
    for (size_t i = 0; i < ints->size(); ++i)
      host.setFromInt(i, (*ints)[i]);
    entry.host = std::move(host);
  }
  if (!entry.host && entry.iotaLength) {
    entry.value = iota(node, *entry.iotaLength, entry.dtype);
    return entry.value;
  }
  if (!entry.host) {
    error(node) << "'" << entry.name << "' has no value";
    return {};
  }
  const HostTensor &host = *entry.host;
  SymbolicShape shape;
  for (int64_t d : host.shape)
    shape.push_back(SymbolicDim::constant(d));
  RankedTensorType type = tensorType(host.dtype, shape);
  ElementsAttr attr;
  if (host.dtype == DType::Bool) {
    SmallVector<bool> flags;
    for (int64_t i = 0; i < host.numElements(); ++i)
      flags.push_back(host.bytes[i] != 0);
    attr = DenseElementsAttr::get(type, flags);
  } else if (host.numElements() <= kInlineConstantLimit) {
    attr = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(host.bytes.data(), host.bytes.size()));
  } else {
    std::string blob = entry.name.empty() ? "weight" : entry.name;
    for (char &c : blob)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
        c = '_';
    attr = DenseResourceElementsAttr::get(
        type, blob,
        HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>(host.bytes.data(), host.bytes.size()), 64));
  }
  OpBuilder::InsertionGuard guard(builder);
  entry.value = builder.create<hm::ConstantOp>(
      NameLoc::get(builder.getStringAttr(entry.name), fileLoc()), attr);
  return entry.value;
}

//===----------------------------------------------------------------------===//
// Handlers
//===----------------------------------------------------------------------===//

int64_t intAttr(const onnx::NodeProto &node, const std::string &name,
                int64_t fallback) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return a.i();
  return fallback;
}

float floatAttr(const onnx::NodeProto &node, const std::string &name,
                float fallback) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return a.f();
  return fallback;
}

std::optional<std::vector<int64_t>> intsAttr(const onnx::NodeProto &node,
                                             const std::string &name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
  return std::nullopt;
}

std::optional<std::string> stringAttr(const onnx::NodeProto &node,
                                      const std::string &name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return a.s();
  return std::nullopt;
}

// ONNX Mod of integers: the divisor's sign, or with fmod the dividend's.
int64_t floorMod(int64_t x, int64_t y, bool fmod) {
  int64_t r = x % y;
  return !fmod && r != 0 && (r < 0) != (y < 0) ? r + y : r;
}

// Normalises an axis in [-rank, rank) to [0, rank).
std::optional<int64_t> normaliseAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

void Importer::registerHandlers() {
  auto bind = [this](auto method) {
    return [this, method](const onnx::NodeProto &node) {
      return (this->*method)(node);
    };
  };
  handlers["Constant"] = bind(&Importer::importConstant);
  handlers["Shape"] = bind(&Importer::importShape);
  handlers["Gather"] = bind(&Importer::importGather);
  handlers["ScatterND"] = bind(&Importer::importScatterNd);
  handlers["GatherElements"] = bind(&Importer::importGatherElements);
  handlers["Unsqueeze"] = [this](const onnx::NodeProto &node) {
    return importUnsqueeze(node, false);
  };
  handlers["Squeeze"] = [this](const onnx::NodeProto &node) {
    return importUnsqueeze(node, true);
  };
  handlers["Concat"] = bind(&Importer::importConcat);
  handlers["Cast"] = bind(&Importer::importCast);
  handlers["CastLike"] = bind(&Importer::importCast);
  for (const char *op : {"Add", "Sub", "Mul", "Div", "Pow", "Mod"})
    handlers[op] = bind(&Importer::importBinary);
  for (const char *op : {"Erf", "Sqrt", "Neg", "Not", "Gelu", "Round", "Floor",
                         "Ceil", "Sin", "Cos", "Reciprocal", "Abs"})
    handlers[op] = bind(&Importer::importUnary);
  handlers["Slice"] = bind(&Importer::importSlice);
  handlers["Range"] = bind(&Importer::importRange);
  handlers["Reshape"] = bind(&Importer::importReshape);
  handlers["Flatten"] = bind(&Importer::importFlatten);
  handlers["Transpose"] = bind(&Importer::importTranspose);
  handlers["MatMul"] = bind(&Importer::importMatMul);
  handlers["Gemm"] = bind(&Importer::importGemm);
  handlers["ConstantOfShape"] = bind(&Importer::importConstantOfShape);
  handlers["Pad"] = bind(&Importer::importPad);
  handlers["MaxPool"] = bind(&Importer::importPool);
  handlers["AveragePool"] = bind(&Importer::importPool);
  handlers["Conv"] = bind(&Importer::importConv);
  for (const char *op :
       {"Sigmoid", "LeakyRelu", "Tanh", "Exp", "Log", "Relu", "Softplus",
        "Softsign", "HardSigmoid", "HardSwish", "Mish", "Elu", "Selu", "Celu",
        "ThresholdedRelu", "Sign", "PRelu"})
    handlers[op] = bind(&Importer::importActivation);
  for (const char *op : {"Sum", "Mean", "Max", "Min"})
    handlers[op] = bind(&Importer::importVariadic);
  handlers["Where"] = bind(&Importer::importWhere);
  for (const char *op :
       {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"})
    handlers[op] = bind(&Importer::importCompare);
  for (const char *op : {"And", "Or", "Xor"})
    handlers[op] = bind(&Importer::importLogical);
  handlers["Expand"] = bind(&Importer::importExpand);
  handlers["Tile"] = bind(&Importer::importTile);
  handlers["Softmax"] = bind(&Importer::importSoftmax);
  handlers["LogSoftmax"] = bind(&Importer::importSoftmax);
  handlers["Split"] = bind(&Importer::importSplit);
  handlers["BatchNormalization"] = bind(&Importer::importBatchNorm);
  handlers["InstanceNormalization"] = bind(&Importer::importGroupNorm);
  handlers["GroupNormalization"] = bind(&Importer::importGroupNorm);
  handlers["RMSNormalization"] = bind(&Importer::importRmsNorm);
  handlers["Einsum"] = bind(&Importer::importEinsum);
  handlers["LayerNormalization"] = bind(&Importer::importLayerNorm);
  handlers["ReduceMean"] = bind(&Importer::importReduce);
  handlers["ReduceSum"] = bind(&Importer::importReduce);
  handlers["ReduceMax"] = bind(&Importer::importReduce);
  handlers["ReduceMin"] = bind(&Importer::importReduce);
  handlers["GlobalAveragePool"] = bind(&Importer::importReduce);
  handlers["GlobalMaxPool"] = bind(&Importer::importReduce);
  for (const char *op : {"ReduceL1", "ReduceL2", "ReduceSumSquare",
                         "ReduceLogSum", "ReduceLogSumExp"})
    handlers[op] = bind(&Importer::importReduce);
  handlers["ArgMax"] = bind(&Importer::importArgExtremum);
  handlers["ArgMin"] = bind(&Importer::importArgExtremum);
  handlers["CumSum"] = bind(&Importer::importCumSum);
  handlers["Clip"] = bind(&Importer::importClip);
  handlers["Identity"] = bind(&Importer::importIdentity);
  handlers["If"] = bind(&Importer::importIf);
  handlers["Dropout"] = bind(&Importer::importIdentity);
}

// torch writes squeeze(d) of a dimension it cannot prove is 1 as an If on
// shape[d] == 1; shapes are known here, so the condition is a constant and
// the taken branch is imported in place (its nodes read the outer values).
LogicalResult Importer::importIf(const onnx::NodeProto &node) {
  std::optional<HostTensor> condition = hostOf(lookup(node, 0));
  if (!condition || condition->numElements() != 1)
    return error(node) << "the condition must be known at compile time (a "
                          "branch taken at run time is not supported)";
  const char *taken =
      condition->getDouble(0) != 0 ? "then_branch" : "else_branch";
  const onnx::GraphProto *branch = nullptr;
  for (const onnx::AttributeProto &attribute : node.attribute())
    if (attribute.name() == taken && attribute.has_g())
      branch = &attribute.g();
  if (!branch)
    return error(node) << "has no " << taken;
  if (branch->initializer_size() || branch->sparse_initializer_size())
    return error(node) << taken << " has initializers of its own; that is not "
                       << "supported";
  if (branch->output_size() != node.output_size())
    return error(node) << taken << " has " << branch->output_size()
                       << " outputs, the node " << node.output_size();
  for (const onnx::NodeProto &inner : branch->node()) {
    if (!supported(inner))
      return error(node) << taken << " node '" << inner.name()
                         << "': " << inner.op_type() << " is not supported";
    if (failed(importNode(inner)))
      return failure();
  }
  for (int i = 0; i < node.output_size(); ++i) {
    auto it = values.find(branch->output(i).name());
    if (it == values.end())
      return error(node) << taken << " output '" << branch->output(i).name()
                         << "' is never computed";
    define(node, i, it->second);
  }
  return success();
}

LogicalResult Importer::importIdentity(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  // Dropout is the identity unless training_mode is (or may be) true with a
  // ratio that drops something.
  if (node.op_type() == "Dropout") {
    auto constant = [&](int index) -> std::optional<double> {
      Entry *entry = lookup(node, index);
      std::optional<HostTensor> host = entry ? hostOf(entry) : std::nullopt;
      if (!host || host->numElements() != 1)
        return std::nullopt;
      return host->getDouble(0);
    };
    bool training = lookup(node, 2) && constant(2) != 0.0;
    bool drops = !lookup(node, 1) || constant(1) != 0.0;
    if (training && drops)
      return error(node) << "dropout in training mode is not supported "
                            "(export the model in eval mode)";
    // Nothing is dropped: the optional mask is all true.
    if (node.output_size() > 1 && !node.output(1).empty()) {
      Value mask = filled(node, DType::Bool, input->shape, 1.0);
      if (!mask)
        return failure();
      define(node, 1, tensorEntry(mask, DType::Bool, input->shape));
    }
  }
  Entry copy = *input;
  define(node, 0, std::move(copy));
  return success();
}

LogicalResult Importer::importConstant(const onnx::NodeProto &node) {
  if (node.attribute_size() != 1)
    return error(node) << "needs exactly one value attribute, has "
                       << node.attribute_size();
  HostTensor host;
  for (const auto &a : node.attribute()) {
    if (a.name() == "value") {
      if (failed(loadTensor(a.t(), nodeLoc(node), host)))
        return failure();
    } else if (a.name() == "value_float") {
      host.dtype = DType::F32;
      host.bytes.resize(4);
      host.setFromDouble(0, a.f());
    } else if (a.name() == "value_int") {
      host.dtype = DType::I64;
      int64_t value = a.i();
      host.bytes.resize(8);
      std::memcpy(host.bytes.data(), &value, 8);
    } else if (a.name() == "value_ints") {
      host.dtype = DType::I64;
      host.shape = {a.ints_size()};
      host.bytes.resize(8 * a.ints_size());
      if (!host.bytes.empty()) // an empty vector's data() may be null
        std::memcpy(host.bytes.data(), a.ints().data(), host.bytes.size());
    } else if (a.name() == "value_floats") {
      host.dtype = DType::F32;
      host.shape = {a.floats_size()};
      host.bytes.resize(4 * a.floats_size());
      if (!host.bytes.empty())
        std::memcpy(host.bytes.data(), a.floats().data(), host.bytes.size());
    } else {
      return error(node) << "attribute '" << a.name() << "' is not supported";
    }
  }
  Entry entry;
  entry.dtype = host.dtype;
  for (int64_t d : host.shape)
    entry.shape.push_back(SymbolicDim::constant(d));
  entry.host = std::move(host);
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importShape(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  int64_t start = intAttr(node, "start", 0), end = intAttr(node, "end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  Entry entry;
  entry.dtype = DType::I64;
  entry.intValues = SymbolicShape(input->shape.begin() + start,
                                  input->shape.begin() + std::max(start, end));
  entry.shape = {SymbolicDim::constant(entry.intValues->size())};
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importScatterNd(const onnx::NodeProto &node) {
  // torch writes slice assignments (pe[:, 0::2] = sin(...)) so.
  Entry *data = lookup(node, 0), *indices = lookup(node, 1),
        *updates = lookup(node, 2);
  if (stringAttr(node, "reduction").value_or("none") != "none")
    return error(node) << "only reduction = none is supported";
  if (indices->dtype != DType::I64 && indices->dtype != DType::I32)
    return error(node) << "indices must be int32 or int64";
  if (updates->dtype != data->dtype)
    return error(node) << "updates must have the data's element type";
  if (indices->shape.empty() || !canonical(indices->shape.back()).isStatic())
    return error(node) << "the last dimension of the indices must be static";
  int64_t k = canonical(indices->shape.back()).staticValue();
  if (k < 1 || k > static_cast<int64_t>(data->shape.size()))
    return error(node) << "indices name " << k << " coordinates of a rank "
                       << data->shape.size() << " tensor";
  SymbolicShape expected(indices->shape.begin(), indices->shape.end() - 1);
  expected.insert(expected.end(), data->shape.begin() + k, data->shape.end());
  auto same = [&](const SymbolicDim &a, const SymbolicDim &b) {
    return canonical(a) == canonical(b);
  };
  if (expected.size() != updates->shape.size() ||
      !std::equal(expected.begin(), expected.end(), updates->shape.begin(),
                  same))
    return error(node) << "updates have shape " << shapeToString(updates->shape)
                       << ", expected " << shapeToString(expected);
  Value x = materialise(node, *data), at = materialise(node, *indices),
        values = materialise(node, *updates);
  if (!x || !at || !values)
    return failure();
  Value result = builder.create<hm::ScatterNdOp>(nodeLoc(node), x.getType(), x,
                                                 at, values);
  define(node, 0, tensorEntry(result, data->dtype, data->shape));
  return success();
}

LogicalResult Importer::importGather(const onnx::NodeProto &node) {
  Entry *data = lookup(node, 0), *indices = lookup(node, 1);
  int64_t rank = static_cast<int64_t>(data->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", 0), rank);
  if (!axis)
    return error(node) << "axis is out of range";

  // Shape plumbing: picking dimensions out of a shape vector.
  auto idx = constInts(indices);
  if (data->intValues && idx) {
    Entry entry;
    entry.dtype = data->dtype;
    SymbolicShape picked;
    for (int64_t i : *idx) {
      int64_t n = static_cast<int64_t>(data->intValues->size());
      if (i < -n || i >= n)
        return error(node) << "index " << i << " is out of range";
      picked.push_back((*data->intValues)[i < 0 ? i + n : i]);
    }
    entry.intValues = picked;
    if (!indices->shape.empty())
      entry.shape = {SymbolicDim::constant(picked.size())};
    define(node, 0, std::move(entry));
    return success();
  }

  // Position tables indexed with arange(N): a prefix of the table.
  if (indices->iotaLength) {
    return definePrefix(node, *data, *axis, *indices->iotaLength);
  }
  if (!isInteger(indices->dtype) || indices->dtype == DType::Bool)
    return error(node) << "indices must be int32 or int64";
  SymbolicShape shape(data->shape.begin(), data->shape.begin() + *axis);
  shape.insert(shape.end(), indices->shape.begin(), indices->shape.end());
  shape.insert(shape.end(), data->shape.begin() + *axis + 1, data->shape.end());

  // x[:, i]: one static index picks a slice and drops the axis.
  if (idx && idx->size() == 1 && indices->shape.empty() && !data->host) {
    int64_t index = (*idx)[0];
    const SymbolicDim &dim = canonical(data->shape[*axis]);
    if (index < 0 && dim.isStatic())
      index += dim.staticValue();
    if (dim.isStatic() && (index < 0 || index >= dim.staticValue()))
      return error(node) << "index " << (*idx)[0] << " is out of range for "
                         << "dimension " << dim.toString();
    Value value = materialise(node, *data);
    if (!value)
      return failure();
    SymbolicShape sliced = data->shape;
    sliced[*axis] = SymbolicDim::constant(1);
    // x[:, -1] or x[:, 3] of a dynamic dimension: only index 0 exists for
    // every size, so the others are gathered, checked at run time.
    if (!dim.isStatic() && index != 0) {
      Value at = filled(node, DType::I64, {SymbolicDim::constant(1)},
                        static_cast<double>(index));
      Value picked = builder.create<hm::GatherOp>(
          nodeLoc(node), tensorType(data->dtype, sliced), value, at,
          builder.getI64IntegerAttr(*axis));
      Value result = builder.create<hm::ReshapeOp>(
          nodeLoc(node), tensorType(data->dtype, shape), picked,
          shapeAttr(shape));
      define(node, 0, tensorEntry(result, data->dtype, shape));
      return success();
    }
    Value slice = builder.create<hm::SliceOp>(
        nodeLoc(node), tensorType(data->dtype, sliced), value,
        builder.getDenseI64ArrayAttr({*axis}),
        builder.getDenseI64ArrayAttr({index}),
        builder.getDenseI64ArrayAttr({index + 1}),
        builder.getDenseI64ArrayAttr({1}));
    Value result = builder.create<hm::ReshapeOp>(
        nodeLoc(node), tensorType(data->dtype, shape), slice, shapeAttr(shape));
    define(node, 0, tensorEntry(result, data->dtype, shape));
    return success();
  }

  // Embedding lookups and other gathers by run-time (or constant) indices.
  if (data->host && indices->host)
    return error(node) << "gathering at compile time is not supported";
  Value table = materialise(node, *data), ids = materialise(node, *indices);
  if (!table || !ids)
    return failure();
  if (indices->shape.empty())
    return error(node) << "a scalar run-time index is not supported";
  Value result = builder.create<hm::GatherOp>(
      nodeLoc(node), tensorType(data->dtype, shape), table, ids,
      builder.getI64IntegerAttr(*axis));
  define(node, 0, tensorEntry(result, data->dtype, shape));
  return success();
}

LogicalResult Importer::importGatherElements(const onnx::NodeProto &node) {
  // torch.gather: last-token pooling writes
  // x.gather(1, idx.view(-1, 1, 1).expand(-1, 1, d)).
  Entry *data = lookup(node, 0), *indices = lookup(node, 1);
  int64_t rank = static_cast<int64_t>(data->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", 0), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  if (indices->dtype != DType::I64 && indices->dtype != DType::I32)
    return error(node) << "indices must be int32 or int64";
  if (static_cast<int64_t>(indices->shape.size()) != rank)
    return error(node) << "indices have rank " << indices->shape.size()
                       << ", the data " << rank;
  // Away from the axis every index position must exist in the data: the
  // same dimension, a static one no longer, or 1.
  for (int64_t i = 0; i < rank; ++i) {
    SymbolicDim want = canonical(indices->shape[i]),
                have = canonical(data->shape[i]);
    bool fits = i == *axis || want == have ||
                (want.isStatic() && want.staticValue() == 1) ||
                (want.isStatic() && have.isStatic() &&
                 want.staticValue() <= have.staticValue());
    if (!fits)
      return error(node) << "indices dimension " << i << " (" << want.toString()
                         << ") is not known to fit the data's ("
                         << have.toString() << ")";
  }
  if (data->host && indices->host)
    return error(node) << "gathering at compile time is not supported";
  Value table = materialise(node, *data), ids = materialise(node, *indices);
  if (!table || !ids)
    return failure();
  Value result = builder.create<hm::GatherElementsOp>(
      nodeLoc(node), tensorType(data->dtype, indices->shape), table, ids,
      builder.getI64IntegerAttr(*axis));
  define(node, 0, tensorEntry(result, data->dtype, indices->shape));
  return success();
}

LogicalResult
Importer::importMovingWindow(const onnx::NodeProto &node, Entry &data,
                             Entry &startsEntry, Entry *endsEntry,
                             const std::optional<std::vector<int64_t>> &axes,
                             const std::optional<std::vector<int64_t>> &steps) {
  auto unsupported = [&]() {
    return error(node) << "a slice with a run-time start is only supported as "
                          "[a - T, b + T) of a static axis with b <= a, step 1 "
                          "(ESPnet's relative positions)";
  };
  int64_t rank = static_cast<int64_t>(data.shape.size());
  std::optional<int64_t> axis =
      normaliseAxis(axes && axes->size() == 1 ? (*axes)[0] : 0, rank);
  if (!axis || (axes && axes->size() != 1) ||
      (steps && *steps != std::vector<int64_t>{1}) ||
      !data.shape[*axis].isStatic() || !endsEntry || !endsEntry->intValues ||
      endsEntry->intValues->size() != 1)
    return unsupported();
  // start = a - T and end = b + T, both computed from one length T.
  const DerivedSymbol *start = affineOf(canonical((*startsEntry.intValues)[0]));
  if (!start || start->mul != -1)
    return unsupported();
  SymbolicDim length = canonical(SymbolicDim::symbol(start->base));
  SymbolicDim end = canonical((*endsEntry->intValues)[0]);
  int64_t a = start->add, b = 0;
  if (const DerivedSymbol *e = affineOf(end);
      e && e->mul == 1 && canonical(SymbolicDim::symbol(e->base)) == length)
    b = e->add;
  else if (end != length)
    return unsupported();
  int64_t rows = data.shape[*axis].staticValue();
  if (b > a)
    return unsupported();
  // The window stays inside the table while T <= a and b + T <= rows.
  int64_t fits = std::min(a, rows - b);
  if (fits < 1)
    return error(node) << "the window [" << a << " - T, " << b
                       << " + T) never fits in the " << rows << " rows";
  auto [bound, inserted] =
      symbolBounds.try_emplace(length.getSymbols()[0], fits);
  bound->second = std::min(bound->second, fits);

  // Indices a - T .. a - 1, then a .. a + T - 1, cropped to end at b + T.
  Location loc = nodeLoc(node);
  Value tokens = iota(node, length, DType::I64);
  Value first = dimAsData(node, canonical((*startsEntry.intValues)[0]),
                          DType::I64, {SymbolicDim::constant(1)});
  Value from = filled(node, DType::I64, {SymbolicDim::constant(1)},
                      static_cast<double>(a));
  FailureOr<SymbolicDim> both = deriveDim(node, length, 0, 1, 0, 2);
  FailureOr<SymbolicDim> window = deriveDim(node, length, b - a, 1, 0, 2);
  if (!tokens || !first || !from || failed(both) || failed(window))
    return failure();
  RankedTensorType half = tensorType(DType::I64, {length});
  Value indices = builder.create<hm::ConcatOp>(
      loc, tensorType(DType::I64, {*both}),
      ValueRange{builder.create<hm::AddOp>(loc, half, tokens, first),
                 builder.create<hm::AddOp>(loc, half, tokens, from)},
      builder.getI64IntegerAttr(0));
  if (b < a)
    indices = builder.create<hm::SliceOp>(
        loc, tensorType(DType::I64, {*window}), indices,
        builder.getDenseI64ArrayAttr({0}), builder.getDenseI64ArrayAttr({0}),
        builder.getDenseI64ArrayAttr({b - a}),
        builder.getDenseI64ArrayAttr({1}));
  Value table = materialise(node, data);
  if (!table)
    return failure();
  SymbolicShape shape = data.shape;
  shape[*axis] = *window;
  Value result =
      builder.create<hm::GatherOp>(loc, tensorType(data.dtype, shape), table,
                                   indices, builder.getI64IntegerAttr(*axis));
  define(node, 0, tensorEntry(result, data.dtype, shape));
  return success();
}

LogicalResult Importer::definePrefix(const onnx::NodeProto &node, Entry &data,
                                     int64_t axis, const SymbolicDim &dim) {
  // The prefix length must be an input dimension, which the op reads from
  // the input it came from.
  SymbolicDim length = canonical(dim);
  auto origin = dimOrigin(length);
  if (!origin)
    return error(node) << "a prefix of length " << length.toString()
                       << " is not supported (only the length of an input "
                          "dimension or of a tensor computed from one)";
  auto [reference, refAxis] = *origin;
  Value table = materialise(node, data);
  if (!table)
    return failure();
  SymbolicShape shape = data.shape;
  shape[axis] = length;
  Value result = builder.create<hm::SliceToDimOp>(
      nodeLoc(node), tensorType(data.dtype, shape), table, reference,
      builder.getI64IntegerAttr(axis), builder.getI64IntegerAttr(refAxis));
  define(node, 0, tensorEntry(result, data.dtype, shape));
  return success();
}

std::optional<std::pair<Value, int64_t>>
Importer::dimOrigin(const SymbolicDim &dim) {
  SymbolicDim c = canonical(dim);
  if (c.getSymbols().size() != 1 || c.getCoefficient() != 1)
    return std::nullopt;
  const std::string &symbol = c.getSymbols()[0];
  if (auto it = symbolOrigin.find(symbol); it != symbolOrigin.end())
    return it->second;
  if (auto it = derivedOrigin.find(symbol); it != derivedOrigin.end())
    return it->second;
  return std::nullopt;
}

Value Importer::iota(const onnx::NodeProto &node, const SymbolicDim &length,
                     DType dtype) {
  auto origin = dimOrigin(length);
  if (!origin) {
    error(node) << "an index range of run-time length "
                << canonical(length).toString()
                << " is not supported (only an input dimension or one "
                   "computed from it)";
    return {};
  }
  return builder.create<hm::IotaOp>(
      nodeLoc(node), tensorType(dtype, {canonical(length)}), origin->first,
      builder.getI64IntegerAttr(origin->second));
}

Value Importer::filled(const onnx::NodeProto &node, DType dtype,
                       const SymbolicShape &shape, double value) {
  Location loc = nodeLoc(node);
  // A product dimension no tensor has (B*4: heads merged into the batch, as
  // torch's MultiheadAttention does with its padding mask) is filled as its
  // factors, then merged (every element is the same, so their order is
  // free).
  SymbolicShape factors;
  for (const SymbolicDim &dim : shape) {
    SymbolicDim d = canonical(dim);
    if (dimOrigin(d)) {
      factors.push_back(d);
      continue;
    }
    for (const SymbolicDim &factor : d.factors())
      factors.push_back(factor);
  }
  if (factors.size() != shape.size()) {
    Value unmerged = filled(node, dtype, factors, value);
    if (!unmerged)
      return {};
    return builder.create<hm::ReshapeOp>(loc, tensorType(dtype, shape),
                                         unmerged, shapeAttr(shape));
  }
  SymbolicShape constantShape;
  for (const SymbolicDim &d : shape)
    constantShape.push_back(canonical(d).isStatic() ? canonical(d)
                                                    : SymbolicDim::constant(1));
  auto constantType = tensorType(dtype, constantShape);
  Attribute element =
      dtype == DType::Bool ? Attribute(builder.getBoolAttr(value != 0))
      : isFloat(dtype)
          ? Attribute(
                builder.getFloatAttr(constantType.getElementType(), value))
          : Attribute(builder.getIntegerAttr(constantType.getElementType(),
                                             static_cast<int64_t>(value)));
  Value result = builder.create<hm::ConstantOp>(
      loc, constantType, DenseElementsAttr::get(constantType, element));
  // Each dynamic dimension d broadcasts in a neutral vector of length d:
  // iota * 0, or iota < 0 (false) for bools.
  SymbolicShape resultShape = constantShape;
  for (size_t axis = 0; axis < shape.size(); ++axis) {
    SymbolicDim d = canonical(shape[axis]);
    if (d.isStatic())
      continue;
    DType indexType = dtype == DType::Bool ? DType::I64 : dtype;
    Value index = iota(node, d, indexType);
    if (!index)
      return {};
    auto scalarType = tensorType(indexType, {});
    Value zero = builder.create<hm::ConstantOp>(
        loc, scalarType,
        DenseElementsAttr::get(
            scalarType, builder.getZeroAttr(scalarType.getElementType())));
    Value neutral = dtype == DType::Bool
                        ? Value(builder.create<hm::LessOp>(
                              loc, tensorType(DType::Bool, {d}), index, zero))
                        : Value(builder.create<hm::MulOp>(
                              loc, tensorType(dtype, {d}), index, zero));
    if (shape.size() > 1) {
      SymbolicShape column(shape.size(), SymbolicDim::constant(1));
      column[axis] = d;
      neutral = builder.create<hm::ReshapeOp>(loc, tensorType(dtype, column),
                                              neutral, shapeAttr(column));
    }
    resultShape[axis] = d;
    auto type = tensorType(dtype, resultShape);
    result = dtype == DType::Bool
                 ? Value(builder.create<hm::OrOp>(loc, type, result, neutral))
                 : Value(builder.create<hm::AddOp>(loc, type, result, neutral));
  }
  return result;
}

LogicalResult Importer::defineReshaped(const onnx::NodeProto &node,
                                       Entry &input,
                                       const SymbolicShape &shape) {
  // Compile-time values keep their data; only run-time tensors get an op.
  Entry entry;
  entry.dtype = input.dtype;
  entry.shape = shape;
  if (input.intValues) {
    entry.intValues = input.intValues;
  } else if (input.host) {
    entry.host = input.host;
    entry.host->shape.clear();
    for (const SymbolicDim &d : shape)
      entry.host->shape.push_back(d.staticValue());
  } else {
    Value value = materialise(node, input);
    if (!value)
      return failure();
    entry.value = builder.create<hm::ReshapeOp>(
        nodeLoc(node), tensorType(input.dtype, shape), value, shapeAttr(shape));
  }
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importUnsqueeze(const onnx::NodeProto &node,
                                        bool squeeze) {
  Entry *input = lookup(node, 0);
  std::optional<std::vector<int64_t>> axes = intsAttr(node, "axes");
  if (node.input_size() > 1 && !node.input(1).empty()) {
    axes = constInts(lookup(node, 1));
    if (!axes)
      return error(node) << "axes must be a compile-time constant";
  }
  SymbolicShape shape = input->shape;
  if (squeeze) {
    std::set<int64_t> drop;
    int64_t rank = static_cast<int64_t>(shape.size());
    if (axes) {
      for (int64_t a : *axes) {
        auto axis = normaliseAxis(a, rank);
        if (!axis || !shape[*axis].isStatic() ||
            shape[*axis].staticValue() != 1)
          return error(node) << "cannot squeeze axis " << a << " of "
                             << shapeToString(shape);
        drop.insert(*axis);
      }
    } else {
      for (int64_t i = 0; i < rank; ++i)
        if (shape[i].isStatic() && shape[i].staticValue() == 1)
          drop.insert(i);
    }
    SymbolicShape kept;
    for (int64_t i = 0; i < rank; ++i)
      if (!drop.count(i))
        kept.push_back(shape[i]);
    shape = kept;
  } else {
    if (!axes)
      return error(node) << "axes are required";
    int64_t outRank = static_cast<int64_t>(shape.size() + axes->size());
    std::vector<int64_t> sorted;
    for (int64_t a : *axes) {
      auto axis = normaliseAxis(a, outRank);
      if (!axis)
        return error(node) << "axis " << a << " is out of range";
      sorted.push_back(*axis);
    }
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      return error(node) << "axes contain a repeated axis";
    for (int64_t axis : sorted)
      shape.insert(shape.begin() + axis, SymbolicDim::constant(1));
  }

  return defineReshaped(node, *input, shape);
}

LogicalResult Importer::importConcat(const onnx::NodeProto &node) {
  SymbolicShape values;
  DType dtype = DType::I64;
  for (int i = 0; i < node.input_size(); ++i) {
    Entry *input = lookup(node, i);
    if (input->intValues) {
      values.insert(values.end(), input->intValues->begin(),
                    input->intValues->end());
    } else if (auto ints = constInts(input)) {
      for (int64_t v : *ints)
        values.push_back(SymbolicDim::constant(v));
    } else {
      return importDataConcat(node);
    }
    dtype = input->dtype;
  }
  Entry entry;
  entry.dtype = dtype;
  entry.shape = {SymbolicDim::constant(values.size())};
  entry.intValues = values;
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importDataConcat(const onnx::NodeProto &node) {
  Entry *first = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(first->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", 0), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  SymbolicShape shape = first->shape;
  // The joined length is mul base + total: static parts add up, and dynamic
  // ones must all be multiples of one symbol plus constants (T + (T - 1)).
  int64_t total = 0, mul = 0;
  std::optional<SymbolicDim> base;
  SmallVector<Value> operands;
  for (int i = 0; i < node.input_size(); ++i) {
    Entry *input = lookup(node, i);
    if (static_cast<int64_t>(input->shape.size()) != rank ||
        input->dtype != first->dtype)
      return error(node) << "inputs differ in rank or element type";
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis)
        continue;
      SymbolicDim merged;
      if (failed(unify(node, shape[d], input->shape[d], merged)))
        return failure();
      shape[d] = merged;
    }
    SymbolicDim along = canonical(input->shape[*axis]);
    if (along.isStatic()) {
      total += along.staticValue();
    } else {
      SymbolicDim from = along;
      int64_t times = 1;
      if (const DerivedSymbol *affine = affineOf(along)) {
        from = canonical(SymbolicDim::symbol(affine->base));
        times = affine->mul;
        total += affine->add;
      }
      if (from.getSymbols().size() != 1 || from.getCoefficient() != 1 ||
          (base && *base != from))
        return error(node) << "concatenation along the dynamic dimensions "
                           << (base ? base->toString() + " and " : "")
                           << along.toString()
                           << " is not supported (only lengths computed "
                              "from one dimension)";
      base = from;
      mul += times;
    }
    Value value = materialise(node, *input);
    if (!value)
      return failure();
    operands.push_back(value);
  }
  if (base) {
    FailureOr<SymbolicDim> joined = deriveDim(node, *base, total, 1, 0, mul);
    if (failed(joined))
      return failure();
    shape[*axis] = *joined;
  } else {
    shape[*axis] = SymbolicDim::constant(total);
  }
  Value result = builder.create<hm::ConcatOp>(
      nodeLoc(node), tensorType(first->dtype, shape), operands,
      builder.getI64IntegerAttr(*axis));
  define(node, 0, tensorEntry(result, first->dtype, shape));
  return success();
}

LogicalResult Importer::importCast(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  std::optional<DType> dtype;
  if (node.op_type() == "CastLike") {
    dtype = lookup(node, 1)->dtype;
  } else {
    int64_t to = intAttr(node, "to", 0);
    dtype = dtypeFromOnnx(static_cast<int32_t>(to));
    if (!dtype)
      return error(node) << "casting to " << onnxTypeName(static_cast<int>(to))
                         << " is not supported";
  }
  Entry entry;
  entry.dtype = *dtype;
  entry.shape = input->shape;
  // Dimensions and index ranges stay what they are in any numeric type
  // (torch.arange(n, dtype=float) casts the length).
  if (input->intValues && *dtype != DType::Bool) {
    entry.intValues = input->intValues;
  } else if (input->iotaLength && *dtype != DType::Bool) {
    entry.iotaLength = input->iotaLength;
  } else if (input->host) {
    HostTensor host = *input->host;
    host.dtype = *dtype;
    host.bytes.assign(host.numElements() * dtypeSize(*dtype), 0);
    for (int64_t i = 0; i < host.numElements(); ++i)
      if (isFloat(input->dtype))
        host.setFromDouble(i, input->host->getDouble(i));
      else
        host.setFromInt(i, input->host->getInt(i));
    entry.host = std::move(host);
  } else {
    Value value = materialise(node, *input);
    if (!value)
      return failure();
    entry.value = builder.create<hm::CastOp>(
        nodeLoc(node), tensorType(*dtype, input->shape), value);
  }
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importBinary(const onnx::NodeProto &node) {
  Entry *lhs = lookup(node, 0), *rhs = lookup(node, 1);
  const std::string &op = node.op_type();

  // Arithmetic on dimensions (e.g. B * heads) stays symbolic; so does
  // +, - and * on small integer constants (torch's expand: ones * -1).
  auto smallInts = [&](Entry *e) {
    return e->host && e->host->shape.size() <= 1 && constInts(e);
  };
  // Dimensions cast to float (wav_lens * x.size(1)) are data.
  bool integers = isInteger(lhs->dtype) && isInteger(rhs->dtype);
  bool dimensions = (lhs->intValues || rhs->intValues) &&
                    (lhs->intValues || constInts(lhs)) &&
                    (rhs->intValues || constInts(rhs));
  bool symbolic =
      integers && (dimensions || ((op == "Add" || op == "Sub" || op == "Mul") &&
                                  smallInts(lhs) && smallInts(rhs)));
  if (symbolic) {
    SymbolicShape a = *dimValues(lhs), b = *dimValues(rhs);
    if (a.empty() || b.empty() ||
        (a.size() != b.size() && a.size() != 1 && b.size() != 1))
      return error(node) << "shape arithmetic on vectors of different sizes";
    size_t n = std::max(a.size(), b.size());
    SymbolicShape result;
    for (size_t i = 0; i < n; ++i) {
      SymbolicDim x = canonical(a[a.size() == 1 ? 0 : i]);
      SymbolicDim y = canonical(b[b.size() == 1 ? 0 : i]);
      std::optional<SymbolicDim> r;
      if (op == "Mul")
        r = x * y;
      else if (op == "Div" && x.isStatic() && y.isStatic() &&
               y.staticValue() != 0)
        r = SymbolicDim::constant(x.staticValue() / y.staticValue());
      else if (op == "Div")
        r = x.divide(y);
      else if (x.isStatic() && y.isStatic() && op == "Add")
        r = SymbolicDim::constant(x.staticValue() + y.staticValue());
      else if (x.isStatic() && y.isStatic() && op == "Sub")
        r = SymbolicDim::constant(x.staticValue() - y.staticValue());
      else if (x.isStatic() && y.isStatic() && op == "Mod" &&
               y.staticValue() != 0)
        r = SymbolicDim::constant(floorMod(x.staticValue(), y.staticValue(),
                                           intAttr(node, "fmod", 0) != 0));
      // dim + c (torch.chunk's ceil, pe[:, 1:n + 1]) and dim / c that does
      // not divide are dimensions computed from one input dimension; c - dim
      // is a value (the start of ESPnet's relative positions).
      if (!r && x.isStatic() && op == "Sub") {
        FailureOr<SymbolicDim> negated =
            deriveDim(node, y, x.staticValue(), 1, 0, -1);
        if (failed(negated))
          return failure();
        r = *negated;
      }
      bool constantFirst = x.isStatic() && op == "Add";
      bool byConstant = y.isStatic() && (op != "Div" || y.staticValue() > 0);
      if (!r && (op == "Add" || op == "Sub" || op == "Div") &&
          (constantFirst || byConstant)) {
        const SymbolicDim &dim = constantFirst ? y : x;
        int64_t c = (constantFirst ? x : y).staticValue();
        FailureOr<SymbolicDim> derived =
            op == "Div" ? deriveDim(node, dim, 0, c, 0)
                        : deriveDim(node, dim, op == "Sub" ? -c : c, 1, 0);
        if (failed(derived))
          return failure();
        r = *derived;
      }
      if (!r)
        return error(node) << "cannot evaluate " << x.toString() << " " << op
                           << " " << y.toString()
                           << " on dimensions (only products, a dimension "
                              "plus, minus or divided by a constant, and a "
                              "constant minus a dimension)";
      result.push_back(*r);
    }
    Entry entry;
    entry.dtype = lhs->intValues ? lhs->dtype : rhs->dtype;
    entry.shape =
        lhs->shape.size() >= rhs->shape.size() ? lhs->shape : rhs->shape;
    entry.intValues = result;
    define(node, 0, std::move(entry));
    return success();
  }

  if (op == "Pow" && !isFloat(lhs->dtype))
    return error(node) << "the base must be a float tensor";
  // Pow's exponent may have a type of its own (x ** 2 with an integer 2).
  bool castExponent =
      op == "Pow" && isFloat(lhs->dtype) && rhs->dtype != DType::Bool;
  if (lhs->dtype != rhs->dtype && !castExponent)
    return error(node) << "operand element types differ";
  SymbolicShape shape;
  if (failed(broadcast(node, lhs->shape, rhs->shape, shape)))
    return failure();
  Value a = materialise(node, *lhs), b = materialise(node, *rhs);
  if (!a || !b)
    return failure();
  if (lhs->dtype != rhs->dtype)
    b = builder.create<hm::CastOp>(nodeLoc(node),
                                   tensorType(lhs->dtype, rhs->shape), b);
  // Mod with fmod = 1 is C's fmod (the dividend's sign), else Python's %.
  std::string kind = op == "Mod" && intAttr(node, "fmod", 0) ? "Rem" : op;
  Value result =
      binaryOp(kind, nodeLoc(node), tensorType(lhs->dtype, shape), a, b);
  define(node, 0, tensorEntry(result, lhs->dtype, shape));
  return success();
}

Value Importer::binaryOp(const std::string &op, Location loc,
                         RankedTensorType type, Value lhs, Value rhs) {
  if (op == "Add")
    return builder.create<hm::AddOp>(loc, type, lhs, rhs);
  if (op == "Sub")
    return builder.create<hm::SubOp>(loc, type, lhs, rhs);
  if (op == "Mul")
    return builder.create<hm::MulOp>(loc, type, lhs, rhs);
  if (op == "Div")
    return builder.create<hm::DivOp>(loc, type, lhs, rhs);
  if (op == "Max")
    return builder.create<hm::MaxOp>(loc, type, lhs, rhs);
  if (op == "Min")
    return builder.create<hm::MinOp>(loc, type, lhs, rhs);
  if (op == "Mod")
    return builder.create<hm::ModOp>(loc, type, lhs, rhs);
  if (op == "Rem")
    return builder.create<hm::RemOp>(loc, type, lhs, rhs);
  return builder.create<hm::PowOp>(loc, type, lhs, rhs);
}

LogicalResult Importer::importClip(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  // Integers too: a token count clamped before it divides.
  if (input->dtype == DType::Bool)
    return unsupportedType(node, input->dtype);
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  // Clip(x, lo, hi) = min(max(x, lo), hi); absent bounds are no bounds.
  for (auto [index, op] :
       {std::pair<int, const char *>{1, "Max"}, {2, "Min"}}) {
    Entry *bound = lookup(node, index);
    if (!bound)
      continue;
    if (bound->dtype != input->dtype || !bound->shape.empty() || !bound->host)
      return error(node) << "bounds must be compile-time scalars of the "
                            "input's element type";
    // A [1] bound, or a scalar one for a scalar input (the result keeps
    // the input's rank).
    HostTensor host = *bound->host;
    Entry scalar;
    scalar.dtype = bound->dtype;
    if (!input->shape.empty()) {
      host.shape = {1};
      scalar.shape = {SymbolicDim::constant(1)};
    }
    scalar.host = std::move(host);
    scalar.name = bound->name;
    Value b = materialise(node, scalar);
    if (!b)
      return failure();
    x = binaryOp(op, nodeLoc(node), cast<RankedTensorType>(x.getType()), x, b);
  }
  define(node, 0, tensorEntry(x, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importUnary(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  const std::string &op = node.op_type();
  // The erf kernels are float32 polynomials.
  bool typeOk = op == "Not"                   ? input->dtype == DType::Bool
                : op == "Abs" || op == "Neg"  ? input->dtype != DType::Bool
                : op == "Erf" || op == "Gelu" ? input->dtype == DType::F32
                                              : isFloat(input->dtype);
  if (!typeOk)
    return unsupportedType(node, input->dtype);
  std::string approximate = stringAttr(node, "approximate").value_or("none");
  if (op == "Gelu" && approximate != "none" && approximate != "tanh")
    return error(node) << "approximate must be \"none\" or \"tanh\", got \""
                       << approximate << "\"";
  Value value = materialise(node, *input);
  if (!value)
    return failure();
  Location loc = nodeLoc(node);
  Type type = value.getType();
  Value result;
  if (op == "Erf")
    result = builder.create<hm::ErfOp>(loc, type, value);
  else if (op == "Round")
    result = builder.create<hm::RoundOp>(loc, type, value);
  else if (op == "Floor")
    result = builder.create<hm::FloorOp>(loc, type, value);
  else if (op == "Ceil")
    result = builder.create<hm::CeilOp>(loc, type, value);
  else if (op == "Sin")
    result = builder.create<hm::SinOp>(loc, type, value);
  else if (op == "Cos")
    result = builder.create<hm::CosOp>(loc, type, value);
  else if (op == "Reciprocal")
    result = builder.create<hm::DivOp>(
        loc, type,
        builder.create<hm::ConstantOp>(
            loc, DenseElementsAttr::get(
                     RankedTensorType::get({}, getElementTypeOrSelf(type)),
                     builder.getFloatAttr(getElementTypeOrSelf(type), 1.0))),
        value);
  else if (op == "Sqrt")
    result = builder.create<hm::SqrtOp>(loc, type, value);
  else if (op == "Neg")
    result = builder.create<hm::NegOp>(loc, type, value);
  else if (op == "Abs")
    result = builder.create<hm::AbsOp>(loc, type, value);
  else if (op == "Not")
    result = builder.create<hm::NotOp>(loc, type, value);
  else
    result = builder.create<hm::GeluOp>(loc, type, value, approximate);
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

// ONNX Slice of a compile-time tensor; nullopt for a bad axis or step.
static std::optional<HostTensor> sliceHost(const HostTensor &data,
                                           const std::vector<int64_t> &starts,
                                           const std::vector<int64_t> &ends,
                                           const std::vector<int64_t> &axes,
                                           const std::vector<int64_t> &steps) {
  int64_t rank = static_cast<int64_t>(data.shape.size());
  std::vector<int64_t> first(rank, 0), step(rank, 1), count = data.shape;
  for (size_t i = 0; i < axes.size(); ++i) {
    auto axis = normaliseAxis(axes[i], rank);
    if (!axis || steps[i] == 0)
      return std::nullopt;
    int64_t size = data.shape[*axis], st = steps[i];
    int64_t s = starts[i] < 0 ? starts[i] + size : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + size : ends[i];
    // ONNX clamps to [0, size] going forward and [-1, size-1] backward.
    s = st > 0 ? std::clamp<int64_t>(s, 0, size)
               : std::clamp<int64_t>(s, -1, size - 1);
    e = st > 0 ? std::clamp<int64_t>(e, 0, size)
               : std::clamp<int64_t>(e, -1, size - 1);
    first[*axis] = s;
    step[*axis] = st;
    count[*axis] = st > 0 ? std::max<int64_t>(0, (e - s + st - 1) / st)
                          : std::max<int64_t>(0, (s - e - st - 1) / -st);
  }
  HostTensor out;
  out.dtype = data.dtype;
  out.shape = count;
  size_t width = dtypeSize(data.dtype);
  out.bytes.resize(out.numElements() * width);
  std::vector<int64_t> strides(rank, 1);
  for (int64_t k = rank - 2; k >= 0; --k)
    strides[k] = strides[k + 1] * data.shape[k + 1];
  for (int64_t i = 0; i < out.numElements(); ++i) {
    int64_t offset = 0;
    for (int64_t k = rank - 1, rest = i; k >= 0; --k) {
      int64_t index = rest % count[k];
      rest /= count[k];
      offset += (first[k] + index * step[k]) * strides[k];
    }
    std::memcpy(out.bytes.data() + i * width,
                data.bytes.data() + offset * width, width);
  }
  return out;
}

LogicalResult Importer::importSlice(const onnx::NodeProto &node) {
  Entry *data = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(data->shape.size());
  Entry *startsEntry = lookup(node, 1), *endsEntry = lookup(node, 2);
  auto starts = constInts(startsEntry);
  std::optional<std::vector<int64_t>> axes, steps;
  if (Entry *e = lookup(node, 3)) {
    if (!(axes = constInts(e)))
      return error(node) << "axes must be compile-time constants";
  }
  if (Entry *e = lookup(node, 4)) {
    if (!(steps = constInts(e)))
      return error(node) << "steps must be compile-time constants";
  }
  if (!starts && startsEntry && startsEntry->intValues &&
      startsEntry->intValues->size() == 1)
    return importMovingWindow(node, *data, *startsEntry, endsEntry, axes,
                              steps);
  if (!starts)
    return error(node) << "starts must be compile-time constants";
  size_t n = starts->size();
  if (!axes) {
    axes.emplace();
    for (size_t i = 0; i < n; ++i)
      axes->push_back(static_cast<int64_t>(i));
  }
  if (!steps)
    steps = std::vector<int64_t>(n, 1);
  if (axes->size() != n || steps->size() != n)
    return error(node) << "starts, axes and steps differ in length";

  // Compile-time tensors (e.g. ONNX Pad's pads, built by shape plumbing).
  if (auto host = hostOf(data);
      host && (rank != 1 || n != 1 || (*steps)[0] != 1)) {
    auto ends = constInts(endsEntry);
    if (ends && ends->size() == n)
      return importHostSlice(node, *host, *starts, *ends, *axes, *steps);
  }

  // Slicing a shape vector.
  if (data->intValues) {
    auto ends = constInts(endsEntry);
    if (!ends || n != 1 || (*steps)[0] != 1)
      return error(node) << "only a static unit-step slice of a shape vector "
                            "is supported";
    int64_t size = static_cast<int64_t>(data->intValues->size());
    int64_t s = (*starts)[0] < 0 ? (*starts)[0] + size : (*starts)[0];
    int64_t e = (*ends)[0] < 0 ? (*ends)[0] + size : (*ends)[0];
    s = std::clamp<int64_t>(s, 0, size);
    e = std::clamp<int64_t>(e, 0, size);
    Entry entry;
    entry.dtype = data->dtype;
    entry.intValues = SymbolicShape(data->intValues->begin() + s,
                                    data->intValues->begin() + std::max(s, e));
    entry.shape = {SymbolicDim::constant(entry.intValues->size())};
    define(node, 0, std::move(entry));
    return success();
  }

  // pe[:, :x.size(1)]: a prefix whose length is an input dimension; and
  // pe[:, s:x.size(1) + s], the prefix of the rows from s on.
  if (endsEntry && endsEntry->intValues && endsEntry->intValues->size() == 1 &&
      !canonical((*endsEntry->intValues)[0]).isStatic()) {
    auto axis = normaliseAxis((*axes)[0], rank);
    SymbolicDim end = canonical((*endsEntry->intValues)[0]);
    int64_t start = (*starts)[0];
    std::optional<SymbolicDim> length;
    const DerivedSymbol *sum = sumOf(end);
    if (start == 0)
      length = end;
    else if (start > 0 && sum && sum->add == start)
      length = canonical(SymbolicDim::symbol(sum->base));
    if (n != 1 || (*steps)[0] != 1 || !axis || !length ||
        (start > 0 && !data->shape[*axis].isStatic()))
      return error(node) << "a slice with a run-time end is only supported "
                            "as [s, dim + s) of a static axis, s >= 0";
    if (start == 0)
      return definePrefix(node, *data, *axis, *length);
    Entry rows = *data;
    int64_t size = data->shape[*axis].staticValue();
    if (start >= size)
      return error(node) << "the slice starts at " << start
                         << " past the end of a dimension of " << size;
    rows.shape[*axis] = SymbolicDim::constant(size - start);
    if (auto host = hostOf(data)) {
      rows.host = sliceHost(*host, {start}, {size}, {*axis}, {1});
      rows.value = {};
    } else {
      Value value = materialise(node, *data);
      if (!value)
        return failure();
      rows.value = builder.create<hm::SliceOp>(
          nodeLoc(node), tensorType(data->dtype, rows.shape), value,
          builder.getDenseI64ArrayAttr({*axis}),
          builder.getDenseI64ArrayAttr({start}),
          builder.getDenseI64ArrayAttr({size}),
          builder.getDenseI64ArrayAttr({1}));
    }
    return definePrefix(node, rows, *axis, *length);
  }

  auto ends = constInts(endsEntry);
  if (!ends || ends->size() != n)
    return error(node) << "ends must be compile-time constants";
  SymbolicShape shape = data->shape;
  SmallVector<int64_t> sliceAxes, sliceStarts, sliceEnds, sliceSteps;
  SmallVector<int64_t> reversedAxes;
  for (size_t i = 0; i < n; ++i) {
    auto axis = normaliseAxis((*axes)[i], rank);
    if (!axis)
      return error(node) << "axis " << (*axes)[i] << " is out of range";
    int64_t step = (*steps)[i];
    if (step == 0)
      return error(node) << "step 0 along axis " << *axis;
    if (!shape[*axis].isStatic() && n == 1 && (*starts)[i] == 0 &&
        (*ends)[i] < 0 && step == 1) {
      // y[..., :-c] (a causal conv's crop): the prefix of length dim - c,
      // read like a table prefix when some tensor has that length.
      FailureOr<SymbolicDim> length =
          deriveDim(node, shape[*axis], (*ends)[i], 1, 0);
      if (failed(length))
        return failure();
      if (dimOrigin(*length))
        return definePrefix(node, *data, *axis, *length);
    }
    int64_t first = (*starts)[i], last = (*ends)[i];
    if (!shape[*axis].isStatic()) {
      // Dynamic dimensions are at least 1: x[:, 0:1] is always in range.
      if (first == 0 && last == 1 && step > 0) {
        shape[*axis] = SymbolicDim::constant(1);
        sliceAxes.push_back(*axis);
        sliceStarts.push_back(0);
        sliceEnds.push_back(1);
        sliceSteps.push_back(1);
        continue;
      }
      // x[:, s:-c:step] and x[:, s::step]: the end counts from the end (an
      // end of 0 is index 0, an empty slice).
      constexpr int64_t kLimit = std::numeric_limits<int32_t>::max();
      // torch.flip: [-1::-1], from the last entry down past index 0.
      if (step == -1 && (first == -1 || first >= kLimit) && last <= -kLimit) {
        reversedAxes.push_back(*axis);
        continue;
      }
      bool toEnd = last >= kLimit;
      if (first < 0 || first > kLimit || step < 0 || step > kLimit ||
          last < -kLimit || (last >= 0 && !toEnd))
        return error(node) << "slicing the dynamic dimension "
                           << shape[*axis].toString() << " as [" << first << ":"
                           << last << ":" << step
                           << "] is not supported (only [0:1], [::-1], or a "
                              "start >= 0, a positive step and an end that is "
                              "the dimension's end or counts back from it)";
      int64_t fromEnd = toEnd ? 0 : last;
      FailureOr<SymbolicDim> length =
          deriveDim(node, shape[*axis], fromEnd - first - 1, step, 1);
      if (failed(length))
        return failure();
      shape[*axis] = *length;
      sliceAxes.push_back(*axis);
      sliceStarts.push_back(first);
      sliceEnds.push_back(fromEnd);
      sliceSteps.push_back(step);
      continue;
    }
    // ONNX's clamping: a negative step runs down to index 0, so its end
    // may be one before it.
    int64_t size = shape[*axis].staticValue();
    first = first < 0 ? first + size : first;
    last = last < 0 ? last + size : last;
    first = std::clamp<int64_t>(first, 0, step > 0 ? size : size - 1);
    last = std::clamp<int64_t>(last, step > 0 ? 0 : -1,
                               step > 0 ? size : size - 1);
    int64_t span = step > 0 ? last - first : first - last;
    int64_t stride = step > 0 ? step : step == INT64_MIN ? INT64_MAX : -step;
    int64_t count = span <= 0 ? 0 : 1 + (span - 1) / stride;
    if (count == 0)
      return error(node) << "the slice [" << (*starts)[i] << ":" << (*ends)[i]
                         << ":" << step << "] of dimension " << size
                         << " is empty";
    // One entry reads only `first`: any step does.
    if (count == 1)
      step = step > 0 ? 1 : -1;
    shape[*axis] = SymbolicDim::constant(count);
    sliceAxes.push_back(*axis);
    sliceStarts.push_back(first);
    sliceEnds.push_back(count == 1 ? first + step : last);
    sliceSteps.push_back(step);
  }
  Value value = materialise(node, *data);
  if (!value)
    return failure();
  Location loc = nodeLoc(node);
  // A dynamic axis reverses as a gather at -1, -2, ..., -dim: negative
  // indices count from the end.
  for (int64_t axis : reversedAxes) {
    // The indices count along the tensor's own axis, whatever its length.
    SymbolicShape indexShape = {data->shape[axis]};
    Value ascending =
        builder.create<hm::IotaOp>(loc, tensorType(DType::I64, indexShape),
                                   value, builder.getI64IntegerAttr(axis));
    Value last = filled(node, DType::I64, {SymbolicDim::constant(1)}, -1);
    if (!last)
      return failure();
    Value descending = builder.create<hm::SubOp>(
        loc, tensorType(DType::I64, indexShape), last, ascending);
    value =
        builder.create<hm::GatherOp>(loc, value.getType(), value, descending,
                                     builder.getI64IntegerAttr(axis));
  }
  if (!sliceAxes.empty())
    value =
        builder.create<hm::SliceOp>(loc, tensorType(data->dtype, shape), value,
                                    builder.getDenseI64ArrayAttr(sliceAxes),
                                    builder.getDenseI64ArrayAttr(sliceStarts),
                                    builder.getDenseI64ArrayAttr(sliceEnds),
                                    builder.getDenseI64ArrayAttr(sliceSteps));
  define(node, 0, tensorEntry(value, data->dtype, shape));
  return success();
}

LogicalResult Importer::importRange(const onnx::NodeProto &node) {
  Entry *start = lookup(node, 0), *limit = lookup(node, 1),
        *delta = lookup(node, 2);
  for (Entry *scalar : {start, limit, delta})
    if (!scalar->shape.empty() &&
        !(scalar->shape.size() == 1 && scalar->shape[0].isStatic() &&
          scalar->shape[0].staticValue() == 1))
      return error(node) << "start, limit and delta must be scalars";
  auto first = hostOf(start), last = hostOf(limit), step = hostOf(delta);
  // All three known: the range is a constant.
  if (first && last && step) {
    double from = first->getDouble(0), to = last->getDouble(0),
           by = step->getDouble(0);
    if (by == 0)
      return error(node) << "delta is 0";
    double count = std::max(std::ceil((to - from) / by), 0.0);
    if (count > static_cast<double>(kMaxElements))
      return error(node) << "the range has too many elements";
    HostTensor host;
    host.dtype = limit->dtype;
    host.shape = {static_cast<int64_t>(count)};
    host.bytes.resize(host.shape[0] * dtypeSize(host.dtype));
    for (int64_t i = 0; i < host.shape[0]; ++i)
      host.setFromDouble(i, from + static_cast<double>(i) * by);
    Entry entry;
    entry.dtype = host.dtype;
    entry.shape = {SymbolicDim::constant(host.shape[0])};
    entry.host = std::move(host);
    define(node, 0, std::move(entry));
    return success();
  }
  if (!first || !step || step->getDouble(0) != 1 || !limit->intValues)
    return error(node) << "only Range(s, dim + s, 1) over a dimension is "
                          "supported at run time";
  SymbolicDim length = canonical((*limit->intValues)[0]);
  // Range(s, dim + s, 1), as in arange(1, T + 1): 0 .. dim - 1, plus s.
  if (double offset = first->getDouble(0); offset != 0) {
    const DerivedSymbol *sum = sumOf(length);
    if (!sum || sum->add + sum->post != offset)
      return error(node) << "only Range(s, dim + s, 1) over a dimension is "
                            "supported at run time";
    SymbolicDim base = canonical(SymbolicDim::symbol(sum->base));
    Value indices = iota(node, base, limit->dtype);
    if (!indices)
      return failure();
    SymbolicShape shape = {base};
    Value result =
        binaryOp("Add", nodeLoc(node), tensorType(limit->dtype, shape), indices,
                 filled(node, limit->dtype, {}, offset));
    define(node, 0, tensorEntry(result, limit->dtype, shape));
    return success();
  }
  if (!dimOrigin(length))
    return error(node) << "an index range of run-time length "
                       << length.toString()
                       << " is not supported (only an input dimension or one "
                          "computed from it)";
  Entry entry;
  entry.dtype = limit->dtype;
  entry.iotaLength = length;
  entry.shape = {*entry.iotaLength};
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importReshape(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0), *shapeEntry = lookup(node, 1);
  std::optional<SymbolicShape> dims = dimValues(shapeEntry);
  if (!dims)
    return error(node) << "the target shape must be computable at compile "
                          "time";
  SymbolicShape target = std::move(*dims);
  bool allowZero = intAttr(node, "allowzero", 0) != 0;
  SymbolicDim total = SymbolicDim::constant(1);
  for (const SymbolicDim &d : input->shape)
    total = total * canonical(d);
  int inferred = -1;
  SymbolicDim known = SymbolicDim::constant(1);
  for (size_t i = 0; i < target.size(); ++i) {
    SymbolicDim &d = target[i];
    d = canonical(d);
    if (d.isStatic() && d.staticValue() == 0 && !allowZero) {
      if (i >= input->shape.size())
        return error(node) << "shape entry 0 at " << i
                           << " has no input dimension to copy";
      d = canonical(input->shape[i]);
    }
    if (d.isStatic() && d.staticValue() == -1) {
      if (inferred >= 0)
        return error(node) << "more than one -1 in the target shape";
      inferred = static_cast<int>(i);
      continue;
    }
    if (d.isStatic() && (d.staticValue() < 0 || d.staticValue() > kMaxElements))
      return error(node) << "invalid target dimension " << d.staticValue();
    known = known * d;
  }
  if (inferred >= 0) {
    auto rest = total.divide(known);
    if (!rest)
      return error(node) << "cannot infer the -1 dimension: "
                         << total.toString() << " elements into "
                         << shapeToString(target);
    target[inferred] = *rest;
  } else if (known != total) {
    // One symbol on each side left over: the same length under two names
    // (a mask's T viewed to the features' subsampled length), unified.
    std::vector<std::string> extraTotal, extraKnown;
    const auto &a = total.getSymbols(), &b = known.getSymbols();
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(),
                        std::back_inserter(extraTotal));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(),
                        std::back_inserter(extraKnown));
    SymbolicDim same;
    if (total.getCoefficient() != known.getCoefficient() ||
        extraTotal.size() != 1 || extraKnown.size() != 1 ||
        !unifyDims(SymbolicDim::symbol(extraTotal[0]),
                   SymbolicDim::symbol(extraKnown[0]), same))
      return error(node) << "cannot reshape " << shapeToString(input->shape)
                         << " to " << shapeToString(target);
    for (SymbolicDim &d : target)
      d = canonical(d);
  }
  return defineReshaped(node, *input, target);
}

LogicalResult Importer::importFlatten(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  int64_t axis = intAttr(node, "axis", 1);
  if (axis < -rank || axis > rank)
    return error(node) << "axis " << axis << " is out of range for rank "
                       << rank;
  if (axis < 0)
    axis += rank;
  SymbolicShape shape(2, SymbolicDim::constant(1));
  for (int64_t i = 0; i < rank; ++i)
    shape[i < axis ? 0 : 1] =
        shape[i < axis ? 0 : 1] * canonical(input->shape[i]);
  return defineReshaped(node, *input, shape);
}

LogicalResult Importer::importTranspose(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  std::vector<int64_t> perm;
  if (auto p = intsAttr(node, "perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return error(node) << "perm does not match the rank";
  SymbolicShape shape;
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return error(node) << "perm is not a permutation of 0.." << rank - 1;
    seen[p] = true;
    shape.push_back(input->shape[p]);
  }
  // Weights transposed in the graph (exports without constant folding) stay
  // constants, so dense layers are recognised as such.
  if (auto host = hostOf(input)) {
    const HostTensor &from = *host;
    Entry entry;
    entry.dtype = input->dtype;
    entry.shape = shape;
    entry.host = from;
    HostTensor &to = *entry.host;
    to.shape.clear();
    for (int64_t p : perm)
      to.shape.push_back(from.shape[p]);
    std::vector<int64_t> fromStrides(rank, 1), toStrides(rank, 1);
    for (int64_t i = rank - 2; i >= 0; --i) {
      fromStrides[i] = fromStrides[i + 1] * from.shape[i + 1];
      toStrides[i] = toStrides[i + 1] * to.shape[i + 1];
    }
    size_t width = dtypeSize(from.dtype);
    for (int64_t i = 0; i < to.numElements(); ++i) {
      int64_t offset = 0;
      for (int64_t k = 0, rest = i; k < rank; rest %= toStrides[k], ++k)
        offset += rest / toStrides[k] * fromStrides[perm[k]];
      std::memcpy(to.bytes.data() + i * width,
                  from.bytes.data() + offset * width, width);
    }
    define(node, 0, std::move(entry));
    return success();
  }
  Value value = materialise(node, *input);
  if (!value)
    return failure();
  Value result = builder.create<hm::TransposeOp>(
      nodeLoc(node), tensorType(input->dtype, shape), value,
      builder.getDenseI64ArrayAttr(perm));
  define(node, 0, tensorEntry(result, input->dtype, shape));
  return success();
}

LogicalResult Importer::importMatMul(const onnx::NodeProto &node) {
  Entry *lhs = lookup(node, 0), *rhs = lookup(node, 1);
  if (!isFloat(lhs->dtype) || lhs->dtype != rhs->dtype)
    return error(node) << "operands must share a float element type";
  if (lhs->shape.size() < 2 || rhs->shape.size() < 1)
    return error(node) << "1-D left operands are not supported";
  // x @ w with a constant 1-D w: a dense layer with one output column,
  // which the result drops.
  if (rhs->host && rhs->shape.size() == 1) {
    SymbolicDim k;
    if (failed(unify(node, lhs->shape.back(), rhs->shape[0], k)))
      return failure();
    Entry column = *rhs;
    column.shape.push_back(SymbolicDim::constant(1));
    column.host->shape.push_back(1);
    Value x = materialise(node, *lhs), w = materialise(node, column);
    if (!x || !w)
      return failure();
    SymbolicShape wide = lhs->shape;
    wide.back() = SymbolicDim::constant(1);
    Value result = builder.create<hm::LinearOp>(
        nodeLoc(node), tensorType(lhs->dtype, wide), x, w, Value());
    Entry entry = tensorEntry(result, lhs->dtype, wide);
    return defineReshaped(
        node, entry, SymbolicShape(lhs->shape.begin(), lhs->shape.end() - 1));
  }
  Value a = materialise(node, *lhs), b = materialise(node, *rhs);
  if (!a || !b)
    return failure();
  Location loc = nodeLoc(node);
  // x @ W with a constant 2-D W is a dense layer.
  if (rhs->host && rhs->shape.size() == 2) {
    SymbolicDim k;
    if (failed(unify(node, lhs->shape.back(), rhs->shape[0], k)))
      return failure();
    SymbolicShape shape = lhs->shape;
    shape.back() = rhs->shape[1];
    Value result = builder.create<hm::LinearOp>(
        loc, tensorType(lhs->dtype, shape), a, b, Value());
    define(node, 0, tensorEntry(result, lhs->dtype, shape));
    return success();
  }
  if (rhs->shape.size() < 2)
    return error(node) << "1-D right operands are only supported as "
                          "constants";
  SymbolicDim k;
  if (failed(
          unify(node, lhs->shape.back(), rhs->shape[rhs->shape.size() - 2], k)))
    return failure();
  SymbolicShape batch;
  if (failed(broadcast(
          node, SymbolicShape(lhs->shape.begin(), lhs->shape.end() - 2),
          SymbolicShape(rhs->shape.begin(), rhs->shape.end() - 2), batch)))
    return failure();
  batch.push_back(lhs->shape[lhs->shape.size() - 2]);
  batch.push_back(rhs->shape.back());
  Value result =
      builder.create<hm::MatMulOp>(loc, tensorType(lhs->dtype, batch), a, b);
  define(node, 0, tensorEntry(result, lhs->dtype, batch));
  return success();
}

LogicalResult Importer::importGemm(const onnx::NodeProto &node) {
  // alpha * A op(B) + beta * C with a constant B is nn.Linear; alpha and
  // beta fold into the constants at compile time.
  Entry *a = lookup(node, 0), *b = lookup(node, 1), *c = lookup(node, 2);
  if (!isFloat(a->dtype) || a->dtype != b->dtype || (c && c->dtype != a->dtype))
    return error(node) << "operands must share a float element type";
  if (intAttr(node, "transA", 0) != 0 || !b->host || (c && !c->host))
    return error(node) << "only x @ op(W) + bias with constant W and bias "
                          "(no transA) is supported";
  if (a->shape.size() != 2 || b->shape.size() != 2)
    return error(node) << "operands must be 2-D";
  bool transB = intAttr(node, "transB", 0) != 0;
  float alpha = floatAttr(node, "alpha", 1.0f),
        beta = floatAttr(node, "beta", 1.0f);
  const HostTensor &w = *b->host;
  int64_t rows = w.shape[0], cols = w.shape[1];
  int64_t k = transB ? cols : rows, m = transB ? rows : cols;
  Entry weight;
  weight.dtype = w.dtype;
  weight.shape = {SymbolicDim::constant(k), SymbolicDim::constant(m)};
  weight.name = b->name;
  HostTensor transposed = w;
  transposed.shape = {k, m};
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < m; ++j)
      transposed.setFromDouble(
          i * m + j, alpha * w.getDouble(transB ? j * cols + i : i * cols + j));
  weight.host = std::move(transposed);
  SymbolicDim unified;
  if (failed(unify(node, a->shape.back(), weight.shape[0], unified)))
    return failure();

  // C broadcasts against [M, N]: a row or a scalar is the layer's bias;
  // anything else ([M, N], [M, 1]) is added to its result.
  SymbolicShape shape = {a->shape[0], SymbolicDim::constant(m)};
  auto leadingOnes = [](const std::vector<int64_t> &dims) {
    return dims.size() <= 1 || std::all_of(dims.begin(), dims.end() - 1,
                                           [](int64_t d) { return d == 1; });
  };
  bool rowBias = c && leadingOnes(c->host->shape) &&
                 (c->host->numElements() == m || c->host->numElements() == 1);
  Entry bias;
  if (c && rowBias) {
    const HostTensor &host = *c->host;
    bias.dtype = host.dtype;
    bias.shape = {SymbolicDim::constant(m)};
    bias.name = c->name;
    HostTensor scaled;
    scaled.dtype = host.dtype;
    scaled.shape = {m};
    scaled.bytes.resize(m * dtypeSize(host.dtype));
    for (int64_t j = 0; j < m; ++j)
      scaled.setFromDouble(
          j, beta * host.getDouble(host.numElements() == 1 ? 0 : j));
    bias.host = std::move(scaled);
  }
  Value x = materialise(node, *a), wValue = materialise(node, weight);
  Value bValue = rowBias ? materialise(node, bias) : Value();
  if (!x || !wValue || (rowBias && !bValue))
    return failure();
  Value result = builder.create<hm::LinearOp>(
      nodeLoc(node), tensorType(a->dtype, shape), x, wValue, bValue);
  if (c && !rowBias) {
    SymbolicShape combined;
    if (failed(broadcast(node, shape, c->shape, combined)))
      return failure();
    if (combined != shape)
      return error(node) << "bias C of shape " << shapeToString(c->shape)
                         << " would grow the result " << shapeToString(shape);
    Entry addend = *c;
    for (int64_t i = 0; i < addend.host->numElements(); ++i)
      addend.host->setFromDouble(i, beta * c->host->getDouble(i));
    Value cValue = materialise(node, addend);
    if (!cValue)
      return failure();
    result = builder.create<hm::AddOp>(
        nodeLoc(node), tensorType(a->dtype, shape), result, cValue);
  }
  define(node, 0, tensorEntry(result, a->dtype, shape));
  return success();
}

std::optional<HostTensor> Importer::hostOf(Entry *entry) {
  if (entry->host)
    return entry->host;
  auto ints = constInts(entry);
  if (!ints)
    return std::nullopt;
  HostTensor host;
  host.dtype = entry->dtype;
  for (const SymbolicDim &d : entry->shape) {
    if (!d.isStatic())
      return std::nullopt;
    host.shape.push_back(d.staticValue());
  }
  if (host.numElements() != static_cast<int64_t>(ints->size()))
    return std::nullopt;
  host.bytes.resize(ints->size() * dtypeSize(host.dtype));
  for (size_t i = 0; i < ints->size(); ++i)
    host.setFromInt(i, (*ints)[i]);
  return host;
}

FailureOr<SymbolicDim> Importer::deriveDim(const onnx::NodeProto &node,
                                           const SymbolicDim &dim, int64_t add,
                                           int64_t div, int64_t post,
                                           int64_t mul) {
  SymbolicDim base = canonical(dim);
  auto floorDiv = [](int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
  };
  if (base.isStatic()) {
    int64_t value = floorDiv(mul * base.staticValue() + add, div) + post;
    if (value < 1) {
      error(node) << "the output dimension would be " << value;
      return failure();
    }
    return SymbolicDim::constant(value);
  }
  // A base that is itself mul' base' + c (a pad's output) composes, so that
  // pad-then-crop lengths come back to their input symbol instead of a
  // chain that names it twice.
  if (const DerivedSymbol *affine = affineOf(base)) {
    add += mul * affine->add;
    mul *= affine->mul;
    base = canonical(SymbolicDim::symbol(affine->base));
  }
  // floor((m q base + add) / q) = m base + floor(add / q): (2T - 1) // 2 + 1
  // is T again.
  if (mul % div == 0) {
    mul /= div;
    add = floorDiv(add, div) + post;
    div = 1;
    post = 0;
  }
  // c - T + T is c again.
  if (mul == 0) {
    int64_t value = floorDiv(add, div) + post;
    if (value < 1) {
      error(node) << "the output dimension would be " << value;
      return failure();
    }
    return SymbolicDim::constant(value);
  }
  // A negative multiple is a value (a window's start c - T), never a
  // dimension: the kernel-graph export refuses it as one.
  if (std::abs(mul) > kMaxDimMultiple) {
    error(node) << "a dimension " << mul << " x " << base.toString()
                << " is not supported (multiples up to " << kMaxDimMultiple
                << ")";
    return failure();
  }
  if (mul == 1 && add == 0 && div == 1)
    return base;
  if (base.getSymbols().size() != 1 || base.getCoefficient() != 1) {
    error(node) << "a dimension computed from " << base.toString()
                << " is not supported (only from a single symbol)";
    return failure();
  }
  const std::string &from = base.getSymbols()[0];
  for (const DerivedSymbol &d : derivedSymbols)
    if (findSymbol(d.base) == from && d.mul == mul && d.add == add &&
        d.div == div && d.post == post)
      return SymbolicDim::symbol(d.name);
  // Names read as their origin: T_1, T_2, ... in the order they appear.
  std::string root = from.substr(0, from.find('_'));
  std::string name;
  for (int i = 1;
       name.empty() || symbolOrder.count(name) ||
       llvm::any_of(derivedSymbols, [&](auto &d) { return d.name == name; });
       ++i)
    name = root + "_" + std::to_string(i);
  derivedSymbols.push_back({name, from, mul, add, div, post});
  symbolOrder[name] = static_cast<int>(symbolOrder.size());
  return SymbolicDim::symbol(name);
}

LogicalResult Importer::importConstantOfShape(const onnx::NodeProto &node) {
  std::optional<SymbolicShape> dims = dimValues(lookup(node, 0));
  if (!dims)
    return error(node) << "the shape must be known at compile time (a "
                          "constant or computed from dimensions)";
  DType dtype = DType::F32;
  double fill = 0;
  for (const auto &a : node.attribute())
    if (a.name() == "value") {
      HostTensor value;
      if (failed(loadTensor(a.t(), nodeLoc(node), value)))
        return failure();
      if (value.numElements() != 1)
        return error(node) << "value must have one element";
      dtype = value.dtype;
      fill = value.getDouble(0);
    }
  SymbolicShape shape;
  int64_t count = 1;
  bool dynamic = false;
  for (const SymbolicDim &d : *dims) {
    shape.push_back(canonical(d));
    if (!shape.back().isStatic()) {
      dynamic = true;
      continue;
    }
    int64_t size = shape.back().staticValue();
    if (size < 0 || size > kMaxElements / std::max<int64_t>(count, 1))
      return error(node) << "shape is too large";
    count *= size;
  }
  if (dynamic) {
    Value value = filled(node, dtype, shape, fill);
    if (!value)
      return failure();
    define(node, 0, tensorEntry(value, dtype, shape));
    return success();
  }
  HostTensor host;
  host.dtype = dtype;
  for (const SymbolicDim &d : shape)
    host.shape.push_back(d.staticValue());
  host.bytes.resize(count * dtypeSize(host.dtype));
  for (int64_t i = 0; i < count; ++i)
    host.setFromDouble(i, fill);
  Entry entry;
  entry.dtype = host.dtype;
  entry.shape = shape;
  entry.host = std::move(host);
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importHostSlice(const onnx::NodeProto &node,
                                        const HostTensor &data,
                                        const std::vector<int64_t> &starts,
                                        const std::vector<int64_t> &ends,
                                        const std::vector<int64_t> &axes,
                                        const std::vector<int64_t> &steps) {
  std::optional<HostTensor> out = sliceHost(data, starts, ends, axes, steps);
  if (!out)
    return error(node) << "bad axis or zero step";
  Entry entry;
  entry.dtype = out->dtype;
  for (int64_t d : out->shape)
    entry.shape.push_back(SymbolicDim::constant(d));
  entry.host = std::move(*out);
  define(node, 0, std::move(entry));
  return success();
}

LogicalResult Importer::importPool(const onnx::NodeProto &node) {
  // Each window position is a strided slice of the (padded) input; the
  // windows combine by max, or by sum over the count of what they cover.
  Entry *input = lookup(node, 0);
  bool isMax = node.op_type() == "MaxPool";
  int64_t rank = static_cast<int64_t>(input->shape.size());
  if (!isFloat(input->dtype) || rank < 3)
    return error(node) << "needs a float input [N, C, spatial...]";
  if (node.output_size() > 1 && !node.output(1).empty())
    return error(node) << "the Indices output is not supported";
  std::string autoPad = stringAttr(node, "auto_pad").value_or("NOTSET");
  if (autoPad != "NOTSET" && autoPad != "VALID")
    return error(node) << "auto_pad " << autoPad << " is not supported";
  size_t spatial = static_cast<size_t>(rank - 2);
  auto kernel = intsAttr(node, "kernel_shape");
  if (!kernel || kernel->size() != spatial)
    return error(node) << "kernel_shape must have one entry per spatial axis";
  auto strides =
      intsAttr(node, "strides").value_or(std::vector<int64_t>(spatial, 1));
  auto dilations =
      intsAttr(node, "dilations").value_or(std::vector<int64_t>(spatial, 1));
  auto pads =
      intsAttr(node, "pads").value_or(std::vector<int64_t>(2 * spatial, 0));
  if (autoPad == "VALID")
    pads.assign(2 * spatial, 0);
  if (strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial)
    return error(node) << "strides, dilations and pads must match the "
                          "spatial axes";
  bool padded = llvm::any_of(pads, [](int64_t p) { return p != 0; });
  bool countPads = isMax || !padded || intAttr(node, "count_include_pad", 0);
  bool ceilMode = intAttr(node, "ceil_mode", 0) != 0;
  std::vector<int64_t> spans(spatial); // first to last element of a window
  for (size_t a = 0; a < spatial; ++a) {
    if ((*kernel)[a] < 1 || strides[a] < 1 || dilations[a] < 1 || pads[a] < 0 ||
        pads[a + spatial] < 0)
      return error(node) << "kernel, strides, dilations and pads must be "
                            "positive";
    const SymbolicDim &dim = canonical(input->shape[2 + a]);
    spans[a] = dilations[a] * ((*kernel)[a] - 1);
    // ceil_mode only matters when a last, partial window would start.
    bool partial =
        dim.isStatic()
            ? (dim.staticValue() + pads[a] + pads[a + spatial] - spans[a] - 1) %
                      strides[a] !=
                  0
            : strides[a] != 1;
    if (ceilMode && partial)
      return error(node) << "ceil_mode with a partial last window is not "
                            "supported";
  }

  Location loc = nodeLoc(node);
  SymbolicShape paddedShape = input->shape;
  std::vector<int64_t> fullPads(2 * rank, 0);
  for (size_t a = 0; a < spatial; ++a) {
    fullPads[2 + a] = pads[a];
    fullPads[rank + 2 + a] = pads[a + spatial];
    auto dim =
        deriveDim(node, input->shape[2 + a], pads[a] + pads[a + spatial], 1, 0);
    if (failed(dim))
      return failure();
    paddedShape[2 + a] = *dim;
  }
  SymbolicShape shape = paddedShape;
  for (size_t a = 0; a < spatial; ++a) {
    auto dim =
        deriveDim(node, paddedShape[2 + a], -spans[a] - 1, strides[a], 1);
    if (failed(dim))
      return failure();
    shape[2 + a] = *dim;
  }
  RankedTensorType type = tensorType(input->dtype, shape);

  // Sum or maximum over the windows of `source` (padded with `padValue`).
  auto pool = [&](Value source, SymbolicShape sourceShape, double padValue,
                  bool maximum) -> Value {
    if (padded) {
      SymbolicShape padShape = sourceShape;
      for (size_t a = 0; a < spatial; ++a)
        padShape[2 + a] = paddedShape[2 + a];
      source =
          builder.create<hm::PadOp>(loc, tensorType(input->dtype, padShape),
                                    source, builder.getStringAttr("constant"),
                                    builder.getDenseI64ArrayAttr(fullPads),
                                    builder.getF64FloatAttr(padValue));
      recordDerivedOrigins(source, padShape);
      sourceShape = padShape;
    }
    SymbolicShape windowShape = sourceShape;
    for (size_t a = 0; a < spatial; ++a)
      windowShape[2 + a] = shape[2 + a];
    RankedTensorType windowType = tensorType(input->dtype, windowShape);
    Value total;
    std::vector<int64_t> offset(spatial, 0);
    while (true) {
      SmallVector<int64_t> axes, starts, ends, steps;
      for (size_t a = 0; a < spatial; ++a) {
        int64_t first = offset[a] * dilations[a];
        int64_t after = spans[a] - first;
        const SymbolicDim &dim = sourceShape[2 + a];
        axes.push_back(static_cast<int64_t>(2 + a));
        starts.push_back(first);
        // A dynamic axis ends `after` before its end; a static one after
        // its last window.
        ends.push_back(
            !dim.isStatic()
                ? -after
                : first + (shape[2 + a].staticValue() - 1) * strides[a] + 1);
        steps.push_back(strides[a]);
      }
      Value window = builder.create<hm::SliceOp>(
          loc, windowType, source, builder.getDenseI64ArrayAttr(axes),
          builder.getDenseI64ArrayAttr(starts),
          builder.getDenseI64ArrayAttr(ends),
          builder.getDenseI64ArrayAttr(steps));
      total =
          !total ? window
          : maximum
              ? Value(builder.create<hm::MaxOp>(loc, windowType, total, window))
              : Value(
                    builder.create<hm::AddOp>(loc, windowType, total, window));
      size_t a = spatial;
      while (a > 0 && ++offset[a - 1] == (*kernel)[a - 1])
        offset[--a] = 0;
      if (a == 0)
        return total;
    }
  };

  Value x = materialise(node, *input);
  if (!x)
    return failure();
  Value result;
  if (isMax) {
    result = pool(x, input->shape, -INFINITY, true);
  } else {
    Value sum = pool(x, input->shape, 0.0, false);
    int64_t size = 1;
    for (int64_t k : *kernel)
      size *= k;
    Value count;
    if (countPads) {
      count = filled(node, input->dtype, {}, static_cast<double>(size));
    } else {
      // The windows' cover of the input: the same pool over ones.
      SymbolicShape onesShape(2, SymbolicDim::constant(1));
      onesShape.insert(onesShape.end(), input->shape.begin() + 2,
                       input->shape.end());
      Value ones = filled(node, input->dtype, onesShape, 1.0);
      if (!ones)
        return failure();
      count = pool(ones, onesShape, 0.0, false);
    }
    if (!sum || !count)
      return failure();
    result = builder.create<hm::DivOp>(loc, type, sum, count);
  }
  define(node, 0, tensorEntry(result, input->dtype, shape));
  return success();
}

LogicalResult Importer::importPad(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  std::string mode = stringAttr(node, "mode").value_or("constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return error(node) << "mode '" << mode << "' is not supported";
  if (!isFloat(input->dtype))
    return unsupportedType(node, input->dtype);
  auto pads = constInts(lookup(node, 1));
  if (!pads)
    return error(node) << "pads must be compile-time constants";
  std::vector<int64_t> full(2 * rank, 0);
  if (Entry *axesEntry = lookup(node, 3)) {
    auto axes = constInts(axesEntry);
    if (!axes || pads->size() != 2 * axes->size())
      return error(node) << "axes must be compile-time constants matching pads";
    for (size_t i = 0; i < axes->size(); ++i) {
      auto axis = normaliseAxis((*axes)[i], rank);
      if (!axis)
        return error(node) << "axis is out of range";
      full[*axis] = (*pads)[i];
      full[*axis + rank] = (*pads)[i + axes->size()];
    }
  } else if (static_cast<int64_t>(pads->size()) == 2 * rank) {
    full = *pads;
  } else {
    return error(node) << "pads must have 2 * rank entries";
  }
  double value = 0;
  if (Entry *valueEntry = lookup(node, 2)) {
    if (!valueEntry->host || valueEntry->host->numElements() != 1)
      return error(node) << "the constant value must be a compile-time scalar";
    value = valueEntry->host->getDouble(0);
  }
  SymbolicShape shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (full[i] < 0 || full[i + rank] < 0)
      return error(node) << "negative pads (cropping) are not supported";
    if (mode == "reflect" && input->shape[i].isStatic() &&
        (full[i] >= input->shape[i].staticValue() ||
         full[i + rank] >= input->shape[i].staticValue()))
      return error(node)
             << "reflect padding must be smaller than the dimension";
    auto dim = deriveDim(node, input->shape[i], full[i] + full[i + rank], 1, 0);
    if (failed(dim))
      return failure();
    shape.push_back(*dim);
  }
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  Value result = builder.create<hm::PadOp>(
      nodeLoc(node), tensorType(input->dtype, shape), x,
      builder.getStringAttr(mode), builder.getDenseI64ArrayAttr(full),
      builder.getF64FloatAttr(value));
  recordDerivedOrigins(result, shape);
  define(node, 0, tensorEntry(result, input->dtype, shape));
  return success();
}

LogicalResult Importer::importConv(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0), *weight = lookup(node, 1),
        *bias = lookup(node, 2);
  if (!isFloat(input->dtype) || weight->dtype != input->dtype ||
      (bias && bias->dtype != input->dtype))
    return error(node) << "operands must share a float element type";
  if (!weight->host || (bias && !bias->host))
    return error(node) << "weights and bias must be constants";
  int64_t rank = static_cast<int64_t>(input->shape.size());
  int64_t spatial = rank - 2;
  if (spatial < 1 || spatial > 2 ||
      static_cast<int64_t>(weight->shape.size()) != rank)
    return error(node) << "only 1-D and 2-D convolutions are supported";
  std::string autoPad = stringAttr(node, "auto_pad").value_or("NOTSET");
  if (autoPad != "NOTSET")
    return error(node) << "auto_pad " << autoPad << " is not supported";
  int64_t groups = intAttr(node, "group", 1);
  std::vector<int64_t> strides =
      intsAttr(node, "strides").value_or(std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> dilations =
      intsAttr(node, "dilations").value_or(std::vector<int64_t>(spatial, 1));
  std::vector<int64_t> pads =
      intsAttr(node, "pads").value_or(std::vector<int64_t>(2 * spatial, 0));
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return error(node) << "strides, dilations and pads must match the rank";
  const HostTensor &w = *weight->host;
  int64_t cOut = w.shape[0];
  if (!input->shape[1].isStatic() || groups < 1 || cOut % groups ||
      input->shape[1].staticValue() != w.shape[1] * groups)
    return error(node) << "input channels " << input->shape[1].toString()
                       << " do not match the weight "
                       << shapeToString(weight->shape) << " with " << groups
                       << " groups";
  SymbolicShape shape = {input->shape[0], SymbolicDim::constant(cOut)};
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t k = w.shape[2 + i];
    if (strides[i] < 1 || dilations[i] < 1 || pads[i] < 0 ||
        pads[i + spatial] < 0)
      return error(node) << "strides and dilations must be positive, pads "
                            "non-negative";
    auto dim =
        deriveDim(node, input->shape[2 + i],
                  pads[i] + pads[i + spatial] - dilations[i] * (k - 1) - 1,
                  strides[i], 1);
    if (failed(dim))
      return failure();
    shape.push_back(*dim);
  }
  Value x = materialise(node, *input), wv = materialise(node, *weight);
  Value bv = bias ? materialise(node, *bias) : Value();
  if (!x || !wv || (bias && !bv))
    return failure();
  Value result = builder.create<hm::ConvOp>(
      nodeLoc(node), tensorType(input->dtype, shape), x, wv, bv,
      builder.getDenseI64ArrayAttr(strides),
      builder.getDenseI64ArrayAttr(dilations),
      builder.getDenseI64ArrayAttr(pads), builder.getI64IntegerAttr(groups));
  recordDerivedOrigins(result, shape);
  define(node, 0, tensorEntry(result, input->dtype, shape));
  return success();
}

LogicalResult Importer::importActivation(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  if (!isFloat(input->dtype))
    return unsupportedType(node, input->dtype);
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  const std::string &op = node.op_type();
  Location loc = nodeLoc(node);
  Type type = x.getType();
  Type flags = cast<RankedTensorType>(type).clone(builder.getI1Type());
  auto constant = [&](double value) {
    return filled(node, input->dtype, {}, value);
  };
  auto alpha = [&](float fallback) {
    return constant(floatAttr(node, "alpha", fallback));
  };
  // x's shape on either side: the other operand is x or a scalar.
  auto binary = [&](const char *op) {
    return [&, op](Value a, Value b) {
      return binaryOp(op, loc, cast<RankedTensorType>(type), a, b);
    };
  };
  auto add = binary("Add"), sub = binary("Sub"), mul = binary("Mul"),
       div = binary("Div"), max = binary("Max"), min = binary("Min");
  auto less = [&](Value a, Value b) -> Value {
    return builder.create<hm::LessOp>(loc, flags, a, b);
  };
  auto equal = [&](Value a, Value b) -> Value {
    return builder.create<hm::EqualOp>(loc, flags, a, b);
  };
  auto select = [&](Value condition, Value a, Value b) -> Value {
    return builder.create<hm::WhereOp>(loc, type, condition, a, b);
  };
  auto exp = [&](Value a) -> Value {
    return builder.create<hm::ExpOp>(loc, type, a);
  };
  auto log = [&](Value a) -> Value {
    return builder.create<hm::LogOp>(loc, type, a);
  };
  // log(1 + u) and exp(y) - 1 without cancellation near 0 (Goldberg's and
  // Kahan's forms): the rounding of 1 + u, resp. exp(y), cancels out.
  auto log1p = [&](Value u) {
    Value w = add(constant(1), u);
    return select(equal(w, constant(1)), u,
                  div(mul(log(w), u), sub(w, constant(1))));
  };
  // Every use needs a <= 0 only (the other side is selected away); the
  // clamp keeps exp(y) a normal float and finite.
  auto expm1 = [&](Value a) {
    Value y = min(max(a, constant(-80)), constant(0));
    Value u = exp(y);
    return select(equal(u, constant(1)), y,
                  div(mul(sub(u, constant(1)), y), log(u)));
  };
  auto softplus = [&](Value a) {
    Value magnitude = builder.create<hm::AbsOp>(loc, type, a);
    return add(builder.create<hm::ReluOp>(loc, type, a),
               log1p(exp(builder.create<hm::NegOp>(loc, type, magnitude))));
  };
  auto positive = [&](Value a) { return less(constant(0), a); };

  Value result;
  if (op == "Sigmoid")
    result = builder.create<hm::SigmoidOp>(loc, type, x);
  else if (op == "Tanh")
    result = builder.create<hm::TanhOp>(loc, type, x);
  else if (op == "Exp")
    result = exp(x);
  else if (op == "Log")
    result = log(x);
  else if (op == "Relu")
    result = builder.create<hm::ReluOp>(loc, type, x);
  else if (op == "LeakyRelu")
    result = builder.create<hm::LeakyReluOp>(
        loc, type, x, builder.getF64FloatAttr(floatAttr(node, "alpha", 0.01f)));
  else if (op == "Softplus")
    result = softplus(x);
  else if (op == "Softsign")
    result = div(x, add(constant(1), builder.create<hm::AbsOp>(loc, type, x)));
  else if (op == "HardSigmoid")
    result =
        max(constant(0),
            min(constant(1), add(mul(alpha(0.2f), x),
                                 constant(floatAttr(node, "beta", 0.5f)))));
  else if (op == "HardSwish")
    result =
        mul(x, max(constant(0),
                   min(constant(1), add(div(x, constant(6)), constant(0.5)))));
  else if (op == "Mish")
    result = mul(x, builder.create<hm::TanhOp>(loc, type, softplus(x)));
  else if (op == "Elu")
    result = select(positive(x), x, mul(alpha(1.0f), expm1(x)));
  else if (op == "Selu")
    result = mul(constant(floatAttr(node, "gamma", 1.05070102214813232421875f)),
                 select(positive(x), x,
                        mul(alpha(1.67326319217681884765625f), expm1(x))));
  else if (op == "Celu")
    result =
        add(max(constant(0), x),
            min(constant(0), mul(alpha(1.0f), expm1(div(x, alpha(1.0f))))));
  else if (op == "ThresholdedRelu")
    result = select(less(alpha(1.0f), x), x, constant(0));
  else if (op == "Sign")
    result = select(positive(x), constant(1),
                    select(less(x, constant(0)), constant(-1), constant(0)));
  else {
    // PRelu: the slope broadcasts to x (ONNX's unidirectional broadcast).
    Entry *slopeEntry = lookup(node, 1);
    SymbolicShape shape;
    if (slopeEntry->dtype != input->dtype)
      return error(node) << "the slope must have the input's element type";
    if (failed(broadcast(node, input->shape, slopeEntry->shape, shape)))
      return failure();
    if (shape != input->shape)
      return error(node) << "the slope must broadcast to the input's shape";
    Value slope = materialise(node, *slopeEntry);
    if (!slope)
      return failure();
    result = select(less(x, constant(0)), mul(x, slope), x);
  }
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importVariadic(const onnx::NodeProto &node) {
  const std::string &op = node.op_type();
  // Two operands of Max and Min may be shape arithmetic.
  if ((op == "Max" || op == "Min") && node.input_size() == 2)
    return importBinary(node);
  Entry *first = lookup(node, 0);
  if (op == "Mean" ? !isFloat(first->dtype) : first->dtype == DType::Bool)
    return unsupportedType(node, first->dtype);
  Value result = materialise(node, *first);
  if (!result)
    return failure();
  SymbolicShape shape = first->shape;
  Location loc = nodeLoc(node);
  std::string kind = op == "Sum" || op == "Mean" ? "Add" : op;
  for (int i = 1; i < node.input_size(); ++i) {
    Entry *next = lookup(node, i);
    if (next->dtype != first->dtype)
      return error(node) << "operand element types differ";
    SymbolicShape joined;
    if (failed(broadcast(node, shape, next->shape, joined)))
      return failure();
    Value operand = materialise(node, *next);
    if (!operand)
      return failure();
    shape = joined;
    result =
        binaryOp(kind, loc, tensorType(first->dtype, shape), result, operand);
  }
  if (op == "Mean" && node.input_size() > 1)
    result = builder.create<hm::DivOp>(
        loc, tensorType(first->dtype, shape), result,
        filled(node, first->dtype, {}, node.input_size()));
  define(node, 0, tensorEntry(result, first->dtype, shape));
  return success();
}

LogicalResult Importer::importWhere(const onnx::NodeProto &node) {
  Entry *cond = lookup(node, 0), *x = lookup(node, 1), *y = lookup(node, 2);
  if (cond->dtype != DType::Bool || x->dtype != y->dtype)
    return error(node) << "needs a bool condition and operands of one type";
  SymbolicShape xy, shape;
  if (failed(broadcast(node, x->shape, y->shape, xy)) ||
      failed(broadcast(node, cond->shape, xy, shape)))
    return failure();
  // Choosing between shape vectors with a known condition keeps them
  // symbolic; so does choosing between constant integer vectors (a static
  // export of torch's expand computes its sizes that way).
  bool shapeVectors = x->intValues || y->intValues ||
                      (isInteger(x->dtype) && x->host && y->host);
  if (cond->host && shapeVectors && shape.size() == 1 && shape[0].isStatic()) {
    std::optional<SymbolicShape> a = dimValues(x), b = dimValues(y);
    if (a && b) {
      SymbolicShape chosen;
      const HostTensor &flags = *cond->host;
      for (int64_t i = 0; i < shape[0].staticValue(); ++i) {
        bool pick = flags.getDouble(flags.numElements() == 1 ? 0 : i) != 0;
        const SymbolicShape &from = pick ? *a : *b;
        chosen.push_back(from[from.size() == 1 ? 0 : i]);
      }
      Entry entry;
      entry.dtype = x->dtype;
      entry.shape = shape;
      entry.intValues = std::move(chosen);
      define(node, 0, std::move(entry));
      return success();
    }
  }
  Value c = materialise(node, *cond), a = materialise(node, *x),
        b = materialise(node, *y);
  if (!c || !a || !b)
    return failure();
  Value result = builder.create<hm::WhereOp>(
      nodeLoc(node), tensorType(x->dtype, shape), c, a, b);
  define(node, 0, tensorEntry(result, x->dtype, shape));
  return success();
}

LogicalResult Importer::importCompare(const onnx::NodeProto &node) {
  Entry *lhs = lookup(node, 0), *rhs = lookup(node, 1);
  const std::string &op = node.op_type();
  if (lhs->dtype != rhs->dtype)
    return error(node) << "operand element types differ";
  if (lhs->dtype == DType::Bool && op != "Equal")
    return error(node) << "bool operands are only compared for equality";
  SymbolicShape shape;
  if (failed(broadcast(node, lhs->shape, rhs->shape, shape)))
    return failure();
  // On shape vectors (torch's expand compares its sizes with -1) the result
  // is known at compile time: dimensions are at least 1. So is a single size
  // that is static or the same on both sides (squeeze's shape[d] == 1);
  // else it is compared at run time.
  if ((lhs->intValues || rhs->intValues) && shape.size() <= 1) {
    std::optional<SymbolicShape> a = dimValues(lhs), b = dimValues(rhs);
    if (a && b && (shape.empty() || shape[0].isStatic())) {
      HostTensor host;
      host.dtype = DType::Bool;
      int64_t count = shape.empty() ? 1 : shape[0].staticValue();
      if (!shape.empty())
        host.shape = {count};
      host.bytes.assign(static_cast<size_t>(count), 0);
      bool decided = true;
      for (int64_t i = 0; i < count; ++i) {
        SymbolicDim x = canonical((*a)[a->size() == 1 ? 0 : i]);
        SymbolicDim y = canonical((*b)[b->size() == 1 ? 0 : i]);
        if (op == "Greater" || op == "GreaterOrEqual")
          std::swap(x, y);
        bool strict = op == "Less" || op == "Greater";
        std::optional<bool> holds;
        if (x.isStatic() && y.isStatic())
          holds = op == "Equal" ? x.staticValue() == y.staticValue()
                  : strict      ? x.staticValue() < y.staticValue()
                                : x.staticValue() <= y.staticValue();
        else if (x == y)
          holds = op == "Equal" || !strict;
        // A single size may be derived (N - 1 is 0 at N = 1): it is not
        // assumed to be at least 1.
        else if (shape.empty())
          holds = std::nullopt;
        else if (y.isStatic() && y.staticValue() <= 0)
          holds = false; // a dimension is at least 1 > c
        else if (x.isStatic() && x.staticValue() <= 0)
          holds = op != "Equal"; // c < 1 <= a dimension
        decided = holds.has_value();
        if (!decided && shape.empty())
          break;
        if (!decided)
          return error(node) << "cannot compare the dimensions " << x.toString()
                             << " and " << y.toString() << " at compile time";
        host.bytes[static_cast<size_t>(i)] = *holds ? 1 : 0;
      }
      if (decided) {
        Entry entry;
        entry.dtype = DType::Bool;
        entry.shape = shape;
        entry.host = std::move(host);
        define(node, 0, std::move(entry));
        return success();
      }
    }
  }
  Value a = materialise(node, *lhs), b = materialise(node, *rhs);
  if (!a || !b)
    return failure();
  // a > b is b < a, a >= b is b <= a (exact for NaNs too).
  if (op == "Greater" || op == "GreaterOrEqual")
    std::swap(a, b);
  Location loc = nodeLoc(node);
  RankedTensorType type = tensorType(DType::Bool, shape);
  Value result;
  if (op == "Equal")
    result = builder.create<hm::EqualOp>(loc, type, a, b);
  else if (op == "Less" || op == "Greater")
    result = builder.create<hm::LessOp>(loc, type, a, b);
  else
    result = builder.create<hm::LessEqualOp>(loc, type, a, b);
  define(node, 0, tensorEntry(result, DType::Bool, shape));
  return success();
}

LogicalResult Importer::importLogical(const onnx::NodeProto &node) {
  Entry *lhs = lookup(node, 0), *rhs = lookup(node, 1);
  if (lhs->dtype != DType::Bool || rhs->dtype != DType::Bool)
    return error(node) << "needs bool operands";
  SymbolicShape shape;
  if (failed(broadcast(node, lhs->shape, rhs->shape, shape)))
    return failure();
  Value a = materialise(node, *lhs), b = materialise(node, *rhs);
  if (!a || !b)
    return failure();
  Location loc = nodeLoc(node);
  RankedTensorType type = tensorType(DType::Bool, shape);
  const std::string &op = node.op_type();
  Value result;
  if (op == "And")
    result = builder.create<hm::AndOp>(loc, type, a, b);
  else if (op == "Or")
    result = builder.create<hm::OrOp>(loc, type, a, b);
  else
    result = builder.create<hm::XorOp>(loc, type, a, b);
  define(node, 0, tensorEntry(result, DType::Bool, shape));
  return success();
}

std::optional<SymbolicShape> Importer::dimValues(Entry *entry) {
  if (entry->intValues)
    return entry->intValues;
  auto ints = constInts(entry);
  if (!ints)
    return std::nullopt;
  SymbolicShape values;
  for (int64_t v : *ints)
    values.push_back(SymbolicDim::constant(v));
  return values;
}

LogicalResult Importer::importExpand(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  std::optional<SymbolicShape> target = dimValues(lookup(node, 1));
  if (!target)
    return error(node) << "the target shape must be known at compile time "
                          "(a constant or computed from dimensions)";
  SymbolicShape shape;
  if (failed(broadcast(node, input->shape, *target, shape)))
    return failure();
  // The expanded dimensions become a broadcast against a neutral tensor
  // (x + 0, or x == true for bools) of those sizes.
  size_t offset = shape.size() - input->shape.size();
  SymbolicShape neutralShape;
  bool expands = offset > 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    bool fromInput = i >= offset &&
                     canonical(input->shape[i - offset]) == canonical(shape[i]);
    neutralShape.push_back(fromInput ? SymbolicDim::constant(1) : shape[i]);
    expands |= !fromInput;
  }
  if (!expands)
    return defineReshaped(node, *input, shape);
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  bool isBool = input->dtype == DType::Bool;
  Value neutral = filled(node, input->dtype, neutralShape, isBool ? 1 : 0);
  if (!neutral)
    return failure();
  Location loc = nodeLoc(node);
  auto type = tensorType(input->dtype, shape);
  Value result = isBool
                     ? Value(builder.create<hm::EqualOp>(loc, type, x, neutral))
                     : Value(builder.create<hm::AddOp>(loc, type, x, neutral));
  define(node, 0, tensorEntry(result, input->dtype, shape));
  return success();
}

// x.repeat(...): a dimension of 1 repeated r times is a broadcast, as in
// Expand; any other (static) dimension gets r copies concatenated.
LogicalResult Importer::importTile(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  auto repeats = constInts(lookup(node, 1));
  if (!repeats)
    return error(node) << "repeats must be compile-time constants";
  size_t rank = input->shape.size();
  if (repeats->size() != rank)
    return error(node) << "repeats has " << repeats->size()
                       << " entries for an input of rank " << rank;
  SymbolicShape broadcastShape = input->shape, neutralShape(rank);
  std::vector<bool> copied(rank, false);
  bool broadcasts = false;
  for (size_t i = 0; i < rank; ++i) {
    int64_t r = (*repeats)[i];
    if (r < 1)
      return error(node) << "repeat counts must be at least 1, got " << r;
    SymbolicDim dim = canonical(input->shape[i]);
    bool unit = dim.isStatic() && dim.staticValue() == 1;
    if (r > 1 && !unit && !dim.isStatic())
      return error(node) << "repeating the dynamic dimension " << dim.toString()
                         << " is not supported";
    neutralShape[i] = SymbolicDim::constant(unit ? r : 1);
    if (unit && r > 1) {
      broadcastShape[i] = SymbolicDim::constant(r);
      broadcasts = true;
    }
    copied[i] = !unit && r > 1;
  }
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  Location loc = nodeLoc(node);
  bool isBool = input->dtype == DType::Bool;
  if (broadcasts) {
    Value neutral = filled(node, input->dtype, neutralShape, isBool ? 1 : 0);
    if (!neutral)
      return failure();
    auto type = tensorType(input->dtype, broadcastShape);
    x = isBool ? Value(builder.create<hm::EqualOp>(loc, type, x, neutral))
               : Value(builder.create<hm::AddOp>(loc, type, x, neutral));
  }
  SymbolicShape shape = broadcastShape;
  for (size_t i = 0; i < rank; ++i) {
    if (!copied[i])
      continue;
    int64_t r = (*repeats)[i];
    shape[i] = SymbolicDim::constant(shape[i].staticValue() * r);
    SmallVector<Value> copies(static_cast<size_t>(r), x);
    x = builder.create<hm::ConcatOp>(loc, tensorType(input->dtype, shape),
                                     copies,
                                     builder.getI64IntegerAttr(int64_t(i)));
  }
  define(node, 0, tensorEntry(x, input->dtype, shape));
  return success();
}

LogicalResult Importer::importSoftmax(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  if (!isFloat(input->dtype))
    return unsupportedType(node, input->dtype);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  // Before opset 13 the input is viewed as 2-D [prod(dims < axis),
  // prod(dims >= axis)] and normalised over its rows (default axis 1): that
  // is one axis only when every dimension after it is 1.
  bool flattening = opset < 13;
  auto axis = normaliseAxis(intAttr(node, "axis", flattening ? 1 : -1), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  if (flattening)
    for (int64_t i = *axis + 1; i < rank; ++i)
      if (!input->shape[i].isStatic() || input->shape[i].staticValue() != 1)
        return error(node) << "at opset " << opset
                           << " it normalises over every dimension from axis "
                           << *axis << " of " << shapeToString(input->shape)
                           << " together; only the last axis is supported";
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  Value result;
  if (node.op_type() == "Softmax")
    result = builder.create<hm::SoftmaxOp>(nodeLoc(node), x.getType(), x,
                                           builder.getI64IntegerAttr(*axis));
  else
    result = builder.create<hm::LogSoftmaxOp>(nodeLoc(node), x.getType(), x,
                                              builder.getI64IntegerAttr(*axis));
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importBatchNorm(const onnx::NodeProto &node) {
  // Inference form: y = (x - mean) / sqrt(var + eps) * scale + bias per
  // channel (axis 1), i.e. x * s + t; hm-canonicalize folds it into a
  // preceding convolution.
  Entry *input = lookup(node, 0);
  if (!isFloat(input->dtype) || input->shape.size() < 2)
    return error(node) << "needs a float input of rank >= 2";
  if (intAttr(node, "training_mode", 0) != 0)
    return error(node) << "training mode is not supported";
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      return error(node) << "the running-statistics outputs are not supported";
  std::vector<std::vector<double>> params;
  for (int i = 1; i <= 4; ++i) {
    Entry *entry = lookup(node, i);
    if (!entry || !entry->host)
      return error(node) << "scale, bias, mean and variance must be constants";
    std::vector<double> values;
    for (int64_t j = 0; j < entry->host->numElements(); ++j)
      values.push_back(entry->host->getDouble(j));
    params.push_back(std::move(values));
  }
  size_t channels = params[0].size();
  if (!input->shape[1].isStatic() ||
      static_cast<size_t>(input->shape[1].staticValue()) != channels ||
      llvm::any_of(params, [&](auto &p) { return p.size() != channels; }))
    return error(node) << "parameters must have one value per channel";
  double eps = floatAttr(node, "epsilon", 1e-5f);
  Entry scale, shift;
  for (Entry *e : {&scale, &shift}) {
    e->dtype = input->dtype;
    e->shape = {SymbolicDim::constant(channels)};
    HostTensor host;
    host.dtype = input->dtype;
    host.shape = {static_cast<int64_t>(channels)};
    for (size_t i = 2; i < input->shape.size(); ++i) {
      e->shape.push_back(SymbolicDim::constant(1));
      host.shape.push_back(1);
    }
    host.bytes.resize(channels * dtypeSize(host.dtype));
    e->host = std::move(host);
  }
  scale.name = node.output(0) + ".scale";
  shift.name = node.output(0) + ".shift";
  for (size_t c = 0; c < channels; ++c) {
    double s = params[0][c] / std::sqrt(params[3][c] + eps);
    scale.host->setFromDouble(c, s);
    shift.host->setFromDouble(c, params[1][c] - params[2][c] * s);
  }
  Value x = materialise(node, *input), s = materialise(node, scale),
        t = materialise(node, shift);
  if (!x || !s || !t)
    return failure();
  Value scaled = builder.create<hm::MulOp>(nodeLoc(node), x.getType(), x, s);
  Value result =
      builder.create<hm::AddOp>(nodeLoc(node), x.getType(), scaled, t);
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importGroupNorm(const onnx::NodeProto &node) {
  // Per sample and group of channels, over the group's channels and the
  // spatial axes (InstanceNormalization: a group per channel):
  // y = (x - mean) / sqrt(var + eps) * scale + bias, with scale and bias per
  // channel (axis 1), or per group in GroupNormalization before opset 21.
  Entry *input = lookup(node, 0);
  if (!isFloat(input->dtype) || input->shape.size() < 3)
    return error(node) << "needs a float input [N, C, spatial...]";
  SymbolicDim channels = canonical(input->shape[1]);
  bool instance = node.op_type() == "InstanceNormalization";
  SymbolicShape view = {input->shape[0]}, params;
  if (instance) {
    view.push_back(channels);
    params = {channels};
  } else {
    int64_t groups = intAttr(node, "num_groups", 0);
    if (!channels.isStatic())
      return error(node) << "the channels (" << channels.toString()
                         << ") must be static";
    if (groups <= 0 || channels.staticValue() % groups != 0)
      return error(node) << "num_groups (" << groups
                         << ") must be given and divide the channels ("
                         << channels.toString() << ")";
    SymbolicDim perGroup =
        SymbolicDim::constant(channels.staticValue() / groups);
    view.push_back(SymbolicDim::constant(groups));
    view.push_back(perGroup);
    params = {SymbolicDim::constant(groups),
              opset < 21 ? SymbolicDim::constant(1) : perGroup};
  }
  SymbolicDim paramLength = instance || opset >= 21 ? channels : view[1];
  // GroupNorm exports merge channels into the spatial axes ([B, G,
  // C/G*H*W]); the statistics are taken over a view that splits such a
  // dimension into its factors again (the mean over all of it is the same),
  // as hm reduces over symbols, not over their products.
  for (size_t i = 2; i < input->shape.size(); ++i)
    for (const SymbolicDim &factor : canonical(input->shape[i]).factors())
      view.push_back(factor);
  int64_t rank = static_cast<int64_t>(view.size());
  SymbolicShape kept = view;
  for (int64_t i = 2; i < rank; ++i)
    kept[i] = SymbolicDim::constant(1);
  while (static_cast<int64_t>(params.size()) < rank - 1)
    params.push_back(SymbolicDim::constant(1));
  Location loc = nodeLoc(node);
  SmallVector<Value> scaleAndBias;
  for (int i = 1; i <= 2; ++i) {
    Entry *entry = lookup(node, i);
    if (entry->dtype != input->dtype || entry->shape.size() != 1 ||
        canonical(entry->shape[0]) != paramLength)
      return error(node) << "scale and bias must be [" << paramLength.toString()
                         << "] of the input's type";
    Value value = materialise(node, *entry);
    if (!value)
      return failure();
    scaleAndBias.push_back(builder.create<hm::ReshapeOp>(
        loc, tensorType(input->dtype, params), value, shapeAttr(params)));
  }
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  if (view != input->shape)
    x = builder.create<hm::ReshapeOp>(loc, tensorType(input->dtype, view), x,
                                      shapeAttr(view));
  Type type = x.getType();
  RankedTensorType keptType = tensorType(input->dtype, kept);
  SmallVector<int64_t> reduced;
  for (int64_t i = 2; i < rank; ++i)
    reduced.push_back(i);
  auto axes = builder.getDenseI64ArrayAttr(reduced);
  BoolAttr keep = builder.getBoolAttr(true);
  Value mean = builder.create<hm::ReduceMeanOp>(loc, keptType, x, axes, keep);
  Value centred = builder.create<hm::SubOp>(loc, type, x, mean);
  Value variance = builder.create<hm::ReduceMeanOp>(
      loc, keptType, builder.create<hm::MulOp>(loc, type, centred, centred),
      axes, keep);
  Value eps = filled(node, input->dtype, {}, floatAttr(node, "epsilon", 1e-5f));
  Value deviation = builder.create<hm::SqrtOp>(
      loc, keptType, builder.create<hm::AddOp>(loc, keptType, variance, eps));
  Value normalised = builder.create<hm::DivOp>(loc, type, centred, deviation);
  Value result = builder.create<hm::AddOp>(
      loc, type,
      builder.create<hm::MulOp>(loc, type, normalised, scaleAndBias[0]),
      scaleAndBias[1]);
  if (view != input->shape)
    result = builder.create<hm::ReshapeOp>(
        loc, tensorType(input->dtype, input->shape), result,
        shapeAttr(input->shape));
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importRmsNorm(const onnx::NodeProto &node) {
  // y = x / sqrt(mean(x^2) + eps) * scale over the axes from `axis` on.
  Entry *input = lookup(node, 0), *scale = lookup(node, 1);
  if (!isFloat(input->dtype))
    return unsupportedType(node, input->dtype);
  if (scale->dtype != input->dtype)
    return error(node) << "the scale must have the input's type";
  int64_t rank = static_cast<int64_t>(input->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", -1), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  SymbolicShape kept = input->shape,
                normalisedShape(input->shape.begin() + *axis,
                                input->shape.end());
  SmallVector<int64_t> reduced;
  for (int64_t i = *axis; i < rank; ++i) {
    reduced.push_back(i);
    kept[i] = SymbolicDim::constant(1);
  }
  SymbolicShape scaled;
  if (failed(broadcast(node, normalisedShape, scale->shape, scaled)))
    return failure();
  if (scaled.size() != normalisedShape.size() ||
      !llvm::all_of(llvm::zip(scaled, normalisedShape), [&](auto dims) {
        return canonical(std::get<0>(dims)) == canonical(std::get<1>(dims));
      }))
    return error(node) << "the scale must broadcast to the normalised shape "
                       << shapeToString(normalisedShape);
  Value x = materialise(node, *input), gamma = materialise(node, *scale);
  if (!x || !gamma)
    return failure();
  Location loc = nodeLoc(node);
  Type type = x.getType();
  RankedTensorType keptType = tensorType(input->dtype, kept);
  Value meanSquare = builder.create<hm::ReduceMeanOp>(
      loc, keptType, builder.create<hm::MulOp>(loc, type, x, x),
      builder.getDenseI64ArrayAttr(reduced), builder.getBoolAttr(true));
  Value eps = filled(node, input->dtype, {}, floatAttr(node, "epsilon", 1e-5f));
  Value rms = builder.create<hm::SqrtOp>(
      loc, keptType, builder.create<hm::AddOp>(loc, keptType, meanSquare, eps));
  Value result = builder.create<hm::MulOp>(
      loc, type, builder.create<hm::DivOp>(loc, type, x, rms), gamma);
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importSplit(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", 0), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  if (!input->shape[*axis].isStatic())
    return error(node) << "splitting the dynamic dimension "
                       << input->shape[*axis].toString() << " is not supported";
  int64_t size = input->shape[*axis].staticValue();
  int64_t parts = node.output_size();
  std::vector<int64_t> sizes;
  if (Entry *splitEntry = lookup(node, 1)) {
    auto given = constInts(splitEntry);
    if (!given)
      return error(node) << "split sizes must be compile-time constants";
    sizes = *given;
  } else if (auto attr = intsAttr(node, "split")) {
    sizes = *attr;
  } else {
    // Equal parts; the last one smaller when the size does not divide.
    int64_t chunk = (size + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::min(chunk, size - i * chunk));
  }
  if (static_cast<int64_t>(sizes.size()) != parts ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != size)
    return error(node) << "split sizes do not add up to " << size;
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  int64_t start = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SymbolicShape shape = input->shape;
    shape[*axis] = SymbolicDim::constant(sizes[i]);
    Value part = builder.create<hm::SliceOp>(
        nodeLoc(node), tensorType(input->dtype, shape), x,
        builder.getDenseI64ArrayAttr({*axis}),
        builder.getDenseI64ArrayAttr({start}),
        builder.getDenseI64ArrayAttr({start + sizes[i]}),
        builder.getDenseI64ArrayAttr({1}));
    start += sizes[i];
    if (!node.output(i).empty())
      define(node, i, tensorEntry(part, input->dtype, shape));
  }
  return success();
}

LogicalResult Importer::importEinsum(const onnx::NodeProto &node) {
  std::string equation;
  for (char c : stringAttr(node, "equation").value_or(""))
    if (c != ' ')
      equation += c;
  size_t arrow = equation.find("->");
  if (arrow == std::string::npos || equation.find("...") != std::string::npos)
    return error(node) << "equation '" << equation
                       << "' needs an explicit output and no ellipsis";
  std::vector<std::string> terms;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(equation).substr(0, arrow).split(parts, ',');
  std::string output = equation.substr(arrow + 2);
  if (static_cast<int>(parts.size()) != node.input_size())
    return error(node) << "equation has " << parts.size()
                       << " operand terms for " << node.input_size()
                       << " inputs";
  std::map<char, SymbolicDim> letterDims;
  SmallVector<Value> operands;
  DType dtype = DType::F32;
  for (int i = 0; i < node.input_size(); ++i) {
    Entry *input = lookup(node, i);
    if (parts[i].size() != input->shape.size())
      return error(node) << "term '" << parts[i].str()
                         << "' does not match the rank of input " << i;
    for (size_t j = 0; j < parts[i].size(); ++j) {
      char c = parts[i][j];
      auto it = letterDims.find(c);
      if (it == letterDims.end()) {
        letterDims[c] = input->shape[j];
      } else if (!(input->shape[j].isStatic() &&
                   input->shape[j].staticValue() == 1)) {
        SymbolicDim merged;
        if (it->second.isStatic() && it->second.staticValue() == 1)
          merged = input->shape[j];
        else if (failed(unify(node, it->second, input->shape[j], merged)))
          return failure();
        it->second = merged;
      }
    }
    Value v = materialise(node, *input);
    if (!v)
      return failure();
    operands.push_back(v);
    dtype = input->dtype;
  }
  SymbolicShape shape;
  for (char c : output) {
    if (!letterDims.count(c))
      return error(node) << "output letter '" << c
                         << "' does not appear in any input";
    shape.push_back(letterDims[c]);
  }
  Value result =
      builder.create<hm::EinsumOp>(nodeLoc(node), tensorType(dtype, shape),
                                   operands, builder.getStringAttr(equation));
  define(node, 0, tensorEntry(result, dtype, shape));
  return success();
}

LogicalResult Importer::importLayerNorm(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0), *scale = lookup(node, 1),
        *bias = lookup(node, 2);
  // torch's exporter names these even when nothing reads them.
  for (int i = 1; i < node.output_size(); ++i)
    if (!node.output(i).empty() && consumed.count(node.output(i)))
      return error(node) << "the mean and inverse-deviation outputs are not "
                            "supported ('"
                         << node.output(i) << "' is read)";
  int64_t rank = static_cast<int64_t>(input->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", -1), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  Value x = materialise(node, *input);
  Value gamma = scale ? materialise(node, *scale) : Value();
  Value beta = bias ? materialise(node, *bias) : Value();
  if (!x || (scale && !gamma) || (bias && !beta))
    return failure();
  Value result = builder.create<hm::LayerNormOp>(
      nodeLoc(node), x.getType(), x, gamma, beta,
      builder.getI64IntegerAttr(*axis - rank),
      builder.getF64FloatAttr(floatAttr(node, "epsilon", 1e-5f)));
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

LogicalResult Importer::importReduce(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  // GlobalAveragePool and GlobalMaxPool reduce [N, C, spatial...] over the
  // spatial axes, keeping them as 1s.
  bool global = StringRef(node.op_type()).starts_with("Global");
  if (global && rank < 3)
    return error(node) << "the input must be [N, C, spatial...], not rank "
                       << rank;
  const std::string op = !global                             ? node.op_type()
                         : node.op_type() == "GlobalMaxPool" ? "ReduceMax"
                                                             : "ReduceMean";
  bool sum = op == "ReduceSum";
  bool extremum = op == "ReduceMax" || op == "ReduceMin";
  if (extremum ? input->dtype == DType::Bool : !sum && !isFloat(input->dtype))
    return unsupportedType(node, input->dtype);
  std::optional<std::vector<int64_t>> axes = intsAttr(node, "axes");
  if (global) {
    axes.emplace();
    for (int64_t i = 2; i < rank; ++i)
      axes->push_back(i);
  }
  // ReduceSum takes its axes as an input from opset 13, the others from 18.
  if ((sum || opset >= 18) && lookup(node, 1)) {
    axes = constInts(lookup(node, 1));
    if (!axes)
      return error(node) << "axes must be compile-time constants";
  }
  if ((!axes || axes->empty()) && intAttr(node, "noop_with_empty_axes", 0)) {
    // The ops written with an elementwise part would keep that part.
    if (op == "ReduceL1" || op == "ReduceL2" || op == "ReduceSumSquare" ||
        op == "ReduceLogSum")
      return error(node) << "noop_with_empty_axes without axes is not "
                            "supported";
    Entry copy = *input;
    define(node, 0, std::move(copy));
    return success();
  }
  if (!axes || axes->empty()) {
    axes.emplace();
    for (int64_t i = 0; i < rank; ++i)
      axes->push_back(i);
  }
  bool keepdims = intAttr(node, "keepdims", 1) != 0;
  SmallVector<int64_t> normalised;
  for (int64_t a : *axes) {
    auto axis = normaliseAxis(a, rank);
    if (!axis)
      return error(node) << "axis " << a << " is out of range";
    normalised.push_back(*axis);
  }
  SymbolicShape shape;
  for (int64_t i = 0; i < rank; ++i) {
    bool reduced = llvm::is_contained(normalised, i);
    if (!reduced)
      shape.push_back(input->shape[i]);
    else if (keepdims)
      shape.push_back(SymbolicDim::constant(1));
  }
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  RankedTensorType type = tensorType(input->dtype, shape);
  auto axesAttr = builder.getDenseI64ArrayAttr(normalised);
  BoolAttr keepAttr = builder.getBoolAttr(keepdims);
  Location loc = nodeLoc(node);
  Type inputType = x.getType();
  Value result;
  if (sum)
    result = builder.create<hm::ReduceSumOp>(loc, type, x, axesAttr, keepAttr);
  else if (op == "ReduceMax")
    result = builder.create<hm::ReduceMaxOp>(loc, type, x, axesAttr, keepAttr);
  else if (op == "ReduceMin")
    result = builder.create<hm::ReduceMinOp>(loc, type, x, axesAttr, keepAttr);
  else if (op == "ReduceMean")
    result = builder.create<hm::ReduceMeanOp>(loc, type, x, axesAttr, keepAttr);
  else if (op == "ReduceL1")
    result = builder.create<hm::ReduceSumOp>(
        loc, type, builder.create<hm::AbsOp>(loc, inputType, x), axesAttr,
        keepAttr);
  else if (op == "ReduceSumSquare" || op == "ReduceL2") {
    Value squares = builder.create<hm::MulOp>(loc, inputType, x, x);
    result =
        builder.create<hm::ReduceSumOp>(loc, type, squares, axesAttr, keepAttr);
    if (op == "ReduceL2")
      result = builder.create<hm::SqrtOp>(loc, type, result);
  } else if (op == "ReduceLogSum") {
    result = builder.create<hm::LogOp>(
        loc, type,
        builder.create<hm::ReduceSumOp>(loc, type, x, axesAttr, keepAttr));
  } else {
    // ReduceLogSumExp: the maximum comes off before exp, so nothing
    // overflows, and goes back on after log.
    SymbolicShape kept = input->shape;
    for (int64_t axis : normalised)
      kept[axis] = SymbolicDim::constant(1);
    RankedTensorType keptType = tensorType(input->dtype, kept);
    BoolAttr keep = builder.getBoolAttr(true);
    Value peak =
        builder.create<hm::ReduceMaxOp>(loc, keptType, x, axesAttr, keep);
    // An infinite maximum (a row of -inf: masked logits) shifts by 0, so the
    // row gives log(0) = -inf (or +inf), not inf - inf.
    Value zero = filled(node, input->dtype, {}, 0.0);
    Value finite = builder.create<hm::EqualOp>(
        loc, keptType.clone(builder.getI1Type()),
        builder.create<hm::SubOp>(loc, keptType, peak, peak), zero);
    peak = builder.create<hm::WhereOp>(loc, keptType, finite, peak, zero);
    Value shifted = builder.create<hm::ExpOp>(
        loc, inputType, builder.create<hm::SubOp>(loc, inputType, x, peak));
    Value total =
        builder.create<hm::ReduceSumOp>(loc, keptType, shifted, axesAttr, keep);
    result = builder.create<hm::AddOp>(
        loc, keptType, builder.create<hm::LogOp>(loc, keptType, total), peak);
    if (!keepdims)
      result =
          builder.create<hm::ReshapeOp>(loc, type, result, shapeAttr(shape));
  }
  define(node, 0, tensorEntry(result, input->dtype, shape));
  return success();
}

LogicalResult Importer::importArgExtremum(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  if (input->dtype == DType::Bool)
    return unsupportedType(node, input->dtype);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  auto axis = normaliseAxis(intAttr(node, "axis", 0), rank);
  if (!axis)
    return error(node) << "axis is out of range";
  bool keepdims = intAttr(node, "keepdims", 1) != 0;
  SymbolicShape shape = input->shape;
  if (keepdims)
    shape[*axis] = SymbolicDim::constant(1);
  else
    shape.erase(shape.begin() + *axis);
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  RankedTensorType type = tensorType(DType::I64, shape);
  Location loc = nodeLoc(node);
  auto axisAttr = builder.getI64IntegerAttr(*axis);
  BoolAttr keepAttr = builder.getBoolAttr(keepdims);
  BoolAttr lastAttr =
      builder.getBoolAttr(intAttr(node, "select_last_index", 0) != 0);
  Value result = node.op_type() == "ArgMax"
                     ? builder
                           .create<hm::ArgMaxOp>(loc, type, x, axisAttr,
                                                 keepAttr, lastAttr)
                           .getResult()
                     : builder
                           .create<hm::ArgMinOp>(loc, type, x, axisAttr,
                                                 keepAttr, lastAttr)
                           .getResult();
  define(node, 0, tensorEntry(result, DType::I64, shape));
  return success();
}

LogicalResult Importer::importCumSum(const onnx::NodeProto &node) {
  Entry *input = lookup(node, 0);
  if (input->dtype == DType::Bool)
    return unsupportedType(node, input->dtype);
  int64_t rank = static_cast<int64_t>(input->shape.size());
  std::optional<std::vector<int64_t>> axisValue = constInts(lookup(node, 1));
  if (!axisValue || axisValue->size() != 1)
    return error(node) << "the axis must be one compile-time constant";
  auto axis = normaliseAxis(axisValue->front(), rank);
  if (!axis)
    return error(node) << "axis " << axisValue->front()
                       << " is out of range for rank " << rank;
  Value x = materialise(node, *input);
  if (!x)
    return failure();
  Value result = builder.create<hm::CumSumOp>(
      nodeLoc(node), x.getType(), x, builder.getI64IntegerAttr(*axis),
      builder.getBoolAttr(intAttr(node, "exclusive", 0) != 0),
      builder.getBoolAttr(intAttr(node, "reverse", 0) != 0));
  define(node, 0, tensorEntry(result, input->dtype, input->shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

LogicalResult Importer::declareInputs(func::FuncOp &func) {
  const auto &graph = model.graph();
  std::set<std::string> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());

  SmallVector<Type> argTypes;
  SmallVector<DType> argDtypes;
  SmallVector<SymbolicShape> argShapes;
  for (const auto &input : graph.input()) {
    if (initializerNames.count(input.name()))
      continue; // an initializer listed as an input (older exporters)
    if (!input.type().has_tensor_type())
      return emitError(fileLoc())
             << "graph input '" << input.name() << "' is not a tensor";
    const auto &tensorType = input.type().tensor_type();
    auto dtype = dtypeFromOnnx(tensorType.elem_type());
    if (!dtype)
      return emitError(fileLoc()) << "graph input '" << input.name()
                                  << "' has unsupported element type "
                                  << onnxTypeName(tensorType.elem_type());
    if (!tensorType.has_shape())
      return emitError(fileLoc())
             << "graph input '" << input.name()
             << "' has no shape; its rank (and which dimensions are dynamic) "
                "must be declared";
    SymbolicShape shape;
    for (int i = 0; i < tensorType.shape().dim_size(); ++i) {
      const auto &dim = tensorType.shape().dim(i);
      if (dim.has_dim_value()) {
        if (dim.dim_value() < 0 || dim.dim_value() > kMaxElements)
          return emitError(fileLoc())
                 << "graph input '" << input.name() << "' dimension " << i
                 << " is invalid (" << dim.dim_value() << ")";
        if (dim.dim_value() == 0)
          return emitError(fileLoc())
                 << "graph input '" << input.name() << "' dimension " << i
                 << " is 0; empty tensors are not supported";
        shape.push_back(SymbolicDim::constant(dim.dim_value()));
        continue;
      }
      std::string name = dim.dim_param();
      bool valid = !name.empty() &&
                   (std::isalpha((unsigned char)name[0]) || name[0] == '_');
      for (char c : name)
        valid = valid && (std::isalnum((unsigned char)c) || c == '_');
      if (!valid)
        name = input.name() + "_dim" + std::to_string(i);
      for (char &c : name)
        if (!std::isalnum((unsigned char)c) && c != '_')
          c = '_';
      symbolOrder.emplace(name, static_cast<int>(symbolOrder.size()));
      shape.push_back(SymbolicDim::symbol(name));
    }
    SymbolicDim elements = SymbolicDim::constant(1);
    for (const SymbolicDim &d : shape)
      elements = elements * d;
    if (elements.getCoefficient() > kMaxElements)
      return emitError(fileLoc())
             << "graph input '" << input.name() << "' declares "
             << shapeToString(shape) << ", too many elements";
    inputNames.push_back(input.name());
    argDtypes.push_back(*dtype);
    argShapes.push_back(shape);
    argTypes.push_back(this->tensorType(*dtype, shape));
  }
  func = func::FuncOp::create(fileLoc(), "main",
                              builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    Value arg = entry->getArgument(i);
    for (auto [axis, dim] : llvm::enumerate(argShapes[i]))
      if (!dim.isStatic())
        symbolOrigin.emplace(dim.getSymbols()[0],
                             std::make_pair(arg, static_cast<int64_t>(axis)));
    values[name] = tensorEntry(arg, argDtypes[i], argShapes[i]);
    values[name].name = name;
  }
  for (const auto &init : graph.initializer()) {
    Entry entry;
    HostTensor host;
    if (failed(loadTensor(init, fileLoc(), host)))
      return failure();
    entry.dtype = host.dtype;
    for (int64_t d : host.shape)
      entry.shape.push_back(SymbolicDim::constant(d));
    entry.host = std::move(host);
    entry.name = init.name();
    values[init.name()] = std::move(entry);
  }
  return success();
}

LogicalResult Importer::importNode(const onnx::NodeProto &node) {
  const OnnxOpSupport &support = *supportOf(node.op_type());
  int count = node.input_size();
  bool variadic = support.maxInputs < 0;
  if (count < support.minInputs || (!variadic && count > support.maxInputs))
    return error(node) << "has " << count << " inputs, expected "
                       << support.minInputs
                       << (variadic ? " or more"
                           : support.maxInputs == support.minInputs
                               ? ""
                               : " to " + std::to_string(support.maxInputs));
  for (int i = 0; i < count; ++i) {
    if (node.input(i).empty()) {
      if (variadic || i < support.minInputs)
        return error(node) << "required input " << i << " is missing";
      continue;
    }
    if (!values.count(node.input(i)))
      return error(node) << "input '" << node.input(i)
                         << "' is not defined before this node (the graph "
                            "must be topologically sorted)";
  }
  if (node.output_size() == 0 || node.output(0).empty())
    return error(node) << "the node has no outputs";
  if (failed(handlers.at(node.op_type())(node)))
    return failure();
  // Kernels need at least one element (compile-time vectors may be empty).
  for (const std::string &output : node.output()) {
    auto it = values.find(output);
    if (it == values.end() || !it->second.value)
      continue;
    for (const SymbolicDim &dim : it->second.shape)
      if (dim.isStatic() && dim.staticValue() == 0)
        return error(node) << "output '" << output << "' would be empty (shape "
                           << shapeToString(it->second.shape)
                           << "); empty tensors are not supported";
  }
  return success();
}

LogicalResult Importer::finish(func::FuncOp func) {
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  onnx::NodeProto outputNode;
  outputNode.set_op_type("graph output");
  for (const auto &output : model.graph().output()) {
    auto it = values.find(output.name());
    if (it == values.end())
      return emitError(fileLoc())
             << "graph output '" << output.name() << "' is never computed";
    outputNode.set_name(output.name());
    Value value = materialise(outputNode, it->second);
    if (!value)
      return failure();
    results.push_back(value);
    resultTypes.push_back(value.getType());
  }
  builder.create<func::ReturnOp>(fileLoc(), results);
  func.setFunctionType(
      builder.getFunctionType(func.getArgumentTypes(), resultTypes));

  // Symbols unified during import get their final names everywhere.
  for (auto [i, name] : llvm::enumerate(inputNames)) {
    func.setArgAttr(i, "hm.name", builder.getStringAttr(name));
    func.setArgAttr(i, "hm.dims", shapeAttr(values[name].shape));
  }
  for (auto [i, output] : llvm::enumerate(model.graph().output())) {
    func.setResultAttr(i, "hm.name", builder.getStringAttr(output.name()));
    func.setResultAttr(i, "hm.dims", shapeAttr(values[output.name()].shape));
  }
  // Dimensions computed from input dimensions (conv and pad outputs), in
  // dependency order; one that an input also names is checked at run time.
  SmallVector<Attribute> derived;
  std::set<std::string> listed;
  for (const DerivedSymbol &d : derivedSymbols) {
    // Two symbols with one definition, unified after both were declared
    // (a derivation from an input symbol that later met a computed one),
    // are one symbol.
    bool same = llvm::any_of(derivedSymbols, [&](const DerivedSymbol &e) {
      return &e != &d && listed.count(e.name) &&
             findSymbol(e.name) == findSymbol(d.name) &&
             findSymbol(e.base) == findSymbol(d.base) && e.mul == d.mul &&
             e.add == d.add && e.div == d.div && e.post == d.post;
    });
    if (same)
      continue;
    listed.insert(d.name);
    SmallVector<NamedAttribute> fields = {
        builder.getNamedAttr("name", builder.getStringAttr(findSymbol(d.name))),
        builder.getNamedAttr("base", builder.getStringAttr(findSymbol(d.base))),
        builder.getNamedAttr("add", builder.getI64IntegerAttr(d.add)),
        builder.getNamedAttr("div", builder.getI64IntegerAttr(d.div)),
        builder.getNamedAttr("post", builder.getI64IntegerAttr(d.post))};
    if (d.mul != 1)
      fields.push_back(
          builder.getNamedAttr("mul", builder.getI64IntegerAttr(d.mul)));
    derived.push_back(builder.getDictionaryAttr(fields));
  }
  if (!derived.empty())
    func->setAttr("hm.derived_dims", builder.getArrayAttr(derived));
  // Lengths the model cannot run past (a window of a stored table).
  std::map<std::string, int64_t> bounds;
  for (const auto &[symbol, max] : symbolBounds) {
    auto [it, inserted] = bounds.try_emplace(findSymbol(symbol), max);
    it->second = std::min(it->second, max);
  }
  SmallVector<NamedAttribute> maxima;
  for (const auto &[symbol, max] : bounds)
    maxima.push_back(
        builder.getNamedAttr(symbol, builder.getI64IntegerAttr(max)));
  if (!maxima.empty())
    func->setAttr("hm.dim_max", builder.getDictionaryAttr(maxima));
  func.walk([&](hm::ReshapeOp op) {
    SmallVector<Attribute> attrs;
    for (Attribute a : op.getShape()) {
      auto expr = dyn_cast<StringAttr>(a);
      if (!expr) {
        attrs.push_back(a);
        continue;
      }
      SmallVector<StringRef> factors;
      expr.getValue().split(factors, '*');
      SymbolicDim dim = SymbolicDim::constant(1);
      for (StringRef f : factors) {
        int64_t v;
        dim = dim * (f.getAsInteger(10, v) ? SymbolicDim::symbol(f.str())
                                           : SymbolicDim::constant(v));
      }
      attrs.push_back(dimAttr(dim));
    }
    op.setShapeAttr(builder.getArrayAttr(attrs));
  });
  return success();
}

OwningOpRef<ModuleOp> Importer::run() {
  context.loadDialect<hm::HMDialect, func::FuncDialect>();
  registerHandlers();
  if (failed(loadModel()) || failed(checkOperatorSupport()))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  func::FuncOp func;
  LogicalResult declared = declareInputs(func);
  // The module owns the function even when an initializer then fails.
  if (func)
    module->push_back(func);
  if (failed(declared))
    return nullptr;
  // Values read anywhere, If branches included.
  std::function<void(const onnx::GraphProto &)> collectReads =
      [&](const onnx::GraphProto &graph) {
        for (const auto &node : graph.node()) {
          consumed.insert(node.input().begin(), node.input().end());
          for (const onnx::AttributeProto &attribute : node.attribute())
            if (attribute.has_g())
              collectReads(attribute.g());
        }
        for (const auto &output : graph.output())
          consumed.insert(output.name());
      };
  collectReads(model.graph());
  for (const auto &output : model.graph().output())
    consumed.insert(output.name());
  for (const auto &node : model.graph().node())
    if (failed(importNode(node)))
      return nullptr;
  // Malformed models can slip past the per-node checks (e.g. shapes the
  // handlers did not anticipate): never hand invalid IR onwards.
  if (failed(finish(func)) || failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

const std::vector<OnnxOpSupport> &supportedOnnxOps() {
  static const std::vector<OnnxOpSupport> table = {
      {"Add", kMinOpset, kMaxOpset, 2, 2, "float tensors; shape arithmetic"},
      {"Abs", kMinOpset, kMaxOpset, 1, 1, "numeric tensors"},
      {"And", kMinOpset, kMaxOpset, 2, 2, ""},
      {"ArgMax", kMinOpset, kMaxOpset, 1, 1, ""},
      {"ArgMin", kMinOpset, kMaxOpset, 1, 1, ""},
      {"BatchNormalization", kMinOpset, kMaxOpset, 5, 5,
       "inference; constant statistics; a per-channel scale and shift, "
       "folded into a preceding Conv where there is one"},
      {"Cast", kMinOpset, kMaxOpset, 1, 1, "float32/float64/int32/int64/bool"},
      {"CastLike", 15, kMaxOpset, 2, 2, "float32/float64/int32/int64/bool"},
      {"Celu", 12, kMaxOpset, 1, 1, "float tensors"},
      {"Clip", kMinOpset, kMaxOpset, 1, 3,
       "float and integer tensors; bounds known at compile time"},
      {"Concat", kMinOpset, kMaxOpset, 1, -1,
       "tensors: along a static dimension, or lengths computed from one "
       "dimension (T and T - 1 join into 2T - 1)"},
      {"Constant", kMinOpset, kMaxOpset, 0, 0,
       "one of value, value_float(s), value_int(s)"},
      {"Ceil", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"ConstantOfShape", kMinOpset, kMaxOpset, 1, 1,
       "shape computed from constants and dimensions"},
      {"Cos", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"CumSum", kMinOpset, kMaxOpset, 2, 2,
       "numeric tensors; a constant axis"},
      {"Conv", kMinOpset, kMaxOpset, 2, 3,
       "1-D and 2-D, constant weights, explicit pads (no auto_pad)"},
      {"Div", kMinOpset, kMaxOpset, 2, 2, ""},
      {"Dropout", kMinOpset, kMaxOpset, 1, 3,
       "inference (identity, and an all-true mask); training_mode false or "
       "absent"},
      {"Einsum", 12, kMaxOpset, 1, -1,
       "explicit output, no ellipsis; outside hyper_mix one or two operands "
       "without repeated indices"},
      {"Elu", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Equal", kMinOpset, kMaxOpset, 2, 2, ""},
      {"Erf", kMinOpset, kMaxOpset, 1, 1, "float32"},
      {"Exp", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Expand", kMinOpset, kMaxOpset, 2, 2,
       "shape computed from constants and dimensions"},
      {"Flatten", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Floor", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Gather", kMinOpset, kMaxOpset, 2, 2,
       "int32/int64 indices of rank >= 1 (embedding lookups), one constant "
       "index (x[:, i]), shape vectors, Range(0, dim, 1) table prefixes"},
      {"GatherElements", kMinOpset, kMaxOpset, 2, 2,
       "int32/int64 indices; away from the axis, dimensions the data has"},
      {"Gelu", 20, kMaxOpset, 1, 1, "float32; approximate = none, or tanh"},
      {"GlobalAveragePool", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"GlobalMaxPool", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Gemm", kMinOpset, kMaxOpset, 2, 3,
       "x @ op(W) + C with constant W and C, no transA"},
      {"Greater", kMinOpset, kMaxOpset, 2, 2, ""},
      {"GreaterOrEqual", 12, kMaxOpset, 2, 2, ""},
      {"HardSigmoid", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"HardSwish", 14, kMaxOpset, 1, 1, "float tensors"},
      {"Identity", kMinOpset, kMaxOpset, 1, 1, ""},
      {"If", kMinOpset, kMaxOpset, 1, 1,
       "a condition known at compile time (torch's squeeze of a dimension "
       "it cannot prove is 1): the taken branch is imported"},
      {"InstanceNormalization", kMinOpset, kMaxOpset, 3, 3,
       "float tensors; scale and bias per channel"},
      {"GroupNormalization", 18, kMaxOpset, 3, 3,
       "float tensors; static channels; scale and bias per group (opsets "
       "18-20) or per channel (from 21)"},
      {"LayerNormalization", 17, kMaxOpset, 2, 3,
       "first output (the mean and inverse deviation only if nothing reads "
       "them)"},
      {"LeakyRelu", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Less", kMinOpset, kMaxOpset, 2, 2, ""},
      {"LessOrEqual", 12, kMaxOpset, 2, 2, ""},
      {"Log", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"LogSoftmax", kMinOpset, kMaxOpset, 1, 1, ""},
      {"MatMul", kMinOpset, kMaxOpset, 2, 2, "rank >= 2 left operand"},
      {"Max", kMinOpset, kMaxOpset, 1, -1, "numeric tensors"},
      {"Mean", kMinOpset, kMaxOpset, 1, -1, "float tensors"},
      {"Min", kMinOpset, kMaxOpset, 1, -1, "numeric tensors"},
      {"Mish", 18, kMaxOpset, 1, 1, "float tensors"},
      {"Mod", kMinOpset, kMaxOpset, 2, 2,
       "fmod = 0 (Python's %) and fmod = 1 (C's fmod)"},
      {"Mul", kMinOpset, kMaxOpset, 2, 2, ""},
      {"Neg", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Not", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Or", kMinOpset, kMaxOpset, 2, 2, ""},
      {"MaxPool", kMinOpset, kMaxOpset, 1, 1,
       "float tensors; explicit pads or VALID; ceil_mode only without a "
       "partial window; no Indices output"},
      {"AveragePool", kMinOpset, kMaxOpset, 1, 1,
       "float tensors; explicit pads or VALID; ceil_mode only without a "
       "partial window"},
      {"Pad", kMinOpset, kMaxOpset, 2, 4,
       "constant, reflect and edge; pads known at compile time"},
      {"Pow", kMinOpset, kMaxOpset, 2, 2, "float base"},
      {"PRelu", kMinOpset, kMaxOpset, 2, 2,
       "float tensors; a slope that broadcasts to the input"},
      {"Range", kMinOpset, kMaxOpset, 3, 3,
       "constant bounds, or Range(s, dim + s, 1) over a dimension"},
      {"Reciprocal", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"RMSNormalization", 23, kMaxOpset, 2, 2, "float tensors"},
      {"Relu", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"ReduceL1", kMinOpset, kMaxOpset, 1, 2, "float tensors"},
      {"ReduceL2", kMinOpset, kMaxOpset, 1, 2, "float tensors"},
      {"ReduceLogSum", kMinOpset, kMaxOpset, 1, 2, "float tensors"},
      {"ReduceLogSumExp", kMinOpset, kMaxOpset, 1, 2, "float tensors"},
      {"ReduceMax", kMinOpset, kMaxOpset, 1, 2, "numeric tensors"},
      {"ReduceMean", kMinOpset, kMaxOpset, 1, 2, "float tensors"},
      {"ReduceMin", kMinOpset, kMaxOpset, 1, 2, "numeric tensors"},
      {"ReduceSum", kMinOpset, kMaxOpset, 1, 2, "axes known at compile time"},
      {"ReduceSumSquare", kMinOpset, kMaxOpset, 1, 2, "float tensors"},
      {"Reshape", kMinOpset, kMaxOpset, 2, 2,
       "shape computable at compile time"},
      {"Round", kMinOpset, kMaxOpset, 1, 1, "float tensors; ties to even"},
      {"ScatterND", kMinOpset, kMaxOpset, 3, 3, "reduction = none"},
      {"Selu", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Shape", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Sigmoid", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Sign", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Sin", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Slice", kMinOpset, kMaxOpset, 3, 5,
       "constant starts, ends and steps; a dynamic dimension as [0:1], "
       "reversed ([::-1]), or from a start >= 0 by a positive step to its "
       "end or c before it ([s::k], [s:-c:k]); [s, dim + s) of a static "
       "one"},
      {"Softmax", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Softplus", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Softsign", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Split", kMinOpset, kMaxOpset, 1, 2,
       "static dimension; sizes known at compile time"},
      {"Sqrt", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Squeeze", kMinOpset, kMaxOpset, 1, 2, ""},
      {"Sub", kMinOpset, kMaxOpset, 2, 2, ""},
      {"Sum", kMinOpset, kMaxOpset, 1, -1, "numeric tensors"},
      {"Tanh", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"ThresholdedRelu", kMinOpset, kMaxOpset, 1, 1, "float tensors"},
      {"Tile", kMinOpset, kMaxOpset, 2, 2,
       "repeats known at compile time; dynamic dimensions only once"},
      {"Transpose", kMinOpset, kMaxOpset, 1, 1, ""},
      {"Unsqueeze", kMinOpset, kMaxOpset, 1, 2, "axes known at compile time"},
      {"Where", kMinOpset, kMaxOpset, 3, 3, ""},
      {"Xor", kMinOpset, kMaxOpset, 2, 2, ""},
  };
  return table;
}

OwningOpRef<ModuleOp> importOnnxFile(const std::string &path,
                                     MLIRContext &context) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "cannot read the file: " << buffer.getError().message();
    return nullptr;
  }
  return Importer(context, path, (*buffer)->getBuffer(), /*fromFile=*/true)
      .run();
}

OwningOpRef<ModuleOp> importOnnxBuffer(llvm::StringRef bytes,
                                       const std::string &nameForDiagnostics,
                                       MLIRContext &context) {
  return Importer(context, nameForDiagnostics, bytes, /*fromFile=*/false).run();
}

} // namespace hmc
