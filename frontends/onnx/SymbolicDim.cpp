//===- SymbolicDim.cpp ----------------------------------------------------===//

#include "SymbolicDim.h"

#include <algorithm>
#include <cstdint>

namespace hmc::onnx_import {

void SymbolicDim::normalise() {
  if (coefficient == 0)
    symbols.clear(); // B*0 is 0
  std::sort(symbols.begin(), symbols.end());
}

SymbolicDim SymbolicDim::operator*(const SymbolicDim &other) const {
  SymbolicDim result;
  // Saturate: such sizes fail the importer's limits instead of wrapping.
  if (__builtin_mul_overflow(coefficient, other.coefficient,
                             &result.coefficient))
    result.coefficient = INT64_MAX;
  result.symbols = symbols;
  result.symbols.insert(result.symbols.end(), other.symbols.begin(),
                        other.symbols.end());
  result.normalise();
  return result;
}

std::optional<SymbolicDim> SymbolicDim::divide(const SymbolicDim &other) const {
  if (other.coefficient == 0 || coefficient % other.coefficient != 0)
    return std::nullopt;
  SymbolicDim result;
  result.coefficient = coefficient / other.coefficient;
  result.symbols = symbols;
  for (const std::string &s : other.symbols) {
    auto it = std::find(result.symbols.begin(), result.symbols.end(), s);
    if (it == result.symbols.end())
      return std::nullopt;
    result.symbols.erase(it);
  }
  return result;
}

std::vector<SymbolicDim> SymbolicDim::factors() const {
  if (isStatic() || (coefficient == 1 && symbols.size() == 1))
    return {*this};
  std::vector<SymbolicDim> result;
  if (coefficient != 1)
    result.push_back(constant(coefficient));
  for (const std::string &s : symbols)
    result.push_back(symbol(s));
  return result;
}

std::string SymbolicDim::toString() const {
  std::string text;
  for (const std::string &s : symbols)
    text += (text.empty() ? "" : "*") + s;
  if (symbols.empty() || coefficient != 1)
    text += (text.empty() ? "" : "*") + std::to_string(coefficient);
  return text;
}

std::string shapeToString(const SymbolicShape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + shape[i].toString();
  return text + "]";
}

} // namespace hmc::onnx_import
