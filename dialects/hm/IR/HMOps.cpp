//===- HMOps.cpp - hm op verifiers and folders ----------------------------===//

#include "hm/HMDialect.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

#include <numeric>

using namespace mlir;

namespace {

RankedTensorType rankedType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
  }
  return text + "]";
}

bool dimsCompatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

// Checks that `value` has the given rank and static extents (-1 = any).
LogicalResult expectShape(Operation *op, Value value, StringRef what,
                          ArrayRef<int64_t> expected) {
  auto type = rankedType(value);
  auto fail = [&]() {
    SmallVector<int64_t> shown;
    for (int64_t dim : expected)
      shown.push_back(dim < 0 ? ShapedType::kDynamic : dim);
    return op->emitOpError()
           << what << " must have shape " << shapeString(shown) << ", got "
           << shapeString(type.getShape());
  };
  if (type.getRank() != static_cast<int64_t>(expected.size()))
    return fail();
  for (auto [dim, want] : llvm::zip(type.getShape(), expected))
    if (want >= 0 && !dimsCompatible(dim, want))
      return fail();
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

OpFoldResult hm::ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Broadcasting binary ops
//===----------------------------------------------------------------------===//

#define HM_BINARY_VERIFY(Op)                                                   \
  LogicalResult hm::Op::verifyBroadcast() {                                    \
    SmallVector<int64_t> shape;                                                \
    auto lhs = rankedType(getLhs()), rhs = rankedType(getRhs());               \
    if (lhs.getElementType() != rhs.getElementType())                          \
      return emitOpError("operand element types differ: ")                     \
             << lhs.getElementType() << " vs " << rhs.getElementType();        \
    if (!OpTrait::util::getBroadcastedShape(lhs.getShape(), rhs.getShape(),    \
                                            shape))                            \
      return emitOpError("operand shapes ")                                    \
             << shapeString(lhs.getShape()) << " and "                         \
             << shapeString(rhs.getShape()) << " do not broadcast";            \
    auto out = rankedType(getOutput());                                        \
    if (out.getRank() != static_cast<int64_t>(shape.size()))                   \
      return emitOpError("result rank ")                                       \
             << out.getRank() << " differs from the broadcast rank "           \
             << shape.size();                                                  \
    for (auto [got, want] : llvm::zip(out.getShape(), shape))                  \
      if (!dimsCompatible(got, want))                                          \
        return emitOpError("result shape ")                                    \
               << shapeString(out.getShape())                                  \
               << " differs from the broadcast shape " << shapeString(shape);  \
    return success();                                                          \
  }

HM_BINARY_VERIFY(AddOp)
HM_BINARY_VERIFY(SubOp)
HM_BINARY_VERIFY(MulOp)
HM_BINARY_VERIFY(DivOp)
HM_BINARY_VERIFY(PowOp)
HM_BINARY_VERIFY(MaxOp)
HM_BINARY_VERIFY(MinOp)
HM_BINARY_VERIFY(ModOp)
HM_BINARY_VERIFY(RemOp)
HM_BINARY_VERIFY(EqualOp)
HM_BINARY_VERIFY(LessOp)
HM_BINARY_VERIFY(LessEqualOp)
HM_BINARY_VERIFY(AndOp)
HM_BINARY_VERIFY(OrOp)
HM_BINARY_VERIFY(XorOp)
#undef HM_BINARY_VERIFY

static bool isGeluApproximation(llvm::StringRef name) {
  return name == "none" || name == "tanh";
}

LogicalResult hm::GeluOp::verify() {
  if (!isGeluApproximation(getApproximate()))
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

OpFoldResult hm::CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Dense algebra
//===----------------------------------------------------------------------===//

LogicalResult hm::LinearOp::verify() {
  auto input = rankedType(getInput()), weight = rankedType(getWeight());
  auto output = rankedType(getOutput());
  if (input.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  if (weight.getRank() != 2)
    return emitOpError("weight must be [K, M], got ")
           << shapeString(weight.getShape());
  if (!dimsCompatible(input.getShape().back(), weight.getDimSize(0)))
    return emitOpError("input features ")
           << input.getShape().back() << " differ from weight rows "
           << weight.getDimSize(0);
  if (getBias() &&
      failed(expectShape(*this, getBias(), "bias", {weight.getDimSize(1)})))
    return failure();
  if (output.getRank() != input.getRank() ||
      !dimsCompatible(output.getShape().back(), weight.getDimSize(1)))
    return emitOpError("result must be the input shape with last dim ")
           << weight.getDimSize(1) << ", got "
           << shapeString(output.getShape());
  return success();
}

LogicalResult hm::MatMulOp::verify() {
  auto lhs = rankedType(getLhs()), rhs = rankedType(getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOpError("operands must have rank >= 2 (got ")
           << lhs.getRank() << " and " << rhs.getRank() << ")";
  int64_t k1 = lhs.getShape().back(), k2 = rhs.getShape()[rhs.getRank() - 2];
  if (!dimsCompatible(k1, k2))
    return emitOpError("contracting dimensions differ: ") << k1 << " vs " << k2;
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(lhs.getShape().drop_back(2),
                                          rhs.getShape().drop_back(2), batch))
    return emitOpError("batch dimensions do not broadcast");
  return success();
}

LogicalResult hm::EinsumOp::verify() {
  StringRef equation = getEquation();
  auto [lhs, rhs] = equation.split("->");
  if (rhs.empty() && !equation.contains("->"))
    return emitOpError("equation '") << equation << "' needs an explicit '->'";
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != getInputs().size())
    return emitOpError("equation '")
           << equation << "' has " << terms.size() << " operand terms but "
           << getInputs().size() << " operands were given";
  for (auto [term, input] : llvm::zip(terms, getInputs()))
    if (static_cast<int64_t>(term.trim().size()) != rankedType(input).getRank())
      return emitOpError("term '") << term << "' does not match operand rank "
                                   << rankedType(input).getRank();
  if (static_cast<int64_t>(rhs.trim().size()) !=
      rankedType(getOutput()).getRank())
    return emitOpError("result term '") << rhs << "' does not match the rank";
  return success();
}

LogicalResult hm::LayerNormOp::verify() {
  auto input = rankedType(getInput());
  int64_t rank = input.getRank(), axis = getAxis();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ")
           << getAxis() << " is out of range for rank " << rank;
  if (getEpsilon().convertToDouble() <= 0)
    return emitOpError("epsilon must be positive");
  ArrayRef<int64_t> normalised = input.getShape().drop_front(axis);
  for (Value param : {getGamma(), getBeta()}) {
    if (!param)
      continue;
    auto type = rankedType(param);
    if (type.getRank() > static_cast<int64_t>(normalised.size()))
      return emitOpError("scale/bias rank exceeds the normalised dims");
    for (auto [got, want] :
         llvm::zip(llvm::reverse(type.getShape()), llvm::reverse(normalised)))
      if (!dimsCompatible(got, want) && got != 1)
        return emitOpError("scale/bias shape ")
               << shapeString(type.getShape())
               << " does not match the normalised dims "
               << shapeString(normalised);
  }
  if (rankedType(getOutput()).getRank() != rank)
    return emitOpError("result rank must equal the input rank");
  return success();
}

template <typename ReduceOp> static LogicalResult verifyReduction(ReduceOp op) {
  int64_t rank = rankedType(op.getInput()).getRank();
  for (int64_t axis : op.getAxes())
    if (axis < -rank || axis >= rank)
      return op.emitOpError("axis ")
             << axis << " is out of range for rank " << rank;
  int64_t expected = op.getKeepdims()
                         ? rank
                         : rank - static_cast<int64_t>(op.getAxes().size());
  if (rankedType(op.getOutput()).getRank() != expected)
    return op.emitOpError("result rank must be ") << expected;
  if (rankedType(op.getOutput()).getElementType() !=
      rankedType(op.getInput()).getElementType())
    return op.emitOpError("result element type differs from the input's");
  return success();
}

LogicalResult hm::ReduceMeanOp::verify() { return verifyReduction(*this); }
LogicalResult hm::ReduceSumOp::verify() { return verifyReduction(*this); }
LogicalResult hm::ReduceMaxOp::verify() { return verifyReduction(*this); }
LogicalResult hm::ReduceMinOp::verify() { return verifyReduction(*this); }

template <typename ArgOp> static LogicalResult verifyArgExtremum(ArgOp op) {
  auto input = rankedType(op.getInput());
  int64_t rank = input.getRank(), axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  SmallVector<int64_t> expected(input.getShape());
  if (op.getKeepdims())
    expected[axis] = 1;
  else
    expected.erase(expected.begin() + axis);
  auto output = rankedType(op.getOutput());
  if (output.getRank() != static_cast<int64_t>(expected.size()))
    return op.emitOpError("result rank must be ") << expected.size();
  for (auto [got, want] : llvm::zip(output.getShape(), expected))
    if (!dimsCompatible(got, want))
      return op.emitOpError("result shape ")
             << shapeString(output.getShape()) << " differs from "
             << shapeString(expected);
  return success();
}

LogicalResult hm::ArgMaxOp::verify() { return verifyArgExtremum(*this); }
LogicalResult hm::ArgMinOp::verify() { return verifyArgExtremum(*this); }

LogicalResult hm::CumSumOp::verify() {
  int64_t rank = rankedType(getInput()).getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult hm::GatherOp::verify() {
  auto input = rankedType(getInput()), indices = rankedType(getIndices());
  auto output = rankedType(getOutput());
  int64_t rank = input.getRank(), axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  SmallVector<int64_t> expected(input.getShape().take_front(axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, input.getShape().drop_front(axis + 1));
  if (output.getElementType() != input.getElementType())
    return emitOpError("result element type differs from the input's");
  if (output.getRank() != static_cast<int64_t>(expected.size()))
    return emitOpError("result rank must be ") << expected.size();
  for (auto [got, want] : llvm::zip(output.getShape(), expected))
    if (!dimsCompatible(got, want))
      return emitOpError("result shape ")
             << shapeString(output.getShape()) << " differs from "
             << shapeString(expected);
  return success();
}

LogicalResult hm::GatherElementsOp::verify() {
  auto input = rankedType(getInput()), indices = rankedType(getIndices());
  auto output = rankedType(getOutput());
  int64_t rank = input.getRank(), axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  if (indices.getRank() != rank)
    return emitOpError("indices have rank ")
           << indices.getRank() << ", the input " << rank;
  if (output.getElementType() != input.getElementType())
    return emitOpError("result element type differs from the input's");
  if (output.getRank() != rank ||
      !llvm::all_of(
          llvm::zip(output.getShape(), indices.getShape()), [](auto dims) {
            return dimsCompatible(std::get<0>(dims), std::get<1>(dims));
          }))
    return emitOpError("result shape ")
           << shapeString(output.getShape()) << " differs from the indices' "
           << shapeString(indices.getShape());
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis && !input.isDynamicDim(i) && !indices.isDynamicDim(i) &&
        indices.getDimSize(i) > input.getDimSize(i))
      return emitOpError("indices dimension ")
             << i << " (" << indices.getDimSize(i)
             << ") is longer than the input's (" << input.getDimSize(i) << ")";
  return success();
}

LogicalResult hm::ScatterNdOp::verify() {
  auto input = rankedType(getInput()), indices = rankedType(getIndices());
  auto updates = rankedType(getUpdates());
  if (rankedType(getOutput()) != input)
    return emitOpError("result type differs from the input's");
  if (updates.getElementType() != input.getElementType())
    return emitOpError("updates element type differs from the input's");
  if (indices.getRank() < 1 || indices.isDynamicDim(indices.getRank() - 1))
    return emitOpError("indices need a static last dimension");
  int64_t k = indices.getShape().back();
  if (k < 1 || k > input.getRank())
    return emitOpError("indices name ")
           << k << " coordinates of a rank " << input.getRank() << " input";
  SmallVector<int64_t> expected(indices.getShape().drop_back());
  llvm::append_range(expected, input.getShape().drop_front(k));
  if (updates.getRank() != static_cast<int64_t>(expected.size()) ||
      !llvm::all_of(llvm::zip(updates.getShape(), expected), [](auto dims) {
        return dimsCompatible(std::get<0>(dims), std::get<1>(dims));
      }))
    return emitOpError("updates shape ")
           << shapeString(updates.getShape()) << " differs from "
           << shapeString(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult hm::TransposeOp::verify() {
  auto input = rankedType(getInput()), output = rankedType(getOutput());
  ArrayRef<int64_t> perm = getPerm();
  if (static_cast<int64_t>(perm.size()) != input.getRank())
    return emitOpError("perm has ")
           << perm.size() << " entries for rank " << input.getRank();
  SmallVector<bool> seen(perm.size(), false);
  for (int64_t p : perm) {
    if (p < 0 || p >= input.getRank() || seen[p])
      return emitOpError("perm is not a permutation of 0..")
             << input.getRank() - 1;
    seen[p] = true;
  }
  for (auto [i, p] : llvm::enumerate(perm))
    if (!dimsCompatible(output.getDimSize(i), input.getDimSize(p)))
      return emitOpError("result dim ")
             << i << " is " << output.getDimSize(i) << " but input dim " << p
             << " is " << input.getDimSize(p);
  return success();
}

OpFoldResult hm::TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if (static_cast<int64_t>(i) != p)
      return {};
  return getInput();
}

LogicalResult hm::ReshapeOp::verify() {
  auto input = rankedType(getInput()), output = rankedType(getOutput());
  if (input.hasStaticShape() && output.hasStaticShape() &&
      input.getNumElements() != output.getNumElements())
    return emitOpError("cannot reshape ")
           << shapeString(input.getShape()) << " (" << input.getNumElements()
           << " elements) to " << shapeString(output.getShape()) << " ("
           << output.getNumElements() << " elements)";
  if (input.getElementType() != output.getElementType())
    return emitOpError("reshape cannot change the element type");
  if (static_cast<int64_t>(getShape().size()) != output.getRank())
    return emitOpError("shape has ")
           << getShape().size() << " entries for a result of rank "
           << output.getRank();
  for (auto [i, entry] : llvm::enumerate(getShape())) {
    int64_t dim = output.getDimSize(i);
    if (auto value = dyn_cast<IntegerAttr>(entry)) {
      if (value.getInt() != dim)
        return emitOpError("shape entry ")
               << i << " is " << value.getInt() << " but the result dim is "
               << (ShapedType::isDynamic(dim) ? std::string("dynamic")
                                              : std::to_string(dim));
    } else if (auto expr = dyn_cast<StringAttr>(entry)) {
      if (!ShapedType::isDynamic(dim) || expr.getValue().empty())
        return emitOpError("shape entry ")
               << i << " is symbolic but the result dim is static";
    } else {
      return emitOpError("shape entries must be integers or symbol strings");
    }
  }
  return success();
}

OpFoldResult hm::ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getOutput().getType() &&
      rankedType(getInput()).hasStaticShape())
    return getInput();
  return {};
}

LogicalResult hm::SliceOp::verify() {
  size_t n = getAxes().size();
  if (getStarts().size() != n || getEnds().size() != n ||
      getSteps().size() != n)
    return emitOpError("axes, starts, ends and steps must have equal length");
  auto input = rankedType(getInput()), output = rankedType(getOutput());
  int64_t rank = input.getRank();
  if (output.getRank() != rank)
    return emitOpError("result rank ")
           << output.getRank() << " differs from the input rank " << rank;
  for (size_t i = 0; i < n; ++i) {
    int64_t axis = getAxes()[i], start = getStarts()[i], end = getEnds()[i],
            step = getSteps()[i];
    if (axis < 0 || axis >= rank)
      return emitOpError("axis ") << axis << " is out of range";
    if (step == 0)
      return emitOpError("step must not be zero");
    int64_t in = input.getDimSize(axis), out = output.getDimSize(axis);
    if (ShapedType::isDynamic(in) && ShapedType::isDynamic(out)) {
      if (step < 0 || start < 0 || end > 0)
        return emitOpError("a dynamic slice of axis ")
               << axis << " needs starts >= 0, steps > 0 and ends <= 0 "
               << "(counted from the end)";
      continue;
    }
    if (ShapedType::isDynamic(in)) {
      // Only index 0 of a dynamic axis is known to exist.
      if (start != 0 || end != 1 || step < 0 || out != 1)
        return emitOpError("a static slice of the dynamic axis ")
               << axis << " may only be [0, 1)";
      continue;
    }
    if (ShapedType::isDynamic(out))
      return emitOpError("a dynamic result needs a dynamic input axis, not ")
             << "axis " << axis << " of size " << in;
    if (start < 0 || start > (step > 0 ? in : in - 1) || end < -1 || end > in)
      return emitOpError("slice [")
             << start << ", " << end << ") is out of range for axis " << axis
             << " of size " << in;
    int64_t span = step > 0 ? end - start : start - end;
    int64_t stride = step > 0 ? step : step == INT64_MIN ? INT64_MAX : -step;
    int64_t count = span <= 0 ? 0 : 1 + (span - 1) / stride;
    if (out != count)
      return emitOpError("result dim ")
             << axis << " is " << out << ", the slice has " << count
             << " entries";
  }
  return success();
}

LogicalResult hm::ConcatOp::verify() {
  auto output = rankedType(getOutput());
  int64_t rank = output.getRank(), axis = getAxis();
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  int64_t total = 0;
  for (Value input : getInputs()) {
    auto type = rankedType(input);
    if (type.getRank() != rank ||
        type.getElementType() != output.getElementType())
      return emitOpError("inputs must have the result's rank and element "
                         "type");
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis &&
          !dimsCompatible(type.getDimSize(i), output.getDimSize(i)))
        return emitOpError("input shape ")
               << shapeString(type.getShape()) << " differs from the result "
               << shapeString(output.getShape()) << " outside the axis";
    total = ShapedType::isDynamic(type.getDimSize(axis)) || total < 0
                ? -1
                : total + type.getDimSize(axis);
  }
  if (total >= 0 && !dimsCompatible(output.getDimSize(axis), total))
    return emitOpError("result dim ")
           << axis << " is " << output.getDimSize(axis)
           << ", the inputs add up to " << total;
  return success();
}

LogicalResult hm::SliceToDimOp::verify() {
  int64_t rank = rankedType(getInput()).getRank();
  int64_t refRank = rankedType(getReference()).getRank();
  int64_t axis = getAxis(), referenceAxis = getReferenceAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range";
  if (referenceAxis < 0 || referenceAxis >= refRank)
    return emitOpError("reference_axis ")
           << getReferenceAxis() << " is out of range";
  return success();
}

LogicalResult hm::IotaOp::verify() {
  auto reference = rankedType(getReference());
  auto output = rankedType(getOutput());
  int64_t axis = getReferenceAxis();
  if (axis < 0 || axis >= reference.getRank())
    return emitOpError("reference_axis ") << axis << " is out of range";
  if (output.getRank() != 1)
    return emitOpError("result must be a vector, got ")
           << shapeString(output.getShape());
  if (!dimsCompatible(output.getDimSize(0), reference.getDimSize(axis)))
    return emitOpError("result length ")
           << output.getDimSize(0) << " differs from the reference dim "
           << reference.getDimSize(axis);
  return success();
}

LogicalResult hm::DimSizeOp::verify() {
  auto output = rankedType(getOutput());
  int64_t axis = getReferenceAxis();
  if (axis < 0 || axis >= rankedType(getReference()).getRank())
    return emitOpError("reference_axis ") << axis << " is out of range";
  if (!output.hasStaticShape() || output.getNumElements() != 1)
    return emitOpError("result must hold one element, got ")
           << shapeString(output.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// hyper_mix
//===----------------------------------------------------------------------===//

LogicalResult hm::HyperMixOp::verify() {
  auto input = rankedType(getInput());
  if (input.getRank() != 3)
    return emitOpError("input must be [B, N, d], got ")
           << shapeString(input.getShape());
  int64_t d = input.getDimSize(2), heads = getHeads();
  if (ShapedType::isDynamic(d))
    return emitOpError("the feature dimension d must be static");
  if (heads < 1 || d % heads != 0)
    return emitOpError("d = ") << d << " is not divisible by heads = " << heads;
  int64_t dh = d / heads;
  if (getPositional() != "none" && getPositional() != "sinusoidal" &&
      getPositional() != "table")
    return emitOpError("positional must be \"none\", \"sinusoidal\" or "
                       "\"table\", got \"")
           << getPositional() << "\"";
  if (getPositional() == "table" && !getPositionTable())
    return emitOpError("positional = \"table\" needs a position_table");
  if (getAlgorithm() != "two_phase" && getAlgorithm() != "reassociated" &&
      getAlgorithm() != "auto")
    return emitOpError("algorithm must be \"two_phase\", \"reassociated\" or "
                       "\"auto\", got \"")
           << getAlgorithm() << "\"";
  if (!isGeluApproximation(getGeluApproximate()))
    return emitOpError("gelu_approximate must be \"none\" or \"tanh\", got \"")
           << getGeluApproximate() << "\"";
  int64_t batch = input.getDimSize(0) < 0 ? -1 : input.getDimSize(0);
  if (getMask() &&
      failed(expectShape(
          *this, getMask(), "mask",
          {batch, input.getDimSize(1) < 0 ? -1 : input.getDimSize(1)})))
    return failure();
  if (static_cast<bool>(getKeys()) != static_cast<bool>(getValues()))
    return emitOpError("keys and values come together");
  if (getKeyMask() && !getKeys())
    return emitOpError("a key_mask needs keys and values");
  if (getKeys()) {
    if (failed(expectShape(*this, getKeys(), "keys", {batch, -1, d})))
      return failure();
    int64_t length = rankedType(getKeys()).getDimSize(1);
    if (length < 0)
      length = -1;
    if (failed(expectShape(*this, getValues(), "values", {batch, length, d})) ||
        (getKeyMask() &&
         failed(expectShape(*this, getKeyMask(), "key_mask", {batch, length}))))
      return failure();
  }

  int presentHyper2 = static_cast<bool>(getHyper2InWeight()) +
                      static_cast<bool>(getHyper2InBias()) +
                      static_cast<bool>(getHyper2OutWeight()) +
                      static_cast<bool>(getHyper2OutBias());
  if (presentHyper2 != 0 && presentHyper2 != 4)
    return emitOpError("hyper2 needs all four operands or none (tied)");
  if (static_cast<bool>(getGamma()) != static_cast<bool>(getBeta()))
    return emitOpError("norm needs both gamma and beta");
  auto inWeight = rankedType(getHyper1InWeight());
  auto outWeight = rankedType(getHyper1OutWeight());
  if (inWeight.getRank() != 3 || outWeight.getRank() != 3)
    return emitOpError("hypernetwork weights must be [h, f, d/h] and "
                       "[h, k/h, f]");
  int64_t hidden = inWeight.getDimSize(1), kh = outWeight.getDimSize(1);
  auto checkHypernetwork = [&](StringRef name, Value inW, Value inB, Value outW,
                               Value outB) -> LogicalResult {
    std::string prefix = name.str();
    if (failed(expectShape(*this, inW, prefix + " input weight",
                           {heads, hidden, dh})) ||
        failed(
            expectShape(*this, inB, prefix + " input bias", {heads, hidden})) ||
        failed(expectShape(*this, outW, prefix + " output weight",
                           {heads, kh, hidden})) ||
        failed(expectShape(*this, outB, prefix + " output bias", {heads, kh})))
      return failure();
    return success();
  };
  if (failed(checkHypernetwork("hypernetwork 1", getHyper1InWeight(),
                               getHyper1InBias(), getHyper1OutWeight(),
                               getHyper1OutBias())))
    return failure();
  if (getHyper2InWeight() &&
      failed(checkHypernetwork("hypernetwork 2", getHyper2InWeight(),
                               getHyper2InBias(), getHyper2OutWeight(),
                               getHyper2OutBias())))
    return failure();
  if (static_cast<bool>(getGamma()) != getLayerNormEpsilon().has_value())
    return emitOpError("layer_norm_epsilon must be set exactly when the "
                       "norm(gamma, beta) operands are present");
  if (getGamma() && (failed(expectShape(*this, getGamma(), "gamma", {d})) ||
                     failed(expectShape(*this, getBeta(), "beta", {d}))))
    return failure();
  if (getPositionTable()) {
    if (getPositional() == "none")
      return emitOpError("a position_table needs positional = \"sinusoidal\" "
                         "or \"table\"");
    if (failed(
            expectShape(*this, getPositionTable(), "position_table", {-1, d})))
      return failure();
  }
  if (rankedType(getOutput()).getShape() != input.getShape() ||
      rankedType(getOutput()).getElementType() != input.getElementType())
    return emitOpError("result type must equal the input type");
  return success();
}

#define GET_OP_CLASSES
#include "hm/HMOps.cpp.inc"
