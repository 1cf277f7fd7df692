//===- MLIRGen.cpp - .hmd syntax tree -> hm dialect -----------------------===//
//
// A tree-walking evaluator whose tensor values are SSA values: hyperparameter
// arithmetic happens at compile time, blocks are inlined at each call and
// `repeat` bodies are unrolled, so the emitted function is straight-line hm
// IR. Every op call is type-checked (element types, ranks, symbolic
// dimensions) before an op is built, so errors point at the .hmd source.
//
//===----------------------------------------------------------------------===//

#include "MLIRGen.h"

#include "hm/ConstantData.h"
#include "hm/HMDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/MathExtras.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <variant>

using namespace mlir;

namespace hmc::dsl {
namespace {

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

enum class ElementType { F32, F64, I32, I64, Bool };

std::optional<ElementType> elementTypeNamed(StringRef name) {
  if (name == "f32")
    return ElementType::F32;
  if (name == "f64")
    return ElementType::F64;
  if (name == "i32")
    return ElementType::I32;
  if (name == "i64")
    return ElementType::I64;
  if (name == "bool")
    return ElementType::Bool;
  return std::nullopt;
}

const char *nameOf(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::I32:
    return "i32";
  case ElementType::I64:
    return "i64";
  case ElementType::Bool:
    return "bool";
  }
  return "?";
}

// A tensor dimension: a size, or a symbol naming a dynamic size (an input's
// dimension such as B or N).
struct Dim {
  int64_t size = 0;
  std::string symbol;

  bool isDynamic() const { return !symbol.empty(); }
  bool isOne() const { return !isDynamic() && size == 1; }
  bool operator==(const Dim &other) const {
    return size == other.size && symbol == other.symbol;
  }
  bool operator!=(const Dim &other) const { return !(*this == other); }
};

Dim staticDim(int64_t size) { return Dim{size, ""}; }

struct Tensor {
  mlir::Value value;
  ElementType dtype;
  SmallVector<Dim, 4> dims;
};

struct None {};
struct TypeName {
  ElementType type;
};

using Value =
    std::variant<None, bool, int64_t, double, std::string, TypeName, Tensor>;

std::string dimsString(ArrayRef<Dim> dims) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(dims))
    text += (i ? ", " : "") +
            (dim.isDynamic() ? dim.symbol : std::to_string(dim.size));
  return text + "]";
}

std::string typeString(const Tensor &tensor) {
  return nameOf(tensor.dtype) + dimsString(tensor.dims);
}

std::string describe(const Value &value) {
  if (std::holds_alternative<None>(value))
    return "none";
  if (auto *flag = std::get_if<bool>(&value))
    return *flag ? "true" : "false";
  if (auto *integer = std::get_if<int64_t>(&value))
    return "the integer " + std::to_string(*integer);
  if (auto *number = std::get_if<double>(&value)) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", *number);
    return std::string("the number ") + text;
  }
  if (auto *text = std::get_if<std::string>(&value))
    return "the string \"" + *text + "\"";
  if (auto *type = std::get_if<TypeName>(&value))
    return std::string("the type ") + nameOf(type->type);
  return "a tensor " + typeString(std::get<Tensor>(value));
}

//===----------------------------------------------------------------------===//
// Scopes
//===----------------------------------------------------------------------===//

struct Binding {
  Value value;
  bool constant; // bound by `let`
};

// Names visible in a body. A block's scope hangs off the global scope but
// sees only its `let` constants there: tensors enter a block as arguments.
struct Scope {
  Scope *parent = nullptr;
  bool isBlock = false;
  llvm::StringMap<Binding> names;
};

// An argument list matched to an op's or a block's parameters.
struct Args {
  std::vector<std::optional<Value>> values;
  std::vector<SourceLoc> locs; // the argument, or the call for defaults

  bool has(size_t i) const { return values[i].has_value(); }
};

class Generator;

struct BuiltinOp {
  const char *name;
  // Parameter names; those after `required` have defaults.
  std::vector<std::string> params;
  size_t required;
  std::optional<Value> (Generator::*emit)(const CallExpr &, Args &);
};

//===----------------------------------------------------------------------===//
// The generator
//===----------------------------------------------------------------------===//

class Generator {
public:
  Generator(StringRef filename, WeightSource &weights, StringRef algorithm,
            MLIRContext &context)
      : filename(filename.str()), weights(weights), algorithm(algorithm.str()),
        context(context), builder(&context) {}

  OwningOpRef<ModuleOp> run(const ModelFile &file);

private:
  friend const std::vector<BuiltinOp> &builtinOps();

  Location location(SourceLoc loc) {
    return FileLineColLoc::get(&context, filename, loc.line, loc.col);
  }
  // An error at `loc`, with a note at each block call that led there.
  InFlightDiagnostic error(SourceLoc loc);

  // Statements.
  LogicalResult execute(const Stmt &stmt, Scope &scope);
  LogicalResult executeInput(const InputStmt &input, Scope &scope);
  LogicalResult executeOutput(const OutputStmt &output, Scope &scope);
  LogicalResult executeRepeat(const RepeatStmt &repeat, Scope &scope);
  LogicalResult define(Scope &scope, SourceLoc loc, const std::string &name,
                       Value value, bool constant);
  LogicalResult assign(Scope &scope, SourceLoc loc, const std::string &name,
                       Value value);

  // Expressions.
  std::optional<Value> evaluate(const Expr &expr, Scope &scope);
  std::optional<Value> lookup(const NameExpr &name, Scope &scope);
  std::optional<std::string> interpolate(const StringExpr &text, Scope &scope);
  std::optional<Value> evaluateBinary(const BinaryExpr &binary, Scope &scope);
  std::optional<Value> arithmetic(const BinaryExpr &binary, const Value &lhs,
                                  const Value &rhs);
  std::optional<Value> evaluateCall(const CallExpr &call, Scope &scope);
  std::optional<Args> bindArgs(const CallExpr &call,
                               ArrayRef<std::string> params, size_t required,
                               Scope &scope);
  std::optional<Value> callBlock(const BlockDef &block, const CallExpr &call,
                                 Scope &scope);

  // Typed access to arguments; each reports a mismatch at the argument.
  std::optional<Tensor> tensorArg(const CallExpr &call, Args &args, size_t i,
                                  ArrayRef<ElementType> allowed, int rank);
  std::optional<int64_t> sizeArg(const CallExpr &call, Args &args, size_t i);
  std::optional<double> numberArg(const CallExpr &call, Args &args, size_t i);
  std::optional<std::string> stringArg(const CallExpr &call, Args &args,
                                       size_t i);
  std::optional<bool> boolArg(const CallExpr &call, Args &args, size_t i);
  // A GELU form: "none" (erf) or "tanh".
  std::optional<std::string> geluFormArg(const CallExpr &call, Args &args,
                                         size_t i);
  InFlightDiagnostic argError(const CallExpr &call, Args &args, size_t i);
  std::optional<int64_t> axisArg(const CallExpr &call, Args &args, size_t i,
                                 int64_t rank);
  // A tensor, or a number beside an f32 tensor as a rank-0 constant.
  std::optional<Tensor> operandArg(const CallExpr &call, Args &args, size_t i);

  // Symbolic dimensions.
  // floor((dim + add) / div) + post: a size, the dimension itself or a
  // derived symbol (T_1, T_2, ...) listed in the function's hm.derived_dims.
  std::optional<Dim> deriveDim(const CallExpr &call, const Dim &dim,
                               int64_t add, int64_t div, int64_t post);
  Dim canonical(const Dim &dim) const;
  // Equal dimensions; a derived symbol meeting an input's symbol becomes it.
  bool sameDim(const Dim &a, const Dim &b);
  // NumPy broadcasting of two shapes; a symbol matches only itself or 1.
  std::optional<SmallVector<Dim, 4>> broadcast(ArrayRef<Dim> a,
                                               ArrayRef<Dim> b);

  // IR helpers.
  Type elementType(ElementType type);
  RankedTensorType tensorType(ElementType type, ArrayRef<Dim> dims);
  ArrayAttr shapeAttr(ArrayRef<Dim> dims);
  Tensor reshape(Location loc, const Tensor &x, ArrayRef<Dim> dims);
  Tensor transpose(Location loc, const Tensor &x, ArrayRef<int64_t> perm);
  Tensor scalar(Location loc, double value);
  // An f32 constant of weight `name` stored as `stored`, laid out as `shape`
  // in the IR (same elements in the same order, or the 2-D transpose).
  std::optional<mlir::Value> weight(const std::string &name,
                                    ArrayRef<int64_t> stored, WeightRole role,
                                    SourceLoc loc, ArrayRef<int64_t> shape = {},
                                    bool transpose = false);

  // Built-in ops (docs/dsl.md lists them).
  std::optional<Value> emitEmbedding(const CallExpr &call, Args &args);
  std::optional<Value> emitLayerNorm(const CallExpr &call, Args &args);
  std::optional<Value> emitLinear(const CallExpr &call, Args &args);
  std::optional<Value> emitGelu(const CallExpr &call, Args &args);
  std::optional<Value> emitHyperMix(const CallExpr &call, Args &args);
  std::optional<Value> emitMeanPool(const CallExpr &call, Args &args);
  std::optional<Value> emitFirstToken(const CallExpr &call, Args &args);
  std::optional<Value> emitCast(const CallExpr &call, Args &args);
  std::optional<Value> emitNormalize(const CallExpr &call, Args &args);
  std::optional<Value> emitUnsqueeze(const CallExpr &call, Args &args);
  std::optional<Value> emitFlatten(const CallExpr &call, Args &args);
  std::optional<Value> emitChannelsFirst(const CallExpr &call, Args &args);
  std::optional<Value> emitChannelsLast(const CallExpr &call, Args &args);
  std::optional<Value> emitPad(const CallExpr &call, Args &args);
  std::optional<Value> emitConv(const CallExpr &call, Args &args);
  std::optional<Value> emitSigmoid(const CallExpr &call, Args &args);
  std::optional<Value> emitSilu(const CallExpr &call, Args &args);
  std::optional<Value> emitLeakyRelu(const CallExpr &call, Args &args);
  std::optional<Value> emitGlu(const CallExpr &call, Args &args);
  std::optional<Value> emitSoftmax(const CallExpr &call, Args &args);
  std::optional<Value> emitLogSoftmax(const CallExpr &call, Args &args);
  std::optional<Value> emitNot(const CallExpr &call, Args &args);
  std::optional<Value> emitWhere(const CallExpr &call, Args &args);
  std::optional<Value> emitMatmul(const CallExpr &call, Args &args);
  std::optional<Value> emitSelfAttention(const CallExpr &call, Args &args);
  template <typename OpTy>
  std::optional<Value> emitAlongAxis(const CallExpr &call, Args &args);

  std::string filename;
  WeightSource &weights;
  std::string algorithm;
  MLIRContext &context;
  OpBuilder builder;

  llvm::StringMap<const BlockDef *> blocks;
  struct CallSite {
    SourceLoc loc;
    std::string block;
  };
  std::vector<CallSite> callStack;
  Scope *globals = nullptr;

  Block *entry = nullptr;
  SmallVector<Type> argTypes;
  SmallVector<std::pair<std::string, SmallVector<Dim, 4>>> inputs;
  struct Output {
    std::string name;
    Tensor tensor;
  };
  SmallVector<Output> outputs;

  struct DerivedDim {
    std::string name, base;
    int64_t add, div, post;
  };
  std::vector<DerivedDim> derivedDims;
  // Derived symbol -> the input symbol that names it.
  std::map<std::string, std::string> aliases;
};

const std::vector<BuiltinOp> &builtinOps() {
  static const std::vector<BuiltinOp> ops = {
      {"embedding",
       {"ids", "weights", "vocab", "dim"},
       4,
       &Generator::emitEmbedding},
      {"layer_norm",
       {"x", "weights", "eps", "dims"},
       2,
       &Generator::emitLayerNorm},
      {"linear", {"x", "weights", "out", "bias"}, 3, &Generator::emitLinear},
      {"gelu", {"x", "approximate"}, 1, &Generator::emitGelu},
      {"hyper_mix",
       {"x", "weights", "mask", "heads", "hidden", "k", "tied", "positional",
        "layout", "norm", "eps", "keys", "values", "key_mask", "gelu"},
       2,
       &Generator::emitHyperMix},
      {"mean_pool", {"x", "mask"}, 2, &Generator::emitMeanPool},
      {"first_token", {"x"}, 1, &Generator::emitFirstToken},
      {"cast", {"x", "dtype"}, 2, &Generator::emitCast},
      {"normalize", {"x", "mean", "std"}, 3, &Generator::emitNormalize},
      {"unsqueeze", {"x", "axis"}, 2, &Generator::emitUnsqueeze},
      {"flatten", {"x", "axis"}, 2, &Generator::emitFlatten},
      {"channels_first", {"x"}, 1, &Generator::emitChannelsFirst},
      {"channels_last", {"x"}, 1, &Generator::emitChannelsLast},
      {"pad", {"x", "size", "mode", "value"}, 2, &Generator::emitPad},
      {"conv",
       {"x", "weights", "out", "kernel", "stride", "padding", "dilation",
        "groups", "bias"},
       4,
       &Generator::emitConv},
      {"sigmoid", {"x"}, 1, &Generator::emitSigmoid},
      {"silu", {"x"}, 1, &Generator::emitSilu},
      {"leaky_relu", {"x", "alpha"}, 1, &Generator::emitLeakyRelu},
      {"glu", {"x", "axis"}, 1, &Generator::emitGlu},
      {"softmax", {"x", "axis"}, 1, &Generator::emitSoftmax},
      {"log_softmax", {"x", "axis"}, 1, &Generator::emitLogSoftmax},
      {"not", {"x"}, 1, &Generator::emitNot},
      {"where", {"condition", "x", "y"}, 3, &Generator::emitWhere},
      {"matmul", {"a", "b"}, 2, &Generator::emitMatmul},
      {"self_attention",
       {"x", "weights", "heads", "mask"},
       3,
       &Generator::emitSelfAttention},
  };
  return ops;
}

const BuiltinOp *findBuiltin(StringRef name) {
  for (const BuiltinOp &op : builtinOps())
    if (name == op.name)
      return &op;
  return nullptr;
}

// Names with a fixed meaning: element types, true, false, none.
std::optional<Value> builtinName(StringRef name) {
  if (std::optional<ElementType> type = elementTypeNamed(name))
    return Value(TypeName{*type});
  if (name == "true")
    return Value(true);
  if (name == "false")
    return Value(false);
  if (name == "none")
    return Value(None{});
  return std::nullopt;
}

InFlightDiagnostic Generator::error(SourceLoc loc) {
  InFlightDiagnostic diag = emitError(location(loc));
  for (const CallSite &site : llvm::reverse(callStack))
    diag.attachNote(location(site.loc))
        << "in block '" << site.block << "' called here";
  return diag;
}

//===----------------------------------------------------------------------===//
// The file
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Generator::run(const ModelFile &file) {
  Location fileLoc = FileLineColLoc::get(&context, filename, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(fileLoc, "main",
                                           builder.getFunctionType({}, {}));
  entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  for (const auto &block : file.blocks) {
    if (findBuiltin(block->name) || builtinName(block->name)) {
      error(block->loc) << "block '" << block->name
                        << "' has the name of a built-in";
      return nullptr;
    }
    if (!blocks.try_emplace(block->name, block.get()).second) {
      error(block->loc) << "block '" << block->name << "' is defined twice";
      return nullptr;
    }
  }

  std::vector<llvm::GlobPattern> ignored;
  for (const StmtPtr &stmt : file.statements)
    if (auto *ignore = dyn_cast<IgnoreStmt>(stmt.get())) {
      llvm::Expected<llvm::GlobPattern> pattern =
          llvm::GlobPattern::create(ignore->pattern);
      if (!pattern) {
        error(ignore->getLoc()) << "invalid pattern \"" << ignore->pattern
                                << "\": " << toString(pattern.takeError());
        return nullptr;
      }
      ignored.push_back(std::move(*pattern));
    }

  Scope global;
  globals = &global;
  for (const StmtPtr &stmt : file.statements)
    if (failed(execute(*stmt, global)))
      return nullptr;
  if (outputs.empty()) {
    emitError(fileLoc) << "the model has no 'output'";
    return nullptr;
  }

  SmallVector<mlir::Value> results;
  SmallVector<Type> resultTypes;
  for (const Output &output : outputs) {
    results.push_back(output.tensor.value);
    resultTypes.push_back(output.tensor.value.getType());
  }
  builder.create<func::ReturnOp>(fileLoc, results);
  func.setType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, input] : llvm::enumerate(inputs)) {
    func.setArgAttr(i, "hm.name", builder.getStringAttr(input.first));
    func.setArgAttr(i, "hm.dims", shapeAttr(input.second));
  }
  for (auto [i, output] : llvm::enumerate(outputs)) {
    func.setResultAttr(i, "hm.name", builder.getStringAttr(output.name));
    func.setResultAttr(i, "hm.dims", shapeAttr(output.tensor.dims));
  }
  // Derived dimensions in the order they were made (each after its base),
  // under their final names: one an input names is checked at run time.
  if (!derivedDims.empty()) {
    SmallVector<Attribute> derived;
    auto nameOf = [&](const std::string &symbol) {
      return builder.getStringAttr(canonical(Dim{0, symbol}).symbol);
    };
    for (const DerivedDim &d : derivedDims)
      derived.push_back(builder.getDictionaryAttr(
          {builder.getNamedAttr("name", nameOf(d.name)),
           builder.getNamedAttr("base", nameOf(d.base)),
           builder.getNamedAttr("add", builder.getI64IntegerAttr(d.add)),
           builder.getNamedAttr("div", builder.getI64IntegerAttr(d.div)),
           builder.getNamedAttr("post", builder.getI64IntegerAttr(d.post))}));
    func->setAttr("hm.derived_dims", builder.getArrayAttr(derived));
  }
  // Reshapes built before a derived symbol met its input name take it now.
  if (!aliases.empty())
    func.walk([&](hm::ReshapeOp op) {
      SmallVector<Attribute> shape;
      for (Attribute dim : op.getShape()) {
        auto symbol = dyn_cast<StringAttr>(dim);
        shape.push_back(symbol ? Attribute(builder.getStringAttr(
                                     canonical(Dim{0, symbol.str()}).symbol))
                               : dim);
      }
      op.setShapeAttr(builder.getArrayAttr(shape));
    });

  bool unused = false;
  for (const std::string &name : weights.unusedTensors()) {
    if (llvm::any_of(ignored, [&](const llvm::GlobPattern &pattern) {
          return pattern.match(name);
        }))
      continue;
    emitError(FileLineColLoc::get(&context, weights.filePath(), 0, 0))
        << "tensor '" << name << "' is not used by " << filename
        << " (bind it in an op, or allow it with 'ignore \"" << name << "\"')";
    unused = true;
  }
  if (unused)
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

LogicalResult Generator::execute(const Stmt &stmt, Scope &scope) {
  switch (stmt.getKind()) {
  case Stmt::Kind::Let: {
    const auto &let = cast<LetStmt>(stmt);
    std::optional<Value> value = evaluate(*let.value, scope);
    if (!value)
      return failure();
    if (std::holds_alternative<Tensor>(*value))
      return error(let.value->getLoc())
             << "'let' names a hyperparameter (a number, string or type), "
                "not a tensor; write '"
             << let.name << " = ...' for a tensor";
    return define(scope, let.getLoc(), let.name, *value, /*constant=*/true);
  }
  case Stmt::Kind::Assign: {
    const auto &assignment = cast<AssignStmt>(stmt);
    std::optional<Value> value = evaluate(*assignment.value, scope);
    if (!value)
      return failure();
    return assign(scope, assignment.getLoc(), assignment.name, *value);
  }
  case Stmt::Kind::Input:
    return executeInput(cast<InputStmt>(stmt), scope);
  case Stmt::Kind::Output:
    return executeOutput(cast<OutputStmt>(stmt), scope);
  case Stmt::Kind::Repeat:
    return executeRepeat(cast<RepeatStmt>(stmt), scope);
  case Stmt::Kind::Ignore:
    return success(); // collected before the statements run
  }
  return failure();
}

LogicalResult Generator::define(Scope &scope, SourceLoc loc,
                                const std::string &name, Value value,
                                bool constant) {
  if (builtinName(name))
    return error(loc) << "'" << name << "' is a built-in name";
  // A block's names may shadow global ones; within a body they are unique.
  for (Scope *s = &scope; s; s = s->isBlock ? nullptr : s->parent)
    if (s->names.count(name))
      return error(loc) << "'" << name << "' is already defined";
  scope.names[name] = Binding{std::move(value), constant};
  return success();
}

LogicalResult Generator::assign(Scope &scope, SourceLoc loc,
                                const std::string &name, Value value) {
  if (builtinName(name))
    return error(loc) << "'" << name << "' is a built-in name";
  // Rebinding reaches out of `repeat` bodies (x = layer(x) accumulates) but
  // never out of a block.
  for (Scope *s = &scope; s; s = s->isBlock ? nullptr : s->parent) {
    auto it = s->names.find(name);
    if (it == s->names.end())
      continue;
    if (it->second.constant)
      return error(loc) << "'" << name
                        << "' is a 'let' constant and cannot be reassigned";
    it->second.value = std::move(value);
    return success();
  }
  scope.names[name] = Binding{std::move(value), false};
  return success();
}

LogicalResult Generator::executeInput(const InputStmt &input, Scope &scope) {
  std::optional<ElementType> dtype = elementTypeNamed(input.dtype);
  if (!dtype)
    return error(input.dtypeLoc) << "unknown element type '" << input.dtype
                                 << "' (f32, f64, i32, i64 or bool)";
  SmallVector<Dim, 4> dims;
  for (const DimSpec &spec : input.dims) {
    if (spec.symbol.empty()) {
      dims.push_back(staticDim(spec.size));
      continue;
    }
    // A `let` integer is a fixed size; any other name is a dynamic one.
    auto it = globals->names.find(spec.symbol);
    if (it != globals->names.end() && it->second.constant) {
      auto *size = std::get_if<int64_t>(&it->second.value);
      if (!size)
        return error(spec.loc) << "dimension '" << spec.symbol << "' is "
                               << describe(it->second.value) << ", not a size";
      dims.push_back(staticDim(*size));
      continue;
    }
    dims.push_back(Dim{0, spec.symbol});
  }
  for (auto [i, dim] : llvm::enumerate(dims))
    if (!dim.isDynamic() && dim.size < 1)
      return error(input.dims[i].loc)
             << "dimension " << i << " of '" << input.name
             << "' must be at least 1, got " << dim.size;
  for (const auto &existing : inputs)
    if (existing.first == input.name)
      return error(input.getLoc())
             << "input '" << input.name << "' is declared twice";

  RankedTensorType type = tensorType(*dtype, dims);
  mlir::Value arg = entry->addArgument(type, location(input.getLoc()));
  argTypes.push_back(type);
  inputs.push_back({input.name, dims});
  return define(scope, input.getLoc(), input.name, Tensor{arg, *dtype, dims},
                /*constant=*/false);
}

LogicalResult Generator::executeOutput(const OutputStmt &output, Scope &scope) {
  std::optional<Value> value = evaluate(*output.value, scope);
  if (!value)
    return failure();
  auto *tensor = std::get_if<Tensor>(&*value);
  if (!tensor)
    return error(output.value->getLoc())
           << "an output must be a tensor, got " << describe(*value);
  for (const auto &input : inputs)
    if (input.first == output.name)
      return error(output.getLoc())
             << "output '" << output.name << "' has the name of an input";
  for (const Output &existing : outputs)
    if (existing.name == output.name)
      return error(output.getLoc())
             << "output '" << output.name << "' is declared twice";
  outputs.push_back({output.name, *tensor});
  return success();
}

LogicalResult Generator::executeRepeat(const RepeatStmt &repeat, Scope &scope) {
  // Enough for any real model; a typo such as 0..100000 fails fast instead.
  constexpr int64_t kMaxIterations = 4096;
  std::optional<Value> begin = evaluate(*repeat.begin, scope);
  if (!begin)
    return failure();
  std::optional<Value> end = evaluate(*repeat.end, scope);
  if (!end)
    return failure();
  auto *first = std::get_if<int64_t>(&*begin);
  auto *last = std::get_if<int64_t>(&*end);
  if (!first)
    return error(repeat.begin->getLoc())
           << "a range bound must be an integer, got " << describe(*begin);
  if (!last)
    return error(repeat.end->getLoc())
           << "a range bound must be an integer, got " << describe(*end);
  if (*last - *first > kMaxIterations)
    return error(repeat.getLoc())
           << "repeat of " << *last - *first << " iterations; at most "
           << kMaxIterations << " are allowed";
  for (int64_t i = *first; i < *last; ++i) {
    Scope body;
    body.parent = &scope;
    if (failed(define(body, repeat.getLoc(), repeat.var, Value(i),
                      /*constant=*/true)))
      return failure();
    for (const StmtPtr &stmt : repeat.body)
      if (failed(execute(*stmt, body)))
        return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::optional<Value> Generator::evaluate(const Expr &expr, Scope &scope) {
  switch (expr.getKind()) {
  case Expr::Kind::Integer:
    return Value(cast<IntegerExpr>(expr).value);
  case Expr::Kind::Float:
    return Value(cast<FloatExpr>(expr).value);
  case Expr::Kind::String:
    if (std::optional<std::string> text =
            interpolate(cast<StringExpr>(expr), scope))
      return Value(*text);
    return std::nullopt;
  case Expr::Kind::Name:
    return lookup(cast<NameExpr>(expr), scope);
  case Expr::Kind::Binary:
    return evaluateBinary(cast<BinaryExpr>(expr), scope);
  case Expr::Kind::Call:
    return evaluateCall(cast<CallExpr>(expr), scope);
  }
  return std::nullopt;
}

std::optional<Value> Generator::lookup(const NameExpr &name, Scope &scope) {
  if (std::optional<Value> value = builtinName(name.name))
    return value;
  bool outsideBlock = false;
  for (Scope *s = &scope; s; s = s->parent) {
    auto it = s->names.find(name.name);
    if (it != s->names.end()) {
      if (outsideBlock && !it->second.constant) {
        error(name.getLoc()) << "a block sees only its parameters and 'let' "
                                "constants; pass '"
                             << name.name << "' as a parameter";
        return std::nullopt;
      }
      return it->second.value;
    }
    outsideBlock = outsideBlock || s->isBlock;
  }
  if (findBuiltin(name.name) || blocks.count(name.name))
    error(name.getLoc()) << "'" << name.name << "' is an op; call it as "
                         << name.name << "(...)";
  else
    error(name.getLoc()) << "unknown name '" << name.name << "'";
  return std::nullopt;
}

std::optional<std::string> Generator::interpolate(const StringExpr &text,
                                                  Scope &scope) {
  std::string result;
  const std::string &source = text.text;
  // Columns inside the literal, for errors (the quote is one column).
  auto at = [&](size_t index) {
    SourceLoc loc = text.getLoc();
    loc.col += 1 + index;
    return loc;
  };
  for (size_t i = 0; i < source.size(); ++i) {
    char c = source[i];
    if ((c == '{' || c == '}') && i + 1 < source.size() && source[i + 1] == c) {
      result += c; // "{{" and "}}" stand for braces
      ++i;
      continue;
    }
    if (c == '}') {
      error(at(i)) << "unmatched '}' in string (write '}}' for a brace)";
      return std::nullopt;
    }
    if (c != '{') {
      result += c;
      continue;
    }
    size_t close = source.find('}', i);
    if (close == std::string::npos) {
      error(at(i)) << "unmatched '{' in string (write '{{' for a brace)";
      return std::nullopt;
    }
    NameExpr name(at(i + 1), source.substr(i + 1, close - i - 1));
    std::optional<Value> value = lookup(name, scope);
    if (!value)
      return std::nullopt;
    if (auto *integer = std::get_if<int64_t>(&*value))
      result += std::to_string(*integer);
    else if (auto *string = std::get_if<std::string>(&*value))
      result += *string;
    else {
      error(at(i + 1)) << "only integers and strings can be interpolated, '"
                       << name.name << "' is " << describe(*value);
      return std::nullopt;
    }
    i = close;
  }
  return result;
}

std::optional<Value> Generator::evaluateBinary(const BinaryExpr &binary,
                                               Scope &scope) {
  std::optional<Value> lhs = evaluate(*binary.lhs, scope);
  if (!lhs)
    return std::nullopt;
  std::optional<Value> rhs = evaluate(*binary.rhs, scope);
  if (!rhs)
    return std::nullopt;
  auto *lhsTensor = std::get_if<Tensor>(&*lhs);
  auto *rhsTensor = std::get_if<Tensor>(&*rhs);
  if (!lhsTensor && !rhsTensor)
    return arithmetic(binary, *lhs, *rhs);

  // A number beside a float tensor becomes a rank-0 constant.
  auto asTensor = [&](const Value &value, const Tensor &other,
                      SourceLoc loc) -> std::optional<Tensor> {
    if (auto *tensor = std::get_if<Tensor>(&value))
      return *tensor;
    std::optional<double> number;
    if (auto *integer = std::get_if<int64_t>(&value))
      number = double(*integer);
    else if (auto *real = std::get_if<double>(&value))
      number = *real;
    if (!number || other.dtype != ElementType::F32) {
      error(loc) << "cannot apply '" << binary.op << "' to " << describe(*lhs)
                 << " and " << describe(*rhs);
      return std::nullopt;
    }
    auto type = RankedTensorType::get({}, builder.getF32Type());
    auto constant = builder.create<hm::ConstantOp>(
        location(loc),
        DenseElementsAttr::get(type, static_cast<float>(*number)));
    return Tensor{constant, ElementType::F32, {}};
  };
  std::optional<Tensor> a =
      asTensor(*lhs, rhsTensor ? *rhsTensor : *lhsTensor, binary.getLoc());
  if (!a)
    return std::nullopt;
  std::optional<Tensor> b =
      asTensor(*rhs, lhsTensor ? *lhsTensor : *rhsTensor, binary.getLoc());
  if (!b)
    return std::nullopt;
  if (a->dtype != b->dtype) {
    error(binary.getLoc()) << "operands of '" << binary.op
                           << "' have different element types: "
                           << typeString(*a) << " and " << typeString(*b);
    return std::nullopt;
  }
  std::optional<SmallVector<Dim, 4>> dims = broadcast(a->dims, b->dims);
  if (!dims) {
    error(binary.getLoc()) << "operands of '" << binary.op
                           << "' do not broadcast: " << typeString(*a)
                           << " and " << typeString(*b);
    return std::nullopt;
  }
  Type type = tensorType(a->dtype, *dims);
  Location loc = location(binary.getLoc());
  mlir::Value result;
  switch (binary.op) {
  case '+':
    result = builder.create<hm::AddOp>(loc, type, a->value, b->value);
    break;
  case '-':
    result = builder.create<hm::SubOp>(loc, type, a->value, b->value);
    break;
  case '*':
    result = builder.create<hm::MulOp>(loc, type, a->value, b->value);
    break;
  default:
    result = builder.create<hm::DivOp>(loc, type, a->value, b->value);
    break;
  }
  return Value(Tensor{result, a->dtype, *dims});
}

std::optional<Value> Generator::arithmetic(const BinaryExpr &binary,
                                           const Value &lhs, const Value &rhs) {
  auto *a = std::get_if<int64_t>(&lhs);
  auto *b = std::get_if<int64_t>(&rhs);
  if (a && b) {
    int64_t result = 0;
    bool overflow = false;
    switch (binary.op) {
    case '+':
      overflow = llvm::AddOverflow(*a, *b, result);
      break;
    case '-':
      overflow = llvm::SubOverflow(*a, *b, result);
      break;
    case '*':
      overflow = llvm::MulOverflow(*a, *b, result);
      break;
    default:
      // Sizes stay integers: d / heads must divide evenly.
      if (*b == 0) {
        error(binary.getLoc()) << *a << " / 0 divides by zero";
        return std::nullopt;
      }
      if ((*b == -1 && *a == INT64_MIN) || *a % *b != 0) {
        error(binary.getLoc()) << *a << " / " << *b << " is not a whole number";
        return std::nullopt;
      }
      result = *a / *b;
      break;
    }
    if (overflow) {
      error(binary.getLoc()) << *a << " " << binary.op << " " << *b
                             << " overflows a 64-bit integer";
      return std::nullopt;
    }
    return Value(result);
  }
  auto number = [](const Value &value) -> std::optional<double> {
    if (auto *integer = std::get_if<int64_t>(&value))
      return double(*integer);
    if (auto *real = std::get_if<double>(&value))
      return *real;
    return std::nullopt;
  };
  std::optional<double> x = number(lhs), y = number(rhs);
  if (!x || !y) {
    error(binary.getLoc()) << "cannot apply '" << binary.op << "' to "
                           << describe(lhs) << " and " << describe(rhs);
    return std::nullopt;
  }
  switch (binary.op) {
  case '+':
    return Value(*x + *y);
  case '-':
    return Value(*x - *y);
  case '*':
    return Value(*x * *y);
  default:
    return Value(*x / *y);
  }
}

std::optional<Value> Generator::evaluateCall(const CallExpr &call,
                                             Scope &scope) {
  if (const BuiltinOp *op = findBuiltin(call.callee)) {
    std::optional<Args> args = bindArgs(call, op->params, op->required, scope);
    if (!args)
      return std::nullopt;
    return (this->*op->emit)(call, *args);
  }
  auto it = blocks.find(call.callee);
  if (it != blocks.end())
    return callBlock(*it->second, call, scope);
  error(call.getLoc()) << "unknown op '" << call.callee << "'";
  return std::nullopt;
}

std::optional<Args> Generator::bindArgs(const CallExpr &call,
                                        ArrayRef<std::string> params,
                                        size_t required, Scope &scope) {
  auto signature = [&]() {
    std::string text = "(";
    for (auto [i, param] : llvm::enumerate(params))
      text += (i ? ", " : "") + param;
    return text + ")";
  };
  if (call.args.size() > params.size()) {
    error(call.args[params.size()]->getLoc())
        << "'" << call.callee << "' takes "
        << (required == params.size() ? "" : "at most ") << params.size()
        << (params.size() == 1 ? " argument " : " arguments ") << signature()
        << ", got " << call.args.size();
    return std::nullopt;
  }
  Args args;
  args.values.resize(params.size());
  args.locs.assign(params.size(), call.getLoc());
  for (auto [i, arg] : llvm::enumerate(call.args)) {
    std::optional<Value> value = evaluate(*arg, scope);
    if (!value)
      return std::nullopt;
    args.values[i] = std::move(value);
    args.locs[i] = arg->getLoc();
  }
  for (const KeywordArg &keyword : call.keywords) {
    auto *param = llvm::find(params, keyword.name);
    if (param == params.end()) {
      error(keyword.loc) << "'" << call.callee << "' has no parameter '"
                         << keyword.name << "'; its parameters are "
                         << signature();
      return std::nullopt;
    }
    size_t i = param - params.begin();
    if (args.has(i)) {
      error(keyword.loc) << "argument '" << keyword.name << "' of '"
                         << call.callee << "' is given twice";
      return std::nullopt;
    }
    std::optional<Value> value = evaluate(*keyword.value, scope);
    if (!value)
      return std::nullopt;
    args.values[i] = std::move(value);
    args.locs[i] = keyword.value->getLoc();
  }
  for (size_t i = 0; i < required; ++i)
    if (!args.has(i)) {
      error(call.getLoc()) << "'" << call.callee << "' is missing argument '"
                           << params[i] << "' of " << signature();
      return std::nullopt;
    }
  return args;
}

std::optional<Value> Generator::callBlock(const BlockDef &block,
                                          const CallExpr &call, Scope &scope) {
  if (llvm::any_of(callStack, [&](const CallSite &site) {
        return site.block == block.name;
      })) {
    error(call.getLoc()) << "block '" << block.name
                         << "' calls itself; blocks are inlined, so "
                            "recursion has no end";
    return std::nullopt;
  }
  // Inlining recurses on this process's stack.
  constexpr size_t kMaxCallDepth = 256;
  if (callStack.size() == kMaxCallDepth) {
    error(call.getLoc()) << "blocks call each other more than " << kMaxCallDepth
                         << " deep";
    return std::nullopt;
  }
  std::vector<std::string> params;
  for (const Param &param : block.params)
    params.push_back(param.name);
  std::optional<Args> args = bindArgs(call, params, params.size(), scope);
  if (!args)
    return std::nullopt;

  Scope local;
  local.parent = globals;
  local.isBlock = true;
  callStack.push_back({call.getLoc(), block.name});
  auto popCallSite = llvm::make_scope_exit([&] { callStack.pop_back(); });
  for (auto [param, value] : llvm::zip(block.params, args->values))
    if (failed(define(local, param.loc, param.name, *value,
                      /*constant=*/false)))
      return std::nullopt;
  for (const StmtPtr &stmt : block.body)
    if (failed(execute(*stmt, local)))
      return std::nullopt;
  return evaluate(*block.result, local);
}

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

InFlightDiagnostic Generator::argError(const CallExpr &call, Args &args,
                                       size_t i) {
  const BuiltinOp *op = findBuiltin(call.callee);
  InFlightDiagnostic diag = error(args.locs[i]);
  diag << "argument '" << op->params[i] << "' of '" << call.callee << "' ";
  return diag;
}

std::optional<Tensor> Generator::tensorArg(const CallExpr &call, Args &args,
                                           size_t i,
                                           ArrayRef<ElementType> allowed,
                                           int rank) {
  auto *tensor = std::get_if<Tensor>(&*args.values[i]);
  bool typeOk = tensor && llvm::is_contained(allowed, tensor->dtype);
  bool rankOk = tensor && (rank < 0 || int(tensor->dims.size()) == rank);
  if (typeOk && rankOk)
    return *tensor;
  std::string types;
  for (auto [j, type] : llvm::enumerate(allowed))
    types += std::string(j ? " or " : "") + nameOf(type);
  InFlightDiagnostic diag = argError(call, args, i);
  diag << "must be a tensor of " << types;
  if (rank >= 0)
    diag << " of rank " << rank;
  diag << ", got " << describe(*args.values[i]);
  return std::nullopt;
}

std::optional<int64_t> Generator::sizeArg(const CallExpr &call, Args &args,
                                          size_t i) {
  auto *size = std::get_if<int64_t>(&*args.values[i]);
  if (size && *size >= 1)
    return *size;
  argError(call, args, i) << "must be a positive integer, got "
                          << describe(*args.values[i]);
  return std::nullopt;
}

std::optional<double> Generator::numberArg(const CallExpr &call, Args &args,
                                           size_t i) {
  if (auto *real = std::get_if<double>(&*args.values[i]))
    return *real;
  if (auto *integer = std::get_if<int64_t>(&*args.values[i]))
    return double(*integer);
  argError(call, args, i) << "must be a number, got "
                          << describe(*args.values[i]);
  return std::nullopt;
}

std::optional<std::string> Generator::stringArg(const CallExpr &call,
                                                Args &args, size_t i) {
  if (auto *text = std::get_if<std::string>(&*args.values[i]))
    return *text;
  argError(call, args, i) << "must be a string, got "
                          << describe(*args.values[i]);
  return std::nullopt;
}

std::optional<bool> Generator::boolArg(const CallExpr &call, Args &args,
                                       size_t i) {
  if (auto *flag = std::get_if<bool>(&*args.values[i]))
    return *flag;
  argError(call, args, i) << "must be true or false, got "
                          << describe(*args.values[i]);
  return std::nullopt;
}

std::optional<std::string> Generator::geluFormArg(const CallExpr &call,
                                                  Args &args, size_t i) {
  std::optional<std::string> form = stringArg(call, args, i);
  if (form && *form != "none" && *form != "tanh") {
    argError(call, args, i)
        << "must be \"none\" or \"tanh\", got \"" << *form << "\"";
    return std::nullopt;
  }
  return form;
}

std::optional<int64_t> Generator::axisArg(const CallExpr &call, Args &args,
                                          size_t i, int64_t rank) {
  auto *axis = std::get_if<int64_t>(&*args.values[i]);
  if (axis && *axis >= -rank && *axis < rank)
    return *axis < 0 ? *axis + rank : *axis;
  argError(call, args, i) << "must be an axis in [" << -rank << ", " << rank
                          << "), got " << describe(*args.values[i]);
  return std::nullopt;
}

std::optional<Tensor> Generator::operandArg(const CallExpr &call, Args &args,
                                            size_t i) {
  if (auto *tensor = std::get_if<Tensor>(&*args.values[i]))
    return *tensor;
  std::optional<double> number;
  if (auto *integer = std::get_if<int64_t>(&*args.values[i]))
    number = double(*integer);
  else if (auto *real = std::get_if<double>(&*args.values[i]))
    number = *real;
  if (!number) {
    argError(call, args, i)
        << "must be a tensor or a number, got " << describe(*args.values[i]);
    return std::nullopt;
  }
  return scalar(location(args.locs[i]), *number);
}

//===----------------------------------------------------------------------===//
// IR helpers
//===----------------------------------------------------------------------===//

Type Generator::elementType(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return builder.getF32Type();
  case ElementType::F64:
    return builder.getF64Type();
  case ElementType::I32:
    return builder.getI32Type();
  case ElementType::I64:
    return builder.getI64Type();
  case ElementType::Bool:
    return builder.getI1Type();
  }
  return {};
}

RankedTensorType Generator::tensorType(ElementType type, ArrayRef<Dim> dims) {
  SmallVector<int64_t> shape;
  for (const Dim &dim : dims)
    shape.push_back(dim.isDynamic() ? ShapedType::kDynamic : dim.size);
  return RankedTensorType::get(shape, elementType(type));
}

ArrayAttr Generator::shapeAttr(ArrayRef<Dim> dims) {
  SmallVector<Attribute> attrs;
  for (const Dim &dim : dims)
    attrs.push_back(
        dim.isDynamic()
            ? Attribute(builder.getStringAttr(canonical(dim).symbol))
            : Attribute(builder.getI64IntegerAttr(dim.size)));
  return builder.getArrayAttr(attrs);
}

Tensor Generator::reshape(Location loc, const Tensor &x, ArrayRef<Dim> dims) {
  mlir::Value result = builder.create<hm::ReshapeOp>(
      loc, tensorType(x.dtype, dims), x.value, shapeAttr(dims));
  return Tensor{result, x.dtype, SmallVector<Dim, 4>(dims)};
}

Tensor Generator::transpose(Location loc, const Tensor &x,
                            ArrayRef<int64_t> perm) {
  SmallVector<Dim, 4> dims;
  for (int64_t p : perm)
    dims.push_back(x.dims[p]);
  mlir::Value result =
      builder.create<hm::TransposeOp>(loc, tensorType(x.dtype, dims), x.value,
                                      builder.getDenseI64ArrayAttr(perm));
  return Tensor{result, x.dtype, dims};
}

Tensor Generator::scalar(Location loc, double value) {
  auto type = RankedTensorType::get({}, builder.getF32Type());
  mlir::Value constant = builder.create<hm::ConstantOp>(
      loc, DenseElementsAttr::get(type, static_cast<float>(value)));
  return Tensor{constant, ElementType::F32, {}};
}

//===----------------------------------------------------------------------===//
// Symbolic dimensions
//===----------------------------------------------------------------------===//

std::optional<Dim> Generator::deriveDim(const CallExpr &call, const Dim &dim,
                                        int64_t add, int64_t div,
                                        int64_t post) {
  if (!dim.isDynamic()) {
    int64_t sum = dim.size + add;
    int64_t size = sum / div - (sum % div != 0 && sum < 0) + post;
    if (size < 1) {
      error(call.getLoc()) << "'" << call.callee
                           << "' would turn a dimension of " << dim.size
                           << " into " << size;
      return std::nullopt;
    }
    return staticDim(size);
  }
  // The backend looks derived dimensions up by (base, add, div, post), in
  // the importer's normal form.
  if (div == 1) {
    add += post;
    post = 0;
  }
  std::string base = canonical(dim).symbol;
  // A base that is itself base' + c becomes base' (bases are normalised
  // when made, so one step suffices): a crop of a padded length is the
  // length again, and two spellings of one length are one symbol.
  for (const DerivedDim &d : derivedDims)
    if (d.name == base && d.div == 1) {
      add += d.add;
      base = canonical(Dim{0, d.base}).symbol;
      break;
    }
  if (add == 0 && div == 1)
    return Dim{0, base};
  for (const DerivedDim &d : derivedDims)
    if (canonical(Dim{0, d.base}).symbol == base && d.add == add &&
        d.div == div && d.post == post)
      return Dim{0, d.name};
  auto taken = [&](const std::string &name) {
    return llvm::any_of(inputs,
                        [&](const auto &input) {
                          return llvm::any_of(input.second, [&](const Dim &d) {
                            return d.symbol == name;
                          });
                        }) ||
           llvm::any_of(derivedDims,
                        [&](const DerivedDim &d) { return d.name == name; });
  };
  std::string root = base.substr(0, base.find('_')), name;
  for (int i = 1; name.empty() || taken(name); ++i)
    name = root + "_" + std::to_string(i);
  derivedDims.push_back({name, base, add, div, post});
  return Dim{0, name};
}

Dim Generator::canonical(const Dim &dim) const {
  auto it = aliases.find(dim.symbol);
  return it == aliases.end() ? dim : Dim{0, it->second};
}

bool Generator::sameDim(const Dim &a, const Dim &b) {
  Dim x = canonical(a), y = canonical(b);
  if (x == y)
    return true;
  if (!x.isDynamic() || !y.isDynamic())
    return false;
  auto isDerived = [&](const std::string &symbol) {
    return llvm::any_of(derivedDims,
                        [&](const DerivedDim &d) { return d.name == symbol; });
  };
  // e.g. a padding mask [B, T4] meeting frames [B, T_4] after strided convs:
  // the input's name wins (as in the ONNX importer) and the library checks
  // at run time that the input's size is the derived one.
  auto unify = [&](const std::string &derived, const std::string &input) {
    if (!isDerived(derived) || isDerived(input) ||
        llvm::any_of(aliases,
                     [&](const auto &alias) { return alias.second == input; }))
      return false;
    aliases[derived] = input;
    return true;
  };
  return unify(x.symbol, y.symbol) || unify(y.symbol, x.symbol);
}

std::optional<SmallVector<Dim, 4>> Generator::broadcast(ArrayRef<Dim> a,
                                                        ArrayRef<Dim> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<Dim, 4> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    Dim x = i < rank - a.size() ? staticDim(1) : a[i - (rank - a.size())];
    Dim y = i < rank - b.size() ? staticDim(1) : b[i - (rank - b.size())];
    if (y.isOne() || sameDim(x, y))
      result[i] = canonical(x);
    else if (x.isOne())
      result[i] = canonical(y);
    else
      return std::nullopt;
  }
  return result;
}

std::optional<mlir::Value> Generator::weight(const std::string &name,
                                             ArrayRef<int64_t> stored,
                                             WeightRole role, SourceLoc loc,
                                             ArrayRef<int64_t> shape,
                                             bool transpose) {
  // Checked before anything is allocated, random weights included.
  constexpr int64_t kMaxWeightElements = int64_t(1) << 28;
  int64_t count = 1;
  for (int64_t dim : stored)
    if (llvm::MulOverflow(count, dim, count) || count > kMaxWeightElements) {
      error(loc) << "tensor '" << name << "' would have more than "
                 << kMaxWeightElements << " elements";
      return std::nullopt;
    }
  llvm::Expected<std::vector<double>> values = weights.load(name, stored, role);
  if (!values) {
    error(loc) << toString(values.takeError());
    return std::nullopt;
  }
  SmallVector<int64_t> irShape(shape.empty() ? stored : shape);
  if (transpose) {
    // [rows, cols] as stored -> [cols, rows], materialised now so the
    // backend sees the layout hm.linear wants.
    int64_t rows = stored[0], cols = stored[1];
    std::vector<double> transposed(values->size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        transposed[c * rows + r] = (*values)[r * cols + c];
    *values = std::move(transposed);
    irShape = {cols, rows};
  }
  std::string blob = name;
  for (char &c : blob)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
      c = '_';
  return hm::createFloat32Constant(builder, location(loc), irShape, *values,
                                   blob)
      .getResult();
}

//===----------------------------------------------------------------------===//
// Built-in ops
//===----------------------------------------------------------------------===//

constexpr ElementType kFloat[] = {ElementType::F32};

std::optional<Value> Generator::emitEmbedding(const CallExpr &call,
                                              Args &args) {
  std::optional<Tensor> ids =
      tensorArg(call, args, 0, {ElementType::I32, ElementType::I64}, -1);
  std::optional<std::string> path = stringArg(call, args, 1);
  std::optional<int64_t> vocab = sizeArg(call, args, 2);
  std::optional<int64_t> dim = sizeArg(call, args, 3);
  if (!ids || !path || !vocab || !dim)
    return std::nullopt;
  std::optional<mlir::Value> table = weight(*path + ".weight", {*vocab, *dim},
                                            WeightRole::Matrix, args.locs[1]);
  if (!table)
    return std::nullopt;
  SmallVector<Dim, 4> dims(ids->dims);
  dims.push_back(staticDim(*dim));
  mlir::Value result = builder.create<hm::GatherOp>(
      location(call.getLoc()), tensorType(ElementType::F32, dims), *table,
      ids->value, builder.getI64IntegerAttr(0));
  return Value(Tensor{result, ElementType::F32, dims});
}

std::optional<Value> Generator::emitLayerNorm(const CallExpr &call,
                                              Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  std::optional<std::string> path = stringArg(call, args, 1);
  std::optional<double> eps =
      args.has(2) ? numberArg(call, args, 2) : std::optional<double>(1e-5);
  std::optional<int64_t> count =
      args.has(3) ? sizeArg(call, args, 3) : std::optional<int64_t>(1);
  if (!x || !path || !eps || !count)
    return std::nullopt;
  // Normalised over the last `dims` axes, as nn.LayerNorm([F, C]) is.
  if (*count > int64_t(x->dims.size())) {
    argError(call, args, 3) << "must be at most the rank of x, got " << *count
                            << " for " << typeString(*x);
    return std::nullopt;
  }
  SmallVector<int64_t> normalized;
  for (const Dim &dim : ArrayRef<Dim>(x->dims).take_back(*count)) {
    if (dim.isDynamic()) {
      argError(call, args, 0) << "needs fixed last " << *count
                              << (*count == 1 ? " dimension" : " dimensions")
                              << ", got " << typeString(*x);
      return std::nullopt;
    }
    normalized.push_back(dim.size);
  }
  std::optional<mlir::Value> gamma =
      weight(*path + ".weight", normalized, WeightRole::NormGain, args.locs[1]);
  if (!gamma)
    return std::nullopt;
  std::optional<mlir::Value> beta =
      weight(*path + ".bias", normalized, WeightRole::Bias, args.locs[1]);
  if (!beta)
    return std::nullopt;
  mlir::Value result = builder.create<hm::LayerNormOp>(
      location(call.getLoc()), x->value.getType(), x->value, *gamma, *beta,
      builder.getI64IntegerAttr(-*count), builder.getF64FloatAttr(*eps));
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitLinear(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  std::optional<std::string> path = stringArg(call, args, 1);
  std::optional<int64_t> out = sizeArg(call, args, 2);
  std::optional<bool> hasBias =
      args.has(3) ? boolArg(call, args, 3) : std::optional<bool>(true);
  if (!x || !path || !out || !hasBias)
    return std::nullopt;
  if (x->dims.empty() || x->dims.back().isDynamic()) {
    argError(call, args, 0)
        << "needs a fixed last dimension, got " << typeString(*x);
    return std::nullopt;
  }
  int64_t in = x->dims.back().size;
  // nn.Linear stores [out, in]; hm.linear multiplies by [in, out].
  std::optional<mlir::Value> matrix =
      weight(*path + ".weight", {*out, in}, WeightRole::Matrix, args.locs[1],
             {}, /*transpose=*/true);
  if (!matrix)
    return std::nullopt;
  mlir::Value bias;
  if (*hasBias) {
    std::optional<mlir::Value> loaded =
        weight(*path + ".bias", {*out}, WeightRole::Bias, args.locs[1]);
    if (!loaded)
      return std::nullopt;
    bias = *loaded;
  }
  SmallVector<Dim, 4> dims(x->dims);
  dims.back() = staticDim(*out);
  mlir::Value result = builder.create<hm::LinearOp>(location(call.getLoc()),
                                                    tensorType(x->dtype, dims),
                                                    x->value, *matrix, bias);
  return Value(Tensor{result, x->dtype, dims});
}

std::optional<Value> Generator::emitGelu(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  std::optional<std::string> approximate =
      args.has(1) ? geluFormArg(call, args, 1)
                  : std::optional<std::string>("none");
  if (!x || !approximate)
    return std::nullopt;
  mlir::Value result = builder.create<hm::GeluOp>(
      location(call.getLoc()), x->value.getType(), x->value, *approximate);
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitHyperMix(const CallExpr &call, Args &args) {
  enum {
    X,
    Weights,
    Mask,
    Heads,
    Hidden,
    K,
    Tied,
    Positional,
    Layout,
    Norm,
    Eps,
    Keys,
    Values,
    KeyMask,
    Gelu
  };
  std::optional<Tensor> x = tensorArg(call, args, X, kFloat, 3);
  std::optional<std::string> path = stringArg(call, args, Weights);
  if (!x || !path)
    return std::nullopt;
  if (x->dims[2].isDynamic()) {
    argError(call, args, X)
        << "needs a fixed feature dimension, got " << typeString(*x);
    return std::nullopt;
  }
  int64_t d = x->dims[2].size;
  std::optional<Tensor> mask;
  if (args.has(Mask) && !std::holds_alternative<None>(*args.values[Mask])) {
    mask = tensorArg(call, args, Mask, kFloat, 2);
    if (!mask)
      return std::nullopt;
    if (!sameDim(mask->dims[0], x->dims[0]) ||
        !sameDim(mask->dims[1], x->dims[1])) {
      argError(call, args, Mask)
          << "must be " << dimsString({x->dims[0], x->dims[1]})
          << " like the tokens " << typeString(*x) << ", got "
          << typeString(*mask);
      return std::nullopt;
    }
  }
  // Cross mixing: keys and values [B, L, d] of their own length L, masked
  // by key_mask [B, L].
  auto given = [&](size_t i) {
    return args.has(i) && !std::holds_alternative<None>(*args.values[i]);
  };
  std::optional<Tensor> keys, values, keyMask;
  if (given(Keys) != given(Values)) {
    argError(call, args, given(Keys) ? Keys : Values)
        << "needs both keys and values";
    return std::nullopt;
  }
  if (given(KeyMask) && !given(Keys)) {
    argError(call, args, KeyMask) << "needs keys and values";
    return std::nullopt;
  }
  if (given(Keys)) {
    keys = tensorArg(call, args, Keys, kFloat, 3);
    values = tensorArg(call, args, Values, kFloat, 3);
    if (!keys || !values)
      return std::nullopt;
    for (auto [index, tensor] :
         {std::pair(Keys, &*keys), std::pair(Values, &*values)})
      if (!sameDim(tensor->dims[0], x->dims[0]) ||
          !sameDim(tensor->dims[1], keys->dims[1]) ||
          !sameDim(tensor->dims[2], x->dims[2])) {
        argError(call, args, index)
            << "must be " << dimsString({x->dims[0], keys->dims[1], x->dims[2]})
            << " (the queries' batch and features, the keys' length), got "
            << typeString(*tensor);
        return std::nullopt;
      }
    if (given(KeyMask)) {
      keyMask = tensorArg(call, args, KeyMask, kFloat, 2);
      if (!keyMask)
        return std::nullopt;
      if (!sameDim(keyMask->dims[0], x->dims[0]) ||
          !sameDim(keyMask->dims[1], keys->dims[1])) {
        argError(call, args, KeyMask)
            << "must be " << dimsString({x->dims[0], keys->dims[1]})
            << " like the keys " << typeString(*keys) << ", got "
            << typeString(*keyMask);
        return std::nullopt;
      }
    }
  }
  auto sizeOr = [&](size_t i, int64_t fallback) {
    return args.has(i) ? sizeArg(call, args, i)
                       : std::optional<int64_t>(fallback);
  };
  std::optional<int64_t> heads = sizeOr(Heads, 1);
  std::optional<int64_t> hidden = sizeOr(Hidden, d);
  std::optional<int64_t> k = sizeOr(K, d);
  std::optional<bool> tied =
      args.has(Tied) ? boolArg(call, args, Tied) : std::optional<bool>(false);
  std::optional<std::string> positional =
      args.has(Positional) ? stringArg(call, args, Positional)
                           : std::optional<std::string>("sinusoidal");
  std::optional<std::string> layout =
      args.has(Layout) ? stringArg(call, args, Layout)
                       : std::optional<std::string>("linear");
  std::optional<bool> norm =
      args.has(Norm) ? boolArg(call, args, Norm) : std::optional<bool>(false);
  std::optional<double> eps =
      args.has(Eps) ? numberArg(call, args, Eps) : std::optional<double>(1e-5);
  std::optional<std::string> gelu = args.has(Gelu)
                                        ? geluFormArg(call, args, Gelu)
                                        : std::optional<std::string>("none");
  if (!heads || !hidden || !k || !tied || !positional || !layout || !norm ||
      !eps || !gelu)
    return std::nullopt;
  if (*positional != "sinusoidal" && *positional != "none") {
    argError(call, args, Positional)
        << "must be \"sinusoidal\" or \"none\", got \"" << *positional << "\"";
    return std::nullopt;
  }
  if (*layout != "linear" && *layout != "grouped") {
    argError(call, args, Layout)
        << "must be \"linear\" or \"grouped\", got \"" << *layout << "\"";
    return std::nullopt;
  }
  for (int64_t size : {d, *hidden, *k})
    if (size % *heads != 0) {
      argError(call, args, Heads) << "must divide d, hidden and k, but "
                                  << *heads << " does not divide " << size;
      return std::nullopt;
    }

  // The "linear" layout: nn.Linear tensors ([out, in], [out]) for one head,
  // reshaped to a leading head axis; the per-head layout [h, out/h, in/h] as
  // stored for several (e.g. SpeechBrain's parallel MLPs). The "grouped"
  // layout: always per head, named as _GroupedHyperNetwork names them.
  int64_t h = *heads, f = *hidden / h, kh = *k / h, dh = d / h;
  bool grouped = *layout == "grouped";
  auto load = [&](const std::string &name, SmallVector<int64_t> perHead,
                  WeightRole role) -> std::optional<mlir::Value> {
    SmallVector<int64_t> stored(perHead.begin() + (h == 1 && !grouped),
                                perHead.end());
    return weight(*path + "." + name, stored, role, args.locs[Weights],
                  perHead);
  };
  SmallVector<mlir::Value, 8> hyper;
  for (int net : {1, 2}) {
    if (net == 2 && *tied)
      break;
    std::string w = grouped ? "hyper_w" + std::to_string(net) + "."
                            : "w" + std::to_string(net);
    auto named = [&](const char *linearName, const char *groupedName) {
      return w + (grouped ? groupedName : linearName);
    };
    for (auto &[name, shape, role] :
         std::vector<std::tuple<std::string, SmallVector<int64_t>, WeightRole>>{
             {named("_in.weight", "w1"), {h, f, dh}, WeightRole::Matrix},
             {named("_in.bias", "b1"), {h, f}, WeightRole::Bias},
             {named("_out.weight", "w2"), {h, kh, f}, WeightRole::Matrix},
             {named("_out.bias", "b2"), {h, kh}, WeightRole::Bias}}) {
      std::optional<mlir::Value> value = load(name, shape, role);
      if (!value)
        return std::nullopt;
      hyper.push_back(*value);
    }
  }
  hyper.resize(8);
  // The fused output LayerNorm of MultiHeadHyperMixing.
  mlir::Value gamma, beta;
  if (*norm) {
    std::optional<mlir::Value> g = weight(
        *path + ".norm.weight", {d}, WeightRole::NormGain, args.locs[Weights]);
    if (!g)
      return std::nullopt;
    std::optional<mlir::Value> b =
        weight(*path + ".norm.bias", {d}, WeightRole::Bias, args.locs[Weights]);
    if (!b)
      return std::nullopt;
    gamma = *g;
    beta = *b;
  }
  mlir::Value result = builder.create<hm::HyperMixOp>(
      location(call.getLoc()), x->value.getType(), x->value,
      keys ? keys->value : mlir::Value(),
      values ? values->value : mlir::Value(),
      mask ? mask->value : mlir::Value(),
      keyMask ? keyMask->value : mlir::Value(), hyper[0], hyper[1], hyper[2],
      hyper[3], hyper[4], hyper[5], hyper[6], hyper[7], gamma, beta,
      /*position_table=*/nullptr, builder.getI64IntegerAttr(h),
      builder.getStringAttr(*positional), /*position_offset=*/nullptr,
      /*input_scale=*/nullptr, *norm ? builder.getF64FloatAttr(*eps) : nullptr,
      builder.getStringAttr(algorithm), /*mask_weights=*/nullptr,
      /*mask_tokens=*/nullptr, /*mask_hyper_input=*/nullptr,
      builder.getStringAttr(*gelu));
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitMeanPool(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, 3);
  std::optional<Tensor> mask = tensorArg(call, args, 1, kFloat, 2);
  if (!x || !mask)
    return std::nullopt;
  if (!sameDim(mask->dims[0], x->dims[0]) ||
      !sameDim(mask->dims[1], x->dims[1])) {
    argError(call, args, 1)
        << "must be " << dimsString({x->dims[0], x->dims[1]})
        << " like the tokens " << typeString(*x) << ", got "
        << typeString(*mask);
    return std::nullopt;
  }
  // sum_n(x * m) / max(sum_n(m), 1): padded tokens count for nothing and an
  // all-padding row divides by 1.
  Location loc = location(call.getLoc());
  Dim batch = x->dims[0];
  SmallVector<Dim, 4> maskDims = {batch, x->dims[1], staticDim(1)};
  SmallVector<Dim, 4> pooledDims = {batch, x->dims[2]};
  SmallVector<Dim, 4> countDims = {batch, staticDim(1)};
  auto f32 = [&](ArrayRef<Dim> dims) {
    return tensorType(ElementType::F32, dims);
  };
  auto axes = builder.getDenseI64ArrayAttr({1});
  auto keepdims = builder.getBoolAttr(false);
  mlir::Value m3 = builder.create<hm::ReshapeOp>(
      loc, f32(maskDims), mask->value, shapeAttr(maskDims));
  mlir::Value masked =
      builder.create<hm::MulOp>(loc, x->value.getType(), x->value, m3);
  mlir::Value sum = builder.create<hm::ReduceSumOp>(loc, f32(pooledDims),
                                                    masked, axes, keepdims);
  mlir::Value count =
      builder.create<hm::ReduceSumOp>(loc, f32(countDims), m3, axes, keepdims);
  auto oneType = RankedTensorType::get({1}, builder.getF32Type());
  mlir::Value one = builder.create<hm::ConstantOp>(
      loc, DenseElementsAttr::get(oneType, 1.0f));
  mlir::Value clamped =
      builder.create<hm::MaxOp>(loc, f32(countDims), count, one);
  mlir::Value result =
      builder.create<hm::DivOp>(loc, f32(pooledDims), sum, clamped);
  return Value(Tensor{result, ElementType::F32, pooledDims});
}

std::optional<Value> Generator::emitFirstToken(const CallExpr &call,
                                               Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, 3);
  if (!x)
    return std::nullopt;
  Location loc = location(call.getLoc());
  SmallVector<Dim, 4> sliced = {x->dims[0], staticDim(1), x->dims[2]};
  SmallVector<Dim, 4> pooled = {x->dims[0], x->dims[2]};
  auto one = builder.getDenseI64ArrayAttr({1});
  mlir::Value first = builder.create<hm::SliceOp>(
      loc, tensorType(x->dtype, sliced), x->value, one,
      builder.getDenseI64ArrayAttr({0}), one, one);
  mlir::Value result = builder.create<hm::ReshapeOp>(
      loc, tensorType(x->dtype, pooled), first, shapeAttr(pooled));
  return Value(Tensor{result, x->dtype, pooled});
}

std::optional<Value> Generator::emitCast(const CallExpr &call, Args &args) {
  std::optional<Tensor> x =
      tensorArg(call, args, 0,
                {ElementType::F32, ElementType::F64, ElementType::I32,
                 ElementType::I64, ElementType::Bool},
                -1);
  if (!x)
    return std::nullopt;
  auto *type = std::get_if<TypeName>(&*args.values[1]);
  if (!type) {
    argError(call, args, 1) << "must be an element type (f32, f64, i32, i64 "
                               "or bool), got "
                            << describe(*args.values[1]);
    return std::nullopt;
  }
  mlir::Value result = builder.create<hm::CastOp>(
      location(call.getLoc()), tensorType(type->type, x->dims), x->value);
  return Value(Tensor{result, type->type, x->dims});
}

constexpr ElementType kAnyType[] = {ElementType::F32, ElementType::F64,
                                    ElementType::I32, ElementType::I64,
                                    ElementType::Bool};
constexpr ElementType kBool[] = {ElementType::Bool};

std::optional<Value> Generator::emitNormalize(const CallExpr &call,
                                              Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  std::optional<std::string> mean = stringArg(call, args, 1);
  std::optional<std::string> std = stringArg(call, args, 2);
  if (!x || !mean || !std)
    return std::nullopt;
  if (x->dims.empty() || x->dims.back().isDynamic()) {
    argError(call, args, 0)
        << "needs a fixed last dimension, got " << typeString(*x);
    return std::nullopt;
  }
  int64_t d = x->dims.back().size;
  std::optional<mlir::Value> shift =
      weight(*mean, {d}, WeightRole::Bias, args.locs[1]);
  if (!shift)
    return std::nullopt;
  std::optional<mlir::Value> scale =
      weight(*std, {d}, WeightRole::NormGain, args.locs[2]);
  if (!scale)
    return std::nullopt;
  Location loc = location(call.getLoc());
  Type type = x->value.getType();
  mlir::Value centred = builder.create<hm::SubOp>(loc, type, x->value, *shift);
  mlir::Value result = builder.create<hm::DivOp>(loc, type, centred, *scale);
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitUnsqueeze(const CallExpr &call,
                                              Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kAnyType, -1);
  if (!x)
    return std::nullopt;
  std::optional<int64_t> axis = axisArg(call, args, 1, x->dims.size() + 1);
  if (!axis)
    return std::nullopt;
  SmallVector<Dim, 4> dims(x->dims);
  dims.insert(dims.begin() + *axis, staticDim(1));
  return Value(reshape(location(call.getLoc()), *x, dims));
}

std::optional<Value> Generator::emitFlatten(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kAnyType, -1);
  if (!x)
    return std::nullopt;
  std::optional<int64_t> axis = axisArg(call, args, 1, x->dims.size());
  if (!axis)
    return std::nullopt;
  // Only fixed dimensions merge, so the result stays a list of symbols.
  int64_t size = 1;
  for (const Dim &dim : ArrayRef<Dim>(x->dims).drop_front(*axis)) {
    if (dim.isDynamic()) {
      argError(call, args, 0) << "needs fixed dimensions from axis " << *axis
                              << " on, got " << typeString(*x);
      return std::nullopt;
    }
    size *= dim.size;
  }
  SmallVector<Dim, 4> dims(x->dims.begin(), x->dims.begin() + *axis);
  dims.push_back(staticDim(size));
  return Value(reshape(location(call.getLoc()), *x, dims));
}

std::optional<Value> Generator::emitChannelsFirst(const CallExpr &call,
                                                  Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kAnyType, -1);
  if (!x)
    return std::nullopt;
  int64_t rank = x->dims.size();
  if (rank < 3) {
    argError(call, args, 0)
        << "must have rank 3 or more, got " << typeString(*x);
    return std::nullopt;
  }
  SmallVector<int64_t> perm = {0, rank - 1};
  for (int64_t i = 1; i < rank - 1; ++i)
    perm.push_back(i);
  return Value(transpose(location(call.getLoc()), *x, perm));
}

std::optional<Value> Generator::emitChannelsLast(const CallExpr &call,
                                                 Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kAnyType, -1);
  if (!x)
    return std::nullopt;
  int64_t rank = x->dims.size();
  if (rank < 3) {
    argError(call, args, 0)
        << "must have rank 3 or more, got " << typeString(*x);
    return std::nullopt;
  }
  SmallVector<int64_t> perm = {0};
  for (int64_t i = 2; i < rank; ++i)
    perm.push_back(i);
  perm.push_back(1);
  return Value(transpose(location(call.getLoc()), *x, perm));
}

std::optional<Value> Generator::emitPad(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  std::optional<int64_t> size = sizeArg(call, args, 1);
  std::optional<std::string> mode =
      args.has(2) ? stringArg(call, args, 2)
                  : std::optional<std::string>("constant");
  std::optional<double> value =
      args.has(3) ? numberArg(call, args, 3) : std::optional<double>(0.0);
  if (!x || !size || !mode || !value)
    return std::nullopt;
  if (*mode != "constant" && *mode != "reflect" && *mode != "edge") {
    argError(call, args, 2) << "must be \"constant\", \"reflect\" or "
                               "\"edge\", got \""
                            << *mode << "\"";
    return std::nullopt;
  }
  int64_t rank = x->dims.size();
  if (rank < 3) {
    argError(call, args, 0)
        << "must be [B, C, spatial...], got " << typeString(*x);
    return std::nullopt;
  }
  // The spatial dimensions (from axis 2) on both sides, ONNX order: all
  // begins, then all ends.
  SmallVector<int64_t> pads(2 * rank, 0);
  SmallVector<Dim, 4> dims(x->dims);
  for (int64_t i = 2; i < rank; ++i) {
    if (*mode == "reflect" && !dims[i].isDynamic() && *size >= dims[i].size) {
      argError(call, args, 1)
          << "must be smaller than every padded dimension for reflect "
             "padding, got "
          << *size << " for " << typeString(*x);
      return std::nullopt;
    }
    pads[i] = pads[i + rank] = *size;
    std::optional<Dim> padded = deriveDim(call, dims[i], 2 * *size, 1, 0);
    if (!padded)
      return std::nullopt;
    dims[i] = *padded;
  }
  mlir::Value result = builder.create<hm::PadOp>(
      location(call.getLoc()), tensorType(x->dtype, dims), x->value,
      builder.getStringAttr(*mode), builder.getDenseI64ArrayAttr(pads),
      builder.getF64FloatAttr(*value));
  return Value(Tensor{result, x->dtype, dims});
}

std::optional<Value> Generator::emitConv(const CallExpr &call, Args &args) {
  enum { X, Weights, Out, Kernel, Stride, Padding, Dilation, Groups, Bias };
  std::optional<Tensor> x = tensorArg(call, args, X, kFloat, -1);
  std::optional<std::string> path = stringArg(call, args, Weights);
  std::optional<int64_t> out = sizeArg(call, args, Out);
  std::optional<int64_t> kernel = sizeArg(call, args, Kernel);
  auto sizeOr = [&](size_t i, int64_t fallback) {
    return args.has(i) ? sizeArg(call, args, i)
                       : std::optional<int64_t>(fallback);
  };
  std::optional<int64_t> stride = sizeOr(Stride, 1);
  std::optional<int64_t> dilation = sizeOr(Dilation, 1);
  std::optional<int64_t> groups = sizeOr(Groups, 1);
  std::optional<int64_t> padding = 0;
  if (args.has(Padding)) {
    auto *value = std::get_if<int64_t>(&*args.values[Padding]);
    padding =
        value && *value >= 0 ? std::optional<int64_t>(*value) : std::nullopt;
    if (!padding)
      argError(call, args, Padding) << "must be a non-negative integer, got "
                                    << describe(*args.values[Padding]);
  }
  std::optional<bool> hasBias =
      args.has(Bias) ? boolArg(call, args, Bias) : std::optional<bool>(true);
  if (!x || !path || !out || !kernel || !stride || !dilation || !groups ||
      !padding || !hasBias)
    return std::nullopt;
  int64_t rank = x->dims.size();
  if (rank != 3 && rank != 4) {
    argError(call, args, X)
        << "must be [B, C, T] or [B, C, H, W], got " << typeString(*x);
    return std::nullopt;
  }
  if (x->dims[1].isDynamic()) {
    argError(call, args, X)
        << "needs a fixed channel dimension, got " << typeString(*x);
    return std::nullopt;
  }
  int64_t channels = x->dims[1].size;
  if (channels % *groups || *out % *groups) {
    argError(call, args, Groups)
        << "must divide the input channels " << channels
        << " and the output channels " << *out << ", got " << *groups;
    return std::nullopt;
  }
  // As nn.Conv1d/Conv2d store it: [out, in / groups, kernel...].
  int64_t spatial = rank - 2;
  SmallVector<int64_t> shape = {*out, channels / *groups};
  shape.append(spatial, *kernel);
  std::optional<mlir::Value> filter =
      weight(*path + ".weight", shape, WeightRole::Matrix, args.locs[Weights]);
  if (!filter)
    return std::nullopt;
  mlir::Value bias;
  if (*hasBias) {
    std::optional<mlir::Value> loaded =
        weight(*path + ".bias", {*out}, WeightRole::Bias, args.locs[Weights]);
    if (!loaded)
      return std::nullopt;
    bias = *loaded;
  }
  SmallVector<Dim, 4> dims = {x->dims[0], staticDim(*out)};
  for (int64_t i = 0; i < spatial; ++i) {
    std::optional<Dim> dim =
        deriveDim(call, x->dims[2 + i],
                  2 * *padding - *dilation * (*kernel - 1) - 1, *stride, 1);
    if (!dim)
      return std::nullopt;
    dims.push_back(*dim);
  }
  mlir::Value result = builder.create<hm::ConvOp>(
      location(call.getLoc()), tensorType(x->dtype, dims), x->value, *filter,
      bias,
      builder.getDenseI64ArrayAttr(SmallVector<int64_t>(spatial, *stride)),
      builder.getDenseI64ArrayAttr(SmallVector<int64_t>(spatial, *dilation)),
      builder.getDenseI64ArrayAttr(SmallVector<int64_t>(2 * spatial, *padding)),
      builder.getI64IntegerAttr(*groups));
  return Value(Tensor{result, x->dtype, dims});
}

std::optional<Value> Generator::emitSigmoid(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  if (!x)
    return std::nullopt;
  mlir::Value result = builder.create<hm::SigmoidOp>(
      location(call.getLoc()), x->value.getType(), x->value);
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitSilu(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  if (!x)
    return std::nullopt;
  // x * sigmoid(x), the form an ONNX export of F.silu has.
  Location loc = location(call.getLoc());
  Type type = x->value.getType();
  mlir::Value gate = builder.create<hm::SigmoidOp>(loc, type, x->value);
  mlir::Value result = builder.create<hm::MulOp>(loc, type, x->value, gate);
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitLeakyRelu(const CallExpr &call,
                                              Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  std::optional<double> alpha =
      args.has(1) ? numberArg(call, args, 1) : std::optional<double>(0.01);
  if (!x || !alpha)
    return std::nullopt;
  mlir::Value result = builder.create<hm::LeakyReluOp>(
      location(call.getLoc()), x->value.getType(), x->value,
      builder.getF64FloatAttr(*alpha));
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitGlu(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  if (!x)
    return std::nullopt;
  std::optional<int64_t> axis =
      args.has(1) ? axisArg(call, args, 1, x->dims.size())
                  : std::optional<int64_t>(int64_t(x->dims.size()) - 1);
  if (!axis)
    return std::nullopt;
  const Dim &split = x->dims[*axis];
  if (split.isDynamic() || split.size % 2) {
    argError(call, args, 0) << "needs a fixed even dimension " << *axis
                            << ", got " << typeString(*x);
    return std::nullopt;
  }
  // first half * sigmoid(second half), as F.glu.
  Location loc = location(call.getLoc());
  int64_t half = split.size / 2;
  SmallVector<Dim, 4> dims(x->dims);
  dims[*axis] = staticDim(half);
  Type type = tensorType(x->dtype, dims);
  auto slice = [&](int64_t begin) -> mlir::Value {
    return builder.create<hm::SliceOp>(
        loc, type, x->value, builder.getDenseI64ArrayAttr({*axis}),
        builder.getDenseI64ArrayAttr({begin}),
        builder.getDenseI64ArrayAttr({begin + half}),
        builder.getDenseI64ArrayAttr({1}));
  };
  mlir::Value first = slice(0);
  mlir::Value gate = builder.create<hm::SigmoidOp>(loc, type, slice(half));
  mlir::Value result = builder.create<hm::MulOp>(loc, type, first, gate);
  return Value(Tensor{result, x->dtype, dims});
}

template <typename OpTy>
std::optional<Value> Generator::emitAlongAxis(const CallExpr &call,
                                              Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kFloat, -1);
  if (!x)
    return std::nullopt;
  int64_t rank = x->dims.size();
  if (rank == 0) {
    argError(call, args, 0)
        << "must have rank 1 or more, got " << typeString(*x);
    return std::nullopt;
  }
  std::optional<int64_t> axis = args.has(1) ? axisArg(call, args, 1, rank)
                                            : std::optional<int64_t>(rank - 1);
  if (!axis)
    return std::nullopt;
  mlir::Value result =
      builder.create<OpTy>(location(call.getLoc()), x->value.getType(),
                           x->value, builder.getI64IntegerAttr(*axis));
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitSoftmax(const CallExpr &call, Args &args) {
  return emitAlongAxis<hm::SoftmaxOp>(call, args);
}

std::optional<Value> Generator::emitLogSoftmax(const CallExpr &call,
                                               Args &args) {
  return emitAlongAxis<hm::LogSoftmaxOp>(call, args);
}

std::optional<Value> Generator::emitNot(const CallExpr &call, Args &args) {
  std::optional<Tensor> x = tensorArg(call, args, 0, kBool, -1);
  if (!x)
    return std::nullopt;
  mlir::Value result = builder.create<hm::NotOp>(location(call.getLoc()),
                                                 x->value.getType(), x->value);
  return Value(Tensor{result, x->dtype, x->dims});
}

std::optional<Value> Generator::emitWhere(const CallExpr &call, Args &args) {
  std::optional<Tensor> condition = tensorArg(call, args, 0, kBool, -1);
  if (!condition)
    return std::nullopt;
  // A number becomes an f32 scalar beside the other branch.
  if (!std::holds_alternative<Tensor>(*args.values[1]) &&
      !std::holds_alternative<Tensor>(*args.values[2])) {
    error(call.getLoc()) << "'where' needs a tensor for 'x' or 'y', got "
                         << describe(*args.values[1]) << " and "
                         << describe(*args.values[2]);
    return std::nullopt;
  }
  std::optional<Tensor> x = operandArg(call, args, 1);
  std::optional<Tensor> y = operandArg(call, args, 2);
  if (!x || !y)
    return std::nullopt;
  if (x->dtype != y->dtype) {
    argError(call, args, 2) << "must have the element type of 'x', "
                            << typeString(*x) << ", got " << typeString(*y);
    return std::nullopt;
  }
  std::optional<SmallVector<Dim, 4>> branches = broadcast(x->dims, y->dims);
  std::optional<SmallVector<Dim, 4>> dims =
      branches ? broadcast(condition->dims, *branches) : std::nullopt;
  if (!dims) {
    error(call.getLoc()) << "operands of 'where' do not broadcast: "
                         << typeString(*condition) << ", " << typeString(*x)
                         << " and " << typeString(*y);
    return std::nullopt;
  }
  mlir::Value result = builder.create<hm::WhereOp>(
      location(call.getLoc()), tensorType(x->dtype, *dims), condition->value,
      x->value, y->value);
  return Value(Tensor{result, x->dtype, *dims});
}

std::optional<Value> Generator::emitMatmul(const CallExpr &call, Args &args) {
  std::optional<Tensor> a = tensorArg(call, args, 0, kFloat, -1);
  std::optional<Tensor> b = tensorArg(call, args, 1, kFloat, -1);
  if (!a || !b)
    return std::nullopt;
  std::array<const Tensor *, 2> operands = {&*a, &*b};
  for (auto [i, tensor] : llvm::enumerate(operands))
    if (tensor->dims.size() < 2) {
      argError(call, args, i)
          << "must have rank 2 or more, got " << typeString(*tensor);
      return std::nullopt;
    }
  ArrayRef<Dim> lhs(a->dims), rhs(b->dims);
  std::optional<SmallVector<Dim, 4>> batch =
      broadcast(lhs.drop_back(2), rhs.drop_back(2));
  if (!sameDim(lhs.back(), rhs[rhs.size() - 2]) || !batch) {
    error(call.getLoc()) << "operands of 'matmul' do not match: "
                         << typeString(*a) << " and " << typeString(*b);
    return std::nullopt;
  }
  SmallVector<Dim, 4> dims(*batch);
  dims.push_back(canonical(lhs[lhs.size() - 2]));
  dims.push_back(canonical(rhs.back()));
  mlir::Value result = builder.create<hm::MatMulOp>(
      location(call.getLoc()), tensorType(a->dtype, dims), a->value, b->value);
  return Value(Tensor{result, a->dtype, dims});
}

std::optional<Value> Generator::emitSelfAttention(const CallExpr &call,
                                                  Args &args) {
  enum { X, Weights, Heads, Mask };
  std::optional<Tensor> x = tensorArg(call, args, X, kFloat, 3);
  std::optional<std::string> path = stringArg(call, args, Weights);
  std::optional<int64_t> heads = sizeArg(call, args, Heads);
  if (!x || !path || !heads)
    return std::nullopt;
  if (x->dims[2].isDynamic() || x->dims[2].size % *heads) {
    argError(call, args, X) << "needs a fixed feature dimension that " << *heads
                            << " heads divide, got " << typeString(*x);
    return std::nullopt;
  }
  std::optional<Tensor> mask;
  if (args.has(Mask) && !std::holds_alternative<None>(*args.values[Mask])) {
    mask = tensorArg(call, args, Mask, kBool, 2);
    if (!mask)
      return std::nullopt;
    if (!sameDim(mask->dims[0], x->dims[0]) ||
        !sameDim(mask->dims[1], x->dims[1])) {
      argError(call, args, Mask)
          << "must be " << dimsString({x->dims[0], x->dims[1]})
          << " like the frames " << typeString(*x) << ", got "
          << typeString(*mask);
      return std::nullopt;
    }
  }
  Location loc = location(call.getLoc());
  Dim batch = canonical(x->dims[0]), time = canonical(x->dims[1]);
  int64_t d = x->dims[2].size, h = *heads, dh = d / h;
  auto linear = [&](const Tensor &input, const std::string &name,
                    int64_t out) -> std::optional<Tensor> {
    std::optional<mlir::Value> matrix =
        weight(*path + "." + name + ".weight", {out, d}, WeightRole::Matrix,
               args.locs[Weights], {}, /*transpose=*/true);
    if (!matrix)
      return std::nullopt;
    std::optional<mlir::Value> bias =
        weight(*path + "." + name + ".bias", {out}, WeightRole::Bias,
               args.locs[Weights]);
    if (!bias)
      return std::nullopt;
    SmallVector<Dim, 4> dims = {batch, time, staticDim(out)};
    mlir::Value result = builder.create<hm::LinearOp>(
        loc, tensorType(ElementType::F32, dims), input.value, *matrix, *bias);
    return Tensor{result, ElementType::F32, dims};
  };
  // q, k, v [B, h, T, d/h] from one projection, as the reference splits
  // qkv(x).reshape(B, T, 3, h, d/h).permute(2, 0, 3, 1, 4).
  std::optional<Tensor> qkv = linear(*x, "qkv", 3 * d);
  if (!qkv)
    return std::nullopt;
  Tensor split = transpose(
      loc,
      reshape(loc, *qkv,
              {batch, time, staticDim(3), staticDim(h), staticDim(dh)}),
      {2, 0, 3, 1, 4});
  SmallVector<Dim, 4> sliced(split.dims);
  sliced[0] = staticDim(1);
  SmallVector<Dim, 4> headDims = {batch, staticDim(h), time, staticDim(dh)};
  auto part = [&](int64_t i) {
    mlir::Value slice = builder.create<hm::SliceOp>(
        loc, tensorType(ElementType::F32, sliced), split.value,
        builder.getDenseI64ArrayAttr({0}), builder.getDenseI64ArrayAttr({i}),
        builder.getDenseI64ArrayAttr({i + 1}),
        builder.getDenseI64ArrayAttr({1}));
    return reshape(loc, Tensor{slice, ElementType::F32, sliced}, headDims);
  };
  Tensor q = part(0), k = part(1), v = part(2);
  Tensor kT = transpose(loc, k, {0, 1, 3, 2});
  SmallVector<Dim, 4> scoreDims = {batch, staticDim(h), time, time};
  Type scoreType = tensorType(ElementType::F32, scoreDims);
  mlir::Value scores =
      builder.create<hm::MatMulOp>(loc, scoreType, q.value, kT.value);
  scores = builder.create<hm::DivOp>(loc, scoreType, scores,
                                     scalar(loc, std::sqrt(double(dh))).value);
  if (mask) {
    // Padded keys (true) score -1e9 before the softmax.
    Tensor keys =
        reshape(loc, *mask, {batch, staticDim(1), staticDim(1), time});
    scores = builder.create<hm::WhereOp>(loc, scoreType, keys.value,
                                         scalar(loc, -1e9).value, scores);
  }
  mlir::Value weights = builder.create<hm::SoftmaxOp>(
      loc, scoreType, scores, builder.getI64IntegerAttr(3));
  mlir::Value mixed = builder.create<hm::MatMulOp>(
      loc, tensorType(ElementType::F32, headDims), weights, v.value);
  Tensor merged = reshape(
      loc,
      transpose(loc, Tensor{mixed, ElementType::F32, headDims}, {0, 2, 1, 3}),
      {batch, time, staticDim(d)});
  std::optional<Tensor> result = linear(merged, "out", d);
  if (!result)
    return std::nullopt;
  return Value(*result);
}

} // namespace

OwningOpRef<ModuleOp> generateModule(const ModelFile &file, StringRef filename,
                                     WeightSource &weights,
                                     StringRef hypermixAlgorithm,
                                     MLIRContext &context) {
  return Generator(filename, weights, hypermixAlgorithm, context).run(file);
}

} // namespace hmc::dsl
