// Elementwise ops: add sub mul div pow max min mod rem, equal less less_equal,
// and or xor, and where (NumPy broadcasting); erf gelu neg abs sqrt exp log
// tanh sigmoid relu leaky_relu round floor ceil sin cos, cast, not.
#include "KernelBuilder.h"
#include "OpBuilders.h"

namespace hmc::halide {

using Halide::Expr;

/// Reads `param` at the output coordinates `vars`, broadcasting its static
/// 1-dims (trailing dimensions align, i.e. Halide's innermost ones).
Expr broadcastLoad(const Halide::ImageParam &param, const BufferDesc &buffer,
                   const std::vector<Halide::Var> &vars,
                   const std::vector<Expr> &outExtents) {
  std::vector<Expr> coords;
  size_t rank = buffer.shape.size();
  for (size_t k = 0; k < rank; ++k) {
    const Dim &dim = buffer.shape[rank - 1 - k];
    bool broadcast = dim.isStatic() && dim.size == 1 &&
                     !Halide::Internal::is_const_one(outExtents[k]);
    coords.push_back(broadcast ? Expr(0) : Expr(vars[k]));
  }
  return param(coords);
}

namespace {

Expr castTo(DType to, const Expr &value) {
  if (to == DType::Bool)
    return Halide::select(value != Halide::Internal::make_zero(value.type()),
                          Halide::cast<uint8_t>(1), Halide::cast<uint8_t>(0));
  return Halide::cast(halideType(to), value);
}

/// An integer divisor with 0 and -1 replaced by 1: both select arms are
/// evaluated, and x / 0 or INT_MIN / -1 would trap in the host process.
Expr trapFreeDivisor(const Expr &rhs) {
  Halide::Type type = rhs.type();
  return Halide::select(rhs == Halide::Internal::make_zero(type) ||
                            rhs == Halide::Internal::make_const(type, -1),
                        Halide::Internal::make_one(type), rhs);
}

/// x - q y with q = x / y rounded toward zero (rem, the dividend's sign) or
/// down (mod, the divisor's sign). Integers are total like division: a
/// remainder by 0 or -1 is 0. Floats divide in float64, so that q y is
/// exact for float32 and the result matches fmod.
Expr remainder(bool floored, const Expr &lhs, const Expr &rhs) {
  Halide::Type type = lhs.type();
  if (type.is_float()) {
    Expr x = Halide::cast<double>(lhs), y = Halide::cast<double>(rhs);
    Expr q = floored ? Halide::floor(x / y) : Halide::trunc(x / y);
    return Halide::cast(type, x - q * y);
  }
  // By 0 and -1, replaced by 1, the remainder comes out 0.
  Expr zero = Halide::Internal::make_zero(type);
  Expr safeRhs = trapFreeDivisor(rhs);
  Expr r = lhs - Halide::div_round_to_zero(lhs, safeRhs) * safeRhs;
  return floored ? Halide::select(r != zero && ((r < zero) != (safeRhs < zero)),
                                  r + safeRhs, r)
                 : r;
}

Expr binary(const std::string &op, const Expr &lhs, const Expr &rhs) {
  if (op == "add")
    return lhs + rhs;
  if (op == "sub")
    return lhs - rhs;
  if (op == "mul")
    return lhs * rhs;
  if (op == "max")
    return Halide::max(lhs, rhs);
  if (op == "min")
    return Halide::min(lhs, rhs);
  // bool is one byte holding 0 or 1.
  if (isLogical(op))
    return op == "and" ? lhs & rhs : op == "or" ? lhs | rhs : lhs ^ rhs;
  if (isComparison(op)) {
    Expr holds = op == "equal"  ? lhs == rhs
                 : op == "less" ? lhs < rhs
                                : lhs <= rhs;
    return Halide::select(holds, Halide::cast<uint8_t>(1),
                          Halide::cast<uint8_t>(0));
  }
  if (op == "mod" || op == "rem")
    return remainder(op == "mod", lhs, rhs);
  if (op == "pow") // libm's pow: exact integer powers of negative bases
    return Halide::pow(lhs, rhs);
  if (lhs.type().is_float())
    return lhs / rhs;
  // Integer division truncates like C and ONNX (Halide's `/` floors), but
  // must be total: a hardware trap would kill the host process. x / 0 is 0;
  // x / -1 is negated in unsigned arithmetic so INT_MIN / -1 wraps to INT_MIN
  // (signed overflow is undefined in Halide as in C).
  Halide::Type type = lhs.type();
  Halide::Type unsignedType = type.with_code(Halide::Type::UInt);
  Expr zero = Halide::Internal::make_zero(type);
  Expr minusOne = Halide::Internal::make_const(type, -1);
  Expr negated =
      Halide::reinterpret(type, Halide::Internal::make_zero(unsignedType) -
                                    Halide::reinterpret(unsignedType, lhs));
  return Halide::select(rhs == zero, zero, rhs == minusOne, negated,
                        Halide::div_round_to_zero(lhs, trapFreeDivisor(rhs)));
}

Expr unary(const KernelView &view, const Expr &x) {
  const std::string &op = view.kernel().op;
  if (op == "erf")
    return erfFloat(x);
  if (op == "gelu")
    return gelu(x, view.kernel().attrs.value("approximate", "none") == "tanh");
  if (op == "neg")
    return -x;
  if (op == "abs") // Halide::abs of a signed int is unsigned
    return Halide::cast(x.type(), Halide::abs(x));
  if (op == "sqrt")
    return Halide::sqrt(x);
  // Halide::exp and log are accurate and vectorised (fast_exp is separate).
  if (op == "exp")
    return Halide::exp(x);
  if (op == "log")
    return Halide::log(x);
  bool f32 = x.type() == Halide::Float(32);
  if (op == "tanh")
    return f32 ? tanhFloat(x) : Halide::tanh(x);
  if (op == "round") // ties to even, as ONNX Round
    return Halide::round(x);
  if (op == "floor")
    return Halide::floor(x);
  if (op == "ceil")
    return Halide::ceil(x);
  if (op == "sin" || op == "cos")
    return f32           ? sinCosFloat(x, op == "cos")
           : op == "sin" ? Halide::sin(x)
                         : Halide::cos(x);
  Expr zero = Halide::Internal::make_zero(x.type());
  if (op == "sigmoid")
    return Halide::Internal::make_one(x.type()) /
           (Halide::Internal::make_one(x.type()) + Halide::exp(-x));
  if (op == "relu")
    return Halide::max(x, zero);
  if (op == "leaky_relu")
    return Halide::select(
        x < zero,
        x * Halide::cast(x.type(),
                         Expr(view.kernel().attrs.at("alpha").get<double>())),
        x);
  // not: bool is one byte holding 0 or 1.
  return Halide::select(x == 0, Halide::cast<uint8_t>(1),
                        Halide::cast<uint8_t>(0));
}

/// One elementwise op of `view` on its argument values.
Expr applyOp(const KernelView &view, const std::vector<Expr> &args) {
  const std::string &op = view.kernel().op;
  if (op == "where")
    return Halide::select(args[0] != 0, args[1], args[2]);
  if (args.size() == 2)
    return binary(op, args[0], args[1]);
  if (op == "cast")
    return castTo(parseCastTarget(view), args[0]);
  return unary(view, args[0]);
}

} // namespace

Expr evaluateProgram(const ElementwiseProgram &program,
                     const std::vector<Expr> &inputs) {
  // Each step reads the inputs or the steps before it, so intermediates
  // live in registers.
  std::vector<Expr> results;
  for (size_t s = 0; s < program.steps.size(); ++s) {
    std::vector<Expr> args;
    for (int arg : program.args[s])
      args.push_back(arg >= 0 ? inputs[size_t(arg)]
                              : results[size_t(-1 - arg)]);
    results.push_back(
        applyOp(KernelView(program.scratch, program.steps[s]), args));
  }
  return results.back();
}

Halide::Func buildElementwise(const OpContext &ctx) {
  std::vector<Halide::Var> vars(ctx.outputExtents.size());
  std::vector<Expr> loads;
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    loads.push_back(broadcastLoad(ctx.inputs[i], ctx.view.input(i), vars,
                                  ctx.outputExtents));

  Expr value;
  if (ctx.view.kernel().op == "elementwise") {
    // A fused chain: one expression.
    value = evaluateProgram(parseElementwiseProgram(ctx.view), loads);
  } else {
    value = applyOp(ctx.view, loads);
  }

  Halide::Func out("output");
  out(vars) = value;
  if (!vars.empty() && ctx.handScheduled()) {
    int natural = ctx.vectorSize(value.type());
    vectorizeInner(out, vars[0], ctx.outputExtents[0], natural);
    parallelRows(out, vars, ctx.outputExtents, ctx.taskElements());
  }
  return out;
}

} // namespace hmc::halide
