//===- KernelGraphExport.cpp - hm dialect -> kernel graph JSON ------------===//

#include "KernelGraphExport.h"

#include "hm/HMDialect.h"
#include "hmc/api_types.h"
#include "hmc/runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

using namespace mlir;
using json = nlohmann::json;

namespace hmc {
namespace {

constexpr size_t kWeightAlignment = 64;

std::string dtypeName(Type type) {
  if (type.isF32())
    return "float32";
  if (type.isF64())
    return "float64";
  if (type.isInteger(1))
    return "bool";
  if (type.isInteger(32))
    return "int32";
  if (type.isInteger(64))
    return "int64";
  return "";
}

using Dims = std::vector<json>; // integers or symbol names

class Exporter {
public:
  Exporter(func::FuncOp func, const KernelGraphOptions &options)
      : func(func), options(options) {}
  FailureOr<KernelGraph> run();

private:
  LogicalResult exportOp(Operation *op);
  LogicalResult exportEinsum(hm::EinsumOp einsum);
  LogicalResult checkProducts(Operation *op, const std::string &kind,
                              json &attrs, const Dims &dims);
  FailureOr<int> bufferFor(Value value, Operation *user);
  int newBuffer(Value value, const std::string &name, const Dims &dims,
                const std::string &storage);
  LogicalResult appendWeight(hm::ConstantOp constant, json &buffer);
  Dims resultDims(Operation *op);
  void addKernel(Operation *op, const std::string &kind, json attrs,
                 std::vector<std::pair<std::string, Value>> inputs);
  void fuseElementwiseChains();
  void fuseEpilogues();
  void foldLayerNormTransposes();
  void foldReflectPads();
  void foldRelativeShifts();
  void foldShiftedMatmuls();
  // Whether `p` is 2 `t` - 1 (the relative positions of t tokens).
  bool isRelativeLength(const json &p, const json &t) const;
  void foldConvLayerNorms();
  void channelsLastConvModules();
  void packLinearWeights();
  void transposePositionTables();
  void packHypernetworkWeights();
  void dropMerged(const std::vector<bool> &merged,
                  const std::set<int> &internal);
  /// Buffers by id, valid until `buffers` is reassigned (dropMerged).
  std::map<int, json *> buffersById();
  /// The buffers some kernel reads through an operand that `accepts`, each
  /// with those kernels, and the buffers refused: read through any other
  /// operand, or not float32 weights. A layout change applies to a buffer
  /// only where every reader agrees.
  struct WeightReaders {
    std::map<int, std::vector<json *>> readers;
    std::set<int> refused;
  };
  WeightReaders weightReaders(
      const std::map<int, json *> &bufferById,
      llvm::function_ref<bool(const json &kernel, const json &operand)>
          accepts);
  /// Reorders the float32 weight `buffer` in the weights blob in place:
  /// element i moves to destination(i).
  void permuteWeight(const json &buffer,
                     llvm::function_ref<int64_t(int64_t)> destination);
  void nameKernels();

  func::FuncOp func;
  const KernelGraphOptions &options;
  KernelGraph graph;
  json buffers = json::array();
  json kernels = json::array();
  llvm::DenseMap<Value, int> bufferOf;
  llvm::DenseMap<Value, Dims> dimsOf;
  llvm::DenseMap<Value, int> outputIndex;
  std::map<std::string, std::string> kernelNameOf; // by signature
  // The next kernel's variant for short inputs (see hyper_mix "auto").
  json alternative;
  // floor((mul base + add) / div) + post of a dimension (a symbol or a
  // number).
  struct Derivation {
    json base;
    int64_t mul = 1, add = 0, div = 1, post = 0;
    bool operator==(const Derivation &other) const {
      return base == other.base && mul == other.mul && add == other.add &&
             div == other.div && post == other.post;
    }
  };
  // Derived dimension symbols by name, in order, each as normalised gives
  // it.
  std::vector<std::pair<std::string, Derivation>> derived;
  Derivation normalised(Derivation d) const;
  json deriveDim(const json &dim, int64_t add, int64_t div, int64_t post,
                 int64_t mul = 1);
  json symbolFor(const Derivation &key);
  // The sum of dimensions that are each a number or mul base + c of one
  // base (a concatenation's length), or null when they are not.
  json sumDims(const Dims &dims);
  // `dims` with each product of one symbol and numbers as a derived symbol
  // (N*8 as 8 N), or failure naming a product of several symbols.
  FailureOr<Dims> outputDims(Operation *op, const Dims &dims);
  std::vector<std::string> symbols;
  // Symbols bounded below options.maxDimension: lengths that index a table
  // (a hyper_mix's learned positions, rows gathered by an hm.iota), which
  // the model cannot run past, so the runtime refuses longer inputs by name.
  std::map<std::string, int64_t> symbolMax;
  void boundSymbol(const json &dim, int64_t max);
  // Symbols bounded above 1: lengths a reflect padding needs longer than the
  // pad, so the runtime refuses shorter inputs by name rather than a kernel.
  std::map<std::string, int64_t> symbolMin;
  void boundSymbolBelow(const json &dim, int64_t min);
};

// A dimension that is a product ("B*4", from a reshape that merged B with a
// head axis) is stored as its factors: kernels see one more dimension per
// extra factor, and no symbol stands for a product.
bool isProduct(const json &dim) {
  return dim.is_string() &&
         dim.get<std::string>().find('*') != std::string::npos;
}

void Exporter::boundSymbol(const json &dim, int64_t max) {
  if (!dim.is_string() || isProduct(dim))
    return;
  auto [it, inserted] = symbolMax.try_emplace(dim.get<std::string>(), max);
  it->second = std::min(it->second, max);
}

void Exporter::boundSymbolBelow(const json &dim, int64_t min) {
  if (!dim.is_string() || isProduct(dim))
    return;
  auto [it, inserted] = symbolMin.try_emplace(dim.get<std::string>(), min);
  it->second = std::max(it->second, min);
}

Dims flattened(const Dims &dims) {
  Dims flat;
  for (const json &dim : dims) {
    if (!isProduct(dim)) {
      flat.push_back(dim);
      continue;
    }
    const std::string &product = dim.get_ref<const std::string &>();
    SmallVector<StringRef> factors;
    StringRef(product).split(factors, '*');
    for (StringRef factor : factors) {
      int64_t value;
      flat.push_back(factor.getAsInteger(10, value) ? json(factor.str())
                                                    : json(value));
    }
  }
  return flat;
}

// An hm.reshape's shape attribute: numbers and symbol names.
ArrayAttr shapeAttr(Builder &builder, const Dims &dims) {
  SmallVector<Attribute> shape;
  for (const json &dim : dims)
    shape.push_back(
        dim.is_number()
            ? Attribute(builder.getI64IntegerAttr(dim.get<int64_t>()))
            : Attribute(builder.getStringAttr(dim.get<std::string>())));
  return builder.getArrayAttr(shape);
}

// Where each dimension starts among the flattened ones.
std::vector<int64_t> flatPositions(const Dims &dims) {
  std::vector<int64_t> starts;
  int64_t next = 0;
  for (const json &dim : dims) {
    starts.push_back(next);
    next += static_cast<int64_t>(flattened({dim}).size());
  }
  return starts;
}

int Exporter::newBuffer(Value value, const std::string &name, const Dims &dims,
                        const std::string &storage) {
  int id = static_cast<int>(buffers.size());
  buffers.push_back(
      {{"id", id},
       {"name", name},
       {"dtype", dtypeName(cast<ShapedType>(value.getType()).getElementType())},
       {"shape", flattened(dims)},
       {"storage", storage}});
  bufferOf[value] = id;
  dimsOf[value] = dims;
  return id;
}

LogicalResult Exporter::appendWeight(hm::ConstantOp constant, json &buffer) {
  auto type = cast<ShapedType>(constant.getType());
  std::vector<char> bytes;
  Attribute value = constant.getValue();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return constant.emitError("weight blob '")
             << resource.getRawHandle().getKey() << "' has no data";
    ArrayRef<char> data = blob->getData();
    bytes.assign(data.begin(), data.end());
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    Type element = type.getElementType();
    auto append = [&](auto v) {
      const char *p = reinterpret_cast<const char *>(&v);
      bytes.insert(bytes.end(), p, p + sizeof(v));
    };
    if (element.isF32())
      for (float v : dense.getValues<float>())
        append(v);
    else if (element.isF64())
      for (double v : dense.getValues<double>())
        append(v);
    else if (element.isInteger(1))
      for (bool v : dense.getValues<bool>())
        append(static_cast<uint8_t>(v));
    else if (element.isInteger(32))
      for (int32_t v : dense.getValues<int32_t>())
        append(v);
    else if (element.isInteger(64))
      for (int64_t v : dense.getValues<int64_t>())
        append(v);
    else
      return constant.emitError("unsupported constant element type ")
             << element;
  } else {
    return constant.emitError("unsupported constant attribute");
  }
  size_t expected = type.getNumElements() *
                    (type.getElementType().isInteger(1)
                         ? 1
                         : type.getElementType().getIntOrFloatBitWidth() / 8);
  if (bytes.size() != expected)
    return constant.emitError("weight holds ")
           << bytes.size() << " bytes, its type " << type << " needs "
           << expected;
  size_t offset = (graph.weights.size() + kWeightAlignment - 1) /
                  kWeightAlignment * kWeightAlignment;
  graph.weights.resize(offset, 0);
  graph.weights.insert(graph.weights.end(), bytes.begin(), bytes.end());
  buffer["offset"] = offset;
  buffer["bytes"] = bytes.size();
  return success();
}

FailureOr<int> Exporter::bufferFor(Value value, Operation *user) {
  auto it = bufferOf.find(value);
  if (it != bufferOf.end())
    return it->second;
  auto constant = value.getDefiningOp<hm::ConstantOp>();
  if (!constant)
    return user->emitError("operand has no buffer");
  Dims dims;
  for (int64_t d : cast<ShapedType>(value.getType()).getShape())
    dims.push_back(d);
  std::string name = "const" + std::to_string(buffers.size());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = resource.getRawHandle().getKey().str();
  int id = newBuffer(value, name, dims, "weight");
  if (failed(appendWeight(constant, buffers[id])))
    return failure();
  return id;
}

namespace {
int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}
} // namespace

// A base that is itself mul' base' + c replaced by base' (declared
// derivations are already normalised, so one step suffices), and
// floor((m q base + add) / q) + post folded into m base + c: a crop of a
// padded length is the length again, (2T - 1) // 2 + 1 is T, and two
// spellings of one definition are one derivation.
Exporter::Derivation Exporter::normalised(Derivation d) const {
  if (d.base.is_string())
    for (const auto &[name, definition] : derived)
      if (name == d.base.get<std::string>() && definition.div == 1) {
        d.add += d.mul * definition.add;
        d.mul *= definition.mul;
        d.base = definition.base;
        break;
      }
  if (d.mul % d.div == 0) {
    d.mul /= d.div;
    d.add = floorDiv(d.add, d.div) + d.post;
    d.div = 1;
    d.post = 0;
  }
  return d;
}

// floor((mul dim + add) / div) + post: a number, the dimension itself, or
// the derived symbol declared for it (one is made up otherwise).
json Exporter::deriveDim(const json &dim, int64_t add, int64_t div,
                         int64_t post, int64_t mul) {
  Derivation key = normalised({dim, mul, add, div, post});
  if (key.base.is_number())
    return floorDiv(key.mul * key.base.get<int64_t>() + key.add, key.div) +
           key.post;
  return symbolFor(key);
}

// The symbol declared for `key` (a symbol base), made up if there is none.
json Exporter::symbolFor(const Derivation &key) {
  if (key.mul == 1 && key.add == 0 && key.div == 1)
    return key.base;
  for (const auto &[name, definition] : derived)
    if (definition == key)
      return name;
  std::string root = key.base.get<std::string>(), name;
  for (int i = 1;
       name.empty() || llvm::is_contained(symbols, name) ||
       llvm::any_of(derived, [&](auto &d) { return d.first == name; });
       ++i)
    name = root.substr(0, root.find('_')) + "_" + std::to_string(i);
  derived.push_back({name, key});
  return name;
}

json Exporter::sumDims(const Dims &dims) {
  Derivation sum{json(), 0, 0, 1, 0};
  for (const json &dim : dims) {
    if (dim.is_number()) {
      sum.add += dim.get<int64_t>();
      continue;
    }
    if (isProduct(dim))
      return json();
    Derivation term = normalised({dim});
    if (term.div != 1 || (!sum.base.is_null() && sum.base != term.base))
      return json();
    sum.base = term.base;
    sum.mul += term.mul;
    sum.add += term.add;
  }
  if (sum.base.is_null())
    return sum.add;
  return deriveDim(sum.base, sum.add, 1, 0, sum.mul);
}

FailureOr<Dims> Exporter::outputDims(Operation *op, const Dims &dims) {
  Dims declared;
  for (const json &dim : dims) {
    if (!isProduct(dim)) {
      declared.push_back(dim);
      continue;
    }
    json symbol;
    int64_t factor = 1;
    for (const json &part : flattened({dim})) {
      if (part.is_number()) {
        factor *= part.get<int64_t>();
        continue;
      }
      if (!symbol.is_null())
        return op->emitError("a model output whose dimension is the product '")
               << dim.get<std::string>()
               << "' of several dynamic dimensions is not supported";
      symbol = part;
    }
    if (factor > HMCRT_MAX_DIM_MULTIPLE)
      return op->emitError("a model output whose dimension is the product '")
             << dim.get<std::string>() << "' is not supported (multiples up to "
             << HMCRT_MAX_DIM_MULTIPLE << ")";
    // A multiple of the symbol itself, not folded into its base: the
    // reshape writing the output merges exactly these factors.
    declared.push_back(symbolFor({symbol, factor, 0, 1, 0}));
  }
  return declared;
}

// Symbolic result shapes of the ops that have kernels.
Dims Exporter::resultDims(Operation *op) {
  auto known = [&](Value v) {
    if (dimsOf.count(v))
      return dimsOf.lookup(v);
    Dims result;
    for (int64_t d : cast<ShapedType>(v.getType()).getShape())
      result.push_back(d);
    return result;
  };
  auto broadcast = [](const Dims &a, const Dims &b) {
    size_t rank = std::max(a.size(), b.size());
    Dims out(rank, json(1));
    for (size_t i = 0; i < rank; ++i) {
      json da = i < a.size() ? a[a.size() - 1 - i] : json(1);
      json db = i < b.size() ? b[b.size() - 1 - i] : json(1);
      out[rank - 1 - i] = da == json(1) ? db : da;
    }
    return out;
  };
  if (isa<hm::AddOp, hm::SubOp, hm::MulOp, hm::DivOp, hm::PowOp, hm::MaxOp,
          hm::MinOp, hm::ModOp, hm::RemOp, hm::EqualOp, hm::LessOp,
          hm::LessEqualOp, hm::AndOp, hm::OrOp, hm::XorOp>(op))
    return broadcast(known(op->getOperand(0)), known(op->getOperand(1)));
  if (auto linear = dyn_cast<hm::LinearOp>(op)) {
    Dims out = known(linear.getInput());
    out.back() = cast<ShapedType>(linear.getWeight().getType()).getDimSize(1);
    return out;
  }
  if (auto matmul = dyn_cast<hm::MatMulOp>(op)) {
    Dims a = known(matmul.getLhs()), b = known(matmul.getRhs());
    Dims out =
        broadcast(Dims(a.begin(), a.end() - 2), Dims(b.begin(), b.end() - 2));
    out.push_back(a[a.size() - 2]);
    out.push_back(b.back());
    return out;
  }
  if (auto gather = dyn_cast<hm::GatherOp>(op)) {
    Dims input = known(gather.getInput()), indices = known(gather.getIndices());
    size_t axis = static_cast<size_t>(gather.getAxis());
    Dims out(input.begin(), input.begin() + axis);
    out.insert(out.end(), indices.begin(), indices.end());
    out.insert(out.end(), input.begin() + axis + 1, input.end());
    return out;
  }
  if (auto gather = dyn_cast<hm::GatherElementsOp>(op))
    return known(gather.getIndices());
  if (isa<hm::ReduceSumOp, hm::ReduceMeanOp, hm::ReduceMaxOp, hm::ReduceMinOp>(
          op)) {
    Dims input = known(op->getOperand(0)), out;
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    int64_t rank = static_cast<int64_t>(input.size());
    for (int64_t i = 0; i < rank; ++i) {
      bool reduced =
          llvm::is_contained(axes, i) || llvm::is_contained(axes, i - rank);
      if (!reduced)
        out.push_back(input[i]);
      else if (keepdims)
        out.push_back(1);
    }
    return out;
  }
  if (isa<hm::ArgMaxOp, hm::ArgMinOp>(op)) {
    Dims out = known(op->getOperand(0));
    int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
    if (op->getAttrOfType<BoolAttr>("keepdims").getValue())
      out[axis] = 1;
    else
      out.erase(out.begin() + axis);
    return out;
  }
  if (auto slice = dyn_cast<hm::SliceOp>(op)) {
    Dims out = known(slice.getInput());
    auto type = cast<ShapedType>(slice.getType());
    for (auto [axis, start, end, step] :
         llvm::zip(slice.getAxes(), slice.getStarts(), slice.getEnds(),
                   slice.getSteps()))
      // A dynamic result ends `end` entries before the input's end.
      out[axis] = type.isDynamicDim(axis)
                      ? deriveDim(out[axis], end - start - 1, step, 1)
                      : json(type.getDimSize(axis));
    return out;
  }
  if (auto transpose = dyn_cast<hm::TransposeOp>(op)) {
    Dims input = known(transpose.getInput()), out;
    for (int64_t p : transpose.getPerm())
      out.push_back(input[p]);
    return out;
  }
  if (auto pad = dyn_cast<hm::PadOp>(op)) {
    Dims out = known(pad.getInput());
    ArrayRef<int64_t> pads = pad.getPads();
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = deriveDim(out[i], pads[i] + pads[i + out.size()], 1, 0);
    return out;
  }
  if (auto conv = dyn_cast<hm::ConvOp>(op)) {
    Dims input = known(conv.getInput());
    auto weight = cast<ShapedType>(conv.getWeight().getType());
    Dims out = {input[0], weight.getDimSize(0)};
    size_t spatial = input.size() - 2;
    for (size_t i = 0; i < spatial; ++i)
      out.push_back(deriveDim(
          input[2 + i],
          conv.getPads()[i] + conv.getPads()[i + spatial] -
              conv.getDilations()[i] * (weight.getDimSize(2 + i) - 1) - 1,
          conv.getStrides()[i], 1));
    return out;
  }
  if (auto fbank = dyn_cast<hm::FbankOp>(op)) {
    Dims audio = known(fbank.getAudio());
    int64_t width = cast<ShapedType>(fbank.getWindow().getType()).getDimSize(0);
    int64_t mels = cast<ShapedType>(fbank.getMel().getType()).getDimSize(0);
    return {
        audio[0],
        deriveDim(audio[1], -width, static_cast<int64_t>(fbank.getHop()), 1),
        mels};
  }
  if (auto concat = dyn_cast<hm::ConcatOp>(op)) {
    Dims out = known(concat->getOperand(0)), along;
    for (Value part : concat->getOperands())
      along.push_back(known(part)[concat.getAxis()]);
    // Null (refused by hmc-halide's checks) when the lengths are computed
    // from different symbols, which the importer does not build.
    out[concat.getAxis()] = sumDims(along);
    return out;
  }
  if (isa<hm::DimSizeOp>(op)) {
    auto shape = cast<ShapedType>(op->getResult(0).getType()).getShape();
    return Dims(shape.begin(), shape.end());
  }
  if (auto iota = dyn_cast<hm::IotaOp>(op))
    return {known(iota.getReference())[iota.getReferenceAxis()]};
  if (auto ctc = dyn_cast<hm::CtcGreedyOp>(op)) {
    Dims in = known(ctc.getLogProbs());
    return {in[0], in[1]};
  }
  if (auto where = dyn_cast<hm::WhereOp>(op))
    return broadcast(known(where.getCondition()),
                     broadcast(known(where.getX()), known(where.getY())));
  if (auto reshape = dyn_cast<hm::ReshapeOp>(op)) {
    Dims out;
    for (Attribute dim : reshape.getShape()) {
      if (auto i = dyn_cast<IntegerAttr>(dim))
        out.push_back(i.getInt());
      else
        out.push_back(cast<StringAttr>(dim).getValue().str());
    }
    return out;
  }
  return known(op->getOperand(0));
}

void Exporter::addKernel(Operation *op, const std::string &kind, json attrs,
                         std::vector<std::pair<std::string, Value>> inputs) {
  json kernel;
  kernel["op"] = kind;
  kernel["attrs"] = attrs.is_null() ? json::object() : attrs;
  kernel["inputs"] = json::array();
  for (auto &[role, value] : inputs)
    kernel["inputs"].push_back({{"role", role}, {"buffer", bufferOf[value]}});
  kernel["outputs"] =
      json::array({{{"role", "y"}, {"buffer", bufferOf[op->getResult(0)]}}});
  if (!alternative.is_null()) {
    kernel["alternative"] = std::move(alternative);
    alternative = json();
  }
  kernels.push_back(std::move(kernel));
}

namespace {

bool isElementwise(const json &kernel) {
  static const std::set<std::string> ops = {
      "add",  "sub",        "mul",  "div", "max",   "min",   "equal",
      "less", "less_equal", "and",  "or",  "xor",   "where", "erf",
      "gelu", "neg",        "sqrt", "exp", "log",   "tanh",  "sigmoid",
      "relu", "leaky_relu", "cast", "not", "round", "floor", "ceil",
      "sin",  "cos",        "mod",  "rem", "abs",   "pow",   "elementwise"};
  return ops.count(kernel["op"].get<std::string>()) > 0;
}

/// A kernel as an elementwise program: its inputs in0, in1, ... and steps
/// over them, the last step being the kernel's output (docs/kernel-graph.md).
json asProgram(const json &kernel) {
  if (kernel["op"] == "elementwise")
    return kernel;
  json args = json::array(), inputs = json::array();
  for (size_t i = 0; i < kernel["inputs"].size(); ++i) {
    args.push_back("in" + std::to_string(i));
    inputs.push_back({{"role", "in" + std::to_string(i)},
                      {"buffer", kernel["inputs"][i]["buffer"]}});
  }
  json step = {{"op", kernel["op"]}, {"args", args}};
  if (!kernel["attrs"].empty())
    step["attrs"] = kernel["attrs"];
  return {{"op", "elementwise"},
          {"attrs", {{"program", json::array({step})}}},
          {"inputs", inputs},
          {"outputs", kernel["outputs"]}};
}

/// `consumer` with the producer of its input buffer `buffer` computed
/// inside it: the producer's steps first, then the consumer's, reading the
/// producer's last step where they read `buffer`.
json mergePrograms(const json &producer, const json &consumer, int buffer) {
  json first = asProgram(producer), second = asProgram(consumer);
  json inputs = json::array(), steps = json::array();
  std::map<int, std::string> inputOf; // buffer -> "inK"
  auto input = [&](int id) {
    auto it = inputOf.find(id);
    if (it != inputOf.end())
      return it->second;
    std::string role = "in" + std::to_string(inputs.size());
    inputs.push_back({{"role", role}, {"buffer", id}});
    return inputOf[id] = role;
  };
  // Renames one program's references: its inputs by buffer, its steps by
  // their new position.
  auto append = [&](const json &program, size_t stepBase,
                    const std::string &bufferStep) {
    for (json step : program["attrs"]["program"]) {
      for (json &arg : step["args"]) {
        std::string ref = arg.get<std::string>();
        if (ref.rfind("in", 0) == 0) {
          int id = program["inputs"][std::stoul(ref.substr(2))]["buffer"];
          arg = id == buffer ? bufferStep : input(id);
        } else {
          arg = "t" + std::to_string(stepBase + std::stoul(ref.substr(1)));
        }
      }
      steps.push_back(step);
    }
  };
  append(first, 0, "");
  append(second, first["attrs"]["program"].size(),
         "t" + std::to_string(first["attrs"]["program"].size() - 1));
  return {{"op", "elementwise"},
          {"attrs", {{"program", steps}}},
          {"inputs", inputs},
          {"outputs", consumer["outputs"]}};
}

/// Per buffer id: how many kernel inputs read it, the last kernel reading
/// it and the kernel writing it (kernel indices).
struct BufferUses {
  std::map<int, int> uses, consumer, producer;
};

BufferUses bufferUses(const json &kernels) {
  BufferUses result;
  for (size_t k = 0; k < kernels.size(); ++k) {
    for (const json &operand : kernels[k]["inputs"]) {
      ++result.uses[operand["buffer"].get<int>()];
      result.consumer[operand["buffer"].get<int>()] = int(k);
    }
    result.producer[kernels[k]["outputs"][0]["buffer"].get<int>()] = int(k);
  }
  return result;
}

} // namespace

// Chains of elementwise kernels become one kernel that reads the chain's
// inputs once and writes its end once: an intermediate used by the next
// kernel only, of the same shape as its result, never reaches memory.
void Exporter::fuseElementwiseChains() {
  constexpr size_t kMaxSteps = 32;
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, json *> bufferById = buffersById();
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  for (size_t k = 0; k < kernels.size(); ++k) {
    bool changed = isElementwise(kernels[k]);
    while (changed) {
      changed = false;
      int out = kernels[k]["outputs"][0]["buffer"];
      for (const json &operand : json(kernels[k]["inputs"])) {
        int id = operand["buffer"];
        auto from = producer.find(id);
        if (from == producer.end() || merged[from->second] || uses[id] != 1 ||
            (*bufferById.at(id))["storage"] != "temp" ||
            (*bufferById.at(id))["shape"] != (*bufferById.at(out))["shape"])
          continue;
        const json &source = kernels[from->second];
        if (!isElementwise(source))
          continue;
        size_t steps = asProgram(source)["attrs"]["program"].size() +
                       asProgram(kernels[k])["attrs"]["program"].size();
        if (steps > kMaxSteps)
          continue;
        kernels[k] = mergePrograms(source, kernels[k], id);
        merged[from->second] = true;
        internal.insert(id);
        changed = true;
        break;
      }
    }
  }
  dropMerged(merged, internal);
}

// An elementwise kernel reading a linear's, matmul's, layer_norm's or
// hyper_mix's result (its only use, of the same shape) becomes that kernel's
// epilogue: the result goes through the program in registers and reaches
// memory once. Other inputs of the program must broadcast to the output's
// shape. The fused kernel takes the elementwise kernel's place, after
// everything either of them reads.
void Exporter::fuseEpilogues() {
  auto [uses, consumer, producer] = bufferUses(kernels);
  // Buffers by id: the chain fusion above has already dropped some.
  std::map<int, json *> bufferById = buffersById();
  auto buffer = [&](int id) -> const json & { return *bufferById.at(id); };
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  for (size_t k = 0; k < kernels.size(); ++k) {
    if (!isElementwise(kernels[k]))
      continue;
    json program = asProgram(kernels[k]);
    int out = program["outputs"][0]["buffer"];
    const json &shape = buffer(out)["shape"];
    if (buffer(out)["dtype"] != "float32")
      continue;
    for (const json &operand : program["inputs"]) {
      int id = operand["buffer"];
      auto from = producer.find(id);
      if (from == producer.end() || uses[id] != 1 ||
          buffer(id)["storage"] != "temp" || buffer(id)["shape"] != shape)
        continue;
      const json &producerKernel = kernels[from->second];
      if ((producerKernel["op"] != "linear" &&
           producerKernel["op"] != "layer_norm" &&
           producerKernel["op"] != "matmul" &&
           producerKernel["op"] != "hyper_mix") ||
          producerKernel["attrs"].contains("epilogue"))
        continue;
      // Other inputs: the output's shape, or buffers that broadcast to it
      // (each dim 1 or the output's, trailing dims aligned), like a bias or
      // a [B, 1, N, 1] mask.
      auto broadcasts = [&](const json &desc) {
        const json &dims = desc["shape"];
        if (dims.size() > shape.size())
          return false;
        size_t skip = shape.size() - dims.size();
        for (size_t d = 0; d < dims.size(); ++d)
          if (dims[d] != 1 && dims[d] != shape[skip + d])
            return false;
        return true;
      };
      bool plain = llvm::all_of(program["inputs"], [&](const json &input) {
        const json &desc = buffer(input["buffer"].get<int>());
        return desc["dtype"] == "float32" &&
               (desc["shape"] == shape || broadcasts(desc));
      });
      if (!plain)
        continue;
      // The result is in0 of the epilogue; the other inputs follow as the
      // fused kernel's inputs e1, e2, ...
      json fused = producerKernel;
      std::map<std::string, std::string> rename;
      int extra = 0;
      for (size_t i = 0; i < program["inputs"].size(); ++i) {
        int source = program["inputs"][i]["buffer"];
        std::string role = "in" + std::to_string(i);
        if (source == id) {
          rename[role] = "in0";
          continue;
        }
        std::string index = std::to_string(++extra);
        fused["inputs"].push_back({{"role", "e" + index}, {"buffer", source}});
        rename[role] = "in" + index;
      }
      json steps = program["attrs"]["program"];
      for (json &step : steps)
        for (json &arg : step["args"])
          if (rename.count(arg.get<std::string>()))
            arg = rename[arg.get<std::string>()];
      fused["attrs"]["epilogue"] = steps;
      fused["outputs"] = program["outputs"];
      merged[from->second] = true;
      internal.insert(id);
      kernels[k] = std::move(fused);
      producer[out] = int(k);
      break;
    }
  }
  dropMerged(merged, internal);
}

// A relative_shift of a matmul's product (the position scores q p^T of
// relative attention) becomes the matmul's `relative_shift`: it computes only
// the T x T scores the shift keeps, not the T x (2T - 1) it would discard
// half of, and nothing is written in between.
void Exporter::foldShiftedMatmuls() {
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, json *> bufferById = buffersById();
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  for (size_t k = 0; k < kernels.size(); ++k) {
    if (kernels[k]["op"] != "relative_shift")
      continue;
    int scores = kernels[k]["inputs"][0]["buffer"];
    auto from = producer.find(scores);
    if (from == producer.end() || uses[scores] != 1 ||
        (*bufferById.at(scores))["storage"] != "temp")
      continue;
    json &matmul = kernels[from->second];
    if (matmul["op"] != "matmul" || !matmul["attrs"].empty())
      continue;
    matmul["attrs"]["relative_shift"] = true;
    matmul["outputs"] = kernels[k]["outputs"];
    merged[k] = true;
    internal.insert(scores);
  }
  dropMerged(merged, internal);
}

// transpose(P) -> layer_norm over the last a dims -> transpose(P^-1), as
// exporters wrap a LayerNorm over the channel and frequency dims of a conv
// output, becomes one layer_norm over those dims where they are (`dims`),
// when the innermost dim is among them: the two transposes are full passes
// over the tensor and nothing else reads their results.
void Exporter::foldLayerNormTransposes() {
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::set<int> outputBuffers;
  for (const json &buffer : buffers)
    if (buffer["storage"] != "temp")
      outputBuffers.insert(buffer["id"].get<int>());
  auto singleUse = [&](int id) {
    return uses[id] == 1 && !outputBuffers.count(id);
  };
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  for (size_t k = 0; k < kernels.size(); ++k) {
    json &norm = kernels[k];
    if (norm["op"] != "layer_norm" || norm["attrs"].contains("dims") ||
        norm["inputs"].size() != 3)
      continue;
    int in = norm["inputs"][0]["buffer"], out = norm["outputs"][0]["buffer"];
    auto from = producer.find(in);
    if (from == producer.end() || !singleUse(in) || !singleUse(out) ||
        kernels[from->second]["op"] != "transpose" ||
        kernels[consumer[out]]["op"] != "transpose")
      continue;
    const json &before = kernels[from->second];
    const json &after = kernels[consumer[out]];
    std::vector<int64_t> perm = before["attrs"]["perm"];
    std::vector<int64_t> back = after["attrs"]["perm"];
    size_t rank = perm.size(), axes = norm["attrs"].value("axes", 1);
    bool inverse = back.size() == rank;
    for (size_t i = 0; inverse && i < rank; ++i)
      inverse =
          back[i] >= 0 && size_t(back[i]) < rank && size_t(perm[back[i]]) == i;
    std::vector<int64_t> dims(perm.end() - axes, perm.end());
    if (!inverse || !llvm::is_contained(dims, int64_t(rank - 1)))
      continue;
    json folded = norm;
    folded["attrs"].erase("axes");
    folded["attrs"]["dims"] = dims;
    folded["inputs"][0]["buffer"] = before["inputs"][0]["buffer"];
    folded["outputs"] = after["outputs"];
    merged[from->second] = true;
    merged[k] = true;
    internal.insert({in, out});
    kernels[consumer[out]] = std::move(folded);
  }
  dropMerged(merged, internal);
}

// A reflect pad of a 2-D conv input's spatial dims (nothing else reads the
// padded tensor, the conv pads nothing itself) becomes the conv's pads with
// "pad_mode": "reflect", as in the HyperConformer front-end: the conv reads
// the rows it needs through the mirror, and the padded copy of its input,
// a full write and read of a large tensor, goes.
void Exporter::foldReflectPads() {
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, json *> bufferById = buffersById();
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  for (json &conv : kernels) {
    // 2-D convs only: a reflect-padded 1-D depthwise conv would lose its
    // own schedule for the direct one (unmeasured).
    if (conv["op"] != "conv" || conv["attrs"].contains("pad_mode") ||
        conv["attrs"]["pads"].size() != 4 || conv["inputs"][0]["role"] != "x")
      continue;
    int in = conv["inputs"][0]["buffer"];
    auto from = producer.find(in);
    if (from == producer.end() || uses[in] != 1 ||
        (*bufferById.at(in))["storage"] != "temp")
      continue;
    const json &pad = kernels[from->second];
    if (pad["op"] != "pad" || pad["attrs"]["mode"] != "reflect")
      continue;
    std::vector<int64_t> padPads = pad["attrs"]["pads"];
    std::vector<int64_t> convPads = conv["attrs"]["pads"];
    size_t rank = padPads.size() / 2, spatial = convPads.size() / 2;
    bool spatialOnly = llvm::all_of(convPads, [](int64_t p) { return !p; });
    for (size_t d = 0; d < rank - spatial; ++d)
      spatialOnly = spatialOnly && !padPads[d] && !padPads[rank + d];
    if (!spatialOnly)
      continue;
    for (size_t i = 0; i < spatial; ++i) {
      convPads[i] = padPads[rank - spatial + i];
      convPads[spatial + i] = padPads[2 * rank - spatial + i];
    }
    conv["attrs"]["pads"] = convPads;
    conv["attrs"]["pad_mode"] = "reflect";
    conv["inputs"][0]["buffer"] = pad["inputs"][0]["buffer"];
    merged[from->second] = true;
    internal.insert(in);
  }
  dropMerged(merged, internal);
}

bool Exporter::isRelativeLength(const json &p, const json &t) const {
  if (p.is_number() && t.is_number())
    return p.get<int64_t>() == 2 * t.get<int64_t>() - 1;
  if (!p.is_string() || !t.is_string() || isProduct(p) || isProduct(t))
    return false;
  Derivation length = normalised({p}), tokens = normalised({t});
  return length.div == 1 && tokens.div == 1 && length.base == tokens.base &&
         length.mul == 2 * tokens.mul && length.add == 2 * tokens.add - 1;
}

// Transformer-XL's relative shift of scores x [..., T, 2T - 1] (SpeechBrain's
// RelPosMHAXL, ESPnet's RelPositionMultiHeadedAttention): pad one column in
// front (or concatenate one), view as [..., 2T, T], drop the first row,
// view back as [..., T, 2T - 1] and keep the first T columns. Entry (i, j)
// is x[..., i, j + T - 1 - i] (the front column is never read), so the five
// copies, two of them reshapes through a linear index, become one
// relative_shift kernel.
void Exporter::foldRelativeShifts() {
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, json *> bufferById = buffersById();
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  auto shapeOf = [&](int id) { return (*bufferById.at(id))["shape"]; };
  // The kernel that makes `id` as its only use, with op `op`, or null.
  auto producedBy = [&](int id, const char *op) -> json * {
    auto from = producer.find(id);
    if (from == producer.end() || merged[from->second] || uses[id] != 1 ||
        (*bufferById.at(id))["storage"] != "temp" ||
        kernels[from->second]["op"] != op)
      return nullptr;
    return &kernels[from->second];
  };
  auto index = [&](const json *kernel) {
    return static_cast<size_t>(kernel - &kernels[0]);
  };
  // Buffers the folded kernels read besides the chain itself.
  std::set<int> orphans;
  for (json &keep : kernels) {
    // The first T columns: a gather at iota(T), or a slice from 0.
    int d = keep["inputs"][0]["buffer"];
    Dims out = shapeOf(keep["outputs"][0]["buffer"]), viewed = shapeOf(d);
    size_t rank = out.size();
    int64_t last = static_cast<int64_t>(rank) - 1;
    if (rank < 2 || viewed.size() != rank || out[last] != out[last - 1])
      continue;
    if (keep["op"] == "gather") {
      auto from = producer.find(keep["inputs"][1]["buffer"].get<int>());
      if (from == producer.end() || kernels[from->second]["op"] != "iota" ||
          keep["attrs"]["axis"] != last || keep["attrs"].contains("axis_dims"))
        continue;
    } else if (keep["op"] != "slice" || keep["attrs"]["axes"] != json{last} ||
               keep["attrs"]["starts"] != json{0} ||
               keep["attrs"]["steps"] != json{1}) {
      continue;
    }
    json t = out[last], p = viewed[last];
    json *back = producedBy(d, "reshape");
    if (!back || !isRelativeLength(p, t))
      continue;
    int c = (*back)["inputs"][0]["buffer"];
    json *crop = producedBy(c, "slice");
    if (!crop || (*crop)["attrs"]["axes"] != json{last - 1} ||
        (*crop)["attrs"]["starts"] != json{1} ||
        (*crop)["attrs"]["steps"] != json{1})
      continue;
    int b = (*crop)["inputs"][0]["buffer"];
    json *view = producedBy(b, "reshape");
    if (!view)
      continue;
    int a = (*view)["inputs"][0]["buffer"];
    Dims tall = shapeOf(b), wide = shapeOf(a);
    auto frontColumn = [&](const char *op) -> json * {
      json *k = producedBy(a, op);
      if (!k)
        return nullptr;
      if ((*k)["op"] == "pad") {
        std::vector<int64_t> pads = (*k)["attrs"]["pads"];
        std::vector<int64_t> expected(2 * rank, 0);
        expected[rank - 1] = 1;
        return pads == expected ? k : nullptr;
      }
      return (*k)["inputs"].size() == 2 && (*k)["attrs"]["axis"] == last &&
                     shapeOf((*k)["inputs"][0]["buffer"])[last] == json(1)
                 ? k
                 : nullptr;
    };
    json *front = frontColumn("pad");
    if (!front)
      front = frontColumn("concat");
    if (!front)
      continue;
    int x = (*front)["inputs"][front->at("op") == "pad" ? 0 : 1]["buffer"];
    Dims scores = shapeOf(x);
    // Same leading dims all along; [T, 2T] viewed as [2T, T].
    Dims lead(out.begin(), out.end() - 2);
    auto leads = [&](const Dims &dims) {
      return dims.size() == rank && Dims(dims.begin(), dims.end() - 2) == lead;
    };
    if (!leads(scores) || !leads(wide) || !leads(tall) || !leads(viewed) ||
        scores[last - 1] != t || scores[last] != p || wide[last - 1] != t ||
        tall[last] != t || tall[last - 1] != wide[last] ||
        shapeOf(c)[last - 1] != p)
      continue;
    for (const json *k : {front, view, crop, back, &keep})
      for (const json &operand : k->at("inputs"))
        orphans.insert(operand["buffer"].get<int>());
    for (const json *k : {front, view, crop, back})
      merged[index(k)] = true;
    for (int id : {a, b, c, d})
      internal.insert(id);
    keep["op"] = "relative_shift";
    keep["attrs"] = json::object();
    keep["inputs"] = json::array({{{"role", "x"}, {"buffer", x}}});
  }
  // What only the folded kernels read (the concatenated zero column, the
  // gather's iota, and what only those read) is no longer computed.
  for (bool swept = true; swept;) {
    swept = false;
    std::map<int, int> read;
    for (size_t k = 0; k < kernels.size(); ++k)
      if (!merged[k])
        for (const json &operand : kernels[k]["inputs"])
          ++read[operand["buffer"].get<int>()];
    for (size_t k = 0; k < kernels.size(); ++k) {
      int result = kernels[k]["outputs"][0]["buffer"];
      if (!merged[k] && orphans.count(result) && !read[result] &&
          (*bufferById.at(result))["storage"] == "temp") {
        merged[k] = swept = true;
        internal.insert(result);
        for (const json &operand : kernels[k]["inputs"])
          orphans.insert(operand["buffer"].get<int>());
      }
    }
  }
  dropMerged(merged, internal);
}

// A layer_norm over the channels and the innermost dim of a 2-D conv's
// result ([B, C, H, W] over (W, C), after foldLayerNormTransposes; nothing
// else reads the conv's result, W static) folds into the conv as
// norm_dims, with gamma, beta and the norm's epilogue: the HyperConformer
// front-end's first conv block. The conv computes each output row (b, h)
// in a task anyway, so the statistics read it from cache and the
// unnormalised tensor never reaches memory. CPU targets only
// (options.convLayerNorm): the GPU form is unmeasured.
void Exporter::foldConvLayerNorms() {
  if (!options.convLayerNorm)
    return;
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, json *> bufferById = buffersById();
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  for (json &norm : kernels) {
    if (norm["op"] != "layer_norm" || !norm["attrs"].contains("dims"))
      continue;
    std::set<int64_t> dims;
    for (const json &dim : norm["attrs"]["dims"])
      dims.insert(dim.get<int64_t>());
    int in = norm["inputs"][0]["buffer"];
    const json &shape = (*bufferById.at(in))["shape"];
    auto from = producer.find(in);
    if (from == producer.end() || uses[in] != 1 ||
        (*bufferById.at(in))["storage"] != "temp" || shape.size() != 4 ||
        !shape[3].is_number() || dims != std::set<int64_t>{1, 3})
      continue;
    const json &conv = kernels[from->second];
    if (conv["op"] != "conv" || conv["attrs"].contains("norm_dims") ||
        conv["attrs"].contains("epilogue"))
      continue;
    json fused = conv;
    fused["attrs"]["norm_dims"] = norm["attrs"]["dims"];
    fused["attrs"]["eps"] = norm["attrs"]["eps"];
    if (norm["attrs"].contains("epilogue"))
      fused["attrs"]["epilogue"] = norm["attrs"]["epilogue"];
    // gamma, beta and the epilogue's inputs e1, ... follow the conv's own.
    for (size_t i = 1; i < norm["inputs"].size(); ++i)
      fused["inputs"].push_back(norm["inputs"][i]);
    fused["outputs"] = norm["outputs"];
    merged[from->second] = true;
    internal.insert(in);
    norm = std::move(fused);
  }
  dropMerged(merged, internal);
}

// transpose [B, T, C] -> [B, C, T], then 1-D convs, slices, pads and
// elementwise kernels, then transposes back: a Conformer conv module as
// exporters write it (pointwise conv, GLU, depthwise conv). For CPU targets
// the region runs channels-last instead (options.channelsLastConvs): a
// pointwise conv becomes a linear (its weight transposed), a depthwise conv
// takes "channels_last", slices and pads swap their dims' attributes,
// elementwise kernels keep their programs over swapped shapes, and the
// transposes go. Any other reader of a tensor of the region leaves the
// region as it is.
void Exporter::channelsLastConvModules() {
  if (!options.channelsLastConvs)
    return;
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, std::vector<size_t>> readers;
  for (size_t k = 0; k < kernels.size(); ++k)
    for (const json &operand : kernels[k]["inputs"])
      readers[operand["buffer"].get<int>()].push_back(k);
  std::map<int, json *> bufferById = buffersById();
  auto isSwap = [&](const json &kernel) {
    return kernel["op"] == "transpose" &&
           kernel["attrs"]["perm"] == json{0, 2, 1};
  };
  auto temp = [&](int id) { return (*bufferById.at(id))["storage"] == "temp"; };
  auto isWeight = [&](int id) {
    return (*bufferById.at(id))["storage"] == "weight";
  };
  auto isPointwise = [&](const json &conv) {
    const json &weight = (*bufferById.at(conv["inputs"][1]["buffer"]))["shape"];
    return weight.size() == 3 && weight[2] == 1 &&
           conv["attrs"]["groups"] == 1 &&
           conv["attrs"]["strides"] == json{1} &&
           conv["attrs"]["pads"] == json{0, 0};
  };
  auto isDepthwise = [&](const json &conv) {
    const json &weight = (*bufferById.at(conv["inputs"][1]["buffer"]))["shape"];
    return weight.size() == 3 && weight[1] == 1 &&
           conv["attrs"]["groups"] == weight[0];
  };
  std::vector<bool> merged(kernels.size(), false);
  std::set<int> internal;
  // The maps above stay valid across rewrites: regions share no buffer or
  // kernel, and where an earlier rewrite renamed an entry's input, the
  // rewrite reads it from the kernel itself.
  for (size_t entry = 0; entry < kernels.size(); ++entry) {
    if (merged[entry] || !isSwap(kernels[entry]))
      continue;
    // The region: tensors in [B, C, T] layout reachable from the entry
    // transpose, the kernels computing them, and the transposes back.
    std::set<int> region;
    std::set<size_t> members, exits;
    std::vector<int> pending{kernels[entry]["outputs"][0]["buffer"]};
    bool valid = true;
    while (valid && !pending.empty()) {
      int id = pending.back();
      pending.pop_back();
      if (!region.insert(id).second)
        continue;
      const json &shape = (*bufferById.at(id))["shape"];
      valid = temp(id) && shape.size() == 3;
      for (size_t k : readers[id]) {
        if (!valid)
          break;
        const json &kernel = kernels[k];
        const std::string &op = kernel["op"];
        if (isSwap(kernel)) {
          exits.insert(k);
          continue;
        }
        bool conv = op == "conv" && kernel["inputs"][0]["buffer"] == id &&
                    !kernel["attrs"].contains("pad_mode") &&
                    (isPointwise(kernel) || isDepthwise(kernel));
        valid = conv || op == "slice" || op == "pad" || isElementwise(kernel);
        if (valid && members.insert(k).second)
          pending.push_back(kernel["outputs"][0]["buffer"]);
      }
    }
    // Every input of a member is in the region, except a pointwise conv's
    // weight and bias (read only here), a depthwise conv's, and constants
    // an elementwise kernel broadcasts along T ([..., C or 1, 1], the same
    // bytes as [..., 1, C or 1] in the new layout).
    std::set<int> swappedConstants;
    for (size_t k : members) {
      const json &kernel = kernels[k];
      for (const json &operand : kernel["inputs"]) {
        int id = operand["buffer"];
        if (!valid || region.count(id))
          continue;
        const json &shape = (*bufferById.at(id))["shape"];
        if (kernel["op"] == "conv")
          valid = operand["role"] == "bias" ||
                  (operand["role"] == "weight" &&
                   (!isPointwise(kernel) ||
                    (isWeight(id) && uses[id] == 1 &&
                     (*bufferById.at(id))["dtype"] == "float32")));
        else if (isElementwise(kernel) && isWeight(id) && shape.size() <= 3 &&
                 (shape.empty() || shape.back() == 1)) {
          bool ones = llvm::all_of(shape, [](const json &d) { return d == 1; });
          valid = ones || llvm::all_of(readers[id], [&](size_t r) {
                    return members.count(r) > 0;
                  });
          if (!ones && shape.size() >= 2)
            swappedConstants.insert(id);
        } else
          valid = false;
      }
    }
    // An exit whose result is a model output: the member computing its
    // input writes the output instead, when nothing else reads the input.
    std::map<int, int> writesOutput;
    for (size_t k : exits) {
      int out = kernels[k]["outputs"][0]["buffer"];
      int in = kernels[k]["inputs"][0]["buffer"];
      if (temp(out))
        continue;
      auto from = producer.find(in);
      valid = valid && uses[in] == 1 && from != producer.end() &&
              members.count(from->second);
      writesOutput[in] = out;
    }
    if (!valid || members.empty())
      continue;

    // Rewrite: the entry transpose's readers read its input; each exit's
    // readers read the exit's input.
    std::map<int, int> replaced;
    int entryOut = kernels[entry]["outputs"][0]["buffer"];
    replaced[entryOut] = kernels[entry]["inputs"][0]["buffer"];
    for (size_t k : exits)
      if (!writesOutput.count(kernels[k]["inputs"][0]["buffer"]))
        replaced[kernels[k]["outputs"][0]["buffer"]] =
            kernels[k]["inputs"][0]["buffer"];
    for (const auto &[in, out] : writesOutput) {
      kernels[producer[in]]["outputs"][0]["buffer"] = out;
      internal.insert(in);
    }
    for (json &kernel : kernels)
      for (json &operand : kernel["inputs"])
        // An exit may read the entry's result: follow both replacements.
        while (replaced.count(operand["buffer"].get<int>()))
          operand["buffer"] = replaced[operand["buffer"].get<int>()];
    for (const auto &[gone, kept] : replaced)
      internal.insert(gone);
    merged[entry] = true;
    for (size_t k : exits)
      merged[k] = true;
    for (int id : region)
      if (id != entryOut) {
        json &shape = (*bufferById.at(id))["shape"];
        std::swap(shape[1], shape[2]);
      }
    for (int id : swappedConstants) {
      json &shape = (*bufferById.at(id))["shape"];
      std::swap(shape[shape.size() - 2], shape[shape.size() - 1]);
    }
    for (size_t k : members) {
      json &kernel = kernels[k];
      if (kernel["op"] == "slice") {
        for (json &axis : kernel["attrs"]["axes"])
          if (axis == 1 || axis == 2)
            axis = 3 - axis.get<int64_t>();
      } else if (kernel["op"] == "pad") {
        json &pads = kernel["attrs"]["pads"]; // begins, then ends
        std::swap(pads[1], pads[2]);
        std::swap(pads[4], pads[5]);
      } else if (kernel["op"] == "conv" && isPointwise(kernel)) {
        // [M, K, 1] -> [K, M], in the weights blob.
        json &weight = *bufferById.at(kernel["inputs"][1]["buffer"]);
        int64_t m = weight["shape"][0], k = weight["shape"][1];
        permuteWeight(weight, [&](int64_t i) { return i % k * m + i / k; });
        weight["shape"] = {k, m};
        kernel["op"] = "linear";
        kernel["attrs"] = json::object();
      } else if (kernel["op"] == "conv") {
        kernel["attrs"]["channels_last"] = true;
      }
    }
  }
  dropMerged(merged, internal);
}

// A linear's constant float32 weight [K, M], M a multiple of 16, is stored
// as panels [M / 16, K, 16] (attr weight_panels): a CPU column block then
// reads each k's 16 columns from one cache line, panel after panel, instead
// of copying a strided K x columns block at every run. GPU kernels keep
// [K, M], whose rows their threads read coalesced (options.weightPanels).
void Exporter::packLinearWeights() {
  constexpr int64_t kPanel = 16;
  if (!options.weightPanels)
    return;
  auto [uses, consumer, producer] = bufferUses(kernels);
  std::map<int, int> weightUses;
  for (const json &kernel : kernels)
    if (kernel["op"] == "linear")
      ++weightUses[kernel["inputs"][1]["buffer"].get<int>()];
  std::set<int> packed;
  for (json &buffer : buffers) {
    int id = buffer["id"];
    const json &shape = buffer["shape"];
    if (!weightUses.count(id) || weightUses[id] != uses[id] ||
        buffer["storage"] != "weight" || buffer["dtype"] != "float32" ||
        shape.size() != 2 || !shape[0].is_number() || !shape[1].is_number() ||
        shape[1].get<int64_t>() % kPanel)
      continue;
    // Element (r, c) of [K, M] to (c / 16, r, c % 16).
    int64_t k = shape[0], m = shape[1];
    permuteWeight(buffer, [&](int64_t i) {
      int64_t r = i / m, c = i % m;
      return (c / kPanel * k + r) * kPanel + c % kPanel;
    });
    buffer["shape"] = {m / kPanel, k, kPanel};
    packed.insert(id);
  }
  for (json &kernel : kernels)
    if (kernel["op"] == "linear" &&
        packed.count(kernel["inputs"][1]["buffer"].get<int>()))
      kernel["attrs"]["weight_panels"] = kPanel;
}

// A hyper_mix position table [L, d] is stored [d, L] (attr
// positions_transposed) where the CPU kernel runs token-major on AVX2 and
// AVX-512 targets, i.e. d_h is not a multiple of 8: each vector of tokens
// then loads a channel's positions from one run instead of gathering them
// d floats apart (options.transposePositions). Every reader must agree.
void Exporter::transposePositionTables() {
  if (!options.transposePositions)
    return;
  std::map<int, json *> bufferById = buffersById();
  auto [readers, refused] =
      weightReaders(bufferById, [&](const json &kernel, const json &operand) {
        if (operand["role"] != "positions" || kernel["op"] != "hyper_mix")
          return false;
        const json &x = *bufferById.at(kernel["inputs"][0]["buffer"]);
        int64_t d = x["shape"].back(), heads = kernel["attrs"]["heads"];
        return (d / heads) % 8 != 0;
      });
  for (auto &[id, kernelsReading] : readers) {
    if (refused.count(id))
      continue;
    json &table = *bufferById.at(id);
    int64_t rows = table["shape"][0], d = table["shape"][1];
    permuteWeight(table, [&](int64_t i) { return i % d * rows + i / d; });
    table["shape"] = {d, rows};
    for (json *kernel : kernelsReading)
      (*kernel)["attrs"]["positions_transposed"] = true;
  }
}

// For CPU targets (options.hypernetworkPanels), a hyper_mix kernel's
// hypernetwork weights A_i [h, f, d_h] and C_i [h, k_h, f] are stored in
// panels of 16 outputs, [h, f / 16, d_h, 16] and [h, k_h / 16, f, 16] (attr
// hypernetwork_panels), where d_h is a multiple of 8 and f and k_h of 16.
// Where d_h is whole vectors, the kernel then runs the hypernetworks
// vectorised over their outputs, each token's inputs broadcast, and never
// gathers tokens; a block of outputs reads its weights in one run. A
// kernel's weights move together, and only if all their readers agree.
void Exporter::packHypernetworkWeights() {
  if (!options.hypernetworkPanels)
    return;
  constexpr int64_t kPanel = 16;
  std::map<int, json *> bufferById = buffersById();
  const std::set<std::string> roles = {"A1", "A2", "C1", "C2"};
  auto [readers, refused] =
      weightReaders(bufferById, [&](const json &kernel, const json &operand) {
        return kernel["op"] == "hyper_mix" && roles.count(operand["role"]);
      });
  std::set<json *> excluded;
  for (json &kernel : kernels) {
    if (kernel["op"] != "hyper_mix")
      continue;
    const json &x = *bufferById.at(kernel["inputs"][0]["buffer"]);
    int64_t d = x["shape"].back(), heads = kernel["attrs"]["heads"],
            hidden = kernel["attrs"]["hidden"];
    for (const json &operand : kernel["inputs"])
      if (operand["role"] == "C1") {
        int64_t kHead = bufferById.at(operand["buffer"])->at("shape")[1];
        if ((d / heads) % 8 || hidden % kPanel || kHead % kPanel)
          excluded.insert(&kernel);
      }
  }
  // Until nothing changes: a refused buffer excludes its readers, and an
  // excluded kernel refuses its weights.
  for (bool changed = true; changed;) {
    changed = false;
    for (auto &[id, kernelsReading] : readers)
      for (json *kernel : kernelsReading) {
        if (!refused.count(id) && !excluded.count(kernel))
          continue;
        bool newlyRefused = refused.insert(id).second;
        bool newlyExcluded = excluded.insert(kernel).second;
        changed = changed || newlyRefused || newlyExcluded;
      }
  }
  for (auto &[id, kernelsReading] : readers) {
    if (refused.count(id))
      continue;
    json &weight = *bufferById.at(id);
    // [h, outputs, inputs] -> [h, outputs / 16, inputs, 16].
    int64_t heads = weight["shape"][0], outputs = weight["shape"][1],
            inputs = weight["shape"][2];
    permuteWeight(weight, [&](int64_t i) {
      int64_t head = i / (outputs * inputs), o = i / inputs % outputs,
              c = i % inputs;
      return ((head * (outputs / kPanel) + o / kPanel) * inputs + c) * kPanel +
             o % kPanel;
    });
    weight["shape"] = {heads, outputs / kPanel, inputs, kPanel};
    for (json *kernel : kernelsReading)
      (*kernel)["attrs"]["hypernetwork_panels"] = kPanel;
  }
}

std::map<int, json *> Exporter::buffersById() {
  std::map<int, json *> byId;
  for (json &buffer : buffers)
    byId[buffer["id"].get<int>()] = &buffer;
  return byId;
}

Exporter::WeightReaders Exporter::weightReaders(
    const std::map<int, json *> &bufferById,
    llvm::function_ref<bool(const json &kernel, const json &operand)> accepts) {
  WeightReaders result;
  for (json &kernel : kernels)
    for (const json &operand : kernel["inputs"]) {
      int id = operand["buffer"];
      if (!accepts(kernel, operand)) {
        result.refused.insert(id);
        continue;
      }
      const json &buffer = *bufferById.at(id);
      if (buffer["storage"] != "weight" || buffer["dtype"] != "float32")
        result.refused.insert(id);
      result.readers[id].push_back(&kernel);
    }
  return result;
}

void Exporter::permuteWeight(const json &buffer,
                             llvm::function_ref<int64_t(int64_t)> destination) {
  char *bytes = graph.weights.data() + buffer["offset"].get<size_t>();
  std::vector<float> values(buffer["bytes"].get<size_t>() / sizeof(float));
  std::memcpy(values.data(), bytes, values.size() * sizeof(float));
  for (size_t i = 0; i < values.size(); ++i)
    std::memcpy(bytes + destination(int64_t(i)) * sizeof(float), &values[i],
                sizeof(float));
}

void Exporter::dropMerged(const std::vector<bool> &merged,
                          const std::set<int> &internal) {
  json kept = json::array();
  for (size_t k = 0; k < kernels.size(); ++k)
    if (!merged[k])
      kept.push_back(std::move(kernels[k]));
  kernels = std::move(kept);
  json used = json::array();
  for (json &buffer : buffers)
    if (!internal.count(buffer["id"].get<int>()))
      used.push_back(std::move(buffer));
  buffers = std::move(used);
}

// Outlining: calls with the same op, attributes and operand dtypes and
// shapes share one compiled kernel (the L layers of a model compile once).
void Exporter::nameKernels() {
  std::map<int, json *> bufferById = buffersById();
  for (json &kernel : kernels) {
    json signature = {kernel["op"], kernel["attrs"]};
    for (const char *key : {"inputs", "outputs"})
      for (const json &operand : kernel[key]) {
        const json &buffer = *bufferById.at(operand["buffer"].get<int>());
        signature.push_back(
            {operand["role"], buffer["dtype"], buffer["shape"]});
      }
    std::string kind = kernel["op"];
    auto [it, inserted] = kernelNameOf.try_emplace(
        signature.dump(),
        options.name + "_k" + std::to_string(kernelNameOf.size()) + "_" + kind);
    // Key order as before: name first.
    json named = {{"name", it->second}};
    named.update(kernel);
    if (named.contains("alternative"))
      named["alternative"]["name"] = it->second + "_short";
    kernel = std::move(named);
  }
}

// Kernels on a buffer with a product dimension see its factors as separate
// dimensions. That is the same computation for ops that treat the product as
// a batch dimension (elementwise, matmul batch, linear rows, transposes,
// reshapes, normalisation of other axes, gathers), whose axis attributes are
// renumbered here; anything else is refused.
LogicalResult Exporter::checkProducts(Operation *op, const std::string &kind,
                                      json &attrs, const Dims &dims) {
  std::vector<Dims> operands;
  for (Value operand : op->getOperands())
    operands.push_back(dimsOf.lookup(operand));
  // The product an error names: the result's first, else an operand's.
  std::optional<json> product;
  auto findProduct = [&](const Dims &shape) {
    for (const json &d : shape)
      if (!product && isProduct(d))
        product = d;
  };
  findProduct(dims);
  for (const Dims &operand : operands)
    findProduct(operand);
  if (!product)
    return success();
  auto refuse = [&]() {
    return op->emitError(op->getName().getStringRef())
           << " on the dimension product '" << product->get<std::string>()
           << "' outside a fused hm.hyper_mix is not supported";
  };
  // Operands broadcast right-aligned with the result: at a product's place
  // each has the same product, or a 1 that is its leading dimension (or
  // nothing), so the flattened shapes still line up.
  auto alignsWith = [&](const Dims &operand, size_t batchRank) {
    size_t rank = std::min(operand.size(), batchRank);
    for (size_t i = 0; i < batchRank; ++i) {
      if (!isProduct(dims[i]))
        continue;
      int64_t j =
          static_cast<int64_t>(i + rank) - static_cast<int64_t>(batchRank);
      if (j >= 0 && operand[j] != dims[i] && !(operand[j] == json(1) && j == 0))
        return false;
    }
    return true;
  };
  auto inLast = [](const Dims &d, size_t count) {
    return llvm::any_of(
        llvm::make_range(d.end() - std::min(count, d.size()), d.end()),
        isProduct);
  };
  if (isElementwise(json{{"op", kind}}) || kind == "cast") {
    for (const Dims &operand : operands)
      if (!alignsWith(operand, dims.size()))
        return refuse();
    return success();
  }
  if (kind == "matmul") {
    if (inLast(dims, 2) || inLast(operands[0], 2) || inLast(operands[1], 2))
      return refuse();
    for (const Dims &operand : operands)
      if (!alignsWith(Dims(operand.begin(), operand.end() - 2),
                      dims.size() - 2))
        return refuse();
    return success();
  }
  if (kind == "linear" || kind == "layer_norm") {
    // Normalised (or contracted) trailing dims count from the end.
    int64_t trailing = kind == "linear" || !attrs.contains("axes")
                           ? 1
                           : attrs["axes"].get<int64_t>();
    return inLast(operands[0], static_cast<size_t>(trailing)) ? refuse()
                                                              : success();
  }
  if (kind == "softmax" || kind == "log_softmax") {
    int64_t axis = attrs["axis"].get<int64_t>();
    if (isProduct(operands[0][axis]))
      return refuse();
    attrs["axis"] = flatPositions(operands[0])[axis];
    return success();
  }
  if (kind == "transpose") {
    std::vector<int64_t> starts = flatPositions(operands[0]), perm;
    for (int64_t p : attrs["perm"].get<std::vector<int64_t>>())
      for (size_t k = 0; k < flattened({operands[0][p]}).size(); ++k)
        perm.push_back(starts[p] + static_cast<int64_t>(k));
    attrs["perm"] = perm;
    return success();
  }
  if (kind == "gather") {
    // Gathering along a product (x[arange(B), last] flattens [B, N, d] to
    // [B*N, d]) indexes its factors as one row-major axis.
    if (llvm::any_of(operands[1], isProduct))
      return refuse();
    int64_t axis = attrs["axis"].get<int64_t>();
    attrs["axis"] = flatPositions(operands[0])[axis];
    if (size_t factors = flattened({operands[0][axis]}).size(); factors > 1)
      attrs["axis_dims"] = static_cast<int64_t>(factors);
    return success();
  }
  if (kind == "reshape")
    return success();
  return refuse();
}

// An hm.einsum that did not fuse into hm.hyper_mix, rewritten here (where
// its operands' symbolic dims are known) into existing kernels: reduce_sum
// over indices only one operand has, transposes, reshapes that only insert
// or drop size-1 dims (or merge static contracted dims) and one broadcasting
// matmul. Free indices beyond one per side become batch dims that the other
// operand broadcasts.
LogicalResult Exporter::exportEinsum(hm::EinsumOp einsum) {
  auto [lhs, rhs] = einsum.getEquation().split("->");
  SmallVector<StringRef> parts;
  lhs.split(parts, ',');
  std::vector<std::string> terms;
  for (StringRef part : parts)
    terms.push_back(part.trim().str());
  std::string output = rhs.trim().str();
  if (terms.size() > 2)
    return einsum.emitError("hm.einsum '")
           << einsum.getEquation() << "' has " << terms.size()
           << " operands; outside a fused hm.hyper_mix one or two are "
              "supported";
  std::vector<Value> values(einsum.getInputs().begin(),
                            einsum.getInputs().end());
  std::map<char, json> sizeOf;
  for (auto [term, value] : llvm::zip(terms, values)) {
    if (failed(bufferFor(value, einsum)))
      return failure();
    const Dims &dims = dimsOf[value];
    // A 1 broadcasts; any other two sizes of one index must agree.
    for (auto [letter, dim] : llvm::zip(term, dims)) {
      auto known = sizeOf.find(letter);
      if (known == sizeOf.end() || known->second == json(1))
        sizeOf[letter] = dim;
      else if (known->second != dim && dim != json(1))
        return einsum.emitError("hm.einsum '")
               << einsum.getEquation() << "': index '" << letter
               << "' has sizes " << known->second.dump() << " and "
               << dim.dump();
    }
  }
  for (const std::string &term : terms)
    if (std::set<char>(term.begin(), term.end()).size() != term.size())
      return einsum.emitError("hm.einsum '")
             << einsum.getEquation()
             << "' repeats an index within a term (a diagonal); that is not "
                "supported";
  for (char letter : output)
    if (!sizeOf.count(letter))
      return einsum.emitError("hm.einsum '")
             << einsum.getEquation() << "': output index '" << letter
             << "' is in no operand";

  OpBuilder builder(einsum);
  Location loc = einsum.getLoc();
  Type element = cast<ShapedType>(einsum.getType()).getElementType();
  std::vector<Operation *> created;
  auto dimsFor = [&](const std::string &letters) {
    Dims dims;
    for (char letter : letters)
      dims.push_back(letter == '1' ? json(1) : sizeOf[letter]);
    return dims;
  };
  auto typeFor = [&](const Dims &dims) {
    SmallVector<int64_t> shape;
    for (const json &dim : dims)
      shape.push_back(dim.is_number() ? dim.get<int64_t>()
                                      : ShapedType::kDynamic);
    return RankedTensorType::get(shape, element);
  };
  auto has = [](const std::string &term, char letter) {
    return term.find(letter) != std::string::npos;
  };
  // Each step keeps `term`, the letters of the value's dims ('1' for an
  // inserted size-1 dim).
  auto transposed = [&](Value value, std::string &term,
                        const std::string &order) -> Value {
    if (term == order)
      return value;
    SmallVector<int64_t> perm;
    for (char letter : order)
      perm.push_back(static_cast<int64_t>(term.find(letter)));
    term = order;
    Operation *op =
        builder.create<hm::TransposeOp>(loc, typeFor(dimsFor(order)), value,
                                        builder.getDenseI64ArrayAttr(perm));
    created.push_back(op);
    return op->getResult(0);
  };
  auto reshaped = [&](Value value, const Dims &from,
                      const Dims &dims) -> Value {
    if (from == dims)
      return value;
    Operation *op = builder.create<hm::ReshapeOp>(loc, typeFor(dims), value,
                                                  shapeAttr(builder, dims));
    created.push_back(op);
    return op->getResult(0);
  };

  // Sum out indices that only one operand has.
  for (size_t i = 0; i < terms.size(); ++i) {
    std::string kept;
    SmallVector<int64_t> axes;
    for (auto [axis, letter] : llvm::enumerate(terms[i])) {
      bool elsewhere = has(output, letter) ||
                       (terms.size() == 2 && has(terms[1 - i], letter));
      if (elsewhere)
        kept += letter;
      else
        axes.push_back(static_cast<int64_t>(axis));
    }
    if (axes.empty())
      continue;
    Operation *op = builder.create<hm::ReduceSumOp>(
        loc, typeFor(dimsFor(kept)), values[i],
        builder.getDenseI64ArrayAttr(axes), builder.getBoolAttr(false));
    created.push_back(op);
    values[i] = op->getResult(0);
    terms[i] = kept;
  }

  Value result = values[0];
  std::string term = terms[0];
  if (terms.size() == 2) {
    std::string batch, contract, left, right;
    for (char letter : terms[0])
      (has(terms[1], letter) ? (has(output, letter) ? batch : contract)
                             : left) += letter;
    for (char letter : terms[1])
      if (!has(terms[0], letter))
        right += letter;
    // K: one contracted dim, or static ones merged, or 1 for an outer
    // product.
    json k = 1;
    for (char letter : contract) {
      if (contract.size() > 1 && !sizeOf[letter].is_number())
        return einsum.emitError("hm.einsum '")
               << einsum.getEquation()
               << "' contracts over several indices, one of them dynamic; "
                  "that is not supported";
      k = contract.size() == 1
              ? sizeOf[letter]
              : json(k.get<int64_t>() * sizeOf[letter].get<int64_t>());
    }
    std::string leftHead = left.empty() ? "" : left.substr(0, left.size() - 1);
    std::string rightHead =
        right.empty() ? "" : right.substr(0, right.size() - 1);
    std::string m = left.empty() ? "1" : left.substr(left.size() - 1);
    std::string n = right.empty() ? "1" : right.substr(right.size() - 1);
    // lhs [leftHead, batch, 1 per rightHead, M, K] and rhs [batch,
    // rightHead, K, N] broadcast (right-aligned) to [leftHead, batch,
    // rightHead, M, N]; a grouped projection (blmf,mhf->bmlh) comes out in
    // its output order with the weight broadcast over b.
    std::string a = terms[0], b = terms[1];
    Value lhsValue =
        transposed(values[0], a,
                   leftHead + batch + left.substr(leftHead.size()) + contract);
    Value rhsValue = transposed(values[1], b,
                                batch + rightHead + contract +
                                    right.substr(rightHead.size()));
    Dims lhsDims =
        dimsFor(leftHead + batch + std::string(rightHead.size(), '1') + m);
    lhsDims.push_back(k);
    Dims rhsDims = dimsFor(batch + rightHead);
    rhsDims.push_back(k);
    for (const json &dim : dimsFor(n))
      rhsDims.push_back(dim);
    lhsValue = reshaped(lhsValue, dimsFor(a), lhsDims);
    rhsValue = reshaped(rhsValue, dimsFor(b), rhsDims);
    term = leftHead + batch + rightHead + m + n;
    Operation *matmul = builder.create<hm::MatMulOp>(
        loc, typeFor(dimsFor(term)), lhsValue, rhsValue);
    created.push_back(matmul);
    result = matmul->getResult(0);
    // Drop the size-1 dims that stood in for a missing M or N.
    std::string kept;
    for (char letter : term)
      if (letter != '1')
        kept += letter;
    if (kept != term) {
      result = reshaped(result, dimsFor(term), dimsFor(kept));
      term = kept;
    }
  }
  result = transposed(result, term, output);
  if (created.empty())
    return einsum.emitError("hm.einsum '")
           << einsum.getEquation()
           << "' only copies its operand; that is "
              "not supported";
  if (auto out = outputIndex.find(einsum.getResult());
      out != outputIndex.end()) {
    outputIndex[result] = out->second;
    outputIndex.erase(einsum.getResult());
  }
  einsum.getResult().replaceAllUsesWith(result);
  for (Operation *op : created)
    if (failed(exportOp(op)))
      return failure();
  return success();
}

LogicalResult Exporter::exportOp(Operation *op) {
  if (isa<hm::ConstantOp, func::ReturnOp>(op))
    return success();
  // An output's reshape is exported with its producer.
  if (op->getNumResults() == 1 && bufferOf.count(op->getResult(0)))
    return success();
  if (auto einsum = dyn_cast<hm::EinsumOp>(op))
    return exportEinsum(einsum);

  static const char *const unsupportedHint =
      " has no kernel yet; it is supported only inside a fused hm.hyper_mix "
      "(hmc compile -v says why a HyperMixing subgraph did not fuse)";
  std::string kind;
  std::vector<std::pair<std::string, Value>> inputs;
  json attrs = json::object();
  if (auto mix = dyn_cast<hm::HyperMixOp>(op)) {
    kind = "hyper_mix";
    inputs.push_back({"x", mix.getInput()});
    if (mix.isCross()) {
      inputs.push_back({"keys", mix.getKeys()});
      inputs.push_back({"values", mix.getValues()});
    }
    if (mix.getMask())
      inputs.push_back({"mask", mix.getMask()});
    if (mix.getKeyMask())
      inputs.push_back({"key_mask", mix.getKeyMask()});
    inputs.push_back({"A1", mix.getHyper1InWeight()});
    inputs.push_back({"a1", mix.getHyper1InBias()});
    inputs.push_back({"C1", mix.getHyper1OutWeight()});
    inputs.push_back({"c1", mix.getHyper1OutBias()});
    if (!mix.isTied()) {
      inputs.push_back({"A2", mix.getHyper2InWeight()});
      inputs.push_back({"a2", mix.getHyper2InBias()});
      inputs.push_back({"C2", mix.getHyper2OutWeight()});
      inputs.push_back({"c2", mix.getHyper2OutBias()});
    }
    if (mix.hasLayerNorm()) {
      inputs.push_back({"gamma", mix.getGamma()});
      inputs.push_back({"beta", mix.getBeta()});
    }
    if (mix.getPositionTable())
      inputs.push_back({"positions", mix.getPositionTable()});
    attrs = {
        {"heads", mix.getHeads()},
        {"hidden",
         cast<ShapedType>(mix.getHyper1InWeight().getType()).getDimSize(1)},
        {"tied", mix.isTied()},
        {"has_mask", static_cast<bool>(mix.getMask())},
        {"has_position_table", static_cast<bool>(mix.getPositionTable())},
        {"positional", mix.getPositional().str()},
        {"position_offset", mix.getPositionOffset()},
        {"layer_norm", mix.hasLayerNorm()},
        {"layer_norm_eps", mix.getLayerNormEpsilon()
                               ? mix.getLayerNormEpsilon()->convertToDouble()
                               : 0.0},
        {"algorithm", mix.getAlgorithm().str()}};
    if (double scale = mix.getInputScale().convertToDouble(); scale != 1.0)
      attrs["input_scale"] = scale;
    if (!mix.getMaskWeights())
      attrs["mask_weights"] = false;
    if (!mix.getMaskTokens())
      attrs["mask_tokens"] = false;
    if (!mix.getMaskHyperInput())
      attrs["mask_hyper_input"] = false;
    if (mix.getGeluApproximate() != "none")
      attrs["gelu_approximate"] = mix.getGeluApproximate().str();
    if (mix.isCross()) {
      attrs["has_keys"] = true;
      attrs["has_key_mask"] = static_cast<bool>(mix.getKeyMask());
    }
    // The keys' length, which phase A reduces over.
    json keyTokens =
        mix.isCross() ? dimsOf.lookup(mix.getKeys())[1] : resultDims(op)[1];
    // A learned table has no rows past its end: the model, like the one it
    // was exported from, takes at most that many queries and keys.
    if (mix.getPositional() == "table") {
      int64_t rows =
          cast<ShapedType>(mix.getPositionTable().getType()).getDimSize(0) -
          mix.getPositionOffset();
      std::vector<json> lengths = {resultDims(op)[1]};
      if (mix.isCross())
        lengths.push_back(keyTokens);
      for (const json &tokens : lengths) {
        if (isProduct(tokens))
          return mix.emitError("hm.hyper_mix: a learned position table over "
                               "the dimension product '")
                 << tokens.get<std::string>() << "' is not supported";
        if (tokens.is_number() && tokens.get<int64_t>() > rows)
          return mix.emitError("hm.hyper_mix: ")
                 << tokens.get<int64_t>()
                 << " tokens, but the learned position table has rows for "
                 << rows;
        boundSymbol(tokens, rows);
      }
    }
    // "auto": per head, the reassociated form pays a length-independent
    // 2 f k_h d_h multiply-adds (S and V) and saves per token the
    // difference of the forms' rates below. With d_h a whole number of
    // 16-float vectors the CPU kernels run both at about the same rate, so
    // that balance decides; with ragged d_h (the 8M's 18) two-phase
    // measured faster below about 4 d_h tokens.
    if (mix.getAlgorithm() == "auto") {
      int64_t dHead = cast<ShapedType>(mix.getInput().getType()).getDimSize(2) /
                      static_cast<int64_t>(mix.getHeads());
      int64_t hidden =
          cast<ShapedType>(mix.getHyper1InWeight().getType()).getDimSize(1);
      int64_t kHead =
          cast<ShapedType>(mix.getHyper1OutWeight().getType()).getDimSize(1);
      // Tied self mixing: the CPU's reassociated form computes the hidden
      // units once for both phases, and its whole two-phase form W1 once
      // (HyperMix.cpp).
      bool tiedSelf =
          mix.isTied() && !mix.isCross() && options.cpuHyperMixForms;
      int64_t fixed = 2 * hidden * kHead * dHead;
      int64_t reassociated = (tiedSelf ? 3 : 4) * hidden * dHead;
      int64_t savedPerToken =
          2 * (hidden * dHead + hidden * kHead + kHead * dHead) - reassociated;
      int64_t threshold = dHead % 16 || savedPerToken <= 0
                              ? 4 * dHead
                              : (fixed + savedPerToken - 1) / savedPerToken;
      // Phase A's share of the saving runs over the keys.
      const json &tokens = keyTokens;
      attrs["algorithm"] = tokens.is_number() && tokens < threshold
                               ? "two_phase"
                               : "reassociated";
      // The short variant knows its longest input (max_key_length). On the
      // CPU, one head of whole vectors then runs phase A over all tokens at
      // once while its W1 and masked tokens fit in 2 MiB (HyperMix.cpp). On
      // 2 cores that form stayed faster than reassociated to about 5/4 of
      // the crossover (d = k = f = 256: 10-12% at 256 and 320 tokens, even
      // at 400), on 1 core it was 0-8% slower at 320 tokens.
      bool whole =
          options.cpuHyperMixForms && dHead % 16 == 0 && mix.getHeads() == 1;
      // The most tokens whose W1 and masked tokens fit the whole form.
      int64_t wholeTokens = (2 << 20) / ((kHead + dHead) * 4);
      if (whole && savedPerToken > 0) {
        int64_t later = (threshold * 5 + 3) / 4;
        if (later - 1 <= wholeTokens)
          threshold = later;
      }
      // Tied self mixing in that form generates W1 once for both phases:
      // f k_h + 2 k_h d_h - 2 f d_h per token more than reassociated (d_h^2
      // where d_h = f = k_h). Used to 5/4 of that crossover while W1 and
      // the masked tokens fit. Tied nlu_small (d = k = f = 256, below 640):
      // at 640 tokens two-phase was 4% faster on 2 cores and 1% slower on
      // 1, even at 768, and 3% slower at 1024 on 2 cores.
      if (whole && tiedSelf) {
        int64_t extra =
            hidden * dHead + hidden * kHead + 2 * kHead * dHead - reassociated;
        int64_t balance =
            extra <= 0 ? wholeTokens + 1 : (fixed + extra - 1) / extra;
        threshold = std::max(threshold,
                             std::min(wholeTokens + 1, (balance * 5 + 3) / 4));
      }
      if (tokens.is_string() && threshold > 1)
        alternative = {
            {"attrs",
             {{"algorithm", "two_phase"}, {"max_key_length", threshold - 1}}},
            {"symbol", tokens},
            {"below", threshold}};
    }
  } else if (isa<hm::AddOp, hm::SubOp, hm::MulOp, hm::DivOp, hm::PowOp,
                 hm::MaxOp, hm::MinOp, hm::ModOp, hm::RemOp, hm::EqualOp,
                 hm::LessOp, hm::LessEqualOp, hm::AndOp, hm::OrOp, hm::XorOp>(
                 op)) {
    kind = op->getName().stripDialect().str();
    inputs = {{"lhs", op->getOperand(0)}, {"rhs", op->getOperand(1)}};
  } else if (isa<hm::ErfOp, hm::GeluOp, hm::NegOp, hm::SqrtOp, hm::NotOp,
                 hm::RoundOp, hm::FloorOp, hm::CeilOp, hm::SinOp, hm::CosOp,
                 hm::AbsOp>(op)) {
    kind = op->getName().stripDialect().str();
    inputs = {{"x", op->getOperand(0)}};
    if (auto gelu = dyn_cast<hm::GeluOp>(op);
        gelu && gelu.getApproximate() != "none")
      attrs["approximate"] = gelu.getApproximate().str();
  } else if (auto castOp = dyn_cast<hm::CastOp>(op)) {
    kind = "cast";
    inputs = {{"x", castOp.getInput()}};
    attrs["to"] =
        dtypeName(cast<ShapedType>(castOp.getType()).getElementType());
  } else if (auto norm = dyn_cast<hm::LayerNormOp>(op)) {
    kind = "layer_norm";
    inputs = {{"x", norm.getInput()},
              {"gamma", norm.getGamma()},
              {"beta", norm.getBeta()}};
    attrs["eps"] = norm.getEpsilon().convertToDouble();
    // The axis counts from the end: -k normalises the last k dimensions.
    int64_t rank = cast<ShapedType>(norm.getInput().getType()).getRank();
    int64_t axis = static_cast<int64_t>(norm.getAxis());
    if (axis != -1)
      attrs["axes"] = axis < 0 ? -axis : rank - axis;
  } else if (auto linear = dyn_cast<hm::LinearOp>(op)) {
    kind = "linear";
    inputs = {{"x", linear.getInput()}, {"weight", linear.getWeight()}};
    if (linear.getBias())
      inputs.push_back({"bias", linear.getBias()});
  } else if (auto matmul = dyn_cast<hm::MatMulOp>(op)) {
    kind = "matmul";
    inputs = {{"lhs", matmul.getLhs()}, {"rhs", matmul.getRhs()}};
  } else if (auto gather = dyn_cast<hm::GatherOp>(op)) {
    kind = "gather";
    inputs = {{"x", gather.getInput()}, {"indices", gather.getIndices()}};
    attrs["axis"] = static_cast<int64_t>(gather.getAxis());
    // The first rows of a stored table (positions for the run-time length).
    int64_t rows = cast<ShapedType>(gather.getInput().getType())
                       .getDimSize(gather.getAxis());
    if (gather.getIndices().getDefiningOp<hm::IotaOp>() &&
        gather.getInput().getDefiningOp<hm::ConstantOp>() &&
        !ShapedType::isDynamic(rows))
      boundSymbol(resultDims(op)[gather.getAxis()], rows);
  } else if (auto gather = dyn_cast<hm::GatherElementsOp>(op)) {
    kind = "gather_elements";
    inputs = {{"x", gather.getInput()}, {"indices", gather.getIndices()}};
    attrs["axis"] = static_cast<int64_t>(gather.getAxis());
  } else if (isa<hm::ReduceSumOp, hm::ReduceMeanOp, hm::ReduceMaxOp,
                 hm::ReduceMinOp>(op)) {
    kind = op->getName().stripDialect().str();
    inputs = {{"x", op->getOperand(0)}};
    int64_t rank = cast<ShapedType>(op->getOperand(0).getType()).getRank();
    std::vector<int64_t> axes;
    for (int64_t axis :
         op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef())
      axes.push_back(axis < 0 ? axis + rank : axis);
    std::sort(axes.begin(), axes.end());
    attrs["axes"] = axes;
    attrs["keepdims"] = op->getAttrOfType<BoolAttr>("keepdims").getValue();
  } else if (isa<hm::ArgMaxOp, hm::ArgMinOp>(op)) {
    kind = op->getName().stripDialect().str();
    inputs = {{"x", op->getOperand(0)}};
    attrs["axis"] = op->getAttrOfType<IntegerAttr>("axis").getInt();
    attrs["keepdims"] = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    attrs["select_last_index"] =
        op->getAttrOfType<BoolAttr>("select_last_index").getValue();
  } else if (auto scatter = dyn_cast<hm::ScatterNdOp>(op)) {
    kind = "scatter_nd";
    inputs = {{"x", scatter.getInput()},
              {"indices", scatter.getIndices()},
              {"updates", scatter.getUpdates()}};
  } else if (auto cumsum = dyn_cast<hm::CumSumOp>(op)) {
    kind = "cumsum";
    inputs = {{"x", cumsum.getInput()}};
    attrs["axis"] = cumsum.getAxis();
    attrs["exclusive"] = cumsum.getExclusive();
    attrs["reverse"] = cumsum.getReverse();
  } else if (auto slice = dyn_cast<hm::SliceOp>(op)) {
    kind = "slice";
    inputs = {{"x", slice.getInput()}};
    attrs["axes"] =
        std::vector<int64_t>(slice.getAxes().begin(), slice.getAxes().end());
    attrs["starts"] = std::vector<int64_t>(slice.getStarts().begin(),
                                           slice.getStarts().end());
    attrs["steps"] =
        std::vector<int64_t>(slice.getSteps().begin(), slice.getSteps().end());
  } else if (auto fbank = dyn_cast<hm::FbankOp>(op)) {
    kind = "fbank";
    inputs = {{"audio", fbank.getAudio()},
              {"window", fbank.getWindow()},
              {"cos", fbank.getCos()},
              {"sin", fbank.getSin()},
              {"mel", fbank.getMel()}};
    attrs["hop"] = static_cast<int64_t>(fbank.getHop());
    attrs["floor"] = fbank.getFloor().convertToDouble();
  } else if (auto ctc = dyn_cast<hm::CtcGreedyOp>(op)) {
    kind = "ctc_greedy";
    inputs = {{"log_probs", ctc.getLogProbs()}};
    attrs["blank"] = static_cast<int64_t>(ctc.getBlank());
  } else if (isa<hm::SigmoidOp, hm::TanhOp, hm::ExpOp, hm::LogOp, hm::ReluOp>(
                 op)) {
    kind = op->getName().stripDialect().str();
    inputs = {{"x", op->getOperand(0)}};
  } else if (auto leaky = dyn_cast<hm::LeakyReluOp>(op)) {
    kind = "leaky_relu";
    inputs = {{"x", leaky.getInput()}};
    attrs["alpha"] = leaky.getAlpha().convertToDouble();
  } else if (auto where = dyn_cast<hm::WhereOp>(op)) {
    kind = "where";
    inputs = {{"condition", where.getCondition()},
              {"x", where.getX()},
              {"y", where.getY()}};
  } else if (isa<hm::SoftmaxOp, hm::LogSoftmaxOp>(op)) {
    kind = op->getName().stripDialect().str();
    inputs = {{"x", op->getOperand(0)}};
    attrs["axis"] = op->getAttrOfType<IntegerAttr>("axis").getInt();
  } else if (auto transpose = dyn_cast<hm::TransposeOp>(op)) {
    kind = "transpose";
    inputs = {{"x", transpose.getInput()}};
    attrs["perm"] = std::vector<int64_t>(transpose.getPerm().begin(),
                                         transpose.getPerm().end());
  } else if (auto pad = dyn_cast<hm::PadOp>(op)) {
    kind = "pad";
    inputs = {{"x", pad.getInput()}};
    attrs["mode"] = pad.getMode().str();
    attrs["pads"] =
        std::vector<int64_t>(pad.getPads().begin(), pad.getPads().end());
    // Reflecting needs more elements than the pad (ONNX Pad, mode reflect).
    if (pad.getMode() == "reflect") {
      Dims dims = dimsOf.lookup(pad.getInput());
      ArrayRef<int64_t> pads = pad.getPads();
      for (size_t axis = 0; axis < dims.size(); ++axis)
        if (int64_t most = std::max(pads[axis], pads[axis + dims.size()]);
            most > 0)
          boundSymbolBelow(dims[axis], most + 1);
    }
    // JSON has no infinities: they are written as "inf" and "-inf".
    double value = pad.getValue().convertToDouble();
    attrs["value"] =
        std::isinf(value) ? json(value > 0 ? "inf" : "-inf") : json(value);
  } else if (auto conv = dyn_cast<hm::ConvOp>(op)) {
    kind = "conv";
    inputs = {{"x", conv.getInput()}, {"weight", conv.getWeight()}};
    if (conv.getBias())
      inputs.push_back({"bias", conv.getBias()});
    auto list = [](ArrayRef<int64_t> values) {
      return std::vector<int64_t>(values.begin(), values.end());
    };
    attrs["strides"] = list(conv.getStrides());
    attrs["dilations"] = list(conv.getDilations());
    attrs["pads"] = list(conv.getPads());
    attrs["groups"] = static_cast<int64_t>(conv.getGroups());
  } else if (auto concat = dyn_cast<hm::ConcatOp>(op)) {
    kind = "concat";
    for (auto [n, part] : llvm::enumerate(concat->getOperands()))
      inputs.push_back({"x" + std::to_string(n), part});
    attrs["axis"] = static_cast<int64_t>(concat.getAxis());
  } else if (auto size = dyn_cast<hm::DimSizeOp>(op)) {
    kind = "dim_size";
    inputs = {{"reference", size.getReference()}};
    attrs["axis"] = static_cast<int64_t>(size.getReferenceAxis());
  } else if (auto iota = dyn_cast<hm::IotaOp>(op)) {
    kind = "iota";
    inputs = {{"reference", iota.getReference()}};
    attrs["axis"] = static_cast<int64_t>(iota.getReferenceAxis());
  } else if (auto reshape = dyn_cast<hm::ReshapeOp>(op)) {
    // A reshape to the layout its input already has (a merge and its
    // inverse composed, or a merge of dims kept as factors) reuses the
    // input's buffer.
    if (FailureOr<int> id = bufferFor(reshape.getInput(), op);
        succeeded(id) && !outputIndex.count(reshape.getResult()) &&
        flattened(resultDims(op)) ==
            flattened(dimsOf.lookup(reshape.getInput()))) {
      bufferOf[reshape.getResult()] = *id;
      dimsOf[reshape.getResult()] = resultDims(op);
      return success();
    }
    kind = "reshape";
    inputs = {{"x", reshape.getInput()}};
  } else {
    return op->emitError(op->getName().getStringRef()) << unsupportedHint;
  }

  for (auto &[role, value] : inputs)
    if (failed(bufferFor(value, op)))
      return failure();
  Dims dims = resultDims(op);
  Value result = op->getResult(0);
  auto out = outputIndex.find(result);
  // An output whose dimension is a product is written by a reshape to its
  // own shape (the reshape itself when it merged the dimension), since the
  // runtime reports an output's dims one symbol each.
  Operation *outputReshape = nullptr;
  if (out != outputIndex.end() && llvm::any_of(dims, isProduct)) {
    FailureOr<Dims> declared = outputDims(op, dims);
    if (failed(declared))
      return failure();
    bool onlyReturned = llvm::all_of(result.getUsers(), [](Operation *user) {
      return isa<func::ReturnOp>(user);
    });
    if (kind == "reshape" && onlyReturned) {
      dims = *declared;
    } else {
      // Exported right after this op, which may be one an einsum built
      // before itself (the block walk has passed that place).
      OpBuilder after(op->getContext());
      after.setInsertionPointAfter(op);
      outputReshape = after.create<hm::ReshapeOp>(
          op->getLoc(), result.getType(), result, shapeAttr(after, *declared));
      Value reshaped = outputReshape->getResult(0);
      func.getBody().front().getTerminator()->setOperand(out->second, reshaped);
      outputIndex[reshaped] = out->second;
      outputIndex.erase(out);
      out = outputIndex.end();
    }
  }
  if (failed(checkProducts(op, kind, attrs, dims)))
    return failure();
  std::string name =
      out != outputIndex.end()
          ? cast<StringAttr>(func.getResultAttr(out->second, "hm.name"))
                .getValue()
                .str()
          : "t" + std::to_string(buffers.size());
  newBuffer(result, name, dims, out != outputIndex.end() ? "output" : "temp");
  addKernel(op, kind, attrs, inputs);
  return outputReshape ? exportOp(outputReshape) : success();
}

FailureOr<KernelGraph> Exporter::run() {
  json inputs = json::array(), outputs = json::array();
  for (BlockArgument arg : func.getArguments()) {
    auto name =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "hm.name");
    auto dimsAttr =
        func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "hm.dims");
    if (!name || !dimsAttr)
      return func.emitError("argument ")
             << arg.getArgNumber() << " lacks hm.name / hm.dims";
    if (dtypeName(cast<ShapedType>(arg.getType()).getElementType()).empty())
      return func.emitError("input '")
             << name.getValue() << "' has an unsupported element type";
    Dims dims;
    for (Attribute a : dimsAttr) {
      if (auto i = dyn_cast<IntegerAttr>(a)) {
        dims.push_back(i.getInt());
        continue;
      }
      std::string symbol = cast<StringAttr>(a).getValue().str();
      dims.push_back(symbol);
      if (std::find(symbols.begin(), symbols.end(), symbol) == symbols.end())
        symbols.push_back(symbol);
    }
    inputs.push_back(newBuffer(arg, name.getValue().str(), dims, "input"));
  }
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  // A table prefix outside hyper_mix (learned positions, pe[:, :x.size(1)])
  // gathers the rows 0, 1, ... that an hm.iota of that length lists (before
  // the outputs are indexed: a prefix may be one).
  func.walk([](hm::SliceToDimOp prefix) {
    OpBuilder builder(prefix);
    Value reference = prefix.getReference();
    int64_t axis = static_cast<int64_t>(prefix.getReferenceAxis());
    auto indexType = RankedTensorType::get(
        {cast<ShapedType>(reference.getType()).getDimSize(axis)},
        builder.getI64Type());
    Value rows = builder.create<hm::IotaOp>(
        prefix.getLoc(), indexType, reference, prefix.getReferenceAxisAttr());
    Value table = builder.create<hm::GatherOp>(
        prefix.getLoc(), prefix.getType(), prefix.getInput(), rows,
        prefix.getAxisAttr());
    prefix.replaceAllUsesWith(table);
    prefix.erase();
  });
  // An output that is an input, a constant or another output has no kernel
  // of its own: a copy (a cast to its own type) writes its buffer.
  OpBuilder copies(ret);
  for (OpOperand &operand : ret->getOpOperands()) {
    Value value = operand.get();
    if (outputIndex.count(value) || !value.getDefiningOp() ||
        isa<hm::ConstantOp>(value.getDefiningOp()))
      operand.set(
          copies.create<hm::CastOp>(value.getLoc(), value.getType(), value));
    outputIndex[operand.get()] = static_cast<int>(operand.getOperandNumber());
  }
  if (auto maxima = func->getAttrOfType<DictionaryAttr>("hm.dim_max"))
    for (NamedAttribute max : maxima)
      boundSymbol(max.getName().str(),
                  cast<IntegerAttr>(max.getValue()).getInt());
  if (auto list = func->getAttrOfType<ArrayAttr>("hm.derived_dims"))
    for (Attribute a : list) {
      auto d = cast<DictionaryAttr>(a);
      auto get = [&](const char *key) {
        return d.getAs<IntegerAttr>(key).getInt();
      };
      auto mul = d.getAs<IntegerAttr>("mul");
      derived.push_back({d.getAs<StringAttr>("name").str(),
                         normalised({d.getAs<StringAttr>("base").str(),
                                     mul ? mul.getInt() : 1, get("add"),
                                     get("div"), get("post")})});
    }
  // LayerNorm(elementwise_affine=False): the kernel takes gamma = 1, beta = 0.
  WalkResult filledNorms = func.walk([](hm::LayerNormOp norm) {
    if (norm.getGamma() && norm.getBeta())
      return WalkResult::advance();
    auto type = cast<RankedTensorType>(norm.getInput().getType());
    int64_t rank = type.getRank(), axis = static_cast<int64_t>(norm.getAxis());
    auto shape = type.getShape().drop_front(axis < 0 ? rank + axis : axis);
    if (ShapedType::isDynamicShape(shape)) {
      norm.emitError("a layer_norm without gamma and beta over a dynamic "
                     "dimension is not supported");
      return WalkResult::interrupt();
    }
    auto paramType = RankedTensorType::get(shape, type.getElementType());
    OpBuilder builder(norm);
    auto filled = [&](double value) {
      return builder.create<hm::ConstantOp>(
          norm.getLoc(),
          DenseElementsAttr::get(
              paramType, builder.getFloatAttr(type.getElementType(), value)));
    };
    Value gamma = norm.getGamma() ? norm.getGamma() : filled(1.0);
    Value beta = norm.getBeta() ? norm.getBeta() : filled(0.0);
    norm.getGammaMutable().assign(gamma);
    norm.getBetaMutable().assign(beta);
    return WalkResult::advance();
  });
  if (filledNorms.wasInterrupted())
    return failure();
  for (Operation &op : func.getBody().front())
    if (failed(exportOp(&op)))
      return failure();
  // The runtime's shapes hold at most HMC_MAX_RANK dimensions (product
  // dimensions count as their factors).
  constexpr size_t kMaxRank = HMC_MAX_RANK;
  auto checkRank = [&](Value value) -> LogicalResult {
    auto found = bufferOf.find(value);
    if (found == bufferOf.end() ||
        buffers[found->second]["shape"].size() <= kMaxRank)
      return success();
    return emitError(value.getLoc())
           << "a tensor of rank " << buffers[found->second]["shape"].size()
           << " (shape " << buffers[found->second]["shape"].dump()
           << ") is beyond the " << kMaxRank
           << " dimensions the runtime supports";
  };
  for (BlockArgument arg : func.getArguments())
    if (failed(checkRank(arg)))
      return failure();
  for (Operation &op : func.getBody().front())
    for (Value result : op.getResults())
      if (failed(checkRank(result)))
        return failure();
  foldRelativeShifts();
  if (options.fuseElementwise) {
    fuseElementwiseChains();
    channelsLastConvModules();
    foldShiftedMatmuls();
    fuseEpilogues();
    foldLayerNormTransposes();
    foldReflectPads();
    foldConvLayerNorms();
  }
  packLinearWeights();
  transposePositionTables();
  packHypernetworkWeights();
  nameKernels();
  for (Value value : ret.getOperands()) {
    auto found = bufferOf.find(value);
    if (found == bufferOf.end())
      return emitError(value.getLoc()) << "internal error: an output has no "
                                          "buffer after the export";
    outputs.push_back(found->second);
  }

  auto minOf = [&](const std::string &symbol) {
    auto it = symbolMin.find(symbol);
    return it == symbolMin.end() ? int64_t(1) : it->second;
  };
  auto maxOf = [&](const std::string &symbol) {
    auto it = symbolMax.find(symbol);
    return it == symbolMax.end() ? options.maxDimension
                                 : std::min(it->second, options.maxDimension);
  };
  json symbolList = json::array();
  std::map<std::string, int64_t> maxima;
  for (const std::string &s : symbols) {
    // An input symbol the model also computes is checked at run time, after
    // its base; it is listed with the derived ones.
    if (llvm::any_of(derived, [&](auto &d) { return d.first == s; }))
      continue;
    maxima[s] = maxOf(s);
    symbolList.push_back({{"name", s}, {"min", minOf(s)}, {"max", maxima[s]}});
  }
  // A derived symbol some buffer has, or one such a symbol is computed from;
  // one used only as data (T // 3 in arithmetic) is no dimension and need
  // not be at least 1.
  std::set<std::string> used;
  for (const json &buffer : buffers)
    for (const json &dim : flattened(buffer["shape"].get<Dims>()))
      if (dim.is_string())
        used.insert(dim.get<std::string>());
  for (auto it = derived.rbegin(); it != derived.rend(); ++it)
    if (used.count(it->first) && it->second.base.is_string())
      used.insert(it->second.base.get<std::string>());
  for (const auto &[name, definition] : derived) {
    if (!used.count(name))
      continue;
    if (definition.mul < 1) {
      std::string base = definition.base.get<std::string>();
      return func.emitError("a tensor dimension ")
             << name << " = floor((" << definition.mul << " " << base << " + "
             << definition.add << ") / " << definition.div << ") + "
             << definition.post << " is not supported (a length that "
             << "shrinks as " << base << " grows)";
    }
    // At most what the base's maximum gives (2T - 1 may pass 2^20), a
    // table's bound on it, and the int32 extents kernels index with.
    std::string base = definition.base.get<std::string>();
    int64_t baseMax = maxima.count(base) ? maxima[base] : maxOf(base);
    int64_t limit = std::min<int64_t>(
        floorDiv(definition.mul * baseMax + definition.add, definition.div) +
            definition.post,
        INT32_MAX);
    auto bound = symbolMax.find(name);
    if (bound != symbolMax.end())
      limit = std::min(limit, bound->second);
    maxima[name] = std::max<int64_t>(limit, 1);
    symbolList.push_back({{"name", name},
                          {"min", minOf(name)},
                          {"max", maxima[name]},
                          {"derived",
                           {{"base", definition.base},
                            {"add", definition.add},
                            {"div", definition.div},
                            {"post", definition.post}}}});
    if (definition.mul != 1)
      symbolList.back()["derived"]["mul"] = definition.mul;
  }
  graph.json = {
      {"format", "hmc.kernel_graph"},
      {"version", 1},
      {"name", options.name},
      {"target", options.target},
      {"symbols", symbolList},
      {"buffers", buffers},
      {"inputs", inputs},
      {"outputs", outputs},
      {"weights",
       {{"file", options.weightsFile}, {"size", graph.weights.size()}}},
      {"kernels", kernels}};
  return std::move(graph);
}

} // namespace

FailureOr<KernelGraph> exportKernelGraph(ModuleOp module,
                                         const KernelGraphOptions &options) {
  auto funcs = module.getOps<func::FuncOp>();
  if (std::distance(funcs.begin(), funcs.end()) != 1)
    return module.emitError("expected exactly one function to compile");
  return Exporter(*funcs.begin(), options).run();
}

} // namespace hmc
