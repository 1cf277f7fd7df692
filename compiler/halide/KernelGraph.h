// The kernel graph (docs/kernel-graph.md) as hmc-halide reads it: plain
// structs parsed from JSON, plus the per-op checks of roles, dtypes, shapes
// and attributes. Nothing here depends on Halide, so every malformed graph is
// rejected with a message before any Halide object exists.
#ifndef HMC_HALIDE_KERNELGRAPH_H
#define HMC_HALIDE_KERNELGRAPH_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hmc::halide {

/// Any problem with the graph; the message names the kernel or buffer.
class GraphError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class DType { Float32, Float64, Int32, Int64, Bool };

std::optional<DType> parseDType(const std::string &name);
const char *dtypeName(DType dtype);
bool isFloat(DType dtype);
/// equal, less, less_equal: elementwise ops whose result is bool.
bool isComparison(const std::string &op);
/// and, or, xor: elementwise ops on bools.
bool isLogical(const std::string &op);

/// One dimension: a static size, or a dynamic symbol's name.
struct Dim {
  int64_t size = 0;
  std::string symbol;

  bool isStatic() const { return symbol.empty(); }
  bool operator==(const Dim &other) const {
    return size == other.size && symbol == other.symbol;
  }
  bool operator!=(const Dim &other) const { return !(*this == other); }
};

using Shape = std::vector<Dim>; // row-major, outermost first

std::string formatShape(const Shape &shape);
/// True when every dimension is static.
bool isStaticShape(const Shape &shape);

enum class Storage { Input, Output, Weight, Temp };

struct BufferDesc {
  int64_t id = 0;
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  Storage storage = Storage::Temp;
};

struct Operand {
  std::string role;
  int64_t buffer = 0;
};

struct KernelDesc {
  std::string name;
  std::string op;
  nlohmann::json attrs = nlohmann::json::object();
  std::vector<Operand> inputs;
  std::vector<Operand> outputs;
};

struct SymbolDesc {
  std::string name;
  int64_t min = 1;
  int64_t max = 1;
  /// A derived symbol is floor((mul base + add) / div) + post of an earlier
  /// one.
  std::string base;
  int64_t mul = 1, add = 0, div = 1, post = 0;
};

struct KernelGraph {
  std::string name;
  std::string target;
  std::vector<SymbolDesc> symbols;
  std::map<int64_t, BufferDesc> buffers;
  /// One entry per distinct kernel: a later call of the same name (a
  /// deduplicated layer) must have the same signature and is not repeated.
  std::vector<KernelDesc> kernels;

  const BufferDesc &buffer(int64_t id) const { return buffers.at(id); }
  /// The symbol called `name`, or null.
  const SymbolDesc *findSymbol(const std::string &name) const {
    for (const SymbolDesc &symbol : symbols)
      if (symbol.name == name)
        return &symbol;
    return nullptr;
  }
  /// `name`'s rule; a symbol of its own is 1 itself + 0.
  SymbolDesc derivation(const std::string &name) const {
    const SymbolDesc *desc = findSymbol(name);
    if (!desc || desc->base.empty())
      return SymbolDesc{name, 1, 1, name};
    return *desc;
  }
  /// `name` as mul base + add: its rule when that is such a multiple (the
  /// exporter folds a base that is itself one into its base), else 1 itself.
  SymbolDesc multipleOf(const std::string &name) const {
    SymbolDesc desc = derivation(name);
    if (desc.div != 1 || desc.post != 0)
      return SymbolDesc{name, 1, 1, name};
    return desc;
  }
};

/// Parses and fully validates a graph (structure, then every kernel).
KernelGraph parseKernelGraph(const nlohmann::json &json);
/// Reads a file and parses it; I/O and JSON syntax errors become GraphError.
KernelGraph loadKernelGraph(const std::string &path);

/// Typed view of a kernel's operands, shared by validation and the builders.
class KernelView {
public:
  KernelView(const KernelGraph &graph, const KernelDesc &kernel)
      : graph_(graph), kernel_(kernel) {}

  const KernelGraph &graph() const { return graph_; }
  const KernelDesc &kernel() const { return kernel_; }
  const BufferDesc &input(size_t index) const;
  const BufferDesc &output(size_t index) const;
  /// Position of the input with this role, if present.
  std::optional<size_t> findInput(const std::string &role) const;
  const BufferDesc &input(const std::string &role) const;

  /// A GraphError whose message starts with "kernel 'NAME' (OP): ".
  [[noreturn]] void fail(const std::string &message) const;

private:
  const KernelGraph &graph_;
  const KernelDesc &kernel_;
};

/// Checks one kernel's operands and attributes against its op's signature.
void validateKernel(const KernelGraph &graph, const KernelDesc &kernel);

/// NumPy broadcasting of two shapes (static 1s broadcast, symbols never do);
/// nullopt when they are incompatible.
std::optional<Shape> broadcastShapes(const Shape &lhs, const Shape &rhs);

enum class HyperMixAlgorithm { Reassociated, TwoPhase };

/// hyper_mix's attributes and derived sizes; see docs/kernel-graph.md.
struct HyperMixParams {
  int heads = 1;  // h
  int hidden = 1; // f, the hypernetwork MLP width per head
  int dModel = 1; // d
  int dHead = 1;  // d_h = d / h
  int kHead = 1;  // k_h
  bool tied = false;
  bool hasMask = false;       // the queries' mask (all tokens' without keys)
  bool hasKeys = false;       // `keys` and `values` [B, L, d]: cross mixing
  bool hasKeyMask = false;    // `key_mask` [B, L]
  bool positional = false;    // sinusoidal positions added to the MLP input
  bool positionTable = false; // rows below its length come from `positions`
  bool learnedTable = false;  // positional "table": `positions` alone
  bool positionsTransposed = false; // `positions` stored [d, L]
  // P > 0: A_i [h, f / P, d_h, P], C_i [h, k_h / P, f, P].
  int hypernetworkPanels = 0;
  int64_t positionOffset = 0;
  double inputScale = 1.0;    // the masked tokens' factor in the MLP input
  bool maskWeights = true;    // W_1, W_2 masked too (else only the tokens)
  bool maskTokens = true;     // the tokens masked too (else only W_1, W_2)
  bool maskHyperInput = true; // the hypernetworks read masked tokens
  bool tanhGelu = false;      // every GELU is torch's tanh approximation
  bool layerNorm = false;
  double layerNormEps = 1e-5;
  HyperMixAlgorithm algorithm = HyperMixAlgorithm::Reassociated;
  int64_t maxKeyLength = 0; // > 0: phase A never reads more tokens
};

/// Validates a hyper_mix kernel and returns its parameters.
HyperMixParams parseHyperMix(const KernelView &view);
/// layer_norm's `eps` attribute.
double parseLayerNormEps(const KernelView &view);
/// cast's `to` attribute.
DType parseCastTarget(const KernelView &view);
/// Whether a (validated) conv is 1-D pointwise: a width-1 kernel at stride
/// 1, unpadded, one group. Its schedule and tuning knobs are a matmul's.
bool isPointwiseConv(const KernelView &view);

/// A fused elementwise kernel's program (op "elementwise"): every step is a
/// kernel of its own in `scratch`, a copy of the graph with one temporary
/// buffer per step result (the last step writes the kernel's output), so
/// each step is validated, and built, like the op it names.
struct ElementwiseProgram {
  KernelGraph scratch;
  std::vector<KernelDesc> steps;
  /// Per step, per argument: the kernel input index (>= 0), or -1 - s for
  /// the result of step s.
  std::vector<std::vector<int>> args;
};

/// Validates an "elementwise" kernel's program and returns it.
ElementwiseProgram parseElementwiseProgram(const KernelView &view);

/// Validates a linear or layer_norm kernel's fused elementwise `epilogue`
/// and returns it as a program whose input 0 is the op's result and input K
/// the kernel's input "eK".
ElementwiseProgram parseEpilogue(const KernelView &view);

} // namespace hmc::halide

#endif // HMC_HALIDE_KERNELGRAPH_H
