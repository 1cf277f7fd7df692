//===- Weights.cpp --------------------------------------------------------===//

#include "Weights.h"

#include "llvm/Support/xxhash.h"

#include <cmath>
#include <random>

namespace hmc::dsl {
namespace {

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// Standard normal samples by Box-Muller on a mt19937_64 stream, so a seed
// gives the same weights with every standard library.
class NormalStream {
public:
  explicit NormalStream(uint64_t seed) : engine(seed) {}

  double next() {
    if (spare) {
      double value = *spare;
      spare.reset();
      return value;
    }
    double u1 = uniform(), u2 = uniform();
    double radius = std::sqrt(-2.0 * std::log(u1));
    double angle = 2.0 * M_PI * u2;
    spare = radius * std::sin(angle);
    return radius * std::cos(angle);
  }

private:
  // Uniform in (0, 1]: 53 random bits, shifted off zero for the logarithm.
  double uniform() { return (double(engine() >> 11) + 1.0) * 0x1.0p-53; }

  std::mt19937_64 engine;
  std::optional<double> spare;
};

} // namespace

llvm::Expected<std::vector<double>>
WeightSource::load(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   WeightRole role) {
  used.insert(name);
  if (file) {
    const safetensors::Tensor *tensor = file->find(name);
    if (!tensor)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "tensor '" + name + "' is not in " + path);
    if (llvm::ArrayRef<int64_t>(tensor->shape) != shape)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "tensor '" + name + "' has shape " + shapeString(tensor->shape) +
              " in " + path + ", expected " + shapeString(shape));
    return safetensors::readFloats(*tensor);
  }

  // Each tensor's stream depends on the seed and its name only, so adding a
  // layer leaves the other layers' weights unchanged.
  NormalStream normal(seed ^ llvm::xxh3_64bits(name));
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  double scale = role == WeightRole::Matrix && !shape.empty() && shape.back()
                     ? 1.0 / std::sqrt(double(shape.back()))
                     : 0.1;
  double offset = role == WeightRole::NormGain ? 1.0 : 0.0;
  std::vector<double> values(count);
  for (double &value : values)
    value = offset + scale * normal.next();
  return values;
}

std::vector<std::string> WeightSource::unusedTensors() const {
  std::vector<std::string> unused;
  if (file)
    for (const safetensors::Tensor &tensor : file->tensors())
      if (!used.contains(tensor.name))
        unused.push_back(tensor.name);
  return unused;
}

} // namespace hmc::dsl
