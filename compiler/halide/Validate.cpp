// Per-op validation: operand roles and order, dtypes, shapes (with NumPy
// broadcasting where the op broadcasts) and attributes.
#include "KernelGraph.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace hmc::halide {

const BufferDesc &KernelView::input(size_t index) const {
  return graph_.buffer(kernel_.inputs.at(index).buffer);
}

const BufferDesc &KernelView::output(size_t index) const {
  return graph_.buffer(kernel_.outputs.at(index).buffer);
}

std::optional<size_t> KernelView::findInput(const std::string &role) const {
  for (size_t i = 0; i < kernel_.inputs.size(); ++i)
    if (kernel_.inputs[i].role == role)
      return i;
  return std::nullopt;
}

const BufferDesc &KernelView::input(const std::string &role) const {
  std::optional<size_t> index = findInput(role);
  if (!index)
    fail(fmt::format("missing input '{}'", role));
  return input(*index);
}

void KernelView::fail(const std::string &message) const {
  throw GraphError(
      fmt::format("kernel '{}' ({}): {}", kernel_.name, kernel_.op, message));
}

std::optional<Shape> broadcastShapes(const Shape &lhs, const Shape &rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align trailing dimensions; a missing leading dimension is a static 1.
    Dim l = i < rank - lhs.size() ? Dim{1, ""} : lhs[i - (rank - lhs.size())];
    Dim r = i < rank - rhs.size() ? Dim{1, ""} : rhs[i - (rank - rhs.size())];
    if (l == r || (r.isStatic() && r.size == 1))
      result[i] = l;
    else if (l.isStatic() && l.size == 1)
      result[i] = r;
    else
      return std::nullopt;
  }
  return result;
}

namespace {

std::string joinRoles(const std::vector<std::string> &roles) {
  std::string text;
  for (size_t i = 0; i < roles.size(); ++i)
    text += (i ? ", " : "") + roles[i];
  return "(" + text + ")";
}

/// Shared checks; every failure names the kernel through KernelView::fail.
class Checker {
public:
  Checker(const KernelGraph &graph, const KernelDesc &kernel)
      : view(graph, kernel), kernel(kernel) {}

  void roles(const std::vector<std::string> &expected,
             const std::string &why = "") const {
    std::vector<std::string> actual;
    for (const Operand &operand : kernel.inputs)
      actual.push_back(operand.role);
    if (actual != expected)
      view.fail(fmt::format("inputs are {} but {}expected {}",
                            joinRoles(actual), why, joinRoles(expected)));
    if (kernel.outputs.size() != 1)
      view.fail(fmt::format("expected exactly one output, got {}",
                            kernel.outputs.size()));
  }

  void dtype(const std::string &role, const BufferDesc &buffer,
             std::initializer_list<DType> allowed) const {
    for (DType dtype : allowed)
      if (buffer.dtype == dtype)
        return;
    std::string names;
    for (DType dtype : allowed)
      names += std::string(names.empty() ? "" : " or ") + dtypeName(dtype);
    view.fail(fmt::format("input '{}' has dtype {}, expected {}", role,
                          dtypeName(buffer.dtype), names));
  }

  void sameDType(const std::string &role, const BufferDesc &buffer,
                 DType dtype) const {
    if (buffer.dtype != dtype)
      view.fail(fmt::format("input '{}' has dtype {}, expected {} like the "
                            "other operands",
                            role, dtypeName(buffer.dtype), dtypeName(dtype)));
  }

  void shape(const std::string &role, const BufferDesc &buffer,
             const Shape &expected) const {
    if (buffer.shape != expected)
      view.fail(fmt::format("input '{}' (buffer {}) has shape {}, expected {}",
                            role, buffer.id, formatShape(buffer.shape),
                            formatShape(expected)));
  }

  void minRank(const std::string &role, const BufferDesc &buffer,
               size_t rank) const {
    if (buffer.shape.size() < rank)
      view.fail(fmt::format("input '{}' has rank {}, expected at least {}",
                            role, buffer.shape.size(), rank));
  }

  const BufferDesc &out() const { return view.output(0); }
  std::string outRole() const { return kernel.outputs[0].role; }

  /// The output must have exactly this dtype and shape.
  void result(DType dtype, const Shape &shape) const {
    if (out().dtype != dtype)
      view.fail(fmt::format("output '{}' has dtype {}, expected {}", outRole(),
                            dtypeName(out().dtype), dtypeName(dtype)));
    if (out().shape != shape)
      view.fail(fmt::format("output '{}' (buffer {}) has shape {}, expected {}",
                            outRole(), out().id, formatShape(out().shape),
                            formatShape(shape)));
  }

  const nlohmann::json &attr(const char *name) const {
    auto it = kernel.attrs.find(name);
    if (it == kernel.attrs.end())
      view.fail(fmt::format("missing attribute '{}'", name));
    return *it;
  }

  /// An integer in [min, max]; the range check also keeps later narrowing
  /// conversions exact (JSON integers can exceed int64 or be unsigned).
  int64_t intAttr(const char *name, int64_t min, int64_t max) const {
    const nlohmann::json &value = attr(name);
    // JSON reads non-negative integers as unsigned: 0 must still fail a
    // minimum of 1.
    bool inRange =
        value.is_number_unsigned()
            ? max >= 0 && value.get<uint64_t>() <= uint64_t(max) &&
                  (min <= 0 || value.get<uint64_t>() >= uint64_t(min))
            : value.is_number_integer() && value.get<int64_t>() >= min &&
                  value.get<int64_t>() <= max;
    if (!inRange)
      view.fail(fmt::format("attribute '{}' must be an integer in [{}, {}], "
                            "got {}",
                            name, min, max, value.dump()));
    return value.get<int64_t>();
  }

  bool boolAttr(const char *name) const {
    const nlohmann::json &value = attr(name);
    if (!value.is_boolean())
      view.fail(fmt::format("attribute '{}' must be true or false, got {}",
                            name, value.dump()));
    return value.get<bool>();
  }

  double nonNegativeAttr(const char *name) const {
    const nlohmann::json &value = attr(name);
    if (!value.is_number() || !(value.get<double>() >= 0))
      view.fail(fmt::format("attribute '{}' must be a number >= 0, got {}",
                            name, value.dump()));
    return value.get<double>();
  }

  std::string choiceAttr(const char *name,
                         const std::vector<std::string> &choices) const {
    const nlohmann::json &value = attr(name);
    for (const std::string &choice : choices)
      if (value == choice)
        return choice;
    view.fail(fmt::format("attribute '{}' must be one of {}, got {}", name,
                          joinRoles(choices), value.dump()));
  }

  KernelView view;
  const KernelDesc &kernel;
};

constexpr std::initializer_list<DType> kNumeric = {
    DType::Float32, DType::Float64, DType::Int32, DType::Int64};
// Data movement and selection work on any element type, bool included.
constexpr std::initializer_list<DType> kAnyType = {
    DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::Bool};
constexpr std::initializer_list<DType> kFloats = {DType::Float32,
                                                  DType::Float64};

/// lhs and rhs of one of the `allowed` dtypes broadcast to the result, which
/// has their dtype or is bool.
void checkBinary(const Checker &check, std::initializer_list<DType> allowed,
                 bool boolResult) {
  check.roles({"lhs", "rhs"});
  const BufferDesc &lhs = check.view.input(0);
  const BufferDesc &rhs = check.view.input(1);
  check.dtype("lhs", lhs, allowed);
  check.sameDType("rhs", rhs, lhs.dtype);
  std::optional<Shape> shape = broadcastShapes(lhs.shape, rhs.shape);
  if (!shape)
    check.view.fail(fmt::format("shapes {} and {} do not broadcast (only "
                                "static 1s broadcast)",
                                formatShape(lhs.shape),
                                formatShape(rhs.shape)));
  check.result(boolResult ? DType::Bool : lhs.dtype, *shape);
}

void checkUnary(const Checker &check, std::initializer_list<DType> allowed) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x, allowed);
  check.result(x.dtype, x.shape);
}

void checkLeakyRelu(const Checker &check) {
  checkUnary(check, kFloats);
  const nlohmann::json &alpha = check.attr("alpha");
  if (!alpha.is_number())
    check.view.fail(fmt::format("attribute 'alpha' must be a number, got {}",
                                alpha.dump()));
}

/// Whether a GELU form attribute (ONNX's names; absent: "none") asks for
/// the tanh approximation.
bool tanhGeluAttr(const Checker &check, const char *name) {
  return check.kernel.attrs.contains(name) &&
         check.choiceAttr(name, {"none", "tanh"}) == "tanh";
}

void checkGelu(const Checker &check) {
  checkUnary(check, {DType::Float32});
  tanhGeluAttr(check, "approximate"); // rejects any other form
}

void checkWhere(const Checker &check) {
  check.roles({"condition", "x", "y"});
  const BufferDesc &condition = check.view.input(0);
  const BufferDesc &x = check.view.input(1);
  const BufferDesc &y = check.view.input(2);
  check.dtype("condition", condition, {DType::Bool});
  check.dtype("x", x, kAnyType);
  check.sameDType("y", y, x.dtype);
  std::optional<Shape> shape = broadcastShapes(x.shape, y.shape);
  if (shape)
    shape = broadcastShapes(condition.shape, *shape);
  if (!shape)
    check.view.fail(fmt::format("shapes {}, {} and {} do not broadcast (only "
                                "static 1s broadcast)",
                                formatShape(condition.shape),
                                formatShape(x.shape), formatShape(y.shape)));
  check.result(x.dtype, *shape);
}

void checkCast(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.result(parseCastTarget(check.view), x.shape);
}

/// The roles `fixed` followed by epilogue inputs e1, e2, ...
std::vector<std::string> withEpilogueRoles(const Checker &check,
                                           std::vector<std::string> fixed) {
  for (size_t i = fixed.size(), e = 1; i < check.kernel.inputs.size(); ++i)
    fixed.push_back("e" + std::to_string(e++));
  return fixed;
}

/// The epilogue, validated; inputs e1, ... only come with one.
void checkEpilogue(const Checker &check, size_t fixedRoles) {
  if (check.kernel.attrs.contains("epilogue"))
    parseEpilogue(check.view);
  else if (check.kernel.inputs.size() > fixedRoles)
    check.view.fail("inputs 'e1', ... need an 'epilogue' attribute");
}

/// A layer norm's gamma (input `gammaIndex`) and beta (the next input), of
/// the normalised dims' shape, and its eps.
void checkNormAffine(const Checker &check, size_t gammaIndex, DType dtype,
                     const Shape &normalised) {
  check.sameDType("gamma", check.view.input(gammaIndex), dtype);
  check.shape("gamma", check.view.input(gammaIndex), normalised);
  check.sameDType("beta", check.view.input(gammaIndex + 1), dtype);
  check.shape("beta", check.view.input(gammaIndex + 1), normalised);
  parseLayerNormEps(check.view);
}

void checkLayerNorm(const Checker &check) {
  check.roles(withEpilogueRoles(check, {"x", "gamma", "beta"}));
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x, kFloats);
  check.minRank("x", x, 1);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  Shape normalised;
  if (check.kernel.attrs.contains("dims")) {
    // Normalised dims anywhere, in gamma's order; the innermost among them.
    const nlohmann::json &dims = check.attr("dims");
    std::vector<bool> seen(rank, false);
    bool valid = dims.is_array() && !dims.empty() &&
                 !check.kernel.attrs.contains("axes");
    for (const nlohmann::json &dim : valid ? dims : nlohmann::json::array()) {
      if (!dim.is_number_integer() || dim.get<int64_t>() < 0 ||
          dim.get<int64_t>() >= rank || seen[dim.get<int64_t>()]) {
        valid = false;
        break;
      }
      seen[dim.get<int64_t>()] = true;
      normalised.push_back(x.shape[dim.get<int64_t>()]);
    }
    if (!valid || !seen[rank - 1])
      check.view.fail(fmt::format(
          "attribute 'dims' must list distinct dims of the rank-{} input, the "
          "innermost among them, and comes without 'axes'",
          rank));
  } else {
    int64_t axes = check.kernel.attrs.contains("axes")
                       ? check.intAttr("axes", 1, rank)
                       : 1;
    normalised.assign(x.shape.end() - axes, x.shape.end());
  }
  checkNormAffine(check, 1, x.dtype, normalised);
  check.result(x.dtype, x.shape);
  checkEpilogue(check, 3);
}

void checkLinear(const Checker &check) {
  bool hasBias = check.view.findInput("bias").has_value();
  std::vector<std::string> roles{"x", "weight"};
  if (hasBias)
    roles.push_back("bias");
  size_t fixedRoles = roles.size();
  check.roles(withEpilogueRoles(check, roles));
  const BufferDesc &x = check.view.input(0);
  const BufferDesc &weight = check.view.input(1);
  check.dtype("x", x, kFloats);
  check.minRank("x", x, 1);
  check.sameDType("weight", weight, x.dtype);
  Dim k = x.shape.back(), m;
  if (check.kernel.attrs.contains("weight_panels")) {
    // [M / P, K, P]: M comes from the result.
    int64_t panel = check.intAttr("weight_panels", 1, 1024);
    const Shape &result = check.out().shape;
    if (result.empty() || !result.back().isStatic() ||
        result.back().size % panel)
      check.view.fail(fmt::format(
          "weight_panels {} needs a static M that it divides, got {}", panel,
          formatShape(result)));
    m = result.back();
    check.shape("weight", weight, {Dim{m.size / panel, ""}, k, Dim{panel, ""}});
  } else {
    if (weight.shape.size() != 2)
      check.view.fail(fmt::format("input 'weight' must be [K, M], got {}",
                                  formatShape(weight.shape)));
    m = weight.shape[1];
    check.shape("weight", weight, {k, m});
  }
  if (hasBias) {
    check.sameDType("bias", check.view.input(2), x.dtype);
    check.shape("bias", check.view.input(2), {m});
  }
  Shape out = x.shape;
  out.back() = m;
  check.result(x.dtype, out);
  checkEpilogue(check, fixedRoles);
}

/// Whether `p` is 2 `t` - 1: the relative positions of t tokens.
bool isRelativeLength(const KernelGraph &graph, const Dim &t, const Dim &p) {
  if (t.isStatic() || p.isStatic())
    return t.isStatic() && p.isStatic() && p.size == 2 * t.size - 1;
  SymbolDesc tokens = graph.multipleOf(t.symbol),
             positions = graph.multipleOf(p.symbol);
  return positions.base == tokens.base && positions.mul == 2 * tokens.mul &&
         positions.add == 2 * tokens.add - 1;
}

void checkMatmul(const Checker &check) {
  check.roles(withEpilogueRoles(check, {"lhs", "rhs"}));
  const BufferDesc &lhs = check.view.input(0);
  const BufferDesc &rhs = check.view.input(1);
  check.dtype("lhs", lhs, kFloats);
  check.sameDType("rhs", rhs, lhs.dtype);
  check.minRank("lhs", lhs, 2);
  check.minRank("rhs", rhs, 2);
  Dim n = lhs.shape[lhs.shape.size() - 2], k = lhs.shape.back();
  Dim rk = rhs.shape[rhs.shape.size() - 2], m = rhs.shape.back();
  if (k != rk)
    check.view.fail(fmt::format("contraction dims differ: lhs {} and rhs {}",
                                formatShape(lhs.shape),
                                formatShape(rhs.shape)));
  std::optional<Shape> batch =
      broadcastShapes(Shape(lhs.shape.begin(), lhs.shape.end() - 2),
                      Shape(rhs.shape.begin(), rhs.shape.end() - 2));
  if (!batch)
    check.view.fail(fmt::format("batch dims of {} and {} do not broadcast",
                                formatShape(lhs.shape),
                                formatShape(rhs.shape)));
  batch->push_back(n);
  bool relative = check.kernel.attrs.contains("relative_shift") &&
                  check.boolAttr("relative_shift");
  auto name = [](const Dim &dim) {
    return dim.isStatic() ? std::to_string(dim.size) : dim.symbol;
  };
  if (relative && !isRelativeLength(check.view.graph(), n, m))
    check.view.fail(fmt::format("relative_shift needs 2 x {} - 1 rhs columns "
                                "(twice the lhs rows less one), got {}",
                                name(n), name(m)));
  batch->push_back(relative ? n : m);
  check.result(lhs.dtype, *batch);
  checkEpilogue(check, 2);
}

/// A list of integers in [min, max].
std::vector<int64_t> intList(const Checker &check, const char *name,
                             int64_t min, int64_t max) {
  const nlohmann::json &value = check.attr(name);
  std::vector<int64_t> result;
  bool ok = value.is_array();
  for (const nlohmann::json &item : ok ? value : nlohmann::json::array()) {
    ok = ok && item.is_number_integer() && item.get<int64_t>() >= min &&
         item.get<int64_t>() <= max;
    if (ok)
      result.push_back(item.get<int64_t>());
  }
  if (!ok)
    check.view.fail(fmt::format("attribute '{}' must be a list of integers "
                                "in [{}, {}], got {}",
                                name, min, max, value.dump()));
  return result;
}

void checkGather(const Checker &check) {
  check.roles({"x", "indices"});
  const BufferDesc &x = check.view.input(0);
  const BufferDesc &indices = check.view.input(1);
  check.dtype("x", x, kAnyType);
  check.dtype("indices", indices, {DType::Int32, DType::Int64});
  check.minRank("x", x, 1);
  check.minRank("indices", indices, 1);
  auto rank = static_cast<int64_t>(x.shape.size());
  size_t axis = static_cast<size_t>(check.intAttr("axis", 0, rank - 1));
  size_t axisDims =
      check.kernel.attrs.contains("axis_dims")
          ? static_cast<size_t>(check.intAttr(
                "axis_dims", 1, rank - static_cast<int64_t>(axis)))
          : 1;
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), x.shape.begin() + axis + axisDims, x.shape.end());
  check.result(x.dtype, out);
}

void checkGatherElements(const Checker &check) {
  check.roles({"x", "indices"});
  const BufferDesc &x = check.view.input(0);
  const BufferDesc &indices = check.view.input(1);
  check.dtype("x", x, kAnyType);
  check.dtype("indices", indices, {DType::Int32, DType::Int64});
  check.minRank("x", x, 1);
  auto rank = static_cast<int64_t>(x.shape.size());
  auto axis = static_cast<size_t>(check.intAttr("axis", 0, rank - 1));
  if (indices.shape.size() != x.shape.size())
    check.view.fail(fmt::format("input 'indices' has rank {}, expected {}",
                                indices.shape.size(), x.shape.size()));
  // Away from the axis the kernel reads x where it reads the indices.
  for (size_t i = 0; i < x.shape.size(); ++i) {
    const Dim &want = indices.shape[i], &have = x.shape[i];
    bool fits = i == axis || want == have ||
                (want.isStatic() && want.size == 1) ||
                (want.isStatic() && have.isStatic() && want.size <= have.size);
    if (!fits)
      check.view.fail(fmt::format(
          "dimension {} of 'indices' ({}) does not fit in that of 'x' ({})", i,
          formatShape({want}), formatShape({have})));
  }
  check.result(x.dtype, indices.shape);
}

void checkScatterNd(const Checker &check) {
  check.roles({"x", "indices", "updates"});
  const BufferDesc &x = check.view.input(0);
  const BufferDesc &indices = check.view.input(1);
  const BufferDesc &updates = check.view.input(2);
  check.dtype("x", x, kAnyType);
  check.dtype("indices", indices, {DType::Int32, DType::Int64});
  check.sameDType("updates", updates, x.dtype);
  check.minRank("indices", indices, 1);
  const Dim &k = indices.shape.back();
  if (!k.isStatic() || k.size < 1 ||
      k.size > static_cast<int64_t>(x.shape.size()))
    check.view.fail(
        fmt::format("the last dimension of 'indices' must be a static 1 to {}",
                    x.shape.size()));
  Shape expected(indices.shape.begin(), indices.shape.end() - 1);
  expected.insert(expected.end(), x.shape.begin() + k.size, x.shape.end());
  check.shape("updates", updates, expected);
  check.result(x.dtype, x.shape);
}

void checkReduce(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x,
              check.kernel.op == "reduce_mean"
                  ? kFloats
                  : std::initializer_list<DType>(kNumeric));
  check.minRank("x", x, 1);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes = intList(check, "axes", 0, rank - 1);
  if (axes.empty() || !std::is_sorted(axes.begin(), axes.end()) ||
      std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    check.view.fail("attribute 'axes' must be non-empty, sorted and unique");
  bool keepdims = check.boolAttr("keepdims");
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), i))
      out.push_back(x.shape[i]);
    else if (keepdims)
      out.push_back(Dim{1, ""});
  }
  check.result(x.dtype, out);
}

void checkArgExtremum(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x, kNumeric);
  check.minRank("x", x, 1);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  auto axis = static_cast<size_t>(check.intAttr("axis", 0, rank - 1));
  check.boolAttr("select_last_index");
  Shape out = x.shape;
  if (check.boolAttr("keepdims"))
    out[axis] = Dim{1, ""};
  else
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(axis));
  check.result(DType::Int64, out);
}

void checkCumSum(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x, kNumeric);
  check.minRank("x", x, 1);
  check.intAttr("axis", 0, static_cast<int64_t>(x.shape.size()) - 1);
  check.boolAttr("exclusive");
  check.boolAttr("reverse");
  check.result(x.dtype, x.shape);
}

/// Whether a slice from `start` by `step` (> 0) whose output extent is `out`
/// reads only indices below the dynamic extent `in` = mi base + ai: `out`
/// must be floor((mo base + ao) / step) + post, so the last index read is at
/// most start + mo base + ao + step (post - 1), below `in` for every base
/// >= 1 when mo <= mi (the 2T - 1 relative positions cropped to T).
bool dynamicSliceInRange(const KernelGraph &graph, const Dim &in,
                         const Dim &out, int64_t start, int64_t step) {
  if (out == in)
    return start == 0 && step == 1;
  // An output of its own is 1 itself + 0 (the unpadded length cropped back
  // out of a padded one).
  SymbolDesc o = graph.derivation(out.symbol);
  SymbolDesc i = graph.multipleOf(in.symbol);
  // m base + c is floor((m step base + c step) / step): every step-th
  // entry of a multiple (x[:, ::2] of 2T is T).
  if (o.div == 1 && step > 1) {
    o.mul *= step;
    o.add = (o.add + o.post) * step;
    o.post = 0;
    o.div = step;
  }
  if (o.base != i.base || o.div != step || o.mul > i.mul)
    return false;
  return (o.mul - i.mul) + start + o.add + step * (o.post - 1) - i.add + 1 <= 0;
}

void checkSlice(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> axes = intList(check, "axes", 0, rank - 1);
  std::vector<int64_t> starts = intList(check, "starts", 0, INT32_MAX);
  std::vector<int64_t> steps = intList(check, "steps", INT32_MIN, INT32_MAX);
  if (starts.size() != axes.size() || steps.size() != axes.size())
    check.view.fail("attributes 'axes', 'starts' and 'steps' differ in length");
  const Shape &out = check.out().shape;
  if (out.size() != x.shape.size())
    check.view.fail(fmt::format("output has rank {}, expected {}", out.size(),
                                x.shape.size()));
  for (int64_t i = 0; i < rank; ++i) {
    auto it = std::find(axes.begin(), axes.end(), i);
    if (it == axes.end()) {
      if (out[i] != x.shape[i])
        check.view.fail(fmt::format("output shape {} differs from {} outside "
                                    "the sliced axes",
                                    formatShape(out), formatShape(x.shape)));
      continue;
    }
    size_t j = static_cast<size_t>(it - axes.begin());
    if (steps[j] == 0)
      check.view.fail(fmt::format("slice of axis {} has step 0", i));
    if (!out[i].isStatic()) {
      if (x.shape[i].isStatic() || steps[j] < 0 ||
          !dynamicSliceInRange(check.view.graph(), x.shape[i], out[i],
                               starts[j], steps[j]))
        check.view.fail(fmt::format(
            "slice of axis {} from {} by {}: output extent {} is not a "
            "length the input extent {} keeps in range",
            i, starts[j], steps[j], out[i].symbol, formatShape({x.shape[i]})));
      continue;
    }
    // Every index read must exist: below a static extent, or index 0 of a
    // dynamic one (whose extent is at least 1).
    int64_t last = starts[j] + steps[j] * (out[i].size - 1);
    int64_t limit = x.shape[i].isStatic() ? x.shape[i].size : 1;
    if (out[i].size > 0 && (std::max(starts[j], last) >= limit || last < 0))
      check.view.fail(fmt::format("slice of axis {} reads indices {} to {}, "
                                  "outside the input extent {}",
                                  i, starts[j], last,
                                  formatShape({x.shape[i]})));
  }
  check.result(x.dtype, out);
}

void checkReshape(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  const BufferDesc &out = check.out();
  // Equal element counts: the same static product and the same symbols (a
  // multiple mul base counts as mul and its base: an output's [T, 8] written
  // as its 8 T).
  auto signature = [&](const Shape &shape) {
    int64_t product = 1;
    std::vector<std::string> symbols;
    for (const Dim &dim : shape) {
      if (dim.isStatic()) {
        product *= dim.size;
        continue;
      }
      // Down to a symbol that is no multiple (an output's 16 N_1 of a
      // concatenated N_1 = 2 N is 32 N).
      std::string symbol = dim.symbol;
      for (SymbolDesc multiple = check.view.graph().multipleOf(symbol);
           multiple.add == 0 && multiple.base != symbol;
           multiple = check.view.graph().multipleOf(symbol)) {
        product *= multiple.mul;
        symbol = multiple.base;
      }
      symbols.push_back(symbol);
    }
    std::sort(symbols.begin(), symbols.end());
    return std::make_pair(product, symbols);
  };
  if (signature(x.shape) != signature(out.shape))
    check.view.fail(fmt::format("cannot reshape {} to {}: element counts "
                                "differ",
                                formatShape(x.shape), formatShape(out.shape)));
  check.result(x.dtype, out.shape);
}

void checkSoftmax(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x, kFloats);
  check.minRank("x", x, 1);
  check.intAttr("axis", 0, static_cast<int64_t>(x.shape.size()) - 1);
  check.result(x.dtype, x.shape);
}

void checkTranspose(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> perm = intList(check, "perm", 0, rank - 1);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  if (static_cast<int64_t>(perm.size()) != rank ||
      std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    check.view.fail(fmt::format("attribute 'perm' must be a permutation of "
                                "the {} dims of {}",
                                rank, formatShape(x.shape)));
  Shape out;
  for (int64_t axis : perm)
    out.push_back(x.shape[axis]);
  check.result(x.dtype, out);
}

/// x [..., T, 2T - 1] to [..., T, T]: the last dim must be 2T - 1, a static
/// size or the derived symbol 2 T - 1 of T (or of T's own base).
void checkRelativeShift(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.minRank("x", x, 2);
  const Dim &t = x.shape[x.shape.size() - 2], &p = x.shape.back();
  if (!isRelativeLength(check.view.graph(), t, p))
    check.view.fail(fmt::format("input 'x' has shape {}: the last dim must "
                                "be 2 x {} - 1",
                                formatShape(x.shape), formatShape({t})));
  Shape out = x.shape;
  out.back() = t;
  check.result(x.dtype, out);
}

void checkFbank(const Checker &check) {
  check.roles({"audio", "window", "cos", "sin", "mel"});
  const BufferDesc &audio = check.view.input(0);
  const BufferDesc &window = check.view.input(1);
  const BufferDesc &mel = check.view.input(4);
  for (size_t i = 0; i < 5; ++i)
    check.dtype(check.kernel.inputs[i].role, check.view.input(i),
                {DType::Float32});
  if (audio.shape.size() != 2)
    check.view.fail(fmt::format("input 'audio' must be [B, S], got {}",
                                formatShape(audio.shape)));
  if (window.shape.size() != 1 || !isStaticShape(window.shape))
    check.view.fail(fmt::format("input 'window' must be a static [W], got {}",
                                formatShape(window.shape)));
  const BufferDesc &cos = check.view.input(2);
  if (cos.shape.size() != 2 || !isStaticShape(cos.shape))
    check.view.fail(fmt::format("input 'cos' must be a static [F, W], got {}",
                                formatShape(cos.shape)));
  if (mel.shape.size() != 2 || !isStaticShape(mel.shape))
    check.view.fail(fmt::format("input 'mel' must be a static [M, F], got {}",
                                formatShape(mel.shape)));
  Dim w = window.shape[0], f = cos.shape[0];
  check.shape("cos", cos, {f, w});
  check.shape("sin", check.view.input(3), {f, w});
  check.shape("mel", mel, {mel.shape[0], f});
  int64_t hop = check.intAttr("hop", 1, INT32_MAX);
  const nlohmann::json &energyFloor = check.attr("floor");
  if (!energyFloor.is_number() || !(energyFloor.get<double>() > 0))
    check.view.fail(fmt::format("attribute 'floor' must be a number > 0, got "
                                "{}",
                                energyFloor.dump()));
  // T = floor((S - W) / hop) + 1 frames: static, or the derived symbol.
  const Shape &out = check.out().shape;
  const Dim &samples = audio.shape[1];
  bool framesOk = false;
  if (out.size() == 3 && samples.isStatic()) {
    framesOk = samples.size >= w.size &&
               out[1] == Dim{(samples.size - w.size) / hop + 1, ""};
  } else if (out.size() == 3 && !out[1].isStatic()) {
    const SymbolDesc *frames = check.view.graph().findSymbol(out[1].symbol);
    framesOk = frames && frames->base == samples.symbol && frames->mul == 1 &&
               frames->add == -w.size && frames->div == hop &&
               frames->post == 1;
  }
  if (!framesOk)
    check.view.fail(fmt::format("output '{}' (buffer {}) has shape {}: the "
                                "frame count must be floor((S - {}) / {}) + 1 "
                                "of audio {} (a derived symbol when S is "
                                "dynamic)",
                                check.outRole(), check.out().id,
                                formatShape(out), w.size, hop,
                                formatShape(audio.shape)));
  check.result(DType::Float32, {audio.shape[0], out[1], mel.shape[0]});
}

void checkIota(const Checker &check) {
  check.roles({"reference"});
  const Shape &reference = check.view.input(0).shape;
  int64_t axis =
      check.intAttr("axis", 0, static_cast<int64_t>(reference.size()) - 1);
  DType dtype = check.out().dtype;
  if (dtype == DType::Bool)
    check.view.fail("output must be numeric, not bool");
  check.result(dtype, {reference[axis]});
}

void checkDimSize(const Checker &check) {
  check.roles({"reference"});
  const Shape &reference = check.view.input(0).shape;
  check.intAttr("axis", 0, static_cast<int64_t>(reference.size()) - 1);
  DType dtype = check.out().dtype;
  if (dtype == DType::Bool)
    check.view.fail("output must be numeric, not bool");
  for (const Dim &dim : check.out().shape)
    if (dim != Dim{1, ""})
      check.view.fail(fmt::format("output must hold one element, got {}",
                                  formatShape(check.out().shape)));
}

void checkCtcGreedy(const Checker &check) {
  check.roles({"log_probs"});
  const BufferDesc &logProbs = check.view.input(0);
  check.dtype("log_probs", logProbs, {DType::Float32});
  if (logProbs.shape.size() != 3)
    check.view.fail(fmt::format("input 'log_probs' must be [B, T, V], got {}",
                                formatShape(logProbs.shape)));
  const Dim &vocabulary = logProbs.shape[2];
  if (check.kernel.attrs.contains("blank"))
    check.intAttr("blank", 0,
                  vocabulary.isStatic() ? vocabulary.size - 1 : INT32_MAX);
  check.result(DType::Int64, {logProbs.shape[0], logProbs.shape[1]});
}

/// The output extent of a dim of `in` grown by `grow` (static or symbolic):
/// a static input gives the static sum; a dynamic one grown by 0 keeps its
/// symbol; otherwise the output's own (derived) symbol holds the size.
void checkGrownDim(const Checker &check, size_t axis, const Dim &in,
                   int64_t grow, bool dynamicGrowth) {
  const Dim &out = check.out().shape.at(axis);
  bool ok = in.isStatic() && !dynamicGrowth ? out == Dim{in.size + grow, ""}
            : grow == 0 && !dynamicGrowth   ? out == in
                                            : !out.isStatic();
  if (!ok)
    check.view.fail(fmt::format("output '{}' (buffer {}) has shape {}: dim {} "
                                "does not match the input",
                                check.outRole(), check.out().id,
                                formatShape(check.out().shape), axis));
}

void checkPad(const Checker &check) {
  check.roles({"x"});
  const BufferDesc &x = check.view.input(0);
  check.dtype("x", x, kNumeric);
  size_t rank = x.shape.size();
  std::string mode = check.choiceAttr("mode", {"constant", "reflect", "edge"});
  std::vector<int64_t> pads = intList(check, "pads", 0, INT32_MAX / 2);
  if (pads.size() != 2 * rank)
    check.view.fail(fmt::format("attribute 'pads' must have 2 x rank = {} "
                                "entries (begins, then ends), got {}",
                                2 * rank, pads.size()));
  if (check.kernel.attrs.contains("value") &&
      !check.kernel.attrs["value"].is_number() &&
      check.kernel.attrs["value"] != "inf" &&
      check.kernel.attrs["value"] != "-inf")
    check.view.fail(fmt::format(
        "attribute 'value' must be a number, \"inf\" or \"-inf\", got {}",
        check.kernel.attrs["value"].dump()));
  if (check.out().shape.size() != rank)
    check.view.fail(fmt::format("output has rank {}, expected {}",
                                check.out().shape.size(), rank));
  for (size_t i = 0; i < rank; ++i) {
    // Reflection mirrors inside the dim, so each pad is below its size.
    if (mode == "reflect" && x.shape[i].isStatic() &&
        std::max(pads[i], pads[rank + i]) >= x.shape[i].size)
      check.view.fail(fmt::format("reflect pads of dim {} ({}, {}) must be "
                                  "smaller than its size {}",
                                  i, pads[i], pads[rank + i], x.shape[i].size));
    checkGrownDim(check, i, x.shape[i], pads[i] + pads[rank + i], false);
  }
  check.result(x.dtype, check.out().shape);
}

void checkConcat(const Checker &check) {
  size_t count = check.kernel.inputs.size();
  std::vector<std::string> roles;
  for (size_t n = 0; n < std::max<size_t>(count, 1); ++n)
    roles.push_back(fmt::format("x{}", n));
  check.roles(roles);
  const BufferDesc &x0 = check.view.input(0);
  check.dtype("x0", x0, kAnyType);
  check.minRank("x0", x0, 1);
  size_t rank = x0.shape.size();
  size_t axis = static_cast<size_t>(
      check.intAttr("axis", 0, static_cast<int64_t>(rank) - 1));
  int64_t staticSum = 0;
  bool dynamicAxis = false;
  for (size_t n = 0; n < count; ++n) {
    const BufferDesc &input = check.view.input(n);
    check.sameDType(roles[n], input, x0.dtype);
    Shape expected = x0.shape;
    expected[axis] = input.shape.size() == rank ? input.shape[axis] : Dim{};
    check.shape(roles[n], input, expected);
    if (input.shape[axis].isStatic())
      staticSum += input.shape[axis].size;
    else
      dynamicAxis = true;
  }
  if (check.out().shape.size() != rank)
    check.view.fail(fmt::format("output has rank {}, expected {}",
                                check.out().shape.size(), rank));
  // A single input passes through with its own extents.
  const Dim &first = x0.shape[axis];
  if (count == 1)
    checkGrownDim(check, axis, first, 0, false);
  else
    checkGrownDim(check, axis, Dim{0, ""}, staticSum, dynamicAxis);
  Shape out = x0.shape;
  out[axis] = check.out().shape[axis];
  check.result(x0.dtype, out);
}

void checkConv(const Checker &check) {
  bool hasBias = check.view.findInput("bias").has_value();
  bool normalized = check.kernel.attrs.contains("norm_dims");
  std::vector<std::string> roles{"x", "weight"};
  if (hasBias)
    roles.push_back("bias");
  if (normalized)
    roles.insert(roles.end(), {"gamma", "beta"});
  size_t fixedRoles = roles.size();
  check.roles(withEpilogueRoles(check, roles));
  const BufferDesc &weight = check.view.input(1);
  // channels_last: x [B, S, C_in] and the result [B, O, C_out]; the checks
  // below read both as channels-first.
  bool channelsLast = check.kernel.attrs.contains("channels_last") &&
                      check.boolAttr("channels_last");
  BufferDesc x = check.view.input(0);
  // Messages show the shapes as stored.
  const Shape &storedX = check.view.input(0).shape;
  Shape outShape = check.out().shape;
  if (channelsLast) {
    if (x.shape.size() != 3 || outShape.size() != 3)
      check.view.fail(fmt::format("channels_last needs a 1-D conv: x [B, S, "
                                  "C_in] and a result [B, O, C_out], got {} "
                                  "and {}",
                                  formatShape(storedX), formatShape(outShape)));
    std::swap(x.shape[1], x.shape[2]);
    std::swap(outShape[1], outShape[2]);
  }
  check.dtype("x", x, {DType::Float32});
  check.sameDType("weight", weight, x.dtype);
  size_t rank = x.shape.size();
  if (rank != 3 && rank != 4)
    check.view.fail(fmt::format("input 'x' must be [B, C_in, S...] with 1 or "
                                "2 spatial dims, got {}",
                                formatShape(storedX)));
  size_t spatial = rank - 2;
  if (weight.shape.size() != rank || !isStaticShape(weight.shape) ||
      !x.shape[1].isStatic())
    check.view.fail(fmt::format("input 'weight' must be a static [C_out, "
                                "C_in/groups, K...] of rank {} and C_in "
                                "static, got x {} and weight {}",
                                rank, formatShape(storedX),
                                formatShape(weight.shape)));
  int64_t groups = check.intAttr("groups", 1, INT32_MAX);
  int64_t inChannels = x.shape[1].size, outChannels = weight.shape[0].size;
  if (inChannels % groups != 0 || outChannels % groups != 0 ||
      weight.shape[1].size != inChannels / groups)
    check.view.fail(fmt::format("groups = {} does not fit x {} and weight {} "
                                "(C_in and C_out divisible by groups, weight "
                                "dim 1 = C_in/groups)",
                                groups, formatShape(storedX),
                                formatShape(weight.shape)));
  if (channelsLast && (groups != inChannels || outChannels != inChannels))
    check.view.fail(fmt::format("channels_last needs a depthwise conv (groups "
                                "= C_in = C_out), got groups {}, C_in {}, "
                                "C_out {}",
                                groups, inChannels, outChannels));
  std::vector<int64_t> strides = intList(check, "strides", 1, 1 << 16);
  std::vector<int64_t> dilations = intList(check, "dilations", 1, 1 << 16);
  std::vector<int64_t> pads = intList(check, "pads", 0, 1 << 16);
  if (strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial)
    check.view.fail(fmt::format("attributes 'strides' and 'dilations' need "
                                "{} entries and 'pads' {}",
                                spatial, 2 * spatial));
  // pad_mode reflect: the pads mirror the input, as a reflect pad kernel
  // folded into the conv (docs/kernel-graph.md).
  bool reflect =
      check.kernel.attrs.contains("pad_mode") &&
      check.choiceAttr("pad_mode", {"constant", "reflect"}) == "reflect";
  if (reflect && channelsLast)
    check.view.fail("channels_last supports zero padding only");
  if (reflect)
    for (size_t i = 0; i < spatial; ++i)
      if (x.shape[2 + i].isStatic() &&
          std::max(pads[i], pads[spatial + i]) >= x.shape[2 + i].size)
        check.view.fail(fmt::format("reflect pads of spatial dim {} ({}, {}) "
                                    "must be smaller than its size {}",
                                    i, pads[i], pads[spatial + i],
                                    x.shape[2 + i].size));
  if (hasBias) {
    check.sameDType("bias", check.view.input(2), x.dtype);
    check.shape("bias", check.view.input(2), {weight.shape[0]});
  }
  const Shape &out = outShape;
  if (out.size() != rank)
    check.view.fail(
        fmt::format("output has rank {}, expected {}", out.size(), rank));
  for (size_t i = 0; i < spatial; ++i) {
    const Dim &in = x.shape[2 + i];
    int64_t span = dilations[i] * (weight.shape[2 + i].size - 1) + 1;
    int64_t grow = pads[i] + pads[spatial + i] - span + 1;
    bool sameSize = strides[i] == 1 && grow == 0;
    int64_t size =
        in.isStatic()
            ? (in.size + pads[i] + pads[spatial + i] - span) / strides[i] + 1
            : 0;
    bool ok = in.isStatic() ? size >= 1 && out[2 + i] == Dim{size, ""}
              : sameSize    ? out[2 + i] == in
                            : !out[2 + i].isStatic();
    if (!ok)
      check.view.fail(fmt::format(
          "output '{}' (buffer {}) has shape {}: spatial dim {} does not "
          "match input {} with kernel {}, stride {}, dilation {} and pads "
          "({}, {})",
          check.outRole(), check.out().id, formatShape(check.out().shape), i,
          formatShape(storedX), weight.shape[2 + i].size, strides[i],
          dilations[i], pads[i], pads[spatial + i]));
  }
  Shape expected = out;
  expected[0] = x.shape[0];
  expected[1] = weight.shape[0];
  if (channelsLast) {
    Shape stored = expected;
    std::swap(stored[1], stored[2]);
    check.result(x.dtype, stored);
  } else {
    check.result(x.dtype, expected);
  }
  if (!normalized) {
    if (check.kernel.attrs.contains("epilogue"))
      check.view.fail("an epilogue needs 'norm_dims' (it follows the norm)");
    if (check.kernel.attrs.contains("eps"))
      check.view.fail("'eps' needs 'norm_dims' (it is the norm's)");
    checkEpilogue(check, fixedRoles);
    return;
  }
  // norm_dims: a layer_norm of the result over the channels and the
  // innermost dim, in gamma's order ([1, 3] or [3, 1]), folded in: one
  // output row (b, h) is one normalised block (docs/kernel-graph.md).
  const nlohmann::json &dims = check.attr("norm_dims");
  std::set<int64_t> dimSet;
  if (dims.is_array())
    for (const nlohmann::json &dim : dims)
      if (dim.is_number_integer())
        dimSet.insert(dim.get<int64_t>());
  if (rank != 4 || dims.size() != 2 || dimSet != std::set<int64_t>{1, 3} ||
      !expected[3].isStatic())
    check.view.fail(fmt::format("attribute 'norm_dims' must be [1, 3] or "
                                "[3, 1] of a rank-4 output with a static "
                                "last dim, got {} for output {}",
                                dims.dump(), formatShape(expected)));
  Shape normalised = {expected[dims[0].get<int64_t>()],
                      expected[dims[1].get<int64_t>()]};
  checkNormAffine(check, fixedRoles - 2, x.dtype, normalised);
  checkEpilogue(check, fixedRoles);
}

/// A zero-size tensor has no use in these models, and the schedules split
/// and clamp by extents that must be at least 1.
void checkNoZeroDims(const Checker &check) {
  auto checkOperands = [&](const std::vector<Operand> &operands,
                           const char *kind) {
    for (const Operand &operand : operands) {
      const BufferDesc &buffer = check.view.graph().buffer(operand.buffer);
      for (const Dim &dim : buffer.shape)
        if (dim.isStatic() && dim.size == 0)
          check.view.fail(fmt::format("{} '{}' (buffer {}) has shape {} with a "
                                      "zero-size dimension",
                                      kind, operand.role, buffer.id,
                                      formatShape(buffer.shape)));
    }
  };
  checkOperands(check.kernel.inputs, "input");
  checkOperands(check.kernel.outputs, "output");
}

} // namespace

double parseLayerNormEps(const KernelView &view) {
  return Checker(view.graph(), view.kernel()).nonNegativeAttr("eps");
}

bool isPointwiseConv(const KernelView &view) {
  const nlohmann::json &attrs = view.kernel().attrs;
  const Shape &weight = view.input("weight").shape;
  std::vector<int> pads = attrs.at("pads").get<std::vector<int>>();
  return !attrs.value("channels_last", false) && weight.size() == 3 &&
         weight[2].isStatic() && weight[2].size == 1 &&
         attrs.at("strides").get<std::vector<int>>()[0] == 1 &&
         attrs.at("groups").get<int>() == 1 &&
         std::all_of(pads.begin(), pads.end(),
                     [](int pad) { return pad == 0; });
}

DType parseCastTarget(const KernelView &view) {
  Checker check(view.graph(), view.kernel());
  const nlohmann::json &to = check.attr("to");
  std::optional<DType> dtype =
      to.is_string() ? parseDType(to.get<std::string>()) : std::nullopt;
  if (!dtype)
    view.fail(
        fmt::format("attribute 'to' must be a dtype name, got {}", to.dump()));
  return *dtype;
}

HyperMixParams parseHyperMix(const KernelView &view) {
  Checker check(view.graph(), view.kernel());
  HyperMixParams p;
  p.heads = static_cast<int>(check.intAttr("heads", 1, INT32_MAX));
  p.hidden = static_cast<int>(check.intAttr("hidden", 1, INT32_MAX));
  p.tied = check.boolAttr("tied");
  p.hasMask = check.boolAttr("has_mask");
  if (view.kernel().attrs.contains("has_keys"))
    p.hasKeys = check.boolAttr("has_keys");
  if (view.kernel().attrs.contains("has_key_mask"))
    p.hasKeyMask = check.boolAttr("has_key_mask");
  if (p.hasKeyMask && !p.hasKeys)
    view.fail("has_key_mask needs has_keys");
  std::string positional =
      check.choiceAttr("positional", {"none", "sinusoidal", "table"});
  p.positional = positional != "none";
  p.learnedTable = positional == "table";
  if (view.kernel().attrs.contains("has_position_table"))
    p.positionTable = check.boolAttr("has_position_table");
  if (p.positionTable && !p.positional)
    view.fail("has_position_table needs positional = \"sinusoidal\" or "
              "\"table\"");
  if (p.learnedTable && !p.positionTable)
    view.fail("positional = \"table\" needs has_position_table");
  if (view.kernel().attrs.contains("positions_transposed"))
    p.positionsTransposed = check.boolAttr("positions_transposed");
  if (p.positionsTransposed && !p.positionTable)
    view.fail("positions_transposed needs has_position_table");
  if (view.kernel().attrs.contains("hypernetwork_panels"))
    p.hypernetworkPanels =
        static_cast<int>(check.intAttr("hypernetwork_panels", 1, 1024));
  if (p.hypernetworkPanels && p.hidden % p.hypernetworkPanels)
    view.fail(fmt::format("hypernetwork_panels {} does not divide hidden = {}",
                          p.hypernetworkPanels, p.hidden));
  // Positions are int32 token indices plus the offset inside the kernel.
  if (view.kernel().attrs.contains("position_offset"))
    p.positionOffset = check.intAttr("position_offset", 0, int64_t(1) << 30);
  if (view.kernel().attrs.contains("input_scale"))
    p.inputScale = check.nonNegativeAttr("input_scale");
  if (view.kernel().attrs.contains("mask_weights"))
    p.maskWeights = check.boolAttr("mask_weights");
  if (view.kernel().attrs.contains("mask_tokens"))
    p.maskTokens = check.boolAttr("mask_tokens");
  if (view.kernel().attrs.contains("mask_hyper_input"))
    p.maskHyperInput = check.boolAttr("mask_hyper_input");
  p.tanhGelu = tanhGeluAttr(check, "gelu_approximate");
  p.layerNorm = check.boolAttr("layer_norm");
  if (p.layerNorm && view.kernel().attrs.contains("layer_norm_eps"))
    p.layerNormEps = check.nonNegativeAttr("layer_norm_eps");
  p.algorithm = check.choiceAttr("algorithm", {"reassociated", "two_phase"}) ==
                        "two_phase"
                    ? HyperMixAlgorithm::TwoPhase
                    : HyperMixAlgorithm::Reassociated;
  if (view.kernel().attrs.contains("max_key_length"))
    p.maxKeyLength = check.intAttr("max_key_length", 1, INT32_MAX);

  std::vector<std::string> roles = {"x"};
  if (p.hasKeys)
    roles.insert(roles.end(), {"keys", "values"});
  if (p.hasMask)
    roles.push_back("mask");
  if (p.hasKeyMask)
    roles.push_back("key_mask");
  for (const char *role : {"A1", "a1", "C1", "c1"})
    roles.push_back(role);
  if (!p.tied)
    for (const char *role : {"A2", "a2", "C2", "c2"})
      roles.push_back(role);
  if (p.layerNorm) {
    roles.push_back("gamma");
    roles.push_back("beta");
  }
  if (p.positionTable)
    roles.push_back("positions");
  size_t fixedRoles = roles.size();
  if (view.kernel().attrs.contains("epilogue"))
    roles = withEpilogueRoles(check, roles);
  check.roles(roles,
              fmt::format("has_keys={}, has_mask={}, has_key_mask={}, "
                          "tied={}, layer_norm={}, has_position_table={} ",
                          p.hasKeys, p.hasMask, p.hasKeyMask, p.tied,
                          p.layerNorm, p.positionTable));

  const BufferDesc &x = view.input("x");
  check.dtype("x", x, {DType::Float32});
  if (x.shape.size() != 3 || !x.shape[2].isStatic() || x.shape[2].size < 1)
    view.fail(fmt::format("input 'x' must be [B, N, d] with a static d, got "
                          "{}",
                          formatShape(x.shape)));
  p.dModel = static_cast<int>(x.shape[2].size);
  if (p.dModel % p.heads != 0)
    view.fail(fmt::format("d = {} is not divisible by heads = {}", p.dModel,
                          p.heads));
  p.dHead = p.dModel / p.heads;
  if (p.hasMask) {
    check.dtype("mask", view.input("mask"), {DType::Float32});
    check.shape("mask", view.input("mask"), {x.shape[0], x.shape[1]});
  }
  if (p.hasKeys) {
    // Keys and values [B, L, d]; L is their own length.
    const BufferDesc &keys = view.input("keys");
    check.dtype("keys", keys, {DType::Float32});
    if (keys.shape.size() != 3)
      view.fail(fmt::format("input 'keys' must be [B, L, d], got {}",
                            formatShape(keys.shape)));
    Shape keyShape = {x.shape[0], keys.shape[1], x.shape[2]};
    check.shape("keys", keys, keyShape);
    check.dtype("values", view.input("values"), {DType::Float32});
    check.shape("values", view.input("values"), keyShape);
    if (p.hasKeyMask) {
      check.dtype("key_mask", view.input("key_mask"), {DType::Float32});
      check.shape("key_mask", view.input("key_mask"),
                  {x.shape[0], keys.shape[1]});
    }
  }

  // [h, k_h, f], or [h, k_h / P, f, P] with hypernetwork_panels P.
  const BufferDesc &c1 = view.input("C1");
  int panels = p.hypernetworkPanels;
  if (c1.shape.size() != (panels ? 4u : 3u) || !c1.shape[1].isStatic() ||
      c1.shape[1].size < 1)
    view.fail(fmt::format("input 'C1' must be {} with a static k_h, got {}",
                          panels ? "[h, k_h / P, f, P]" : "[h, k_h, f]",
                          formatShape(c1.shape)));
  p.kHead = static_cast<int>(c1.shape[1].size) * std::max(panels, 1);
  auto dim = [](int64_t size) { return Dim{size, ""}; };
  Dim h = dim(p.heads), f = dim(p.hidden), dh = dim(p.dHead), kh = dim(p.kHead);
  Shape aShape = {h, f, dh}, cShape = {h, kh, f};
  if (panels) {
    aShape = {h, dim(p.hidden / panels), dh, dim(panels)};
    cShape = {h, dim(p.kHead / panels), f, dim(panels)};
  }
  std::vector<std::pair<std::string, Shape>> weights = {
      {"A1", aShape}, {"a1", {h, f}}, {"C1", cShape}, {"c1", {h, kh}}};
  if (!p.tied)
    weights.insert(
        weights.end(),
        {{"A2", aShape}, {"a2", {h, f}}, {"C2", cShape}, {"c2", {h, kh}}});
  if (p.layerNorm)
    weights.insert(weights.end(),
                   {{"gamma", {dim(p.dModel)}}, {"beta", {dim(p.dModel)}}});
  if (p.positionTable) {
    // [L, d], or [d, L] with positions_transposed.
    const Shape &table = view.input("positions").shape;
    int rows = p.positionsTransposed ? 1 : 0;
    if (table.size() != 2 || !table[rows].isStatic() || table[rows].size < 1)
      view.fail(fmt::format("input 'positions' must be {} with a static "
                            "L >= 1, got {}",
                            p.positionsTransposed ? "[d, L]" : "[L, d]",
                            formatShape(table)));
    weights.push_back({"positions", p.positionsTransposed
                                        ? Shape{dim(p.dModel), table[1]}
                                        : Shape{table[0], dim(p.dModel)}});
  }
  for (const auto &[role, shape] : weights) {
    check.dtype(role, view.input(role), {DType::Float32});
    check.shape(role, view.input(role), shape);
  }
  check.result(DType::Float32, x.shape);
  checkEpilogue(check, fixedRoles);
  return p;
}

ElementwiseProgram parseEpilogue(const KernelView &view) {
  const KernelDesc &kernel = view.kernel();
  const BufferDesc &out = view.output(0);
  KernelDesc program{kernel.name + ".epilogue",
                     "elementwise",
                     {{"program", kernel.attrs.at("epilogue")}},
                     {{"in0", kernel.outputs[0].buffer}},
                     kernel.outputs};
  for (const Operand &operand : kernel.inputs) {
    if (operand.role.rfind('e', 0) != 0)
      continue;
    const BufferDesc &extra = view.graph().buffers.at(operand.buffer);
    if (broadcastShapes(extra.shape, out.shape) != out.shape ||
        extra.dtype != out.dtype)
      view.fail(fmt::format("epilogue input '{}' must be {} and broadcast "
                            "to the output's {}, got {} {}",
                            operand.role, dtypeName(out.dtype),
                            formatShape(out.shape), dtypeName(extra.dtype),
                            formatShape(extra.shape)));
    program.inputs.push_back({"in" + operand.role.substr(1), operand.buffer});
  }
  return parseElementwiseProgram(KernelView(view.graph(), program));
}

ElementwiseProgram parseElementwiseProgram(const KernelView &view) {
  constexpr size_t kMaxSteps = 64;
  const KernelDesc &kernel = view.kernel();
  Checker check(view.graph(), kernel);
  std::vector<std::string> roles;
  for (size_t i = 0; i < kernel.inputs.size(); ++i)
    roles.push_back("in" + std::to_string(i));
  check.roles(roles);
  const nlohmann::json &program = check.attr("program");
  if (!program.is_array() || program.empty() || program.size() > kMaxSteps)
    view.fail(fmt::format("attribute 'program' must be an array of 1 to {} "
                          "steps",
                          kMaxSteps));
  ElementwiseProgram result;
  result.scratch = view.graph();
  int64_t nextId = result.scratch.buffers.rbegin()->first + 1;
  const BufferDesc &out = view.output(0);
  for (size_t s = 0; s < program.size(); ++s) {
    const nlohmann::json &step = program[s];
    auto fail = [&](const std::string &message) {
      view.fail(fmt::format("step {}: {}", s, message));
    };
    if (!step.is_object() || !step.contains("op") || !step["op"].is_string() ||
        !step.contains("args") || !step["args"].is_array() ||
        (step.contains("attrs") && !step["attrs"].is_object()))
      fail("expected {\"op\": NAME, \"args\": [...], \"attrs\": {...}}");
    KernelDesc desc;
    desc.name = fmt::format("{}.{}", kernel.name, s);
    desc.op = step["op"].get<std::string>();
    desc.attrs = step.value("attrs", nlohmann::json::object());
    std::vector<std::string> stepRoles;
    if (desc.op == "add" || desc.op == "sub" || desc.op == "mul" ||
        desc.op == "div" || desc.op == "max" || desc.op == "min" ||
        desc.op == "mod" || desc.op == "rem" || desc.op == "pow" ||
        isComparison(desc.op) || isLogical(desc.op))
      stepRoles = {"lhs", "rhs"};
    else if (desc.op == "where")
      stepRoles = {"condition", "x", "y"};
    else if (desc.op == "erf" || desc.op == "gelu" || desc.op == "neg" ||
             desc.op == "sqrt" || desc.op == "exp" || desc.op == "log" ||
             desc.op == "tanh" || desc.op == "sigmoid" || desc.op == "relu" ||
             desc.op == "leaky_relu" || desc.op == "cast" || desc.op == "not" ||
             desc.op == "round" || desc.op == "floor" || desc.op == "ceil" ||
             desc.op == "sin" || desc.op == "cos" || desc.op == "abs")
      stepRoles = {"x"};
    else
      fail(fmt::format("'{}' is not an elementwise op", desc.op));
    if (step["args"].size() != stepRoles.size())
      fail(fmt::format("{} takes {} arguments, got {}", desc.op,
                       stepRoles.size(), step["args"].size()));
    std::vector<int> args;
    for (size_t a = 0; a < stepRoles.size(); ++a) {
      const nlohmann::json &arg = step["args"][a];
      std::string ref = arg.is_string() ? arg.get<std::string>() : "";
      bool isInput = ref.rfind("in", 0) == 0;
      size_t prefix = isInput ? 2 : ref.rfind("t", 0) == 0 ? 1 : 0;
      std::string digits = prefix ? ref.substr(prefix) : "";
      int index = !digits.empty() && digits.size() <= 4 &&
                          std::all_of(digits.begin(), digits.end(), ::isdigit)
                      ? std::stoi(digits)
                      : -1;
      if (index < 0 || size_t(index) >= (isInput ? kernel.inputs.size() : s))
        fail(fmt::format("argument {} must name a kernel input (in0 ... in{}) "
                         "or an earlier step (t0 ...), got {}",
                         a, kernel.inputs.size() - 1, arg.dump()));
      args.push_back(isInput ? int(index) : -1 - int(index));
      int64_t buffer = isInput ? kernel.inputs[size_t(index)].buffer
                               : result.steps[size_t(index)].outputs[0].buffer;
      desc.inputs.push_back({stepRoles[a], buffer});
    }
    // The step's result: the kernel's output for the last step, else a
    // temporary of the output's shape and the dtype the op gives.
    if (s + 1 == program.size()) {
      desc.outputs.push_back({"y", out.id});
    } else {
      BufferDesc temp;
      temp.id = nextId++;
      temp.name = desc.name;
      temp.shape = out.shape;
      temp.storage = Storage::Temp;
      const BufferDesc &first =
          result.scratch.buffer(desc.inputs[desc.op == "where" ? 1 : 0].buffer);
      temp.dtype =
          desc.op == "not" || isComparison(desc.op) ? DType::Bool : first.dtype;
      if (desc.op == "cast") {
        std::optional<DType> to =
            desc.attrs.contains("to") && desc.attrs["to"].is_string()
                ? parseDType(desc.attrs["to"])
                : std::nullopt;
        if (!to)
          fail("cast needs a 'to' dtype");
        temp.dtype = *to;
      }
      result.scratch.buffers.emplace(temp.id, temp);
      desc.outputs.push_back({"y", temp.id});
    }
    try {
      validateKernel(result.scratch, desc);
    } catch (const GraphError &error) {
      fail(error.what());
    }
    result.steps.push_back(desc);
    result.args.push_back(args);
  }
  return result;
}

void validateKernel(const KernelGraph &graph, const KernelDesc &kernel) {
  Checker check(graph, kernel);
  checkNoZeroDims(check);
  const std::string &op = kernel.op;
  if (op == "add" || op == "sub" || op == "mul" || op == "div" || op == "max" ||
      op == "min" || op == "mod" || op == "rem")
    checkBinary(check, kNumeric, false);
  else if (op == "pow")
    checkBinary(check, kFloats, false);
  else if (op == "equal")
    checkBinary(check,
                {DType::Float32, DType::Float64, DType::Int32, DType::Int64,
                 DType::Bool},
                true);
  else if (isComparison(op))
    checkBinary(check, kNumeric, true);
  else if (isLogical(op))
    checkBinary(check, {DType::Bool}, true);
  else if (op == "erf")
    checkUnary(check, {DType::Float32});
  else if (op == "gelu")
    checkGelu(check);
  else if (op == "sqrt" || op == "exp" || op == "log" || op == "tanh" ||
           op == "sigmoid" || op == "round" || op == "floor" || op == "ceil" ||
           op == "sin" || op == "cos")
    checkUnary(check, kFloats);
  else if (op == "relu")
    checkUnary(check, kNumeric);
  else if (op == "leaky_relu")
    checkLeakyRelu(check);
  else if (op == "where")
    checkWhere(check);
  else if (op == "softmax" || op == "log_softmax")
    checkSoftmax(check);
  else if (op == "transpose")
    checkTranspose(check);
  else if (op == "relative_shift")
    checkRelativeShift(check);
  else if (op == "pad")
    checkPad(check);
  else if (op == "concat")
    checkConcat(check);
  else if (op == "conv")
    checkConv(check);
  else if (op == "neg" || op == "abs")
    checkUnary(check, kNumeric);
  else if (op == "not")
    checkUnary(check, {DType::Bool});
  else if (op == "cast")
    checkCast(check);
  else if (op == "layer_norm")
    checkLayerNorm(check);
  else if (op == "linear")
    checkLinear(check);
  else if (op == "matmul")
    checkMatmul(check);
  else if (op == "hyper_mix")
    parseHyperMix(check.view);
  else if (op == "gather")
    checkGather(check);
  else if (op == "reduce_sum" || op == "reduce_mean" || op == "reduce_max" ||
           op == "reduce_min")
    checkReduce(check);
  else if (op == "arg_max" || op == "arg_min")
    checkArgExtremum(check);
  else if (op == "cumsum")
    checkCumSum(check);
  else if (op == "scatter_nd")
    checkScatterNd(check);
  else if (op == "gather_elements")
    checkGatherElements(check);
  else if (op == "slice")
    checkSlice(check);
  else if (op == "reshape")
    checkReshape(check);
  else if (op == "fbank")
    checkFbank(check);
  else if (op == "ctc_greedy")
    checkCtcGreedy(check);
  else if (op == "iota")
    checkIota(check);
  else if (op == "dim_size")
    checkDimSize(check);
  else if (op == "elementwise")
    parseElementwiseProgram(check.view);
  else
    check.view.fail(
        "unknown op (supported: add, sub, mul, div, pow, max, min, mod, rem, "
        "equal, less, less_equal, and, or, xor, where, erf, gelu, "
        "neg, abs, sqrt, exp, log, tanh, sigmoid, relu, leaky_relu, "
        "round, floor, ceil, sin, cos, cast, not, layer_norm, linear, "
        "matmul, hyper_mix, gather, gather_elements, scatter_nd, reduce_sum, "
        "reduce_mean, "
        "reduce_max, reduce_min, arg_max, arg_min, cumsum, "
        "slice, reshape, iota, dim_size, softmax, log_softmax, transpose, "
        "relative_shift, pad, concat, conv, fbank, ctc_greedy, elementwise)");
}

} // namespace hmc::halide
