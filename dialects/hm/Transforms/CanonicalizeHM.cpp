//===- CanonicalizeHM.cpp - normalise exporter forms ----------------------===//
//
// Exporters spell the same math in different ways. These patterns rewrite
// the spellings torch.onnx produces into single hm ops, so the fusion pass
// and the backend see one form:
//   x * 0.5 * (1 + erf(x / sqrt 2))          -> hm.gelu x
//   x * 0.5 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//        -> hm.gelu x {approximate = "tanh"}
//   (x - mean) / sqrt(var + eps) * g + b     -> hm.layer_norm x (opset <= 16)
//   linear(x, W) + b                         -> hm.linear x, W, b
//   f(reshape(x))                            -> reshape(f(x)) for casts, and
//                                               for merges of dynamic dims
//                                               below ops that commute
//   reshape(reshape(x))                      -> reshape(x)
//   transpose(x) moving only unit dims       -> reshape(x)
//
//===----------------------------------------------------------------------===//

#include "hm/ConstantData.h"
#include "hm/DimNames.h"
#include "hm/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <array>
#include <cmath>

namespace hm {
#define GEN_PASS_DEF_CANONICALIZEHM
#include "hm/Passes.h.inc"

using namespace mlir;

namespace {

// The operand of a commutative binary op that is not `known`, or null.
template <typename OpTy> Value otherOperand(OpTy op, Value known) {
  if (op.getLhs() == known)
    return op.getRhs();
  if (op.getRhs() == known)
    return op.getLhs();
  return {};
}

template <typename OpTy> OpTy singleUser(Value value) {
  if (!value.hasOneUse())
    return {};
  return dyn_cast<OpTy>(*value.getUsers().begin());
}

bool isScalar(Value value, double expected, double tolerance = 1e-6) {
  std::optional<double> v = getScalarConstant(value);
  return v && std::abs(*v - expected) <= tolerance * std::abs(expected);
}

// The readings of a GELU's product 0.5 * x * g around its `g` (1 + erf or
// 1 + tanh), one per association order: each gives x and the op computing
// the whole product.
SmallVector<std::pair<Value, Operation *>, 3> halfProducts(Value g) {
  SmallVector<std::pair<Value, Operation *>, 3> readings;
  auto outer = singleUser<MulOp>(g);
  if (!outer)
    return readings;
  Value factor = otherOperand(outer, g);
  // (x * g) * 0.5
  if (auto half = singleUser<MulOp>(outer.getOutput()))
    if (isScalar(otherOperand(half, outer.getOutput()), 0.5))
      readings.push_back({factor, half});
  // (0.5 * x) * g
  if (auto halfX = factor.getDefiningOp<MulOp>())
    for (auto [half, x] : {std::pair(halfX.getLhs(), halfX.getRhs()),
                           std::pair(halfX.getRhs(), halfX.getLhs())})
      if (isScalar(half, 0.5))
        readings.push_back({x, outer});
  // (0.5 * g) * x
  if (isScalar(factor, 0.5))
    if (auto timesX = singleUser<MulOp>(outer.getOutput()))
      readings.push_back({otherOperand(timesX, outer.getOutput()), timesX});
  return readings;
}

// Replaces the product `root` computes with hm.gelu x, unless the product
// broadcasts x to another type.
bool replaceWithGelu(Operation *root, Value x, StringRef approximate,
                     PatternRewriter &rewriter) {
  if (root->getResult(0).getType() != x.getType())
    return false;
  rewriter.replaceOpWithNewOp<GeluOp>(root, x.getType(), x, approximate);
  return true;
}

struct GeluFromErf : OpRewritePattern<ErfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ErfOp erf,
                                PatternRewriter &rewriter) const override {
    // erf(x / sqrt 2) or erf(x * (1 / sqrt 2)).
    Value x;
    if (auto div = erf.getInput().getDefiningOp<DivOp>()) {
      if (isScalar(div.getRhs(), M_SQRT2))
        x = div.getLhs();
    } else if (auto mul = erf.getInput().getDefiningOp<MulOp>()) {
      if (isScalar(mul.getRhs(), M_SQRT1_2))
        x = mul.getLhs();
      else if (isScalar(mul.getLhs(), M_SQRT1_2))
        x = mul.getRhs();
    }
    if (!x)
      return rewriter.notifyMatchFailure(erf, "argument is not x / sqrt 2");
    auto onePlus = singleUser<AddOp>(erf.getOutput());
    if (!onePlus || !isScalar(otherOperand(onePlus, erf.getOutput()), 1.0))
      return rewriter.notifyMatchFailure(erf, "no 1 + erf(...)");
    for (auto [candidate, root] : halfProducts(onePlus.getOutput()))
      if (candidate == x && replaceWithGelu(root, x, "none", rewriter))
        return success();
    return rewriter.notifyMatchFailure(erf, "not the GELU product");
  }
};

// Coefficients of x^0 to x^3 of a polynomial in x.
using Polynomial = std::array<double, 4>;

// `value` as a polynomial in `x` of degree at most 3, built from x, scalar
// constants, +, *, division by a constant, small integer powers and square
// roots of constants; else nullopt.
std::optional<Polynomial> polynomialIn(Value value, Value x, int depth = 0) {
  if (value == x)
    return Polynomial{0, 1, 0, 0};
  if (std::optional<double> c = getScalarConstant(value))
    return Polynomial{*c, 0, 0, 0};
  Operation *op = value.getDefiningOp();
  if (!op || depth > 8)
    return std::nullopt;
  auto operand = [&](int i) {
    return polynomialIn(op->getOperand(i), x, depth + 1);
  };
  auto times = [](const Polynomial &a,
                  const Polynomial &b) -> std::optional<Polynomial> {
    Polynomial product{};
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        if (a[i] == 0 || b[j] == 0)
          continue;
        if (i + j > 3)
          return std::nullopt;
        product[i + j] += a[i] * b[j];
      }
    return product;
  };
  if (isa<AddOp>(op)) {
    std::optional<Polynomial> a = operand(0), b = operand(1);
    if (!a || !b)
      return std::nullopt;
    for (int i = 0; i < 4; ++i)
      (*a)[i] += (*b)[i];
    return a;
  }
  if (isa<MulOp>(op)) {
    std::optional<Polynomial> a = operand(0), b = operand(1);
    return a && b ? times(*a, *b) : std::nullopt;
  }
  if (isa<DivOp>(op)) {
    std::optional<double> divisor = getScalarConstant(op->getOperand(1));
    std::optional<Polynomial> a = operand(0);
    if (!a || !divisor || *divisor == 0)
      return std::nullopt;
    for (double &coefficient : *a)
      coefficient /= *divisor;
    return a;
  }
  if (isa<SqrtOp>(op)) { // of a constant: the dynamo exporter's sqrt(2 / pi)
    std::optional<Polynomial> a = operand(0);
    if (!a || (*a)[1] != 0 || (*a)[2] != 0 || (*a)[3] != 0 || (*a)[0] < 0)
      return std::nullopt;
    return Polynomial{std::sqrt((*a)[0]), 0, 0, 0};
  }
  if (isa<PowOp>(op)) {
    std::optional<double> power = getScalarConstant(op->getOperand(1));
    std::optional<Polynomial> base = operand(0);
    if (!base || !power || (*power != 2 && *power != 3))
      return std::nullopt;
    std::optional<Polynomial> result = base;
    for (int i = 1; i < *power && result; ++i)
      result = times(*result, *base);
    return result;
  }
  return std::nullopt;
}

// torch's tanh GELU, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in
// any association order and in the factored form sqrt(2/pi) x (1 + 0.044715
// x^2) that fused implementations write.
struct GeluFromTanh : OpRewritePattern<TanhOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool isTanhGeluArgument(Value argument, Value x) {
    std::optional<Polynomial> p = polynomialIn(argument, x);
    if (!p)
      return false;
    const Polynomial &coefficient = *p;
    const double slope = std::sqrt(2 / M_PI), cubic = 0.044715;
    // 1e-5: exporters round the constants, e.g. sqrt(2/pi) * 0.044715 written
    // as 0.0356774.
    return coefficient[0] == 0 && coefficient[2] == 0 &&
           std::abs(coefficient[1] - slope) <= 1e-5 * slope &&
           std::abs(coefficient[3] / coefficient[1] - cubic) <= 1e-5 * cubic;
  }

  LogicalResult matchAndRewrite(TanhOp tanh,
                                PatternRewriter &rewriter) const override {
    auto onePlus = singleUser<AddOp>(tanh.getOutput());
    if (!onePlus || !isScalar(otherOperand(onePlus, tanh.getOutput()), 1.0))
      return rewriter.notifyMatchFailure(tanh, "no 1 + tanh(...)");
    for (auto [x, root] : halfProducts(onePlus.getOutput()))
      if (x && isTanhGeluArgument(tanh.getInput(), x) &&
          replaceWithGelu(root, x, "tanh", rewriter))
        return success();
    return rewriter.notifyMatchFailure(tanh, "not the tanh GELU");
  }
};

struct LayerNormFromParts : OpRewritePattern<ReduceMeanOp> {
  using OpRewritePattern::OpRewritePattern;

  // The number k of trailing axes a keepdims mean of `input` reduces (the
  // last k, in any order and sign), or 0.
  static int64_t trailingAxes(ReduceMeanOp op, Value input) {
    if (!op || op.getInput() != input || !op.getKeepdims())
      return 0;
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    SmallVector<int64_t> axes;
    for (int64_t a : op.getAxes())
      axes.push_back(a < 0 ? a + rank : a);
    llvm::sort(axes);
    int64_t k = static_cast<int64_t>(axes.size());
    for (int64_t i = 0; i < k; ++i)
      if (axes[i] != rank - k + i)
        return 0;
    return k;
  }

  LogicalResult matchAndRewrite(ReduceMeanOp mean,
                                PatternRewriter &rewriter) const override {
    Value x = mean.getInput();
    int64_t axes = trailingAxes(mean, x);
    if (axes == 0)
      return failure();
    SubOp centred;
    for (Operation *user : mean.getOutput().getUsers())
      if (auto sub = dyn_cast<SubOp>(user))
        if (sub.getLhs() == x && sub.getRhs() == mean.getOutput())
          centred = sub;
    if (!centred)
      return rewriter.notifyMatchFailure(mean, "no x - mean(x)");
    Value d = centred.getOutput();

    DivOp normalised;
    Value squared;
    for (Operation *user : d.getUsers()) {
      if (auto pow = dyn_cast<PowOp>(user)) {
        if (pow.getLhs() == d && isScalar(pow.getRhs(), 2.0))
          squared = pow.getOutput();
      } else if (auto mul = dyn_cast<MulOp>(user)) {
        if (mul.getLhs() == d && mul.getRhs() == d)
          squared = mul.getOutput();
      } else if (auto div = dyn_cast<DivOp>(user)) {
        if (div.getLhs() == d)
          normalised = div;
      }
    }
    if (!squared || !normalised)
      return rewriter.notifyMatchFailure(mean, "no variance or division");
    auto variance = singleUser<ReduceMeanOp>(squared);
    if (trailingAxes(variance, squared) != axes)
      return rewriter.notifyMatchFailure(mean, "variance is not a mean");
    auto plusEps = singleUser<AddOp>(variance.getOutput());
    if (!plusEps)
      return rewriter.notifyMatchFailure(mean, "no variance + eps");
    std::optional<double> eps =
        getScalarConstant(otherOperand(plusEps, variance.getOutput()));
    auto root = singleUser<SqrtOp>(plusEps.getOutput());
    if (!eps || *eps <= 0 || !root || normalised.getRhs() != root.getOutput())
      return rewriter.notifyMatchFailure(mean, "no division by sqrt(var+eps)");

    // Optional affine tail: * gamma, + beta, each a constant over the
    // normalised trailing dimensions. The kernel's parameters are weights
    // of those dimensions, so they must be static (a GroupNorm normalises
    // channels x time: its reductions stay).
    ArrayRef<int64_t> trailing =
        cast<RankedTensorType>(x.getType()).getShape().take_back(axes);
    if (ShapedType::isDynamicShape(trailing))
      return rewriter.notifyMatchFailure(mean, "normalises a dynamic dim");
    auto lastDimConstant = [&](Value v) {
      auto type = dyn_cast<RankedTensorType>(v.getType());
      return v.getDefiningOp<ConstantOp>() && type &&
             type.getShape() == trailing;
    };
    Operation *last = normalised;
    Value gamma, beta;
    if (auto scale = singleUser<MulOp>(last->getResult(0))) {
      Value g = otherOperand(scale, last->getResult(0));
      if (g && lastDimConstant(g)) {
        gamma = g;
        last = scale;
      }
    }
    if (auto shift = singleUser<AddOp>(last->getResult(0))) {
      Value b = otherOperand(shift, last->getResult(0));
      if (b && lastDimConstant(b)) {
        beta = b;
        last = shift;
      }
    }
    if (last->getResult(0).getType() != x.getType())
      return rewriter.notifyMatchFailure(mean, "result type differs");
    rewriter.setInsertionPoint(last);
    Value result = rewriter.create<LayerNormOp>(
        last->getLoc(), x.getType(), x, gamma, beta,
        rewriter.getI64IntegerAttr(-axes), rewriter.getF64FloatAttr(*eps));
    rewriter.replaceOp(last, result);
    return success();
  }
};

// A per-channel scale or shift after a convolution (an inference
// BatchNormalization) folds into the convolution's weights and bias.
template <typename OpTy> struct ChannelAffineIntoConv : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    for (auto [product, constant] : {std::pair(op.getLhs(), op.getRhs()),
                                     std::pair(op.getRhs(), op.getLhs())}) {
      auto conv = product.template getDefiningOp<ConvOp>();
      if (!conv || !product.hasOneUse() || op.getType() != conv.getType() ||
          !constant.template getDefiningOp<ConstantOp>())
        continue;
      // The constant must be [C] over the channel axis: [C, 1, ..., 1].
      auto type = cast<RankedTensorType>(constant.getType());
      auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
      int64_t channels = weightType.getDimSize(0);
      int64_t spatial = weightType.getRank() - 2;
      if (type.getRank() != spatial + 1 || type.getDimSize(0) != channels ||
          llvm::any_of(type.getShape().drop_front(),
                       [](int64_t d) { return d != 1; }))
        continue;
      auto values = getConstantValues(constant);
      auto weights = getConstantValues(conv.getWeight());
      std::optional<std::vector<double>> bias =
          conv.getBias() ? getConstantValues(conv.getBias())
                         : std::vector<double>(channels, 0.0);
      if (!values || !weights || !bias)
        continue;
      bool scale = std::is_same_v<OpTy, MulOp>;
      int64_t perChannel = static_cast<int64_t>(weights->size()) / channels;
      for (int64_t c = 0; c < channels; ++c) {
        double v = (*values)[c];
        if (scale)
          for (int64_t i = 0; i < perChannel; ++i)
            (*weights)[c * perChannel + i] *= v;
        (*bias)[c] = scale ? (*bias)[c] * v : (*bias)[c] + v;
      }
      Location loc = op.getLoc();
      Value newWeight =
          scale ? createFloat32Constant(rewriter, loc, weightType.getShape(),
                                        *weights, "conv.folded_weight")
                      .getResult()
                : conv.getWeight();
      Value newBias = createFloat32Constant(rewriter, loc, {channels}, *bias,
                                            "conv.folded_bias");
      rewriter.replaceOpWithNewOp<ConvOp>(
          op, op.getType(), conv.getInput(), newWeight, newBias,
          conv.getStridesAttr(), conv.getDilationsAttr(), conv.getPadsAttr(),
          conv.getGroupsAttr());
      return success();
    }
    return failure();
  }
};

struct LinearBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [product, bias] : {std::pair(add.getLhs(), add.getRhs()),
                                 std::pair(add.getRhs(), add.getLhs())}) {
      auto linear = product.getDefiningOp<LinearOp>();
      if (!linear || linear.getBias() || !product.hasOneUse() ||
          !bias.getDefiningOp<ConstantOp>())
        continue;
      auto type = cast<RankedTensorType>(bias.getType());
      int64_t width =
          cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(1);
      if (type.getRank() != 1 || type.getDimSize(0) != width ||
          add.getType() != linear.getType())
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(
          add, add.getType(), linear.getInput(), linear.getWeight(), bias);
      return success();
    }
    return failure();
  }
};

// f(reshape(x)) -> reshape(f(x)) for ops f that commute with the reshape.
// Two reshapes move:
// - any reshape below a cast: element conversions happen before layout
//   changes, so e.g. a mask cast after its unsqueeze is found in its [B, N]
//   form;
// - a reshape that merges dynamic dimensions (x.reshape(-1, d): [B, N, d] to
//   [B*N, d]), which has no kernel of its own, below elementwise ops and
//   below ops on whole rows of a last dimension it keeps (linear, layer norm
//   and softmax over that axis), until it meets its inverse (the
//   .view(B, N, d) after the layer) and the two compose away.
bool mergesDynamicDims(ReshapeOp reshape) {
  return llvm::any_of(reshape.getShape(), [](Attribute dim) {
    auto product = dyn_cast<StringAttr>(dim);
    return product && product.getValue().contains('*');
  });
}

// Whether the reshape keeps the innermost dimension (static, same size).
bool keepsLastDim(ReshapeOp reshape) {
  auto in = cast<RankedTensorType>(reshape.getInput().getType());
  auto out = cast<RankedTensorType>(reshape.getType());
  return in.getRank() >= 1 && out.getRank() >= 1 &&
         !ShapedType::isDynamic(in.getShape().back()) &&
         in.getShape().back() == out.getShape().back();
}

// Whether `axis` (negative counts from the end) is the last of `rank`.
bool isLastAxis(int64_t axis, int64_t rank) {
  return axis == -1 || axis == rank - 1;
}

struct SinkReshape : RewritePattern {
  SinkReshape(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    // Only ops with one tensor result move (not the function's return).
    auto reshape = op->getNumOperands() > 0 && op->getNumResults() == 1
                       ? op->getOperand(0).getDefiningOp<ReshapeOp>()
                       : ReshapeOp();
    if (!reshape || (!isa<CastOp>(op) && !mergesDynamicDims(reshape)))
      return failure();
    auto inputType = cast<RankedTensorType>(reshape.getInput().getType());
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!resultType)
      return failure();
    int64_t rank = resultType.getRank(), movedRank = inputType.getRank();
    SmallVector<Attribute> shape(reshape.getShape().begin(),
                                 reshape.getShape().end());
    Type movedType = inputType.clone(resultType.getElementType());
    NamedAttrList attrs(op->getAttrs());

    if (isa<CastOp, ErfOp, GeluOp, NegOp, AbsOp, SqrtOp, SigmoidOp, TanhOp,
            ExpOp, LogOp, ReluOp, LeakyReluOp, RoundOp, FloorOp, CeilOp, SinOp,
            CosOp>(op)) {
      // Elementwise: any reshape commutes.
    } else if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp>(op)) {
      // The other operand must broadcast the same way before and after:
      // a constant scalar, or a vector along a last dimension that stays.
      Value other = op->getOperand(1);
      auto otherType = cast<RankedTensorType>(other.getType());
      if (!other.getDefiningOp<ConstantOp>() || otherType.getRank() > 1 ||
          (otherType.getNumElements() != 1 && !keepsLastDim(reshape)) ||
          resultType != reshape.getType())
        return failure();
    } else if (isa<LinearOp>(op)) {
      if (!keepsLastDim(reshape))
        return failure();
      int64_t width = resultType.getShape().back();
      SmallVector<int64_t> dims(inputType.getShape());
      dims.back() = width;
      movedType = RankedTensorType::get(dims, resultType.getElementType());
      shape.back() = rewriter.getI64IntegerAttr(width);
    } else if (isa<LayerNormOp, SoftmaxOp, LogSoftmaxOp>(op)) {
      auto axis = op->getAttrOfType<IntegerAttr>("axis");
      if (!keepsLastDim(reshape) ||
          !isLastAxis(axis ? axis.getInt() : -1, rank))
        return failure();
      // Softmax axes are stored counted from the front, layer norm's from
      // the end (its default).
      attrs.set("axis", rewriter.getI64IntegerAttr(
                            isa<LayerNormOp>(op) ? -1 : movedRank - 1));
    } else {
      return failure();
    }

    SmallVector<Value> operands(op->getOperands());
    operands[0] = reshape.getInput();
    OperationState state(op->getLoc(), op->getName(), operands, {movedType},
                         attrs);
    Operation *moved = rewriter.create(state);
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, resultType, moved->getResult(0),
                                           rewriter.getArrayAttr(shape));
    return success();
  }
};

struct ReshapeOfReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp outer,
                                PatternRewriter &rewriter) const override {
    auto inner = outer.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(outer, outer.getType(),
                                           inner.getInput(), outer.getShape());
    return success();
  }
};

// x.transpose(1, 2) of [B, 1, T] keeps the data in place: a reshape, which
// the rewrites above see through (ESPnet's mask[:, None, :].transpose(1, 2)).
struct UnitTransposeAsReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp transpose,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> dims =
        cast<RankedTensorType>(transpose.getInput().getType()).getShape();
    int64_t previous = -1;
    for (int64_t axis : transpose.getPerm()) {
      if (dims[axis] == 1)
        continue;
      if (axis < previous)
        return failure();
      previous = axis;
    }
    std::optional<SmallVector<Attribute>> names = dimNames(transpose);
    if (!names)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(transpose, transpose.getType(),
                                           transpose.getInput(),
                                           rewriter.getArrayAttr(*names));
    return success();
  }
};

struct CanonicalizeHMPass : impl::CanonicalizeHMBase<CanonicalizeHMPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<GeluFromErf, GeluFromTanh, LayerNormFromParts, LinearBias,
                 SinkReshape, ReshapeOfReshape, UnitTransposeAsReshape,
                 ChannelAffineIntoConv<MulOp>, ChannelAffineIntoConv<AddOp>>(
        &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace hm
