//===- SymbolicDim.h - dimensions as monomials over symbols ----*- C++ -*-===//
//
// ONNX graphs compute shapes at run time (Shape/Gather/Concat/Reshape). The
// importer evaluates that plumbing at compile time over symbolic dimensions:
// each dimension is coefficient * product of named symbols (e.g. B*8), which
// covers everything exporters build from input dimensions.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_FRONTENDS_ONNX_SYMBOLICDIM_H
#define HMC_FRONTENDS_ONNX_SYMBOLICDIM_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hmc::onnx_import {

class SymbolicDim {
public:
  SymbolicDim() = default;
  static SymbolicDim constant(int64_t value) {
    SymbolicDim dim;
    dim.coefficient = value;
    return dim;
  }
  static SymbolicDim symbol(std::string name) {
    SymbolicDim dim;
    dim.symbols.push_back(std::move(name));
    return dim;
  }

  bool isStatic() const { return symbols.empty(); }
  int64_t staticValue() const { return coefficient; }
  const std::vector<std::string> &getSymbols() const { return symbols; }
  int64_t getCoefficient() const { return coefficient; }

  // Coefficients saturate at INT64_MAX instead of wrapping.
  SymbolicDim operator*(const SymbolicDim &other) const;
  // Exact division; nullopt when the quotient is not a monomial.
  std::optional<SymbolicDim> divide(const SymbolicDim &other) const;
  bool operator==(const SymbolicDim &other) const {
    return coefficient == other.coefficient && symbols == other.symbols;
  }
  bool operator!=(const SymbolicDim &other) const { return !(*this == other); }

  // The coefficient (unless 1), then each symbol: B*8 -> [8, B]. A
  // constant or a lone symbol is its own single factor.
  std::vector<SymbolicDim> factors() const;

  // "B*8", "N", "144".
  std::string toString() const;

  // Renames symbols (used after symbol unification).
  template <typename Fn> SymbolicDim renamed(Fn rename) const {
    SymbolicDim dim = *this;
    for (std::string &s : dim.symbols)
      s = rename(s);
    dim.normalise();
    return dim;
  }

private:
  void normalise();
  int64_t coefficient = 1;
  std::vector<std::string> symbols; // sorted, with repetition
};

using SymbolicShape = std::vector<SymbolicDim>;

std::string shapeToString(const SymbolicShape &shape);

} // namespace hmc::onnx_import

#endif // HMC_FRONTENDS_ONNX_SYMBOLICDIM_H
