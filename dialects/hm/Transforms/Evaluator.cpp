//===- Evaluator.cpp - a float64 reference interpreter for hm -------------===//

#include "hm/Evaluator.h"
#include "hm/ConstantData.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <cmath>
#include <numeric>

using namespace mlir;

namespace hm {
namespace {

using Shape = std::vector<int64_t>;

int64_t product(const Shape &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

// A row-major array seen around one axis: `outer` blocks of `extent`
// steps, each step `inner` contiguous elements.
struct AxisLayout {
  int64_t outer = 1, extent, inner = 1;
};

AxisLayout axisLayout(const Shape &shape, size_t axis) {
  AxisLayout layout{1, shape[axis], 1};
  for (size_t i = 0; i < axis; ++i)
    layout.outer *= shape[i];
  for (size_t i = axis + 1; i < shape.size(); ++i)
    layout.inner *= shape[i];
  return layout;
}

Shape stridesOf(const Shape &shape) {
  Shape strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

// GELU, exact or (`tanh`) with torch's tanh approximation.
double gelu(double x, bool tanh) {
  if (tanh)
    return 0.5 * x *
           (1.0 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1.0 + std::erf(x / M_SQRT2));
}

// Offset into `shape` (right-aligned, size-1 dims broadcast) of the output
// position `index` of a tensor of rank index.size().
int64_t broadcastOffset(const Shape &index, const Shape &shape) {
  Shape strides = stridesOf(shape);
  int64_t offset = 0, shift = static_cast<int64_t>(index.size()) -
                              static_cast<int64_t>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] != 1)
      offset += index[i + shift] * strides[i];
  return offset;
}

void unravel(int64_t flat, const Shape &shape, Shape &index) {
  index.resize(shape.size());
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    index[i] = flat % shape[i];
    flat /= shape[i];
  }
}

Shape broadcastShape(const Shape &a, const Shape &b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    out[rank - 1 - i] = da == 1 ? db : da;
  }
  return out;
}

bool broadcastable(const Shape &a, const Shape &b) {
  for (size_t i = 1; i <= std::min(a.size(), b.size()); ++i) {
    int64_t da = a[a.size() - i], db = b[b.size() - i];
    if (da != db && da != 1 && db != 1)
      return false;
  }
  return true;
}

HostArray binary(const HostArray &a, const HostArray &b,
                 llvm::function_ref<double(double, double)> fn) {
  HostArray out;
  out.shape = broadcastShape(a.shape, b.shape);
  out.data.resize(product(out.shape));
  Shape index;
  for (int64_t i = 0; i < out.size(); ++i) {
    unravel(i, out.shape, index);
    out.data[i] = fn(a.data[broadcastOffset(index, a.shape)],
                     b.data[broadcastOffset(index, b.shape)]);
  }
  return out;
}

// Batched matrix product with broadcast batch dimensions.
HostArray matmul(const HostArray &a, const HostArray &b) {
  Shape batchA(a.shape.begin(), a.shape.end() - 2);
  Shape batchB(b.shape.begin(), b.shape.end() - 2);
  int64_t n = a.shape[a.shape.size() - 2], k = a.shape.back(),
          m = b.shape.back();
  HostArray out;
  out.shape = broadcastShape(batchA, batchB);
  Shape batch = out.shape;
  out.shape.push_back(n);
  out.shape.push_back(m);
  out.data.assign(product(out.shape), 0.0);
  Shape index;
  for (int64_t t = 0; t < product(batch); ++t) {
    unravel(t, batch, index);
    const double *pa = a.data.data() + broadcastOffset(index, batchA) * n * k;
    const double *pb = b.data.data() + broadcastOffset(index, batchB) * k * m;
    double *po = out.data.data() + t * n * m;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < m; ++j)
          po[i * m + j] += pa[i * k + p] * pb[p * m + j];
  }
  return out;
}

HostArray einsum(StringRef equation, ArrayRef<const HostArray *> inputs) {
  auto [lhs, rhs] = equation.split("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  std::map<char, int64_t> extent;
  for (auto [term, input] : llvm::zip(terms, inputs))
    for (size_t i = 0; i < term.size(); ++i)
      extent[term[i]] = std::max(extent[term[i]], input->shape[i]);
  std::vector<char> letters;
  for (auto &[c, e] : extent)
    letters.push_back(c);
  Shape loop;
  for (char c : letters)
    loop.push_back(extent[c]);
  HostArray out;
  for (char c : rhs)
    out.shape.push_back(extent[c]);
  out.data.assign(product(out.shape), 0.0);
  Shape index;
  auto offset = [&](StringRef term, const Shape &shape) {
    Shape strides = stridesOf(shape);
    int64_t off = 0;
    for (size_t i = 0; i < term.size(); ++i) {
      size_t l =
          std::find(letters.begin(), letters.end(), term[i]) - letters.begin();
      if (shape[i] != 1)
        off += index[l] * strides[i];
    }
    return off;
  };
  for (int64_t t = 0; t < product(loop); ++t) {
    unravel(t, loop, index);
    double v = 1.0;
    for (auto [term, input] : llvm::zip(terms, inputs))
      v *= input->data[offset(term, input->shape)];
    out.data[offset(rhs, out.shape)] += v;
  }
  return out;
}

// Layer normalisation over the trailing dims from `axis`.
HostArray layerNorm(const HostArray &x, const HostArray *gamma,
                    const HostArray *beta, int64_t axis, double eps) {
  Shape inner(x.shape.begin() + axis, x.shape.end());
  int64_t width = product(inner), rows = x.size() / width;
  HostArray out = x;
  for (int64_t r = 0; r < rows; ++r) {
    const double *row = x.data.data() + r * width;
    double mean = 0, var = 0;
    for (int64_t i = 0; i < width; ++i)
      mean += row[i];
    mean /= width;
    for (int64_t i = 0; i < width; ++i)
      var += (row[i] - mean) * (row[i] - mean);
    var /= width;
    double inv = 1.0 / std::sqrt(var + eps);
    Shape index;
    for (int64_t i = 0; i < width; ++i) {
      unravel(i, inner, index);
      double v = (row[i] - mean) * inv;
      if (gamma)
        v *= gamma->data[broadcastOffset(index, gamma->shape)];
      if (beta)
        v += beta->data[broadcastOffset(index, beta->shape)];
      out.data[r * width + i] = v;
    }
  }
  return out;
}

HostArray hyperMix(HyperMixOp op, ArrayRef<const HostArray *> in) {
  auto lookup = [&](Value v) -> const HostArray * {
    if (!v)
      return nullptr;
    for (auto [operand, array] : llvm::zip(op->getOperands(), in))
      if (operand == v)
        return array;
    return nullptr;
  };
  // Self mixing: keys, values and queries are the input, under one mask.
  const HostArray &queries = *in[0];
  const HostArray &keys = op.isCross() ? *lookup(op.getKeys()) : queries;
  const HostArray &values = op.isCross() ? *lookup(op.getValues()) : queries;
  const HostArray *queryMask = lookup(op.getMask());
  const HostArray *keyMask = op.isCross() ? lookup(op.getKeyMask()) : queryMask;
  int64_t batch = queries.shape[0], d = queries.shape[2];
  int64_t heads = op.getHeads(), dh = d / heads;
  const HostArray *table = lookup(op.getPositionTable());
  struct Net {
    const HostArray *A, *a, *C, *c;
  };
  Net nets[2] = {{lookup(op.getHyper1InWeight()), lookup(op.getHyper1InBias()),
                  lookup(op.getHyper1OutWeight()),
                  lookup(op.getHyper1OutBias())},
                 {}};
  nets[1] =
      op.isTied()
          ? nets[0]
          : Net{lookup(op.getHyper2InWeight()), lookup(op.getHyper2InBias()),
                lookup(op.getHyper2OutWeight()), lookup(op.getHyper2OutBias())};
  int64_t f = nets[0].A->shape[1], kh = nets[0].C->shape[1];
  // A learned table (positional "table") has a row for every token.
  bool positional = op.getPositional() != "none";
  int64_t offset = op.getPositionOffset();
  double scale = op.getInputScale().convertToDouble();
  bool tanhGelu = op.getGeluApproximate() == "tanh";

  // Batch b's tokens of `x` under `mask`: the factors of the tokens and of
  // the generated rows (m, or 1 without `mask_tokens`, `mask_weights`), the
  // masked tokens and the generated rows W = m * net(s m x + P) of every
  // head, [head][t][k] (net(s x + P) without `mask_hyper_input`).
  struct Side {
    std::vector<double> tokenMask, weightMask, xm;
    std::vector<std::vector<double>> w;
  };
  auto generate = [&](const HostArray &x, const HostArray *mask, const Net &net,
                      int64_t b) {
    int64_t n = x.shape[1];
    Side side;
    side.tokenMask.assign(n, 1.0);
    side.weightMask.assign(n, 1.0);
    side.xm.resize(n * d);
    std::vector<double> h(n * d);
    for (int64_t t = 0; t < n; ++t) {
      if (mask && op.getMaskTokens())
        side.tokenMask[t] = mask->data[b * n + t];
      if (mask && op.getMaskWeights())
        side.weightMask[t] = mask->data[b * n + t];
      for (int64_t c = 0; c < d; ++c) {
        side.xm[t * d + c] = side.tokenMask[t] * x.data[(b * n + t) * d + c];
        double p = 0;
        if (positional) {
          int64_t pos = t + offset;
          p = table && pos < table->shape[0] ? table->data[pos * d + c]
                                             : sinusoid(pos, c, d);
        }
        double read = op.getMaskHyperInput() ? side.xm[t * d + c]
                                             : x.data[(b * n + t) * d + c];
        h[t * d + c] = scale * read + p;
      }
    }
    side.w.assign(heads, std::vector<double>(n * kh, 0.0));
    for (int64_t j = 0; j < heads; ++j)
      for (int64_t t = 0; t < n; ++t) {
        std::vector<double> hid(f);
        for (int64_t q = 0; q < f; ++q) {
          double s = net.a->data[j * f + q];
          for (int64_t e = 0; e < dh; ++e)
            s += h[t * d + j * dh + e] * net.A->data[(j * f + q) * dh + e];
          hid[q] = gelu(s, tanhGelu);
        }
        for (int64_t k = 0; k < kh; ++k) {
          double s = net.c->data[j * kh + k];
          for (int64_t q = 0; q < f; ++q)
            s += hid[q] * net.C->data[(j * kh + k) * f + q];
          side.w[j][t * kh + k] = side.weightMask[t] * s;
        }
      }
    return side;
  };

  HostArray out;
  out.shape = queries.shape;
  out.data.assign(queries.size(), 0.0);
  int64_t n = queries.shape[1], length = keys.shape[1];
  for (int64_t b = 0; b < batch; ++b) {
    Side key = generate(keys, keyMask, nets[0], b);
    Side query = generate(queries, queryMask, nets[1], b);
    // The mixed tokens: the values under the keys' mask.
    std::vector<double> vm(length * d);
    for (int64_t t = 0; t < length; ++t)
      for (int64_t c = 0; c < d; ++c)
        vm[t * d + c] =
            key.tokenMask[t] * values.data[(b * length + t) * d + c];
    for (int64_t j = 0; j < heads; ++j) {
      std::vector<double> z(kh * dh, 0.0);
      for (int64_t t = 0; t < length; ++t)
        for (int64_t k = 0; k < kh; ++k)
          for (int64_t e = 0; e < dh; ++e)
            z[k * dh + e] += key.w[j][t * kh + k] * vm[t * d + j * dh + e];
      for (double &v : z)
        v = gelu(v, tanhGelu);
      for (int64_t t = 0; t < n; ++t)
        for (int64_t e = 0; e < dh; ++e) {
          double s = 0;
          for (int64_t k = 0; k < kh; ++k)
            s += query.w[j][t * kh + k] * z[k * dh + e];
          out.data[(b * n + t) * d + j * dh + e] = s;
        }
    }
  }
  if (op.hasLayerNorm())
    out = layerNorm(out, lookup(op.getGamma()), lookup(op.getBeta()), 2,
                    op.getLayerNormEpsilon()->convertToDouble());
  return out;
}

} // namespace

int64_t HostArray::size() const { return product(shape); }

double sinusoid(int64_t n, int64_t c, int64_t d) {
  double angle = n * std::pow(10000.0, -static_cast<double>(c - c % 2) / d);
  return c % 2 == 0 ? std::sin(angle) : std::cos(angle);
}

double relativeError(const HostArray &a, const HostArray &b) {
  if (a.shape != b.shape)
    return INFINITY;
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    diff += (a.data[i] - b.data[i]) * (a.data[i] - b.data[i]);
    norm += b.data[i] * b.data[i];
  }
  return norm == 0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

namespace {

// Whether a float input is compared (m == 0, m > 0) after layout ops and
// slices: a float padding mask, whose random values then need exact zeros for
// the check to mask anything.
bool comparedWithZero(Value input) {
  SmallVector<Value> pending = {input};
  for (int seen = 0; !pending.empty() && seen < 32; ++seen) {
    Value value = pending.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (isa<EqualOp, LessOp, LessEqualOp>(user))
        return true;
      if (isa<ReshapeOp, TransposeOp, SliceOp, CastOp>(user))
        pending.push_back(user->getResult(0));
    }
  }
  return false;
}

} // namespace

Evaluator::Evaluator(func::FuncOp func, uint64_t seed) {
  // splitmix64: deterministic and good enough for test data.
  uint64_t state = seed;
  auto next = [&]() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
  };
  // Distinct sizes expose dimensions that were confused with each other.
  const int64_t sizes[] = {2, 5, 3, 7, 11, 13, 4, 6};
  // Derived dimensions (floor((base + add) / div) + post) follow from their
  // bases, also where an input names them.
  auto derived = func->getAttrOfType<ArrayAttr>("hm.derived_dims");
  if (!derived)
    derived = ArrayAttr::get(func.getContext(), {});
  std::map<std::string, DictionaryAttr> derivation;
  for (Attribute a : derived)
    if (auto d = dyn_cast<DictionaryAttr>(a))
      derivation[d.getAs<StringAttr>("name").str()] = d;
  for (BlockArgument arg : func.getArguments())
    if (auto dims =
            func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "hm.dims"))
      for (Attribute dim : dims)
        if (auto symbol = dyn_cast<StringAttr>(dim);
            symbol && !derivation.count(symbol.str()) &&
            !symbols.count(symbol.str()))
          symbols[symbol.str()] = sizes[symbols.size() % 8];
  // Derived sizes follow in order. One that comes out below 1 (a length
  // too short for the model's strided front-end), or equal to another
  // symbol's, raises the input length it derives from: the model's own
  // arithmetic (a slice of the mask, say) then agrees with the derivation,
  // and confused dimensions still differ in size.
  auto rootOf = [&](std::string name) {
    while (derivation.count(name))
      name = derivation[name].getAs<StringAttr>("base").str();
    return name;
  };
  auto taken = [&](const std::string &name, int64_t value) {
    for (const auto &[other, size] : symbols)
      if (other != name && size == value)
        return true;
    return false;
  };
  // The input length to raise, or "" once every derived size is set.
  auto derive = [&](bool strict) -> std::string {
    for (Attribute a : derived)
      symbols.erase(cast<DictionaryAttr>(a).getAs<StringAttr>("name").str());
    for (Attribute a : derived) {
      auto d = cast<DictionaryAttr>(a);
      auto get = [&](const char *key) {
        return d.getAs<IntegerAttr>(key).getInt();
      };
      auto mul = d.getAs<IntegerAttr>("mul");
      std::string name = d.getAs<StringAttr>("name").str();
      std::string baseName = d.getAs<StringAttr>("base").str();
      int64_t base = (mul ? mul.getInt() : 1) * symbols[baseName] + get("add");
      int64_t div = get("div");
      int64_t value = base / div - (base % div != 0 && base < 0) + get("post");
      if (strict && (value < 1 || taken(name, value)))
        return rootOf(baseName);
      symbols[name] = std::max<int64_t>(value, 1);
    }
    return "";
  };
  bool settled = false;
  for (int attempt = 0; attempt < 64 && !settled; ++attempt) {
    std::string raise = derive(/*strict=*/true);
    settled = raise.empty();
    if (!settled)
      do
        ++symbols[raise];
      while (taken(raise, symbols[raise]));
  }
  if (!settled)
    derive(/*strict=*/false);
  for (BlockArgument arg : func.getArguments()) {
    auto dims = func.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "hm.dims");
    auto type = cast<RankedTensorType>(arg.getType());
    HostArray array;
    for (int64_t i = 0; i < type.getRank(); ++i) {
      auto symbol = dims && static_cast<int64_t>(dims.size()) == type.getRank()
                        ? dyn_cast<StringAttr>(dims[i])
                        : StringAttr();
      if (!symbol && type.isDynamicDim(i)) {
        message = "argument " + std::to_string(arg.getArgNumber()) +
                  " has a dynamic dimension without an hm.dims name";
        return;
      }
      if (symbol && !symbols.count(symbol.str()))
        symbols[symbol.str()] = sizes[symbols.size() % 8];
      array.shape.push_back(symbol ? symbols[symbol.str()]
                                   : type.getDimSize(i));
    }
    array.data.resize(array.size());
    Type element = type.getElementType();
    bool zeros = isa<FloatType>(element) && comparedWithZero(arg);
    for (double &v : array.data) {
      double u = next();
      v = element.isInteger(1)        ? (u < 0.3 ? 1.0 : 0.0)
          : isa<IntegerType>(element) ? std::floor(u * 10)
          : zeros && u < 0.3          ? 0.0
                                      : 2.0 * u - 1.0;
    }
    values[arg] = std::make_unique<HostArray>(std::move(array));
  }
}

int64_t Evaluator::symbolValue(StringRef expression) {
  SmallVector<StringRef> factors;
  expression.split(factors, '*');
  int64_t value = 1;
  for (StringRef f : factors) {
    int64_t v;
    value *= f.getAsInteger(10, v) ? symbols[f.str()] : v;
  }
  return value;
}

FailureOr<const HostArray *> Evaluator::evaluate(Value value) {
  if (!message.empty())
    return failure();
  auto it = values.find(value);
  if (it != values.end())
    return it->second.get();
  Operation *op = value.getDefiningOp();
  if (!op) {
    message = "a value without a defining op";
    return failure();
  }
  for (Value operand : op->getOperands())
    if (failed(evaluate(operand)))
      return failure();
  if (failed(evaluateOp(op)))
    return failure();
  return values[value].get();
}

LogicalResult Evaluator::evaluateOp(Operation *op) {
  SmallVector<const HostArray *> in;
  for (Value operand : op->getOperands())
    in.push_back(values[operand].get());
  HostArray out;
  if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, ModOp, RemOp,
          EqualOp, LessOp, LessEqualOp, AndOp, OrOp, XorOp>(op) &&
      !broadcastable(in[0]->shape, in[1]->shape)) {
    message = "operand shapes do not broadcast";
    return failure();
  }
  auto unary = [&](llvm::function_ref<double(double)> fn) {
    out = *in[0];
    for (double &v : out.data)
      v = fn(v);
  };
  if (auto constant = dyn_cast<ConstantOp>(op)) {
    auto data = getConstantValues(constant.getOutput());
    if (!data) {
      message = "unreadable constant";
      return failure();
    }
    ArrayRef<int64_t> shape = constant.getType().getShape();
    out.shape.assign(shape.begin(), shape.end());
    out.data = std::move(*data);
  } else if (isa<AddOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) { return a + b; });
  } else if (isa<SubOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) { return a - b; });
  } else if (isa<MulOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) { return a * b; });
  } else if (isa<DivOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) { return a / b; });
  } else if (isa<PowOp>(op)) {
    out = binary(*in[0], *in[1],
                 [](double a, double b) { return std::pow(a, b); });
  } else if (isa<MaxOp>(op)) {
    out = binary(*in[0], *in[1],
                 [](double a, double b) { return std::max(a, b); });
  } else if (isa<MinOp>(op)) {
    out = binary(*in[0], *in[1],
                 [](double a, double b) { return std::min(a, b); });
  } else if (isa<ModOp, RemOp>(op)) {
    bool integer = !isa<FloatType>(
        cast<ShapedType>(op->getResult(0).getType()).getElementType());
    bool floored = isa<ModOp>(op);
    out = binary(*in[0], *in[1], [&](double a, double b) {
      if (b == 0)
        return integer ? 0.0 : NAN;
      double r = std::fmod(a, b);
      return floored && r != 0 && (r < 0) != (b < 0) ? r + b : r;
    });
  } else if (isa<EqualOp>(op)) {
    out = binary(*in[0], *in[1],
                 [](double a, double b) { return a == b ? 1.0 : 0.0; });
  } else if (isa<LessOp>(op)) {
    out = binary(*in[0], *in[1],
                 [](double a, double b) { return a < b ? 1.0 : 0.0; });
  } else if (isa<LessEqualOp>(op)) {
    out = binary(*in[0], *in[1],
                 [](double a, double b) { return a <= b ? 1.0 : 0.0; });
  } else if (isa<AndOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) {
      return a != 0 && b != 0 ? 1.0 : 0.0;
    });
  } else if (isa<OrOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) {
      return a != 0 || b != 0 ? 1.0 : 0.0;
    });
  } else if (isa<XorOp>(op)) {
    out = binary(*in[0], *in[1], [](double a, double b) {
      return (a != 0) != (b != 0) ? 1.0 : 0.0;
    });
  } else if (isa<ErfOp>(op)) {
    unary([](double v) { return std::erf(v); });
  } else if (auto geluOp = dyn_cast<GeluOp>(op)) {
    bool tanh = geluOp.getApproximate() == "tanh";
    unary([tanh](double v) { return gelu(v, tanh); });
  } else if (isa<NegOp>(op)) {
    unary([](double v) { return -v; });
  } else if (isa<SqrtOp>(op)) {
    unary([](double v) { return std::sqrt(v); });
  } else if (isa<RoundOp>(op)) {
    unary([](double v) { return std::nearbyint(v); });
  } else if (isa<FloorOp>(op)) {
    unary([](double v) { return std::floor(v); });
  } else if (isa<CeilOp>(op)) {
    unary([](double v) { return std::ceil(v); });
  } else if (isa<AbsOp>(op)) {
    unary([](double v) { return std::fabs(v); });
  } else if (isa<SinOp>(op)) {
    unary([](double v) { return std::sin(v); });
  } else if (isa<CosOp>(op)) {
    unary([](double v) { return std::cos(v); });
  } else if (auto size = dyn_cast<DimSizeOp>(op)) {
    out.shape.assign(size.getType().getShape().begin(),
                     size.getType().getShape().end());
    out.data = {static_cast<double>(in[0]->shape[size.getReferenceAxis()])};
  } else if (auto iota = dyn_cast<IotaOp>(op)) {
    out.shape = {in[0]->shape[iota.getReferenceAxis()]};
    out.data.resize(out.size());
    for (int64_t i = 0; i < out.size(); ++i)
      out.data[i] = static_cast<double>(i);
  } else if (isa<NotOp>(op)) {
    unary([](double v) { return v != 0 ? 0.0 : 1.0; });
  } else if (auto castOp = dyn_cast<CastOp>(op)) {
    Type element = castOp.getType().getElementType();
    out = *in[0];
    for (double &v : out.data)
      v = element.isInteger(1)        ? (v != 0 ? 1.0 : 0.0)
          : isa<IntegerType>(element) ? std::trunc(v)
          : element.isF32() ? static_cast<double>(static_cast<float>(v))
                            : v;
  } else if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    out.data = in[0]->data;
    for (Attribute a : reshape.getShape())
      out.shape.push_back(isa<IntegerAttr>(a)
                              ? cast<IntegerAttr>(a).getInt()
                              : symbolValue(cast<StringAttr>(a).getValue()));
    if (out.size() != in[0]->size()) {
      message = "reshape element count mismatch";
      return failure();
    }
  } else if (auto transpose = dyn_cast<TransposeOp>(op)) {
    ArrayRef<int64_t> perm = transpose.getPerm();
    for (int64_t p : perm)
      out.shape.push_back(in[0]->shape[p]);
    out.data.resize(in[0]->size());
    Shape index, source(perm.size()), strides = stridesOf(in[0]->shape);
    for (int64_t i = 0; i < out.size(); ++i) {
      unravel(i, out.shape, index);
      int64_t offset = 0;
      for (size_t k = 0; k < perm.size(); ++k)
        offset += index[k] * strides[perm[k]];
      out.data[i] = in[0]->data[offset];
    }
  } else if (isa<SliceOp, SliceToDimOp>(op)) {
    const HostArray &x = *in[0];
    Shape starts(x.shape.size(), 0), steps(x.shape.size(), 1);
    out.shape = x.shape;
    if (auto slice = dyn_cast<SliceOp>(op)) {
      auto type = cast<ShapedType>(slice.getType());
      for (auto [axis, s, e, step] :
           llvm::zip(slice.getAxes(), slice.getStarts(), slice.getEnds(),
                     slice.getSteps())) {
        starts[axis] = s;
        steps[axis] = step;
        if (!type.isDynamicDim(axis)) {
          out.shape[axis] = type.getDimSize(axis);
          continue;
        }
        // A dynamic result counts its end from the input's end (the
        // verifier keeps its step positive).
        int64_t span = x.shape[axis] + e - s;
        out.shape[axis] = span <= 0 ? 0 : 1 + (span - 1) / step;
      }
    } else {
      auto prefix = cast<SliceToDimOp>(op);
      out.shape[prefix.getAxis()] = in[1]->shape[prefix.getReferenceAxis()];
      if (out.shape[prefix.getAxis()] > x.shape[prefix.getAxis()]) {
        message = "slice beyond the table";
        return failure();
      }
    }
    out.data.resize(out.size());
    Shape index, strides = stridesOf(x.shape);
    for (int64_t i = 0; i < out.size(); ++i) {
      unravel(i, out.shape, index);
      int64_t offset = 0;
      for (size_t k = 0; k < index.size(); ++k)
        offset += (starts[k] + index[k] * steps[k]) * strides[k];
      out.data[i] = x.data[offset];
    }
  } else if (auto concat = dyn_cast<ConcatOp>(op)) {
    int64_t axis = concat.getAxis();
    out.shape = in[0]->shape;
    out.shape[axis] = 0;
    for (const HostArray *part : in)
      out.shape[axis] += part->shape[axis];
    // Row-major: blocks of `inner` elements interleave per outer index.
    AxisLayout layout = axisLayout(out.shape, axis);
    out.data.reserve(out.size());
    for (int64_t o = 0; o < layout.outer; ++o)
      for (const HostArray *part : in) {
        int64_t block = part->shape[axis] * layout.inner;
        out.data.insert(out.data.end(), part->data.begin() + o * block,
                        part->data.begin() + (o + 1) * block);
      }
  } else if (isa<MatMulOp>(op)) {
    out = matmul(*in[0], *in[1]);
  } else if (auto linear = dyn_cast<LinearOp>(op)) {
    HostArray x = *in[0];
    int64_t k = x.shape.back();
    x.shape = {x.size() / k, k};
    out = matmul(x, *in[1]);
    if (linear.getBias())
      out = binary(out, *in[2], [](double a, double b) { return a + b; });
    out.shape = in[0]->shape;
    out.shape.back() = in[1]->shape[1];
  } else if (auto ein = dyn_cast<EinsumOp>(op)) {
    out = einsum(ein.getEquation(), in);
  } else if (auto norm = dyn_cast<LayerNormOp>(op)) {
    int64_t rank = static_cast<int64_t>(in[0]->shape.size());
    int64_t axis = static_cast<int64_t>(norm.getAxis());
    const HostArray *gamma =
        norm.getGamma() ? values[norm.getGamma()].get() : nullptr;
    const HostArray *beta =
        norm.getBeta() ? values[norm.getBeta()].get() : nullptr;
    out = layerNorm(*in[0], gamma, beta, axis < 0 ? axis + rank : axis,
                    norm.getEpsilon().convertToDouble());
  } else if (auto gather = dyn_cast<GatherOp>(op)) {
    const HostArray &x = *in[0], &indices = *in[1];
    int64_t axis = static_cast<int64_t>(gather.getAxis());
    auto [outer, extent, inner] = axisLayout(x.shape, axis);
    out.shape.assign(x.shape.begin(), x.shape.begin() + axis);
    out.shape.insert(out.shape.end(), indices.shape.begin(),
                     indices.shape.end());
    out.shape.insert(out.shape.end(), x.shape.begin() + axis + 1,
                     x.shape.end());
    out.data.reserve(out.size());
    for (int64_t o = 0; o < outer; ++o)
      for (double value : indices.data) {
        // The random integer arguments know nothing of table sizes: wrap
        // them into range rather than give up on the model.
        int64_t index = static_cast<int64_t>(value) % extent;
        index = index < 0 ? index + extent : index;
        auto row = x.data.begin() + (o * extent + index) * inner;
        out.data.insert(out.data.end(), row, row + inner);
      }
  } else if (isa<ReduceMeanOp, ReduceSumOp, ReduceMaxOp, ReduceMinOp>(op)) {
    const HostArray &x = *in[0];
    auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
    bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    bool isMean = isa<ReduceMeanOp>(op);
    bool isMax = isa<ReduceMaxOp>(op), isMin = isa<ReduceMinOp>(op);
    int64_t rank = static_cast<int64_t>(x.shape.size());
    Shape kept = x.shape;
    SmallVector<int64_t> reduced;
    for (int64_t a : axes)
      reduced.push_back(a < 0 ? a + rank : a);
    for (int64_t a : reduced)
      kept[a] = 1;
    HostArray sum;
    sum.shape = kept;
    sum.data.assign(product(kept), isMax ? -INFINITY : isMin ? INFINITY : 0.0);
    Shape index;
    for (int64_t i = 0; i < x.size(); ++i) {
      unravel(i, x.shape, index);
      double &acc = sum.data[broadcastOffset(index, kept)];
      acc = isMax   ? std::max(acc, x.data[i])
            : isMin ? std::min(acc, x.data[i])
                    : acc + x.data[i];
    }
    double count = static_cast<double>(x.size()) / sum.size();
    if (isMean)
      for (double &v : sum.data)
        v /= count;
    out = std::move(sum);
    if (!keepdims) {
      out.shape.clear();
      for (int64_t i = 0; i < rank; ++i)
        if (!llvm::is_contained(reduced, i))
          out.shape.push_back(kept[i]);
    }
  } else if (isa<ArgMaxOp, ArgMinOp>(op)) {
    const HostArray &x = *in[0];
    int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
    bool keepdims = op->getAttrOfType<BoolAttr>("keepdims").getValue();
    bool last = op->getAttrOfType<BoolAttr>("select_last_index").getValue();
    bool isMax = isa<ArgMaxOp>(op);
    auto [outer, extent, inner] = axisLayout(x.shape, axis);
    out.shape = x.shape;
    if (keepdims)
      out.shape[axis] = 1;
    else
      out.shape.erase(out.shape.begin() + axis);
    out.data.resize(outer * inner);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        const double *row = x.data.data() + o * extent * inner + j;
        int64_t best = 0;
        for (int64_t k = 1; k < extent; ++k) {
          double v = row[k * inner], b = row[best * inner];
          if (isMax ? (v > b || (last && v == b)) : (v < b || (last && v == b)))
            best = k;
        }
        out.data[o * inner + j] = static_cast<double>(best);
      }
  } else if (auto cumsum = dyn_cast<CumSumOp>(op)) {
    const HostArray &x = *in[0];
    auto [outer, extent, inner] = axisLayout(x.shape, cumsum.getAxis());
    out = x;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        double running = 0;
        for (int64_t step = 0; step < extent; ++step) {
          int64_t k = cumsum.getReverse() ? extent - 1 - step : step;
          int64_t at = (o * extent + k) * inner + j;
          double value = x.data[at];
          out.data[at] = cumsum.getExclusive() ? running : running + value;
          running += value;
        }
      }
  } else if (auto gather = dyn_cast<GatherElementsOp>(op)) {
    const HostArray &x = *in[0], &indices = *in[1];
    auto axis = static_cast<size_t>(gather.getAxis());
    for (size_t i = 0; i < x.shape.size(); ++i)
      if (i != axis && indices.shape[i] > x.shape[i]) {
        message = "gather_elements indices are longer than the input";
        return failure();
      }
    out.shape = indices.shape;
    out.data.resize(indices.data.size());
    Shape strides = stridesOf(x.shape), index;
    for (int64_t at = 0; at < indices.size(); ++at) {
      unravel(at, indices.shape, index);
      // Random indices wrap into range, as gather's do.
      int64_t extent = x.shape[axis];
      index[axis] = static_cast<int64_t>(indices.data[at]) % extent;
      index[axis] += index[axis] < 0 ? extent : 0;
      int64_t offset = 0;
      for (size_t i = 0; i < index.size(); ++i)
        offset += index[i] * strides[i];
      out.data[at] = x.data[offset];
    }
  } else if (isa<ScatterNdOp>(op)) {
    const HostArray &x = *in[0], &indices = *in[1], &updates = *in[2];
    auto k = static_cast<size_t>(indices.shape.back());
    int64_t slice = 1;
    for (size_t i = k; i < x.shape.size(); ++i)
      slice *= x.shape[i];
    out = x;
    for (int64_t row = 0; row < indices.size() / static_cast<int64_t>(k);
         ++row) {
      int64_t offset = 0;
      for (size_t j = 0; j < k; ++j) {
        auto index = static_cast<int64_t>(indices.data[row * k + j]);
        index += index < 0 ? x.shape[j] : 0;
        if (index < 0 || index >= x.shape[j]) {
          message = "a scatter index is out of range";
          return failure();
        }
        offset = offset * x.shape[j] + index;
      }
      std::copy_n(updates.data.begin() + row * slice, slice,
                  out.data.begin() + offset * slice);
    }
  } else if (isa<SigmoidOp>(op)) {
    unary([](double v) { return 1.0 / (1.0 + std::exp(-v)); });
  } else if (isa<TanhOp>(op)) {
    unary([](double v) { return std::tanh(v); });
  } else if (isa<ExpOp>(op)) {
    unary([](double v) { return std::exp(v); });
  } else if (isa<LogOp>(op)) {
    unary([](double v) { return std::log(v); });
  } else if (isa<ReluOp>(op)) {
    unary([](double v) { return std::max(v, 0.0); });
  } else if (auto leaky = dyn_cast<LeakyReluOp>(op)) {
    double alpha = leaky.getAlpha().convertToDouble();
    out = *in[0];
    for (double &v : out.data)
      v = v < 0 ? alpha * v : v;
  } else if (isa<WhereOp>(op)) {
    Shape shape = broadcastShape(broadcastShape(in[0]->shape, in[1]->shape),
                                 in[2]->shape);
    out.shape = shape;
    out.data.resize(out.size());
    Shape index;
    for (int64_t i = 0; i < out.size(); ++i) {
      unravel(i, shape, index);
      out.data[i] = in[0]->data[broadcastOffset(index, in[0]->shape)] != 0
                        ? in[1]->data[broadcastOffset(index, in[1]->shape)]
                        : in[2]->data[broadcastOffset(index, in[2]->shape)];
    }
  } else if (isa<SoftmaxOp, LogSoftmaxOp>(op)) {
    int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
    out = *in[0];
    auto [outer, extent, inner] = axisLayout(out.shape, axis);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < inner; ++j) {
        double *row = out.data.data() + o * extent * inner + j;
        double max = -INFINITY, sum = 0;
        for (int64_t k = 0; k < extent; ++k)
          max = std::max(max, row[k * inner]);
        for (int64_t k = 0; k < extent; ++k)
          sum += std::exp(row[k * inner] - max);
        for (int64_t k = 0; k < extent; ++k)
          row[k * inner] = isa<SoftmaxOp>(op)
                               ? std::exp(row[k * inner] - max) / sum
                               : row[k * inner] - max - std::log(sum);
      }
  } else if (auto pad = dyn_cast<PadOp>(op)) {
    const HostArray &x = *in[0];
    ArrayRef<int64_t> pads = pad.getPads();
    size_t rank = x.shape.size();
    for (size_t i = 0; i < rank; ++i)
      out.shape.push_back(x.shape[i] + pads[i] + pads[i + rank]);
    out.data.resize(out.size());
    Shape index, strides = stridesOf(x.shape);
    StringRef mode = pad.getMode();
    for (int64_t i = 0; i < out.size(); ++i) {
      unravel(i, out.shape, index);
      int64_t offset = 0;
      bool outside = false;
      for (size_t k = 0; k < rank; ++k) {
        int64_t j = index[k] - pads[k], n = x.shape[k];
        if (mode == "reflect")
          j = j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
        else if (mode == "edge")
          j = std::clamp<int64_t>(j, 0, n - 1);
        outside |= j < 0 || j >= n;
        offset += std::clamp<int64_t>(j, 0, n - 1) * strides[k];
      }
      out.data[i] = outside ? pad.getValue().convertToDouble() : x.data[offset];
    }
  } else if (auto conv = dyn_cast<ConvOp>(op)) {
    const HostArray &x = *in[0], &w = *in[1];
    const HostArray *bias = conv.getBias() ? in[2] : nullptr;
    size_t spatial = x.shape.size() - 2;
    int64_t groups = static_cast<int64_t>(conv.getGroups());
    ArrayRef<int64_t> strides = conv.getStrides(), dil = conv.getDilations(),
                      pads = conv.getPads();
    out.shape = {x.shape[0], w.shape[0]};
    for (size_t i = 0; i < spatial; ++i)
      out.shape.push_back((x.shape[2 + i] + pads[i] + pads[i + spatial] -
                           dil[i] * (w.shape[2 + i] - 1) - 1) /
                              strides[i] +
                          1);
    out.data.assign(out.size(), 0.0);
    Shape index, xIndex(x.shape.size()), kIndex;
    Shape kShape(w.shape.begin() + 2, w.shape.end());
    int64_t cInGroup = w.shape[1], cOutGroup = w.shape[0] / groups;
    Shape xStrides = stridesOf(x.shape), wStrides = stridesOf(w.shape);
    for (int64_t i = 0; i < out.size(); ++i) {
      unravel(i, out.shape, index);
      int64_t co = index[1], g = co / cOutGroup;
      double acc = bias ? bias->data[co] : 0.0;
      for (int64_t ci = 0; ci < cInGroup; ++ci)
        for (int64_t k = 0; k < product(kShape); ++k) {
          unravel(k, kShape, kIndex);
          int64_t xOffset =
              index[0] * xStrides[0] + (g * cInGroup + ci) * xStrides[1];
          bool inside = true;
          for (size_t s = 0; s < spatial; ++s) {
            int64_t p =
                index[2 + s] * strides[s] + kIndex[s] * dil[s] - pads[s];
            inside &= p >= 0 && p < x.shape[2 + s];
            xOffset += p * xStrides[2 + s];
          }
          if (!inside)
            continue;
          int64_t wOffset = co * wStrides[0] + ci * wStrides[1];
          for (size_t s = 0; s < spatial; ++s)
            wOffset += kIndex[s] * wStrides[2 + s];
          acc += x.data[xOffset] * w.data[wOffset];
        }
      out.data[i] = acc;
    }
  } else if (auto mix = dyn_cast<HyperMixOp>(op)) {
    const HostArray &x = *values[mix.getInput()];
    if (mix.getMask() &&
        values[mix.getMask()]->shape != Shape{x.shape[0], x.shape[1]}) {
      message = "the mask is not [B, N] for the tokens";
      return failure();
    }
    if (mix.isCross()) {
      const HostArray &keys = *values[mix.getKeys()];
      Shape keyShape = {x.shape[0], keys.shape[1], x.shape[2]};
      if (keys.shape != keyShape ||
          values[mix.getValues()]->shape != keyShape ||
          (mix.getKeyMask() && values[mix.getKeyMask()]->shape !=
                                   Shape{x.shape[0], keys.shape[1]})) {
        message = "the keys, values and key mask do not agree on [B, L, d]";
        return failure();
      }
    }
    int64_t longest = std::max(
        x.shape[1], mix.isCross() ? values[mix.getKeys()]->shape[1] : 0);
    if (mix.getPositional() == "table" &&
        longest + static_cast<int64_t>(mix.getPositionOffset()) >
            values[mix.getPositionTable()]->shape[0]) {
      message = "the tokens outnumber the position table's rows";
      return failure();
    }
    out = hyperMix(mix, in);
  } else {
    message = ("no evaluation rule for " + op->getName().getStringRef()).str();
    return failure();
  }
  values[op->getResult(0)] = std::make_unique<HostArray>(std::move(out));
  return success();
}

} // namespace hm
