//===- Weights.h - where a .hmd model's weights come from -------*- C++ -*-===//

#ifndef HMC_FRONTENDS_DSL_WEIGHTS_H
#define HMC_FRONTENDS_DSL_WEIGHTS_H

#include "Safetensors.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hmc::dsl {

// What a weight is for; random weights take a trained model's spread from it.
enum class WeightRole {
  Matrix,   // N(0, 1 / fan_in), fan_in = the last dimension
  Bias,     // N(0, 0.1^2)
  NormGain, // 1 + N(0, 0.1^2): LayerNorm gains sit near 1
};

// Weights by name: from a safetensors file, or seeded random values for
// compiling without one. Remembers which names were taken so that tensors
// the model never uses can be reported.
class WeightSource {
public:
  WeightSource(safetensors::File file, std::string path)
      : file(std::move(file)), path(std::move(path)) {}
  explicit WeightSource(uint64_t seed) : seed(seed) {}

  // The values of tensor `name` in its stored layout, which must be
  // `shape`; the error names the tensor.
  llvm::Expected<std::vector<double>>
  load(llvm::StringRef name, llvm::ArrayRef<int64_t> shape, WeightRole role);

  // File tensors that no load took, sorted; none for random weights.
  std::vector<std::string> unusedTensors() const;

  // The weights file, or empty for random weights.
  llvm::StringRef filePath() const { return path; }

private:
  std::optional<safetensors::File> file;
  std::string path;
  uint64_t seed = 0;
  llvm::StringSet<> used;
};

} // namespace hmc::dsl

#endif // HMC_FRONTENDS_DSL_WEIGHTS_H
