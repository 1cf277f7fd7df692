// Elementwise kernels against float64 (or exact integer) references:
// broadcasting, dynamic shapes, every dtype the ops accept.
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>

namespace hmc::halide::test {
namespace {

using nlohmann::json;

constexpr double kTolerance = 1e-5;

/// Row-major shape of a graph shape with symbols bound to `sizes`.
/// NumPy broadcasting of a row-major index into an operand's shape.
size_t broadcastIndex(size_t flat, const std::vector<int64_t> &out,
                      const std::vector<int64_t> &in) {
  size_t index = 0, stride = 1;
  for (size_t k = 0; k < in.size(); ++k) {
    size_t outDim = out.size() - 1 - k, inDim = in.size() - 1 - k;
    size_t outStride = 1;
    for (size_t d = outDim + 1; d < out.size(); ++d)
      outStride *= out[d];
    size_t coord = (flat / outStride) % out[outDim];
    if (in[inDim] != 1)
      index += coord * stride;
    stride *= in[inDim];
  }
  return index;
}

struct BinaryCase {
  std::string name, op, dtype;
  json lhs, rhs, out;
  std::map<std::string, int64_t> sizes;
};

void PrintTo(const BinaryCase &c, std::ostream *os) { *os << c.name; }

class BinaryTest : public ::testing::TestWithParam<BinaryCase> {};

TEST_P(BinaryTest, MatchesReference) {
  const BinaryCase &tc = GetParam();
  GraphBuilder graph;
  int64_t lhs = graph.buffer("lhs", tc.dtype, tc.lhs);
  int64_t rhs = graph.buffer("rhs", tc.dtype, tc.rhs);
  int64_t out = graph.buffer("out", tc.dtype, tc.out, "output");
  graph.kernel("k", tc.op, json::object(), {{"lhs", lhs}, {"rhs", rhs}}, out);

  std::mt19937 rng(5);
  bool integer = tc.dtype == "int32" || tc.dtype == "int64";
  Tensor a = randomTensor(bindShape(tc.lhs, tc.sizes), rng, 0.5, 40);
  Tensor b = randomTensor(bindShape(tc.rhs, tc.sizes), rng, 0.5, 9);
  if (integer)
    for (Tensor *t : {&a, &b})
      for (double &v : t->data)
        v = std::trunc(v) + (v > 0 ? 1 : -1); // never 0
  std::vector<int64_t> outShape = bindShape(tc.out, tc.sizes);
  Tensor expected(outShape);
  std::map<std::string, std::function<double(double, double)>> fns = {
      {"add", std::plus<double>()},
      {"sub", std::minus<double>()},
      {"mul", std::multiplies<double>()},
      {"div", [&](double x, double y) {
         return integer ? std::trunc(x / y) : x / y;
       }}};
  for (size_t i = 0; i < expected.size(); ++i)
    expected[i] = fns[tc.op](a[broadcastIndex(i, outShape, a.shape)],
                             b[broadcastIndex(i, outShape, b.shape)]);

  Tensor actual = runKernel(graph, {a, b}, outShape);
  if (integer)
    EXPECT_EQ(actual.data, expected.data);
  else
    EXPECT_LE(relativeL2(actual, expected), kTolerance);
}

std::vector<BinaryCase> binaryCases() {
  std::vector<BinaryCase> cases;
  for (const char *op : {"add", "sub", "mul", "div"}) {
    cases.push_back({std::string(op) + "_broadcast3d",
                     op,
                     "float32",
                     json{3, 1, 37},
                     json{5, 1},
                     json{3, 5, 37},
                     {}});
    cases.push_back({std::string(op) + "_dynamic_rows",
                     op,
                     "float32",
                     json{"n", 7},
                     json{7},
                     json{"n", 7},
                     {{"n", 130}}});
  }
  cases.push_back({"add_dynamic_one_row",
                   "add",
                   "float32",
                   json{"n", 19},
                   json{"n", 19},
                   json{"n", 19},
                   {{"n", 1}}});
  cases.push_back({"mul_scalar",
                   "mul",
                   "float32",
                   json::array(),
                   json{4, 3},
                   json{4, 3},
                   {}});
  cases.push_back({"add_float64",
                   "add",
                   "float64",
                   json{2, 17},
                   json{17},
                   json{2, 17},
                   {}});
  cases.push_back({"div_int32_truncates",
                   "div",
                   "int32",
                   json{9, 5},
                   json{1, 5},
                   json{9, 5},
                   {}});
  cases.push_back({"sub_int64",
                   "sub",
                   "int64",
                   json{"n", 3},
                   json{"n", 1},
                   json{"n", 3},
                   {{"n", 37}}});
  cases.push_back(
      {"mul_int32", "mul", "int32", json{33}, json{33}, json{33}, {}});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Ops, BinaryTest, ::testing::ValuesIn(binaryCases()),
                         [](const auto &info) { return info.param.name; });

struct UnaryCase {
  std::string op, dtype;
  std::function<double(double)> fn;
  json attrs = json::object();
};

void PrintTo(const UnaryCase &c, std::ostream *os) {
  *os << c.op + "_" + c.dtype;
}

class UnaryTest : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryTest, MatchesReference) {
  const UnaryCase &tc = GetParam();
  GraphBuilder graph;
  int64_t x = graph.buffer("x", tc.dtype, {"n", 37});
  int64_t y = graph.buffer("y", tc.dtype, {"n", 37}, "output");
  graph.kernel("k", tc.op, tc.attrs, {{"x", x}}, y);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(11);
  for (int64_t n : {1, 7, 130}) {
    bool positive = tc.op == "sqrt" || tc.op == "log";
    Tensor input = randomTensor({n, 37}, rng, 0.01, 4.5, positive);
    if (tc.dtype == "int32")
      for (double &v : input.data)
        v = std::trunc(v * 10) + 1;
    Tensor expected(input.shape);
    for (size_t i = 0; i < input.size(); ++i)
      expected[i] = tc.fn(input[i]);
    Tensor actual = kernel.run({input}, input.shape);
    double error = relativeL2(actual, expected);
    std::printf("[ relative L2 ] %s %s n=%ld: %.3g\n", tc.op.c_str(),
                tc.dtype.c_str(), long(n), error);
    EXPECT_LE(error, tc.dtype == "float64" ? 1e-12 : kTolerance);
  }
}

double gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double geluTanh(double x) {
  return 0.5 * x *
         (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

INSTANTIATE_TEST_SUITE_P(
    Ops, UnaryTest,
    ::testing::Values(
        UnaryCase{"erf", "float32", [](double x) { return std::erf(x); }},
        UnaryCase{"gelu", "float32", gelu},
        UnaryCase{"gelu", "float32", geluTanh, {{"approximate", "tanh"}}},
        UnaryCase{"neg", "float32", [](double x) { return -x; }},
        UnaryCase{"neg", "int32", [](double x) { return -x; }},
        UnaryCase{"abs", "float32", [](double x) { return std::fabs(x); }},
        UnaryCase{"abs", "float64", [](double x) { return std::fabs(x); }},
        UnaryCase{"abs", "int32", [](double x) { return std::fabs(x); }},
        UnaryCase{"sqrt", "float32", [](double x) { return std::sqrt(x); }},
        UnaryCase{"sqrt", "float64", [](double x) { return std::sqrt(x); }},
        UnaryCase{"exp", "float32", [](double x) { return std::exp(x); }},
        UnaryCase{"log", "float32", [](double x) { return std::log(x); }},
        UnaryCase{"log", "float64", [](double x) { return std::log(x); }},
        UnaryCase{"tanh", "float32", [](double x) { return std::tanh(x); }},
        UnaryCase{"sigmoid", "float32", sigmoid},
        UnaryCase{"sigmoid", "float64", sigmoid},
        UnaryCase{"relu", "float32", [](double x) { return std::max(x, 0.0); }},
        UnaryCase{"relu", "int32", [](double x) { return std::max(x, 0.0); }},
        UnaryCase{"round", "float32",
                  [](double x) { return std::nearbyint(x); }},
        UnaryCase{"round", "float64",
                  [](double x) { return std::nearbyint(x); }},
        UnaryCase{"floor", "float32", [](double x) { return std::floor(x); }},
        UnaryCase{"ceil", "float64", [](double x) { return std::ceil(x); }},
        UnaryCase{"sin", "float32", [](double x) { return std::sin(x); }},
        UnaryCase{"cos", "float32", [](double x) { return std::cos(x); }},
        UnaryCase{"cos", "float64", [](double x) { return std::cos(x); }},
        UnaryCase{"leaky_relu",
                  "float32",
                  [](double x) { return x < 0 ? 0.01 * x : x; },
                  {{"alpha", 0.01}}}),
    [](const auto &info) {
      const json &attrs = info.param.attrs;
      return info.param.op + "_" +
             (attrs.contains("approximate")
                  ? attrs["approximate"].template get<std::string>() + "_"
                  : "") +
             info.param.dtype;
    });

double absoluteError(double actual, double expected) {
  return std::abs(actual - expected);
}
double relativeError(double actual, double expected) {
  return expected != 0 ? std::abs(actual / expected - 1) : 0.0;
}

/// One float32 unary op (`attrs`) on the n points evenly spaced over
/// [lo, hi]: the largest error(result, float64 value) over them.
double worstOnGrid(const char *op, const json &attrs, double lo, double hi,
                   double (*fn)(double),
                   double (*error)(double actual, double expected)) {
  int64_t n = 40001;
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", {n});
  int64_t y = graph.buffer("y", "float32", {n}, "output");
  graph.kernel("k", op, attrs, {{"x", x}}, y);
  Tensor input({n});
  for (int64_t i = 0; i < n; ++i)
    input[i] = float(lo + (hi - lo) * double(i) / double(n - 1));
  Tensor actual = runKernel(graph, {input}, input.shape);
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    worst = std::max(worst, error(actual[i], fn(input[i])));
  return worst;
}

// erf over its whole range, including the saturated tails.
TEST(ErfTest, AbsoluteErrorBelow4e7) {
  double worst = worstOnGrid(
      "erf", json::object(), -10, 10, [](double x) { return std::erf(x); },
      absoluteError);
  EXPECT_LE(worst, 4e-7);
}

// Relative error over the range where float32 sigmoid is not 0 or 1, tanh
// and exp likewise: exp and log are Halide's accurate versions, tanh the
// vectorised one of tanhFloat (the ranges cross its switch at |x| = 1), the
// tanh GELU one exp.
TEST(TranscendentalTest, RelativeErrorNearFloatPrecision) {
  struct Op {
    const char *name;
    double (*fn)(double);
    double lo, hi, bound;
    json attrs = json::object();
  };
  for (const Op &op :
       {Op{"sigmoid", sigmoid, -80, 15, 3e-7},
        Op{"exp", [](double x) { return std::exp(x); }, -80, 80, 4e-7},
        Op{"tanh", [](double x) { return std::tanh(x); }, -9, 9, 3e-7},
        Op{"tanh", [](double x) { return std::tanh(x); }, -1.5, 1.5, 3e-7},
        Op{"tanh", [](double x) { return std::tanh(x); }, -1e-3, 1e-3, 3e-7},
        Op{"log", [](double x) { return std::log(x); }, 1e-3, 1e3, 3e-7},
        // x / (1 + e^v): float32 rounding of the exponent v (11 at x = -4)
        // gives a relative error of about 1e-7 v in the negative tail.
        Op{"gelu", geluTanh, -4, 9, 2e-6, {{"approximate", "tanh"}}}}) {
    double worst =
        worstOnGrid(op.name, op.attrs, op.lo, op.hi, op.fn, relativeError);
    std::printf("[ max relative error ] %s: %.3g\n", op.name, worst);
    EXPECT_LE(worst, op.bound) << op.name;
  }
}

// sin and cos from the vectorised sinCosFloat: absolute error against the
// float64 value of each float32 input, from small angles to the sinusoidal
// positions of long inputs (token index times the fastest frequency, 1).
TEST(TranscendentalTest, SineAndCosineAbsoluteError) {
  for (bool sine : {true, false})
    for (double range : {4.0, 100.0, 1e5}) {
      const char *name = sine ? "sin" : "cos";
      double worst = worstOnGrid(
          name, json::object(), -range, range,
          sine ? +[](double x) { return std::sin(x); }
               : +[](double x) { return std::cos(x); },
          absoluteError);
      std::printf("[ max absolute error ] %s on [-%g, %g]: %.3g\n", name, range,
                  range, worst);
      EXPECT_LE(worst, 2e-7)
          << name << " on [-" << range << ", " << range << "]";
    }
}

// where with a [B, T, 1] condition broadcast over the features and a
// [1, d] y broadcast over the rows.
TEST(WhereTest, BroadcastsCondition) {
  GraphBuilder graph;
  int64_t c = graph.buffer("c", "bool", {2, "t", 1});
  int64_t x = graph.buffer("x", "float32", {2, "t", 37});
  int64_t yIn = graph.buffer("y", "float32", {1, 37});
  int64_t out = graph.buffer("out", "float32", {2, "t", 37}, "output");
  graph.kernel("k", "where", json::object(),
               {{"condition", c}, {"x", x}, {"y", yIn}}, out);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(12);
  for (int64_t t : {1, 23}) {
    Tensor cond = randomTensor({2, t, 1}, rng);
    for (double &v : cond.data)
      v = v > 0;
    Tensor a = randomTensor({2, t, 37}, rng);
    Tensor b = randomTensor({1, 37}, rng);
    Tensor expected(a.shape);
    for (size_t i = 0; i < expected.size(); ++i)
      expected[i] = float(cond[i / 37] != 0 ? a[i] : b[i % 37]);
    Tensor actual = kernel.run({cond, a, b}, a.shape);
    EXPECT_EQ(actual.data, expected.data);
  }
}

struct CompareCase {
  std::string op, dtype;
};

void PrintTo(const CompareCase &c, std::ostream *os) {
  *os << c.op + "_" + c.dtype;
}

class CompareTest : public ::testing::TestWithParam<CompareCase> {};

// A [B, 1] column against a [T] row broadcast to [B, T] (positions against
// lengths, as masks are built), with ties. NaNs are left out: kernels use
// Halide's default float semantics, which assume there are none.
TEST_P(CompareTest, BroadcastsToBools) {
  const CompareCase &tc = GetParam();
  GraphBuilder graph;
  int64_t a = graph.buffer("lhs", tc.dtype, {3, 1});
  int64_t b = graph.buffer("rhs", tc.dtype, {"t"});
  int64_t out = graph.buffer("out", "bool", {3, "t"}, "output");
  graph.kernel("k", tc.op, json::object(), {{"lhs", a}, {"rhs", b}}, out);
  const int64_t t = 37;
  Tensor lhs({3, 1}), rhs({t});
  lhs.data = {0, 5, 36};
  for (int64_t i = 0; i < t; ++i)
    rhs[i] = double(i);
  if (tc.dtype == "float32") {
    lhs[1] = 5.5;
    rhs[36] = -0.0; // equal to 0
  }
  Tensor expected({3, t});
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t i = 0; i < t; ++i) {
      double x = lhs[r], y = rhs[i];
      bool holds = tc.op == "equal" ? x == y : tc.op == "less" ? x < y : x <= y;
      expected[r * t + i] = holds;
    }
  EXPECT_EQ(runKernel(graph, {lhs, rhs}, {3, t}).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, CompareTest,
    ::testing::Values(
        CompareCase{"equal", "int64"}, CompareCase{"less", "int64"},
        CompareCase{"less_equal", "int32"}, CompareCase{"equal", "float32"},
        CompareCase{"less", "float32"}, CompareCase{"less_equal", "float32"}),
    [](const auto &info) { return info.param.op + "_" + info.param.dtype; });

class LogicalTest : public ::testing::TestWithParam<std::string> {};

// Bools [B, 1] against [T], every pair of values.
TEST_P(LogicalTest, BroadcastsToBools) {
  const std::string &op = GetParam();
  GraphBuilder graph;
  int64_t a = graph.buffer("lhs", "bool", {2, 1});
  int64_t b = graph.buffer("rhs", "bool", {"t"});
  int64_t out = graph.buffer("out", "bool", {2, "t"}, "output");
  graph.kernel("k", op, json::object(), {{"lhs", a}, {"rhs", b}}, out);
  const int64_t t = 37;
  Tensor lhs({2, 1}), rhs({t}), expected({2, t});
  lhs.data = {0, 1};
  for (int64_t i = 0; i < t; ++i)
    rhs[i] = i % 3 == 0;
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t i = 0; i < t; ++i) {
      bool x = lhs[r] != 0, y = rhs[i] != 0;
      expected[r * t + i] = op == "and" ? x && y : op == "or" ? x || y : x != y;
    }
  EXPECT_EQ(runKernel(graph, {lhs, rhs}, {2, t}).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(Ops, LogicalTest,
                         ::testing::Values("and", "or", "xor"),
                         [](const auto &info) { return info.param; });

struct CastCase {
  std::string from, to;
};

class IntegerDivTest : public ::testing::TestWithParam<std::string> {};

// Integer div is total: x / 0 is 0 and INT_MIN / -1 wraps to INT_MIN instead
// of trapping (SIGFPE) in the host process.
TEST_P(IntegerDivTest, IsTotal) {
  const std::string &dtype = GetParam();
  double min = dtype == "int32" ? -2147483648.0 : -9223372036854775808.0;
  double big = dtype == "int32" ? 2147483647.0 : 4611686018427387904.0;
  std::vector<std::array<double, 3>> cases = {
      {7, 0, 0},      {-7, 0, 0},        {0, 0, 0},     {min, 0, 0},
      {min, -1, min}, {big, -1, -big},   {7, -1, -7},   {-7, 2, -3},
      {7, -2, -3},    {min, 2, min / 2}, {min, min, 1}, {0, -1, 0}};
  // Repeat so that both vector and scalar tails see the special divisors.
  size_t n = cases.size() * 3;
  Tensor lhs({int64_t(n)}), rhs({int64_t(n)}), expected({int64_t(n)});
  for (size_t i = 0; i < n; ++i) {
    lhs[i] = cases[i % cases.size()][0];
    rhs[i] = cases[i % cases.size()][1];
    expected[i] = cases[i % cases.size()][2];
  }
  GraphBuilder graph;
  int64_t a = graph.buffer("lhs", dtype, {"n"});
  int64_t b = graph.buffer("rhs", dtype, {"n"});
  int64_t out = graph.buffer("out", dtype, {"n"}, "output");
  graph.kernel("k", "div", json::object(), {{"lhs", a}, {"rhs", b}}, out);
  EXPECT_EQ(runKernel(graph, {lhs, rhs}, {int64_t(n)}).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, IntegerDivTest,
                         ::testing::Values("int32", "int64"),
                         [](const auto &info) { return info.param; });

// pow broadcasts like the other binary ops; negative bases with integer
// exponents are exact (x ** 3 of the tanh GELU, x ** 2).
TEST(PowTest, MatchesStdPow) {
  GraphBuilder graph;
  int64_t a = graph.buffer("lhs", "float32", {"n", 7});
  int64_t b = graph.buffer("rhs", "float32", {7});
  int64_t out = graph.buffer("out", "float32", {"n", 7}, "output");
  graph.kernel("k", "pow", json::object(), {{"lhs", a}, {"rhs", b}}, out);
  std::vector<double> exponents = {2, 3, -1, 0, 0.5, -1.5, 1.25};
  std::mt19937 rng(29);
  for (int64_t n : {1, 9}) {
    Tensor base = randomTensor({n, 7}, rng, 0.1, 3.0), exponent({7});
    for (size_t j = 0; j < exponents.size(); ++j)
      exponent[j] = exponents[j];
    Tensor expected(base.shape);
    for (size_t i = 0; i < base.size(); ++i) {
      // Fractional powers take |base| (a negative one would be NaN).
      if (exponent[i % 7] != std::trunc(exponent[i % 7]))
        base[i] = std::fabs(base[i]);
      base[i] = double(float(base[i]));
      expected[i] = std::pow(base[i], exponent[i % 7]);
    }
    EXPECT_LE(
        relativeL2(runKernel(graph, {base, exponent}, base.shape), expected),
        kTolerance);
  }
}

struct RemainderCase {
  std::string op, dtype;
};

void PrintTo(const RemainderCase &c, std::ostream *os) {
  *os << c.op + "_" + c.dtype;
}

class RemainderTest : public ::testing::TestWithParam<RemainderCase> {};

// mod takes the divisor's sign (Python's %, ONNX Mod), rem the dividend's
// (C's fmod, ONNX Mod with fmod = 1). Integer remainders are total like
// division: by 0 or -1 they are 0, also for INT_MIN. Float operands are
// float32 values, so the reference is exact.
TEST_P(RemainderTest, MatchesFmod) {
  const RemainderCase &tc = GetParam();
  bool floored = tc.op == "mod";
  bool integer = tc.dtype != "float32";
  double min = tc.dtype == "int32" ? -2147483648.0 : -9223372036854775808.0;
  std::vector<std::array<double, 2>> cases = {
      {7, 3}, {-7, 3}, {7, -3}, {-7, -3}, {6, 3}, {-6, 3}, {0, 5}, {5, 7}};
  if (integer)
    cases.insert(cases.end(), {{7, 0}, {-7, 0}, {7, -1}, {min, -1}, {min, 3}});
  else
    cases.insert(cases.end(), {{2.5, 0.75}, {-2.5, 0.75}, {0.1f, -0.03f}});
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> value(-1000, 1000), divisor(1, 40);
  for (int i = 0; i < 40; ++i)
    cases.push_back(
        {integer ? value(rng) : value(rng) / 8.0,
         (i % 2 ? -1 : 1) * (integer ? divisor(rng) : divisor(rng) / 16.0)});
  auto n = static_cast<int64_t>(cases.size());
  Tensor lhs({n}), rhs({n}), expected({n});
  for (size_t i = 0; i < cases.size(); ++i) {
    auto [x, y] = cases[i];
    lhs[i] = integer ? x : double(float(x));
    rhs[i] = integer ? y : double(float(y));
    double r = integer && (y == 0 || y == -1) ? 0 : std::fmod(lhs[i], rhs[i]);
    if (floored && r != 0 && (r < 0) != (rhs[i] < 0))
      r += rhs[i];
    expected[i] = integer ? r : double(float(r));
  }
  GraphBuilder graph;
  int64_t a = graph.buffer("lhs", tc.dtype, {"n"});
  int64_t b = graph.buffer("rhs", tc.dtype, {"n"});
  int64_t out = graph.buffer("out", tc.dtype, {"n"}, "output");
  graph.kernel("k", tc.op, json::object(), {{"lhs", a}, {"rhs", b}}, out);
  EXPECT_EQ(runKernel(graph, {lhs, rhs}, {n}).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(Ops, RemainderTest,
                         ::testing::Values(RemainderCase{"mod", "int32"},
                                           RemainderCase{"mod", "int64"},
                                           RemainderCase{"mod", "float32"},
                                           RemainderCase{"rem", "int32"},
                                           RemainderCase{"rem", "int64"},
                                           RemainderCase{"rem", "float32"}),
                         [](const auto &info) {
                           return info.param.op + "_" + info.param.dtype;
                         });

void PrintTo(const CastCase &c, std::ostream *os) {
  *os << c.from + "_to_" + c.to;
}

class CastTest : public ::testing::TestWithParam<CastCase> {};

TEST_P(CastTest, ConvertsLikeC) {
  const CastCase &tc = GetParam();
  GraphBuilder graph;
  int64_t x = graph.buffer("x", tc.from, {3, "n"});
  int64_t y = graph.buffer("y", tc.to, {3, "n"}, "output");
  graph.kernel("k", "cast", {{"to", tc.to}}, {{"x", x}}, y);
  std::mt19937 rng(3);
  Tensor input = randomTensor({3, 41}, rng, 0.2, 50);
  for (size_t i = 0; i < input.size(); ++i) {
    if (tc.from == "bool")
      input[i] = input[i] > 0 ? 1 : 0;
    else if (tc.from != "float32" && tc.from != "float64")
      input[i] = std::trunc(input[i]);
    else if (tc.from == "float32")
      input[i] = float(input[i]);
  }
  input[0] = 0; // the one value where bool casts differ
  Tensor expected(input.shape);
  for (size_t i = 0; i < input.size(); ++i) {
    double v = input[i];
    if (tc.to == "bool")
      expected[i] = v != 0;
    else if (tc.to == "int32" || tc.to == "int64")
      expected[i] = std::trunc(v);
    else if (tc.to == "float32")
      expected[i] = float(v);
    else
      expected[i] = v;
  }
  EXPECT_EQ(runKernel(graph, {input}, input.shape).data, expected.data);
}

INSTANTIATE_TEST_SUITE_P(
    Dtypes, CastTest,
    ::testing::Values(CastCase{"float32", "int32"},
                      CastCase{"float32", "int64"},
                      CastCase{"float32", "float64"},
                      CastCase{"float64", "float32"},
                      CastCase{"float32", "bool"}, CastCase{"bool", "float32"},
                      CastCase{"int64", "float64"}, CastCase{"int32", "int64"},
                      CastCase{"int64", "int32"}, CastCase{"bool", "int64"},
                      CastCase{"int32", "bool"}),
    [](const auto &info) { return info.param.from + "_to_" + info.param.to; });

TEST(NotTest, FlipsBools) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "bool", {"b", "n"});
  int64_t y = graph.buffer("y", "bool", {"b", "n"}, "output");
  graph.kernel("k", "not", json::object(), {{"x", x}}, y);
  std::mt19937 rng(8);
  Tensor input = randomTensor({3, 37}, rng);
  Tensor expected(input.shape);
  for (size_t i = 0; i < input.size(); ++i) {
    input[i] = input[i] > 0;
    expected[i] = 1 - input[i];
  }
  EXPECT_EQ(runKernel(graph, {input}, input.shape).data, expected.data);
}

// A fused chain (op "elementwise"): x * sigmoid(x) + bias, the bias
// broadcast over the rows, then a cast to float64, on a dynamic length.
TEST(FusedElementwiseTest, MatchesReference) {
  GraphBuilder graph;
  int64_t x = graph.buffer("x", "float32", {2, "t", 37});
  int64_t bias = graph.buffer("bias", "float32", {37});
  int64_t out = graph.buffer("out", "float64", {2, "t", 37}, "output");
  json program = {
      {{"op", "sigmoid"}, {"args", {"in0"}}},
      {{"op", "mul"}, {"args", {"in0", "t0"}}},
      {{"op", "add"}, {"args", {"t1", "in1"}}},
      {{"op", "cast"}, {"args", {"t2"}}, {"attrs", {{"to", "float64"}}}}};
  graph.kernel("k", "elementwise", {{"program", program}},
               {{"in0", x}, {"in1", bias}}, out);
  JitKernel kernel(graph.parse());
  std::mt19937 rng(21);
  for (int64_t t : {1, 29}) {
    Tensor a = randomTensor({2, t, 37}, rng, 0.1, 4.0);
    Tensor b = randomTensor({37}, rng);
    Tensor expected(a.shape);
    for (size_t i = 0; i < expected.size(); ++i)
      expected[i] = a[i] / (1 + std::exp(-a[i])) + b[i % 37];
    EXPECT_LE(relativeL2(kernel.run({a, b}, a.shape), expected), kTolerance);
  }
}

// Programs are validated step by step, like the ops they name.
TEST(FusedElementwiseTest, RejectsBadPrograms) {
  auto error = [](const json &program, const std::string &xType = "float32") {
    GraphBuilder graph;
    int64_t x = graph.buffer("x", xType, {"t", 8});
    int64_t out = graph.buffer("out", "float32", {"t", 8}, "output");
    graph.kernel("k", "elementwise", {{"program", program}}, {{"in0", x}}, out);
    try {
      graph.parse();
    } catch (const GraphError &e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(json::array()),
            "kernel 'k' (elementwise): attribute 'program' must be an array "
            "of 1 to 64 steps");
  EXPECT_EQ(error({{{"op", "softmax"}, {"args", {"in0"}}}}),
            "kernel 'k' (elementwise): step 0: 'softmax' is not an "
            "elementwise op");
  EXPECT_EQ(error({{{"op", "mul"}, {"args", {"in0"}}}}),
            "kernel 'k' (elementwise): step 0: mul takes 2 arguments, got 1");
  EXPECT_EQ(error({{{"op", "neg"}, {"args", {"t0"}}}}),
            "kernel 'k' (elementwise): step 0: argument 0 must name a kernel "
            "input (in0 ... in0) or an earlier step (t0 ...), got \"t0\"");
  EXPECT_EQ(error({{{"op", "neg"}, {"args", {"in1"}}}}),
            "kernel 'k' (elementwise): step 0: argument 0 must name a kernel "
            "input (in0 ... in0) or an earlier step (t0 ...), got \"in1\"");
  // The last step writes the output: its dtype must be the output's.
  EXPECT_NE(error({{{"op", "neg"}, {"args", {"in0"}}}}, "int32")
                .find("step 0: kernel 'k.0' (neg): output 'y' has dtype "
                      "float32, expected int32"),
            std::string::npos);
  EXPECT_NE(error({{{"op", "sqrt"}, {"args", {"in0"}}}}, "int64")
                .find("step 0: kernel 'k.0' (sqrt): input 'x' has dtype "
                      "int64, expected float32 or float64"),
            std::string::npos);
}

} // namespace
} // namespace hmc::halide::test
