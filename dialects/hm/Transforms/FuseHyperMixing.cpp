//===- FuseHyperMixing.cpp - subgraph -> hm.hyper_mix ---------------------===//
//
// Finds the token mixing core of HyperMixing, Y = W2 gelu(W1^T Xm), by its
// dataflow rather than by one exporter's node order: a GELU between two
// products of run-time tensors. From there it walks, looking through reshapes
// and transposes, to the hypernetworks (Einsum with per-head weights, batched
// products with per-head weight stacks, dense layers, or pointwise Conv1d
// layers with a group per head; heads written one at a time on channel slices
// and concatenated are stacked), the mask, the
// position table (or positions computed from the length) and the final
// LayerNorm, and
// re-lays out the weights into hm.hyper_mix's canonical form.
//
// Layout conventions differ between implementations, so the rewrite is only
// committed after the float64 evaluator shows that the fused op reproduces
// the subgraph on random inputs. Every rejected candidate gets a remark that
// names the failed check (hmc compile -v shows them).
//
//===----------------------------------------------------------------------===//

#include "hm/ConstantData.h"
#include "hm/DimNames.h"
#include "hm/Evaluator.h"
#include "hm/Passes.h"

#include "mlir/IR/Builders.h"

#include <cmath>

namespace hm {
#define GEN_PASS_DEF_FUSEHYPERMIXING
#include "hm/Passes.h.inc"

using namespace mlir;

namespace {

// Float64 agreement required between the subgraph and the fused op.
constexpr double kVerifyTolerance = 1e-6;
// Largest deviation of a stored table from the sinusoid formula that still
// counts as sinusoidal (tables computed in float32 drift with position).
constexpr double kTableTolerance = 2e-3;

bool isLayoutOp(Operation *op) {
  return op && (isa<ReshapeOp, TransposeOp>(op) ||
                (isa<CastOp>(op) &&
                 op->getOperand(0).getType() == op->getResult(0).getType()));
}

// Float arithmetic applied entry by entry (an activation written out).
bool isElementwise(Operation *op) {
  return op && isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ErfOp,
                   GeluOp, NegOp, SqrtOp, SigmoidOp, TanhOp, ExpOp, LogOp,
                   ReluOp, LeakyReluOp, AbsOp>(op);
}

// An elementwise op that is not affine in its run-time operand.
bool isNonlinear(Operation *op) {
  return isElementwise(op) && !isa<AddOp, SubOp, MulOp, DivOp, NegOp>(op);
}

Value skipLayout(Value value) {
  while (isLayoutOp(value.getDefiningOp()))
    value = value.getDefiningOp()->getOperand(0);
  return value;
}

// Follows `value` forward through single-use layout ops.
Value followLayout(Value value) {
  while (value.hasOneUse() && isLayoutOp(*value.getUsers().begin()))
    value = (*value.getUsers().begin())->getResult(0);
  return value;
}

bool isConstant(Value value) {
  return static_cast<bool>(skipLayout(value).getDefiningOp<ConstantOp>());
}

// The positions of a mask's B and N: all of a rank-2 shape, else those
// left after static 1s are dropped, last first, down to rank 2 (ESPnet's
// [B, 1, N]; a static batch of 1 stays).
SmallVector<int64_t> tokenAxes(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    axes.push_back(i);
  for (int64_t i = shape.size(); i-- > 0 && axes.size() > 2;)
    if (shape[i] == 1)
      axes.erase(axes.begin() + i);
  return axes;
}

// Whether `root` ([B, N] after layout ops, or with unit dims between)
// lines up with the tokens' B, N.
bool alongTokens(Value root, Value tokens) {
  auto type = dyn_cast<RankedTensorType>(root.getType());
  auto tokenType = cast<RankedTensorType>(tokens.getType());
  if (!type || tokenType.getRank() < 2)
    return false;
  SmallVector<int64_t> axes = tokenAxes(type.getShape());
  if (axes.size() != 2)
    return false;
  auto same = [](int64_t a, int64_t b) {
    return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
  };
  return same(type.getDimSize(axes[0]), tokenType.getDimSize(0)) &&
         same(type.getDimSize(axes[1]), tokenType.getDimSize(1));
}

bool isZero(Value value);

// `value` without the zeros added to it: m.expand_as(x) exports as m + zeros
// of x's shape.
Value skipBroadcast(Value value) {
  while (auto add = skipLayout(value).getDefiningOp<AddOp>()) {
    if (isZero(add.getRhs()))
      value = add.getLhs();
    else if (isZero(add.getLhs()))
      value = add.getRhs();
    else
      break;
  }
  return value;
}

// A [B, N] float validity mask (before broadcasting), or null.
Value asMask(Value value, Value tokens) {
  Value root = skipLayout(skipBroadcast(value));
  auto type = dyn_cast<RankedTensorType>(root.getType());
  if (!type || !type.getElementType().isF32() || isConstant(root) ||
      !alongTokens(root, tokens))
    return {};
  return root;
}

// What a mask keeps, however it is spelled: a float mask used as it is, or
// the bool [B, N] tensor a 0/1 mask is computed from and whether true means
// "keep" (x * cast(not(pad)), x.masked_fill(pad, 0),
// x.masked_fill(m == 0, 0) and torch.where(m > 0, x, 0) all keep ~pad).
struct MaskKey {
  Value root;
  bool keepsTrue = true;
  bool operator==(const MaskKey &other) const {
    return root == other.root && keepsTrue == other.keepsTrue;
  }
};

// Whether `value` is computed from tensor shapes and constants only (e.g.
// sinusoids of an hm.iota), never from the values of the function's inputs.
bool dependsOnShapesOnly(Value value) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return false; // a function argument's values
  if (isa<IotaOp, DimSizeOp, ConstantOp>(op))
    return true;
  // A table prefix reads only its reference's dimension.
  if (auto prefix = dyn_cast<SliceToDimOp>(op))
    return dependsOnShapesOnly(prefix.getInput());
  return llvm::all_of(op->getOperands(), dependsOnShapesOnly);
}

// A zero: a splat constant, or a zero tensor of run-time size
// (torch.zeros_like exports as broadcasts of iota * 0).
bool isZero(Value value) {
  value = skipLayout(value);
  if (std::optional<double> v = getScalarConstant(value))
    return *v == 0.0;
  if (!dependsOnShapesOnly(value))
    return false;
  if (auto mul = value.getDefiningOp<MulOp>())
    return isZero(mul.getLhs()) || isZero(mul.getRhs());
  if (auto add = value.getDefiningOp<AddOp>())
    return isZero(add.getLhs()) && isZero(add.getRhs());
  return false;
}

bool isBool(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType().isInteger(1);
}

std::optional<MaskKey> floatMaskKey(Value value, Value tokens);

// The key of a bool condition that is true where it keeps.
std::optional<MaskKey> conditionKey(Value condition, Value tokens) {
  Value root = skipLayout(condition);
  if (auto negated = root.getDefiningOp<NotOp>()) {
    std::optional<MaskKey> key = conditionKey(negated.getInput(), tokens);
    if (key)
      key->keepsTrue = !key->keepsTrue;
    return key;
  }
  // m == 0 (masked_fill(m == 0, 0)) and 0 < m (m > 0) of a 0/1 mask m cast
  // from bool key as that bool.
  Value m, zero;
  bool flip = false;
  if (auto equal = root.getDefiningOp<EqualOp>()) {
    std::tie(m, zero) = isZero(equal.getRhs())
                            ? std::pair(equal.getLhs(), equal.getRhs())
                            : std::pair(equal.getRhs(), equal.getLhs());
    flip = true;
  } else if (auto less = root.getDefiningOp<LessOp>()) {
    std::tie(m, zero) = std::pair(less.getRhs(), less.getLhs());
  }
  if (m && isZero(zero)) {
    std::optional<MaskKey> key = floatMaskKey(m, tokens);
    if (key && isBool(key->root)) {
      key->keepsTrue ^= flip;
      return key;
    }
  }
  // Any other [B, N] condition is its own key (mask > 0 of a float mask
  // keeps whole rows, as a 0/1 mask does).
  if (!isBool(root) || isConstant(root) || !alongTokens(root, tokens))
    return std::nullopt;
  return MaskKey{root, true};
}

// The key of a float mask: cast(bool condition) keys as the condition.
std::optional<MaskKey> floatMaskKey(Value value, Value tokens) {
  Value root = skipLayout(skipBroadcast(value));
  if (auto converted = root.getDefiningOp<CastOp>();
      converted && isBool(converted.getInput()))
    return conditionKey(converted.getInput(), tokens);
  if (Value mask = asMask(value, tokens))
    return MaskKey{mask, true};
  return std::nullopt;
}

// How a value is masked: its key, and the float mask it is multiplied by
// (null for a select, which has no float mask to pass on).
struct MaskUse {
  std::optional<MaskKey> key;
  Value factor;
};

// Splits a masked value: other * mask (either order), or a select that
// zeroes the masked rows (where(c, x, 0), where(c, 0, x)).
Value stripMask(Value value, Value tokens, MaskUse &mask) {
  if (auto mul = value.getDefiningOp<MulOp>()) {
    for (auto [data, factor] : {std::pair(mul.getLhs(), mul.getRhs()),
                                std::pair(mul.getRhs(), mul.getLhs())}) {
      if (Value m = asMask(factor, tokens)) {
        mask = {floatMaskKey(factor, tokens).value_or(MaskKey{m, true}), m};
        return data;
      }
    }
    return value;
  }
  if (auto select = value.getDefiningOp<WhereOp>()) {
    bool zeroWhenTrue = isZero(select.getX());
    if (!zeroWhenTrue && !isZero(select.getY()))
      return value;
    std::optional<MaskKey> key = conditionKey(select.getCondition(), tokens);
    if (!key)
      return value;
    if (zeroWhenTrue)
      key->keepsTrue = !key->keepsTrue;
    mask = {key, Value()};
    return zeroWhenTrue ? select.getY() : select.getX();
  }
  return value;
}

// One dense layer of a hypernetwork in canonical per-head form:
// weight [h, out, in], bias [h, out].
struct Layer {
  int64_t heads = 0, out = 0, in = 0;
  std::vector<double> weight, bias;
  Value input;
};

struct Hypernetwork {
  Layer first, second;
  MaskUse mask; // how its output is masked, if it is
  Value output;
  StringRef geluApproximate; // the hidden GELU's form, "none" or "tanh"
};

class Matcher {
public:
  std::string failure;
  int layersMatched = 0; // how far the match got, to report the best probe

  bool fail(const std::string &why) {
    if (failure.empty())
      failure = why;
    return false;
  }

  // bias: a constant added to `value`, giving per-(head, out) values laid
  // out like the product's axes `headAxis` / `outAxis` (-1 = absent).
  bool readBias(Value biasValue, RankedTensorType productType, int64_t headAxis,
                int64_t outAxis, Layer &layer) {
    // Bias-free hypernetworks (the idiap reference's default) add zeros.
    if (!biasValue) {
      layer.bias.assign(layer.heads * layer.out, 0.0);
      return true;
    }
    auto values = getConstantValues(skipLayout(biasValue));
    auto type = cast<RankedTensorType>(skipLayout(biasValue).getType());
    if (!values)
      return fail("hypernetwork bias is not a constant");
    // Right-align the bias against the product, as broadcasting does.
    int64_t shift = productType.getRank() - type.getRank();
    if (shift < 0)
      return fail("hypernetwork bias has a higher rank than its layer");
    std::vector<int64_t> strides(type.getRank(), 0);
    int64_t s = 1;
    for (int64_t i = type.getRank() - 1; i >= 0; --i) {
      strides[i] = type.getDimSize(i) == 1 ? 0 : s;
      s *= type.getDimSize(i);
    }
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.getDimSize(i) != 1 && i + shift != headAxis &&
          i + shift != outAxis)
        return fail("hypernetwork bias varies along a token axis");
    auto strideOf = [&](int64_t axis) {
      return axis >= shift ? strides[axis - shift] : 0;
    };
    layer.bias.assign(layer.heads * layer.out, 0.0);
    for (int64_t j = 0; j < layer.heads; ++j)
      for (int64_t o = 0; o < layer.out; ++o)
        layer.bias[j * layer.out + o] =
            (*values)[(headAxis >= 0 ? j * strideOf(headAxis) : 0) +
                      o * strideOf(outAxis)];
    return true;
  }

  // value = layer(input) [+ bias]: Einsum with per-head weights, or a dense
  // layer (hm.linear) seen as one head.
  bool matchLayer(Value value, Layer &layer) {
    value = skipLayout(value);
    Value biasValue;
    Operation *producer = value.getDefiningOp();
    if (auto add = dyn_cast_or_null<AddOp>(producer)) {
      for (auto [data, bias] : {std::pair(add.getLhs(), add.getRhs()),
                                std::pair(add.getRhs(), add.getLhs())}) {
        if (isConstant(bias) && !isConstant(data)) {
          biasValue = bias;
          producer = skipLayout(data).getDefiningOp();
          break;
        }
      }
    }
    if (auto linear = dyn_cast_or_null<LinearOp>(producer)) {
      auto weight = getConstantValues(linear.getWeight());
      if (!weight)
        return fail("dense hypernetwork weight is not a constant");
      auto type = cast<RankedTensorType>(linear.getWeight().getType());
      layer.heads = 1;
      layer.in = type.getDimSize(0);
      layer.out = type.getDimSize(1);
      layer.weight.resize(layer.in * layer.out);
      for (int64_t i = 0; i < layer.in; ++i)
        for (int64_t o = 0; o < layer.out; ++o)
          layer.weight[o * layer.in + i] = (*weight)[i * layer.out + o];
      layer.input = linear.getInput();
      if (linear.getBias()) {
        if (biasValue)
          return fail("dense hypernetwork layer has two biases");
        biasValue = linear.getBias();
      }
      auto productType = cast<RankedTensorType>(linear.getType());
      return readBias(biasValue, productType, -1, productType.getRank() - 1,
                      layer);
    }
    // A pointwise Conv1d over channels-first tokens [B, C, N]: a dense layer
    // per group, the groups being the heads (weight [h * out, in, 1]).
    if (auto conv = dyn_cast_or_null<ConvOp>(producer)) {
      auto weight = getConstantValues(conv.getWeight());
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(conv.getWeight().getType()).getShape();
      auto ones = [](ArrayRef<int64_t> values) {
        return llvm::all_of(values, [](int64_t v) { return v == 1; });
      };
      if (!weight || shape.size() != 3 || shape[2] != 1 ||
          !ones(conv.getStrides()) ||
          llvm::any_of(conv.getPads(), [](int64_t p) { return p != 0; }))
        return fail("convolutional hypernetwork layer is not a pointwise "
                    "Conv1d with a constant weight");
      layer.heads = conv.getGroups();
      layer.in = shape[1];
      layer.out = shape[0] / layer.heads;
      // [h * out, in, 1] is already the (head, out, in) order.
      layer.weight = std::move(*weight);
      layer.input = conv.getInput();
      layer.bias.assign(layer.heads * layer.out, 0.0);
      if (biasValue)
        return fail("convolutional hypernetwork layer has a separate bias");
      if (conv.getBias()) {
        auto bias = getConstantValues(conv.getBias());
        if (!bias)
          return fail("hypernetwork bias is not a constant");
        layer.bias = std::move(*bias);
      }
      return true;
    }
    // Per-head weight stacks [h, in, out] (after leading 1s, as in
    // W.unsqueeze(0)) applied by a batched product to [..., h, N, in].
    if (auto matmul = dyn_cast_or_null<MatMulOp>(producer)) {
      auto weight = getConstantValues(matmul.getRhs());
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(matmul.getRhs().getType()).getShape();
      if (!weight || shape.size() < 3 ||
          llvm::any_of(shape.drop_back(3), [](int64_t d) { return d != 1; }))
        return fail("batched hypernetwork weight is not a constant [h, in, "
                    "out] stack");
      shape = shape.take_back(3);
      layer.heads = shape[0];
      layer.in = shape[1];
      layer.out = shape[2];
      layer.weight.resize(layer.heads * layer.out * layer.in);
      for (int64_t j = 0; j < layer.heads; ++j)
        for (int64_t o = 0; o < layer.out; ++o)
          for (int64_t i = 0; i < layer.in; ++i)
            layer.weight[(j * layer.out + o) * layer.in + i] =
                (*weight)[(j * layer.in + i) * layer.out + o];
      layer.input = matmul.getLhs();
      auto productType = cast<RankedTensorType>(matmul.getType());
      int64_t rank = productType.getRank();
      return readBias(biasValue, productType, rank - 3, rank - 1, layer);
    }
    auto einsum = dyn_cast_or_null<EinsumOp>(producer);
    if (!einsum || einsum.getInputs().size() != 2)
      return fail("hypernetwork layer is not an Einsum, a dense layer, a "
                  "pointwise Conv1d or a batched product with per-head "
                  "weights");
    Value data = einsum.getInputs()[0], weightValue = einsum.getInputs()[1];
    auto [lhs, outTerm] = einsum.getEquation().split("->");
    auto [dataTerm, weightTerm] = lhs.split(',');
    if (isConstant(data)) {
      std::swap(data, weightValue);
      std::swap(dataTerm, weightTerm);
    }
    auto weight = getConstantValues(skipLayout(weightValue));
    if (!weight || skipLayout(weightValue) != weightValue)
      return fail("Einsum hypernetwork weight is not a constant");
    // Classify the weight's letters: head (in all three terms), in
    // (contracted), out (weight and result only).
    char head = 0, in = 0, out = 0;
    for (char c : weightTerm) {
      bool inData = dataTerm.contains(c), inOut = outTerm.contains(c);
      if (inData && inOut)
        head = c;
      else if (inData)
        in = c;
      else if (inOut)
        out = c;
    }
    if (!in || !out || weightTerm.size() != (head ? 3u : 2u))
      return fail("Einsum '" + einsum.getEquation().str() +
                  "' is not a per-head dense layer");
    auto wType = cast<RankedTensorType>(weightValue.getType());
    auto dim = [&](char c) {
      return c ? wType.getDimSize(weightTerm.find(c)) : int64_t(1);
    };
    layer.heads = dim(head);
    layer.out = dim(out);
    layer.in = dim(in);
    std::vector<int64_t> strides(weightTerm.size());
    int64_t s = 1;
    for (int64_t i = static_cast<int64_t>(weightTerm.size()) - 1; i >= 0; --i) {
      strides[i] = s;
      s *= wType.getDimSize(i);
    }
    auto stride = [&](char c) {
      return c ? strides[weightTerm.find(c)] : int64_t(0);
    };
    layer.weight.resize(layer.heads * layer.out * layer.in);
    for (int64_t j = 0; j < layer.heads; ++j)
      for (int64_t o = 0; o < layer.out; ++o)
        for (int64_t i = 0; i < layer.in; ++i)
          layer.weight[(j * layer.out + o) * layer.in + i] =
              (*weight)[j * stride(head) + o * stride(out) + i * stride(in)];
    layer.input = data;
    auto productType = cast<RankedTensorType>(einsum.getType());
    return readBias(biasValue, productType,
                    head ? static_cast<int64_t>(outTerm.find(head)) : -1,
                    static_cast<int64_t>(outTerm.find(out)), layer);
  }

  // Why the input of a hypernetwork's last layer is no GELU: what the
  // elementwise ops before it compute.
  static std::string activationMismatch(Value input) {
    bool tanh = false, nonlinear = false, layer = false;
    SmallVector<Operation *> pending = {skipLayout(input).getDefiningOp()};
    for (int seen = 0; !pending.empty() && seen < 16; ++seen) {
      Operation *op = pending.pop_back_val();
      layer |= isa_and_nonnull<LinearOp>(op) ||
               (isa_and_nonnull<MatMulOp, EinsumOp>(op) &&
                llvm::any_of(op->getOperands(), isConstant));
      if (!op || !(isElementwise(op) || isLayoutOp(op)))
        continue;
      tanh |= isa<TanhOp>(op);
      nonlinear |= isNonlinear(op);
      for (Value operand : op->getOperands())
        pending.push_back(operand.getDefiningOp());
    }
    if (tanh)
      return "the activation between the hypernetwork layers uses tanh but is "
             "not GELU's tanh approximation; hm.hyper_mix computes GELU, "
             "exact or that approximation";
    if (nonlinear)
      return "the activation between the hypernetwork layers is not a GELU";
    if (layer)
      return "no GELU between the hypernetwork layers";
    return "the hypernetwork is one dense layer; hm.hyper_mix takes two with "
           "a GELU between them";
  }

  bool matchHypernetwork(Value value, Value tokens, Hypernetwork &net) {
    net.output = value;
    Value inner = stripMask(skipLayout(value), tokens, net.mask);
    if (!matchLayer(inner, net.second))
      return false;
    ++layersMatched;
    auto act = skipLayout(net.second.input).getDefiningOp<GeluOp>();
    if (!act)
      return fail(activationMismatch(net.second.input));
    net.geluApproximate = act.getApproximate();
    if (!matchLayer(act.getInput(), net.first))
      return false;
    if (net.first.heads != net.second.heads || net.first.out != net.second.in)
      return fail("hypernetwork layers disagree on heads or hidden size");
    return true;
  }
};

// Widens the hidden layer to `hidden` units per head with zero units: each
// adds gelu(0) = 0 times a zero weight, so the network computes the same.
void padHidden(Hypernetwork &net, int64_t hidden) {
  Layer &first = net.first, &second = net.second;
  int64_t heads = first.heads, f = first.out, in = first.in, k = second.out;
  if (f >= hidden)
    return;
  std::vector<double> weight1(heads * hidden * in, 0.0),
      bias1(heads * hidden, 0.0), weight2(heads * k * hidden, 0.0);
  for (int64_t j = 0; j < heads; ++j) {
    for (int64_t o = 0; o < f; ++o) {
      bias1[j * hidden + o] = first.bias[j * f + o];
      for (int64_t i = 0; i < in; ++i)
        weight1[(j * hidden + o) * in + i] = first.weight[(j * f + o) * in + i];
    }
    for (int64_t o = 0; o < k; ++o)
      for (int64_t i = 0; i < f; ++i)
        weight2[(j * k + o) * hidden + i] = second.weight[(j * k + o) * f + i];
  }
  first.weight = std::move(weight1);
  first.bias = std::move(bias1);
  second.weight = std::move(weight2);
  first.out = second.in = hidden;
}

// A constant [n] vector (LayerNorm parameters the fused op can take).
bool isVectorConstant(Value value, int64_t n) {
  auto type = value ? dyn_cast<RankedTensorType>(value.getType()) : nullptr;
  return type && value.getDefiningOp<ConstantOp>() && type.getRank() == 1 &&
         type.getDimSize(0) == n;
}

// Whether `table` [.., L, d] holds P[n + offset] for n < L.
bool isSinusoidTable(const std::vector<double> &table, int64_t rows, int64_t d,
                     int64_t offset) {
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t c = 0; c < d; ++c)
      if (std::abs(table[n * d + c] - sinusoid(n + offset, c, d)) >
          kTableTolerance)
        return false;
  return true;
}

struct Core {
  Operation *first = nullptr, *second = nullptr;
  Value tokens; // what the first product mixes, seen through layout ops
  Hypernetwork net1, net2;
  bool tied = false;
};

// [start, end) of a unit-step slice along the last axis only.
std::optional<std::pair<int64_t, int64_t>> channelRange(SliceOp slice) {
  int64_t rank = cast<RankedTensorType>(slice.getInput().getType()).getRank();
  if (slice.getAxes().size() != 1 || slice.getAxes()[0] != rank - 1 ||
      slice.getSteps()[0] != 1)
    return std::nullopt;
  return std::make_pair(slice.getStarts()[0], slice.getEnds()[0]);
}

// Appends a single-head layer pair to a multi-head hypernetwork.
void stackHead(Hypernetwork &stack, const Hypernetwork &head) {
  for (auto [into, from] : {std::pair(&stack.first, &head.first),
                            std::pair(&stack.second, &head.second)}) {
    into->heads += 1;
    into->in = from->in;
    into->out = from->out;
    into->weight.insert(into->weight.end(), from->weight.begin(),
                        from->weight.end());
    into->bias.insert(into->bias.end(), from->bias.begin(), from->bias.end());
  }
  stack.mask = head.mask;
}

// Whether `value` is an activation of one dense layer: elementwise ops over
// that layer's output and constants only, one of them nonlinear (the
// hidden layer of a hypernetwork whose activation is not hm.gelu).
bool isActivatedLayer(Value value) {
  Value layer;
  bool nonlinear = false;
  SmallVector<Value> pending = {skipLayout(value)};
  llvm::DenseSet<Operation *> seen;
  while (!pending.empty()) {
    Value v = skipLayout(pending.pop_back_val());
    Operation *op = v.getDefiningOp();
    if (isConstant(v))
      continue;
    if (!isElementwise(op)) {
      if (layer && layer != v)
        return false;
      layer = v;
      continue;
    }
    if (!seen.insert(op).second)
      continue;
    if (seen.size() > 32)
      return false;
    nonlinear |= isNonlinear(op);
    for (Value operand : op->getOperands())
      pending.push_back(operand);
  }
  Operation *producer = layer ? layer.getDefiningOp() : nullptr;
  if (auto add = dyn_cast_or_null<AddOp>(producer))
    producer =
        skipLayout(isConstant(add.getRhs()) ? add.getLhs() : add.getRhs())
            .getDefiningOp();
  return nonlinear && producer && isa<LinearOp, MatMulOp, EinsumOp>(producer);
}

struct FuseHyperMixingPass : impl::FuseHyperMixingBase<FuseHyperMixingPass> {
  using FuseHyperMixingBase::FuseHyperMixingBase;

  void runOnOperation() override {
    handledConcats.clear(); // pass instances are reused across functions
    SmallVector<GeluOp> candidates;
    getOperation().walk([&](GeluOp gelu) { candidates.push_back(gelu); });
    for (GeluOp gelu : candidates)
      if (gelu->getBlock())
        tryFuse(gelu);
    getOperation().walk([&](Operation *op) {
      if (isa<MatMulOp, EinsumOp>(op))
        remarkOtherActivation(op);
    });
  }

  llvm::DenseSet<Operation *> handledConcats;

  void remark(GeluOp gelu, const std::string &why) {
    emitRemark(gelu.getLoc()) << "HyperMixing subgraph not fused: " << why;
  }

  // A mixing core whose activation is not a GELU (a ReLU, a tanh) is a
  // HyperMixing variant hm.hyper_mix does not compute. With no GELU to anchor
  // on, the candidate is a product of a hypernetwork's output and the tokens
  // whose result reaches a second product through elementwise ops only, one of
  // them nonlinear.
  void remarkOtherActivation(Operation *first) {
    if (first->getNumOperands() != 2 || isConstant(first->getOperand(0)) ||
        isConstant(first->getOperand(1)))
      return;
    bool generated = false;
    for (int i = 0; i < 2 && !generated; ++i) {
      Matcher probe;
      Hypernetwork net;
      generated =
          probe.matchHypernetwork(skipLayout(first->getOperand(i)),
                                  skipLayout(first->getOperand(1 - i)), net) ||
          (probe.layersMatched > 0 && isActivatedLayer(net.second.input));
    }
    if (!generated)
      return;
    // Forward from the product through elementwise and layout ops whose
    // run-time operands all come from it; each value knows whether an
    // elementwise op lies behind it.
    llvm::DenseSet<Value> derived = {first->getResult(0)};
    auto fromProduct = [&](Operation *op) {
      return llvm::all_of(op->getOperands(), [&](Value operand) {
        return derived.contains(operand) || isConstant(operand);
      });
    };
    SmallVector<std::pair<Value, bool>> frontier = {
        {first->getResult(0), false}};
    llvm::DenseSet<Operation *> seen;
    bool nonlinear = false, tanh = false, relu = false, reaches = false;
    while (!frontier.empty() && seen.size() < 32 && !reaches) {
      auto [value, computed] = frontier.front();
      frontier.erase(frontier.begin());
      for (Operation *user : value.getUsers()) {
        if (isa<GeluOp>(user))
          return; // the GELU's own match speaks for it
        if (isa<MatMulOp, EinsumOp>(user)) {
          reaches |= computed && user->getNumOperands() == 2;
          continue;
        }
        bool layout = isLayoutOp(user);
        if ((!layout && !isElementwise(user)) || seen.contains(user))
          continue;
        // An operand from elsewhere (a row maximum, a sum): not an
        // activation of the product alone. Seen again once it is.
        if (!fromProduct(user))
          continue;
        seen.insert(user);
        derived.insert(user->getResult(0));
        tanh |= isa<TanhOp>(user);
        relu |= isa<ReluOp>(user) ||
                (isa<MaxOp>(user) &&
                 (isZero(user->getOperand(0)) || isZero(user->getOperand(1))));
        nonlinear |= isNonlinear(user);
        frontier.push_back({user->getResult(0), computed || !layout});
      }
    }
    if (!reaches || !nonlinear)
      return;
    std::string what = tanh   ? "uses tanh but is not GELU's tanh approximation"
                       : relu ? "is a ReLU"
                              : "is not a GELU";
    emitRemark(first->getLoc())
        << "HyperMixing subgraph not fused: the mixing activation after this "
           "product "
        << what
        << "; hm.hyper_mix computes GELU, exact or its tanh approximation";
  }

  // The mixing core around one GELU: Z = gelu(product of two run-time
  // tensors), consumed by a second product, with a hypernetwork behind each
  // generated weight. Returns false with `why` empty for GELUs that are not
  // candidates at all (e.g. inside a hypernetwork).
  bool matchCore(GeluOp gelu, Core &core, std::string &why) {
    core.first = skipLayout(gelu.getInput()).getDefiningOp();
    Operation *first = core.first;
    auto isProduct = [](Operation *op) {
      return op && isa<MatMulOp, EinsumOp>(op) && op->getNumOperands() == 2 &&
             !isConstant(op->getOperand(0)) && !isConstant(op->getOperand(1));
    };
    // A scaled product (a mean over the tokens: times 1/N, or divided by
    // each row's token count) is a HyperMixing variant hm.hyper_mix does not
    // compute: say so.
    if (first && isa<MulOp, DivOp>(first)) {
      for (int i = 0; i < 2; ++i)
        if (isProduct(skipLayout(first->getOperand(i)).getDefiningOp()) &&
            !isProduct(skipLayout(first->getOperand(1 - i)).getDefiningOp()) &&
            (isa<MulOp>(first) || i == 0)) {
          why = "the product before the mixing GELU is scaled (a mean over "
                "the tokens?); HyperMixing sums over the tokens unscaled";
          return false;
        }
    }
    if (!isProduct(first))
      return false;
    Value z = followLayout(gelu.getOutput());
    if (!z.hasOneUse() || !isa<MatMulOp, EinsumOp>(*z.getUsers().begin()) ||
        (*z.getUsers().begin())->getNumOperands() != 2) {
      why = "the mixing GELU does not feed a second product";
      return false;
    }
    core.second = *z.getUsers().begin();
    Value w2Value = core.second->getOperand(0) == z
                        ? core.second->getOperand(1)
                        : core.second->getOperand(0);

    // Which operand of the first product is the hypernetwork output? The
    // probe that got furthest explains a failure best.
    Matcher matcher, best;
    best.layersMatched = -1;
    Value w1Value;
    for (int i = 0; i < 2 && !core.tokens; ++i) {
      Value candidate = skipLayout(first->getOperand(i));
      Value other = skipLayout(first->getOperand(1 - i));
      Matcher probe;
      Hypernetwork net;
      if (probe.matchHypernetwork(candidate, other, net)) {
        core.tokens = other;
        w1Value = candidate;
        core.net1 = net;
      } else if (probe.layersMatched > best.layersMatched) {
        best = probe;
      }
    }
    if (!core.tokens) {
      why = "first hypernetwork: " + best.failure;
      return false;
    }
    w2Value = skipLayout(w2Value);
    core.tied = w2Value == w1Value;
    if (core.tied) {
      core.net2 = core.net1;
    } else if (!matcher.matchHypernetwork(w2Value, core.tokens, core.net2)) {
      // Cross mixing with static lengths: W2's mask is [B, M] like the
      // queries, whose [B, M] the mixed output has.
      Matcher queries;
      Value output = followLayout(core.second->getResult(0));
      if (cast<RankedTensorType>(output.getType()).getRank() != 3 ||
          !queries.matchHypernetwork(w2Value, output, core.net2)) {
        why = "second hypernetwork: " + matcher.failure;
        return false;
      }
    }
    return true;
  }

  void tryFuse(GeluOp gelu) {
    Core core;
    std::string why;
    if (!matchCore(gelu, core, why)) {
      if (!why.empty())
        remark(gelu, why);
      return;
    }
    // Heads written one at a time mix channel slices of the tokens.
    if (auto slice = core.tokens.getDefiningOp<SliceOp>())
      if (channelRange(slice))
        return tryFuseHeads(gelu, core);
    fuse(gelu, core.tokens, skipLayout(core.net1.first.input),
         skipLayout(core.net2.first.input), core.net1, core.net2, core.tied,
         core.second->getResult(0));
  }

  // One head per channel slice, joined by a concatenation along the
  // channels: stack the heads' hypernetworks into one multi-head op.
  void tryFuseHeads(GeluOp gelu, const Core &head) {
    Value joined = followLayout(head.second->getResult(0));
    auto concat = joined.hasOneUse()
                      ? dyn_cast<ConcatOp>(*joined.getUsers().begin())
                      : ConcatOp();
    int64_t rank = cast<RankedTensorType>(joined.getType()).getRank();
    if (!concat || static_cast<int64_t>(concat.getAxis()) != rank - 1)
      return remark(gelu, "a head's output is not concatenated along the "
                          "channels with the other heads");
    if (!handledConcats.insert(concat).second)
      return; // fused, or rejected, from another head's GELU
    Value tokens, hyperInputs[2];
    Hypernetwork net1, net2;
    bool tied = head.tied;
    int64_t channel = 0;
    for (Value part : concat.getInputs()) {
      Operation *second = skipLayout(part).getDefiningOp();
      GeluOp partGelu;
      if (second && isa<MatMulOp, EinsumOp>(second))
        for (Value operand : second->getOperands())
          if (auto g = skipLayout(operand).getDefiningOp<GeluOp>())
            partGelu = g;
      Core core;
      std::string why;
      if (!partGelu || !matchCore(partGelu, core, why) || core.second != second)
        return remark(gelu, "a concatenated head is not a HyperMixing head" +
                                (why.empty() ? "" : ": " + why));
      auto tokenSlice = core.tokens.getDefiningOp<SliceOp>();
      auto range = tokenSlice ? channelRange(tokenSlice) : std::nullopt;
      if (!range || range->first != channel ||
          (tokens && tokenSlice.getInput() != tokens))
        return remark(gelu, "the heads do not mix consecutive channel slices "
                            "of one token tensor");
      tokens = tokenSlice.getInput();
      // Each hypernetwork reads one input (keys, queries) in slices.
      for (int i = 0; i < 2; ++i) {
        const Hypernetwork &net = i == 0 ? core.net1 : core.net2;
        Value &hyperInput = hyperInputs[i];
        auto inputSlice = skipLayout(net.first.input).getDefiningOp<SliceOp>();
        if (!inputSlice || channelRange(inputSlice) != range ||
            (hyperInput && inputSlice.getInput() != hyperInput))
          return remark(gelu, "the heads' hypernetworks do not read the "
                              "matching channel slices of one input each");
        hyperInput = inputSlice.getInput();
      }
      if (core.tied != tied || core.net1.first.heads != 1 ||
          core.net2.first.heads != 1 ||
          (channel > 0 && (core.net1.first.in != net1.first.in ||
                           core.net1.first.out != net1.first.out ||
                           core.net1.second.out != net1.second.out)))
        return remark(gelu, "the heads' hypernetworks differ in shape");
      if (channel > 0 && (!(core.net1.mask.key == net1.mask.key) ||
                          !(core.net2.mask.key == net2.mask.key)))
        return remark(gelu, "the heads mask their generated weights "
                            "differently");
      StringRef approximate = gelu.getApproximate();
      if (partGelu.getApproximate() != approximate ||
          core.net1.geluApproximate != approximate ||
          core.net2.geluApproximate != approximate)
        return remark(gelu, "the heads' GELUs differ in form (erf or tanh "
                            "approximation)");
      stackHead(net1, core.net1);
      stackHead(net2, core.net2);
      channel = range->second;
    }
    if (channel != cast<RankedTensorType>(tokens.getType()).getShape().back())
      return remark(gelu, "the heads do not cover all channels");
    net1.geluApproximate = net2.geluApproximate = gelu.getApproximate();
    fuse(gelu, tokens, hyperInputs[0], hyperInputs[1], net1, net2, tied,
         concat.getResult());
  }

  // A hypernetwork's input: base * scale + positions, base being the masked
  // tokens it reads (keys or queries).
  struct HyperInput {
    Value base;
    double scale = 1.0;
    std::string positional = "none";
    int64_t offset = 0, tableRows = 0;
    std::vector<double> tableValues;
    MaskUse maskedAfterPositions; // (x + P) * m: the positions masked too
  };

  // Splits `input` into the tokens it reads, their scale (x * sqrt(d) + P)
  // and the positions added; false after a remark.
  bool readHyperInput(GeluOp gelu, Value input, int64_t d, HyperInput &in) {
    input = skipLayout(input);
    MaskUse outer;
    Value unmasked = skipLayout(stripMask(input, input, outer));
    Value scaled = input, pos;
    for (Value sum : {input, unmasked}) {
      auto add = sum.getDefiningOp<AddOp>();
      if (pos || !add)
        continue;
      // The positional term is computed from shapes and constants only.
      bool lhsPositions = dependsOnShapesOnly(skipLayout(add.getLhs()));
      bool rhsPositions = dependsOnShapesOnly(skipLayout(add.getRhs()));
      if (lhsPositions != rhsPositions) {
        scaled = skipLayout(rhsPositions ? add.getLhs() : add.getRhs());
        pos = rhsPositions ? add.getRhs() : add.getLhs();
        if (sum == unmasked)
          in.maskedAfterPositions = outer;
      }
    }
    in.base = scaled;
    std::optional<double> factor;
    if (auto mul = scaled.getDefiningOp<MulOp>()) {
      for (auto [data, scale] : {std::pair(mul.getLhs(), mul.getRhs()),
                                 std::pair(mul.getRhs(), mul.getLhs())})
        if (!factor)
          if ((factor = getScalarConstant(scale)))
            in.base = skipLayout(data);
    } else if (auto div = scaled.getDefiningOp<DivOp>()) {
      if (std::optional<double> divisor = getScalarConstant(div.getRhs());
          divisor && *divisor != 0) {
        factor = 1.0 / *divisor;
        in.base = skipLayout(div.getLhs());
      }
    }
    if (factor && !(*factor > 0)) {
      remark(gelu, "the hypernetwork input scales the tokens by a factor "
                   "that is not positive");
      return false;
    }
    in.scale = factor.value_or(1.0);
    if (!pos)
      return true;
    // pe.expand_as(x) adds a zero tensor of the tokens' shape, which the
    // add of the tokens broadcasts to anyway; tokens + 0 (positions
    // switched off as a constant 0) has no positions at all.
    pos = skipBroadcast(pos);
    if (isZero(pos))
      return true;
    // The table itself (static lengths fold the slice away), or a prefix of
    // it.
    Value stored = skipLayout(pos);
    Operation *slice = stored.getDefiningOp();
    if (auto prefix = dyn_cast_or_null<SliceOp>(slice)) {
      if (llvm::all_of(prefix.getStarts(), [](int64_t s) { return s == 0; }) &&
          llvm::all_of(prefix.getSteps(), [](int64_t s) { return s == 1; }))
        stored = prefix.getInput();
    } else if (auto prefix = dyn_cast_or_null<SliceToDimOp>(slice)) {
      stored = prefix.getInput();
    }
    if (stored.getDefiningOp<ConstantOp>()) {
      auto values = getConstantValues(stored);
      auto type = cast<RankedTensorType>(stored.getType());
      if (!values || type.getRank() == 0 || type.getShape().back() != d ||
          type.getNumElements() % d != 0) {
        remark(gelu, "the position table is not [L, d]");
        return false;
      }
      int64_t rows = type.getNumElements() / d;
      for (int64_t candidate : {0, 1})
        if (in.positional == "none" &&
            isSinusoidTable(*values, rows, d, candidate)) {
          in.positional = "sinusoidal";
          in.offset = candidate;
        }
      // Any other table is learned: the op reads it alone, and the model's
      // length is bounded by its rows. A constant with one row per token
      // ([L, d] after leading 1s), not a bias added to all.
      if (in.positional == "none") {
        ArrayRef<int64_t> shape = type.getShape();
        if (type.getRank() < 2 || shape[shape.size() - 2] < 2 ||
            llvm::any_of(shape.drop_back(2),
                         [](int64_t dim) { return dim != 1; })) {
          remark(gelu, "the hypernetwork input adds a constant that is no "
                       "position table ([L, d])");
          return false;
        }
        in.positional = "table";
      }
      // The op's table holds P[i] at row i: a table of positions from 1
      // gets row P[0] in front.
      in.tableValues = std::move(*values);
      in.tableRows = rows;
      if (in.offset == 1) {
        for (int64_t c = d - 1; c >= 0; --c)
          in.tableValues.insert(in.tableValues.begin(), sinusoid(0, c, d));
        ++in.tableRows;
      }
      return true;
    }
    // Positions computed for the run-time length: the op's formula when they
    // match it at the evaluator's length (the final check then compares the
    // whole layer).
    Evaluator evaluator(getOperation(), /*seed=*/0x504f53);
    auto values = evaluator.evaluate(pos);
    auto tokenValues = evaluator.evaluate(in.base);
    if (failed(values) || failed(tokenValues) ||
        (*tokenValues)->shape.size() != 3 ||
        (*values)->size() != (*tokenValues)->shape[1] * d) {
      remark(gelu, "the computed positions are not [N, d]");
      return false;
    }
    for (int64_t candidate : {0, 1})
      if (in.positional == "none" &&
          isSinusoidTable((*values)->data, (*tokenValues)->shape[1], d,
                          candidate)) {
        in.positional = "sinusoidal";
        in.offset = candidate;
      }
    if (in.positional == "none") {
      remark(gelu, "the computed positions are not sinusoidal");
      return false;
    }
    return true;
  }

  // The rest of the layer around matched hypernetworks and mixing: masks,
  // positions, output layout and LayerNorm; then build, check and commit.
  // The first hypernetwork reads the keys, the second the queries; both are
  // the mixed tokens (self mixing) or not (cross mixing).
  void fuse(GeluOp gelu, Value tokens, Value hyperInput, Value hyperInput2,
            Hypernetwork net1, Hypernetwork net2, bool tied, Value mixed) {
    // Mixed tokens: x, x * mask, or x with masked rows selected to 0.
    MaskUse mask;
    Value x = stripMask(tokens, tokens, mask);
    auto xType = dyn_cast<RankedTensorType>(x.getType());
    if (!xType || xType.getRank() != 3 || !xType.getElementType().isF32() ||
        ShapedType::isDynamic(xType.getDimSize(2)))
      return remark(gelu, "the mixed tokens are not a float32 [B, N, d] "
                          "tensor");
    int64_t d = xType.getDimSize(2);
    // hm.hyper_mix takes one GELU form for all three.
    StringRef approximate = gelu.getApproximate();
    if (net1.geluApproximate != approximate ||
        net2.geluApproximate != approximate)
      return remark(gelu, "the hypernetworks' GELUs and the mixing GELU "
                          "differ in form (erf or tanh approximation); "
                          "hm.hyper_mix takes one form for all");

    HyperInput keyInput, queryInput;
    if (!readHyperInput(gelu, hyperInput, d, keyInput) ||
        !readHyperInput(gelu, hyperInput2, d, queryInput))
      return;
    // Static lengths fold each side's table prefix to its own length: the
    // shorter must be a prefix of the longer, which the op takes.
    if (keyInput.tableRows < queryInput.tableRows) {
      std::swap(keyInput.tableRows, queryInput.tableRows);
      std::swap(keyInput.tableValues, queryInput.tableValues);
    }
    if (keyInput.scale != queryInput.scale ||
        keyInput.positional != queryInput.positional ||
        keyInput.offset != queryInput.offset ||
        !std::equal(queryInput.tableValues.begin(),
                    queryInput.tableValues.end(), keyInput.tableValues.begin()))
      return remark(gelu, "the hypernetworks' inputs differ in scale or "
                          "positions");
    // With binary masks, a side needs only some of its masks: a padded key
    // adds nothing once its W_1 row or its value row is zeroed, and a padded
    // query's output row is W_2's. The kernel masks all of them, which then
    // changes no result; the evaluator's check below rejects masks that are
    // not 0/1.
    bool partlyMasked = false; // a mask the kernel adds: 0/1 masks only
    auto maskedBy = [&](const MaskUse &use, const std::optional<MaskKey> &key) {
      partlyMasked |= key && !use.key;
      return !use.key || use.key == key;
    };
    // Each hypernetwork reads the mixed tokens, masked or not (self
    // mixing), or tokens of its own (cross mixing).
    // (x + P) * m differs from x * m + P on padded rows only, which masked
    // W_1 and W_2 rows leave out for 0/1 masks; so does (x * m + P) * m.
    auto readTokens = [&](const HyperInput &in, MaskUse &use) {
      Value tokens = stripMask(in.base, in.base, use);
      const MaskUse &outer = in.maskedAfterPositions;
      if (!outer.key)
        return tokens;
      partlyMasked = true;
      if (use.key && !(use.key == outer.key))
        return in.base; // masked twice by different masks: no match
      use = outer;
      return tokens;
    };
    MaskUse keyMask, queryMask;
    Value keys = readTokens(keyInput, keyMask);
    Value queries = readTokens(queryInput, queryMask);
    bool cross = keys != x || queries != x;
    // A layer that masks the tokens it mixes and both generated weights, but
    // not the tokens its hypernetworks read: the op's mask_hyper_input =
    // false, exact for any mask values. The rest then sees a layer masked
    // throughout.
    bool maskHyperInput = true;
    if (!cross && mask.key && !keyMask.key && !queryMask.key &&
        net1.mask.key == mask.key && net2.mask.key == mask.key) {
      maskHyperInput = false;
      keyMask = queryMask = mask;
    }
    if ((keyInput.maskedAfterPositions.key ||
         queryInput.maskedAfterPositions.key) &&
        (!net1.mask.key || !net2.mask.key))
      return remark(gelu, "the hypernetworks' input is masked after the "
                          "positions are added, and the generated weights "
                          "are not both masked");
    std::optional<MaskKey> layerMask = net2.mask.key;
    // A layer that masks only its tokens (those it mixes and those its
    // hypernetworks read) leaves W_1 and W_2 unmasked: the op's
    // mask_weights = false. A padded token's output row is then its W_2 row,
    // generated from its positions alone. One that masks only W_1 and W_2
    // leaves the tokens: mask_tokens = false. Either is the model's result
    // for any mask values, float inputs included.
    // A layer that also masks W_1 is that form for 0/1 masks: a padded
    // token's W_1 row then meets a zero token.
    // In cross mixing each side has a mask of its own, or none.
    bool tokensMasked = keyMask.key == mask.key && !net2.mask.key &&
                        (cross ? mask.key || queryMask.key
                               : mask.key && queryMask.key == mask.key);
    bool firstWeightsToo =
        tokensMasked && net1.mask.key && net1.mask.key == mask.key;
    partlyMasked |= firstWeightsToo;
    bool maskWeights = !tokensMasked || (net1.mask.key && !firstWeightsToo);
    bool maskTokens = cross || !net1.mask.key ||
                      !(net2.mask.key == net1.mask.key) || mask.key ||
                      keyMask.key || queryMask.key;
    if (!maskWeights)
      layerMask = queryMask.key;
    std::optional<MaskKey> keysMask = net1.mask.key ? net1.mask.key : mask.key;
    if (cross) {
      auto keyType = dyn_cast<RankedTensorType>(keys.getType());
      auto queryType = dyn_cast<RankedTensorType>(queries.getType());
      if (!keyType || !queryType || keyType.getRank() != 3 ||
          queryType.getRank() != 3 ||
          keyType.getElementType() != xType.getElementType() ||
          queryType.getElementType() != xType.getElementType() ||
          keyType.getDimSize(2) != d || queryType.getDimSize(2) != d)
        return remark(gelu, "the hypernetworks read tokens other than float32 "
                            "[B, N, d] keys and queries");
      if (!maskedBy(keyMask, keysMask) || !maskedBy(mask, keysMask) ||
          !maskedBy(net1.mask, keysMask) || !maskedBy(queryMask, layerMask))
        return remark(gelu, "the keys and values are not masked like the "
                            "first generated weights, or the queries not like "
                            "the second");
    } else if (mask.key && !net2.mask.key && !queryMask.key) {
      return remark(gelu, "the mixed tokens are masked, but W_2 is not and the "
                          "hypernetworks read unmasked tokens: a padded "
                          "token's output row then comes from the padding's "
                          "own values, which hm.hyper_mix does not compute");
    } else if (maskWeights && maskTokens &&
               (!maskedBy(mask, layerMask) || !maskedBy(net1.mask, layerMask) ||
                !maskedBy(keyMask, layerMask) ||
                !maskedBy(queryMask, layerMask) ||
                (layerMask && !net1.mask.key && !mask.key))) {
      return remark(gelu, "the tokens and the generated weights are not "
                          "masked by one mask (on both generated weights, or "
                          "on the second and the tokens)");
    }
    auto queryType = cast<RankedTensorType>(queries.getType());

    // Output: the product back in [B, N, d] like the queries, optionally
    // layer-normalised.
    Value y = followLayout(mixed);
    if (y.getType() != queryType)
      return remark(gelu, "the mixed output is not laid out as the input");
    Operation *root = y.getDefiningOp();
    LayerNormOp norm;
    if (y.hasOneUse())
      if (auto candidate = dyn_cast<LayerNormOp>(*y.getUsers().begin()))
        if (static_cast<int64_t>(candidate.getAxis()) == -1 &&
            isVectorConstant(candidate.getGamma(), d) &&
            isVectorConstant(candidate.getBeta(), d)) {
          norm = candidate;
          root = candidate;
        }

    int64_t heads = net1.first.heads;
    // hm.hyper_mix takes one hidden size: the smaller network gets zero
    // units up to the larger one's.
    if (net2.first.heads == heads) {
      int64_t hidden = std::max(net1.first.out, net2.first.out);
      padHidden(net1, hidden);
      padHidden(net2, hidden);
    }
    if (d % heads != 0 || net1.first.in * heads != d ||
        net2.first.heads != heads || net2.second.out != net1.second.out)
      return remark(gelu,
                    "hypernetwork shapes do not fit d = " + std::to_string(d) +
                        " and " + std::to_string(heads) + " heads");

    // New weights in canonical layout, erased again if the check fails.
    OpBuilder builder(root);
    Location loc = root->getLoc();
    SmallVector<Operation *> created;
    auto discard = [&]() {
      for (Operation *op : llvm::reverse(created))
        op->erase();
    };
    auto constant = [&](ArrayRef<int64_t> shape, ArrayRef<double> values,
                        const std::string &name) -> Value {
      created.push_back(
          createFloat32Constant(builder, loc, shape, values, name));
      return created.back()->getResult(0);
    };
    Value table;
    if (keyInput.tableRows)
      table = constant({keyInput.tableRows, d}, keyInput.tableValues,
                       "hm.positions");
    // The op's float masks: one the layer multiplies by, else the selects'
    // condition as 0/1; null without a mask, nullopt after a remark.
    auto floatMask =
        [&](const std::optional<MaskKey> &key,
            std::initializer_list<Value> factors) -> std::optional<Value> {
      Value maskValue;
      for (Value factor : factors)
        if (!maskValue)
          maskValue = factor;
      if (key && !maskValue) {
        Value keep = key->root;
        if (!key->keepsTrue) {
          created.push_back(builder.create<NotOp>(loc, keep.getType(), keep));
          keep = created.back()->getResult(0);
        }
        created.push_back(builder.create<CastOp>(
            loc,
            cast<RankedTensorType>(keep.getType()).clone(builder.getF32Type()),
            keep));
        maskValue = created.back()->getResult(0);
      }
      // A [B, 1, N] mask becomes the op's [B, N] one.
      if (!maskValue ||
          cast<RankedTensorType>(maskValue.getType()).getRank() == 2)
        return maskValue;
      // A mask built here from a condition has the condition's dims.
      std::optional<SmallVector<Attribute>> names = dimNames(maskValue);
      if (!names && key)
        names = dimNames(key->root);
      if (!names) {
        remark(gelu, "the mask's dims have no names to reshape it to [B, N] "
                     "with");
        return std::nullopt;
      }
      auto type = cast<RankedTensorType>(maskValue.getType());
      SmallVector<int64_t> dims;
      SmallVector<Attribute> kept;
      for (int64_t axis : tokenAxes(type.getShape())) {
        dims.push_back(type.getDimSize(axis));
        kept.push_back((*names)[axis]);
      }
      created.push_back(builder.create<ReshapeOp>(
          loc, RankedTensorType::get(dims, type.getElementType()), maskValue,
          builder.getArrayAttr(kept)));
      return created.back()->getResult(0);
    };
    std::optional<Value> maskValue =
        cross ? floatMask(layerMask, {queryMask.factor, net2.mask.factor})
              : floatMask(layerMask,
                          {mask.factor, net1.mask.factor, net2.mask.factor,
                           keyMask.factor, queryMask.factor});
    std::optional<Value> keyMaskValue =
        cross ? floatMask(keysMask,
                          {mask.factor, keyMask.factor, net1.mask.factor})
              : Value();
    if (!maskValue || !keyMaskValue)
      return discard();
    int64_t f = net1.first.out, kh = net1.second.out, dh = d / heads;
    auto weights = [&](const Hypernetwork &net, StringRef tag) {
      std::string prefix = ("hm.hyper_mix." + tag).str();
      return std::array<Value, 4>{
          constant({heads, f, dh}, net.first.weight, prefix + ".in_weight"),
          constant({heads, f}, net.first.bias, prefix + ".in_bias"),
          constant({heads, kh, f}, net.second.weight, prefix + ".out_weight"),
          constant({heads, kh}, net.second.bias, prefix + ".out_bias")};
    };
    std::array<Value, 4> w1 = weights(net1, "hyper1");
    std::array<Value, 4> w2 =
        tied ? std::array<Value, 4>{} : weights(net2, "hyper2");
    double scale = keyInput.scale;
    auto fused = builder.create<HyperMixOp>(
        loc, queryType, queries, cross ? keys : Value(), cross ? x : Value(),
        *maskValue, *keyMaskValue, w1[0], w1[1], w1[2], w1[3], w2[0], w2[1],
        w2[2], w2[3], norm ? norm.getGamma() : Value(),
        norm ? norm.getBeta() : Value(), table,
        builder.getI64IntegerAttr(heads),
        builder.getStringAttr(keyInput.positional),
        builder.getI64IntegerAttr(keyInput.offset),
        scale == 1.0 ? FloatAttr() : builder.getF64FloatAttr(scale),
        norm ? builder.getF64FloatAttr(norm.getEpsilon().convertToDouble())
             : FloatAttr(),
        builder.getStringAttr(algorithm), builder.getBoolAttr(maskWeights),
        builder.getBoolAttr(maskTokens), builder.getBoolAttr(maskHyperInput),
        builder.getStringAttr(approximate));

    // Commit only what the evaluator confirms.
    Evaluator evaluator(getOperation(), /*seed=*/0x4d495845);
    auto expected = evaluator.evaluate(root->getResult(0));
    std::optional<HostArray> reference;
    if (succeeded(expected))
      reference = **expected;
    auto actual = evaluator.evaluate(fused.getOutput());
    double error = reference && succeeded(actual)
                       ? relativeError(**actual, *reference)
                       : INFINITY;
    if (!(error <= kVerifyTolerance)) {
      std::string why =
          evaluator.error().empty()
              ? "the matched candidate does not reproduce the subgraph "
                "(relative error " +
                    std::to_string(error) + " on random inputs)" +
                    (partlyMasked
                         ? "; the layer masks other values than the op, which "
                           "is the same only for masks of 0 and 1"
                         : "")
              : "cannot check the candidate: " + evaluator.error();
      fused->erase();
      discard();
      return remark(gelu, why);
    }
    root->getResult(0).replaceAllUsesWith(fused.getOutput());
    emitRemark(loc)
        << "fused HyperMixing: heads = " << heads << ", d = " << d
        << ", k = " << kh * heads << (tied ? ", tied" : "")
        << (cross ? ", cross (queries over keys and values)" : "")
        << (*maskValue ? ", masked" : "")
        << (*keyMaskValue ? ", keys masked" : "")
        << (maskWeights ? "" : ", tokens masked only")
        << (maskTokens ? "" : ", generated weights masked only")
        << (maskHyperInput ? "" : ", hypernetworks read unmasked tokens")
        << (approximate == "tanh" ? ", tanh GELU" : "") << ", positions "
        << keyInput.positional
        << (keyInput.offset ? " from " + std::to_string(keyInput.offset) : "")
        << (scale == 1.0 ? "" : ", tokens scaled by " + std::to_string(scale));
  }
};

} // namespace
} // namespace hm
