// Small pieces shared by the default schedules.
#include "OpBuilders.h"

#include <iterator>

namespace hmc::halide {

using Halide::Expr;
using Halide::TailStrategy;

Expr polynomial(const Expr &z, std::initializer_list<double> c) {
  auto coefficient = std::rbegin(c);
  Expr sum = float(*coefficient);
  while (++coefficient != std::rend(c))
    sum = sum * z + float(*coefficient);
  return sum;
}

Expr erfFloat(const Expr &x) {
  // Rational fit on [-4, 4] (odd degree 13 over even degree 8, the form XLA
  // and Eigen use); beyond 4 erf is +-1 in float32. Max absolute error 4e-7,
  // like Halide::erf, which evaluates two branches and costs ~1.5x more.
  Expr xc = Halide::clamp(x, -4.0f, 4.0f);
  Expr x2 = xc * xc;
  Expr p = polynomial(x2, {-1.60960333262415e-02, -2.95459980854025e-03,
                           -7.34990630326855e-04, -5.69250639462346e-05,
                           -2.10102402082508e-06, 2.77068142495902e-08,
                           -2.72614225801306e-10});
  Expr q = polynomial(x2, {-1.42647390514189e-02, -7.37332916720468e-03,
                           -1.68282697438203e-03, -2.13374055278905e-04,
                           -1.45660718464996e-05});
  return xc * p / q;
}

Expr tanhFloat(const Expr &x) {
  // Halide::tanh calls libm once per element, about 50x slower than this.
  // Below 1, x + x^3 q(x^2), q a least-squares fit of degree 7 (relative
  // error 9e-8); above, 1 - 2 / (e^(2|x|) + 1), where the subtraction loses
  // little, saturating at 10 (tanh 10 is 1 in float32).
  Expr a = Halide::abs(x);
  Expr x2 = x * x;
  Expr small =
      x + x * x2 *
              polynomial(x2, {-0.33333328922612648, 0.13333191578007791,
                              -0.053952386794437576, 0.021781949897304798,
                              -0.0085892349163942186, 0.0030717108056166759,
                              -0.00083693913141107829, 0.00012042980950368459});
  Expr large = 1.0f - 2.0f / (Halide::exp(2.0f * Halide::min(a, 10.0f)) + 1.0f);
  return Halide::select(a < 1.0f, small, x < 0.0f, -large, large);
}

Expr sinCosFloat(const Expr &x, bool cosine) {
  // Halide::sin and cos call libm once per element. x = k pi/2 + r, reduced
  // in double (exact enough for |x| < 1e6), then Taylor polynomials of r in
  // [-pi/4, pi/4], truncated below 2e-9.
  Expr wide = Halide::cast<double>(x);
  Expr k = Halide::round(wide * Expr(M_2_PI));
  Expr r = Halide::cast<float>(wide - k * Expr(M_PI_2));
  Expr quadrant =
      (Halide::cast<int>(k - Expr(4.0) * Halide::floor(k * Expr(0.25))) +
       int(cosine)) &
      3;
  Expr r2 = r * r;
  Expr sinR =
      r +
      r * r2 * polynomial(r2, {-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880});
  Expr cosR = polynomial(
      r2, {1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800});
  return Halide::select(quadrant == 0, sinR, quadrant == 1, cosR, quadrant == 2,
                        -sinR, -cosR);
}

Expr gelu(const Expr &x, bool tanhApproximation) {
  if (!tanhApproximation)
    return 0.5f * x * (1.0f + erfFloat(x * float(M_SQRT1_2)));
  // 0.5 x (1 + tanh u) = x / (1 + e^(-2u)): one exp and no cancellation in
  // the negative tail. The exponent is capped where the result is 0 in
  // float32 anyway, so it never overflows.
  const double slope = -2 * std::sqrt(2 / M_PI);
  Expr exponent = x * (float(slope) + float(slope * 0.044715) * x * x);
  return x / (1.0f + Halide::exp(Halide::min(exponent, 80.0f)));
}

Expr applyEpilogue(const OpContext &ctx, const Expr &result,
                   const std::vector<Halide::Var> &vars) {
  if (!ctx.view.kernel().attrs.contains("epilogue"))
    return result;
  std::vector<Expr> inputs{result};
  for (size_t e = 1;; ++e) {
    std::optional<size_t> index = ctx.view.findInput("e" + std::to_string(e));
    if (!index)
      break;
    inputs.push_back(broadcastLoad(ctx.inputs[*index], ctx.view.input(*index),
                                   vars, ctx.outputExtents));
  }
  return evaluateProgram(parseEpilogue(ctx.view), inputs);
}

std::optional<int> staticExtent(const Expr &extent) {
  if (const int64_t *value = Halide::Internal::as_const_int(extent))
    return static_cast<int>(*value);
  return std::nullopt;
}

void requireReflectable(const OpContext &ctx, const Expr &extent, int pad) {
  if (pad > 0)
    ctx.requirements.push_back(
        {extent > pad, Expr("reflect padding by"), Expr(pad),
         Expr("needs a dimension longer than the pad, got"), extent});
}

Expr reflectIndex(const Expr &j, const Expr &n) {
  // likely(j): loops are partitioned so that the interior reads densely and
  // only the borders compute their indices per element.
  return Halide::select(
      j < 0 || j >= n,
      Halide::clamp(Halide::select(j < 0, -j, 2 * (n - 1) - j), 0, n - 1),
      Halide::clamp(Halide::likely(j), 0, n - 1));
}

void vectorizeInner(Halide::Func func, const Halide::VarOrRVar &var,
                    const Expr &extent, int natural) {
  std::optional<int> size = staticExtent(extent);
  if (!size)
    func.vectorize(var, natural, TailStrategy::GuardWithIf);
  else if (*size >= natural)
    func.vectorize(var, natural, TailStrategy::ShiftInwards);
  else if (*size > 1)
    func.vectorize(var, *size);
}

Expr itemsPerTask(const Expr &items, const Expr &otherTasks, int targetTasks,
                  int minItems) {
  Expr tasks = Halide::max(targetTasks / Halide::max(otherTasks, 1), 1);
  return Halide::max((items + tasks - 1) / tasks, minItems);
}

RowLoops parallelRows(Halide::Func func, const std::vector<Halide::Var> &vars,
                      const std::vector<Expr> &extents, int elementsPerTask) {
  if (vars.size() < 2) {
    Halide::LoopLevel outermost(func, Halide::Var::outermost());
    return {outermost, outermost};
  }
  // A row block: dim 0 and the static dims after it while they fit a task.
  std::optional<int> rowElements = staticExtent(extents[0]);
  size_t split = 1;
  while (rowElements && split + 1 < vars.size()) {
    std::optional<int> extent = staticExtent(extents[split]);
    if (!extent || *rowElements * *extent > elementsPerTask)
      break;
    *rowElements *= *extent;
    ++split;
  }
  Expr blocksPerTask =
      rowElements
          ? Expr(std::max(1, elementsPerTask / std::max(*rowElements, 1)))
          : Halide::max(1, elementsPerTask / Halide::max(extents[0], 1));
  // The same number of tasks, evened out: 144 rows in tasks of 131 would
  // leave one core with a tenth of the work. Static row blocks only: the
  // same factor over a dynamic row length broke Halide's bounds inference
  // (an output read before its min).
  if (rowElements) {
    Expr blocks = Halide::max(extents[split], 1);
    Expr tasks = (blocks + blocksPerTask - 1) / blocksPerTask;
    blocksPerTask = Halide::Internal::simplify((blocks + tasks - 1) / tasks);
  }
  // Tasks of blocksPerTask blocks along vars[split], fused with the outer
  // dims into one parallel loop so small outer dims still give enough
  // tasks. The block loop itself stays unfused: a stage computed at a fused
  // loop gets div/mod coordinates whose bounds Halide widens to the whole
  // dim, which made per-row statistics whole-dim heap buffers.
  Halide::Var task, block;
  func.split(vars[split], task, block, blocksPerTask,
             TailStrategy::GuardWithIf);
  for (size_t k = split + 1; k < vars.size(); ++k) {
    Halide::Var fused;
    func.fuse(task, vars[k], fused);
    task = fused;
  }
  func.parallel(task);
  return {Halide::LoopLevel(func, task), Halide::LoopLevel(func, block)};
}

} // namespace hmc::halide
