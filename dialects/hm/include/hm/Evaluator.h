//===- Evaluator.h - a float64 reference interpreter for hm -----*- C++ -*-===//
//
// Evaluates hm values in double precision on small concrete inputs. The
// fusion pass uses it to prove that a fused op computes what the subgraph it
// replaces computes before committing to the rewrite.
//
//===----------------------------------------------------------------------===//

#ifndef HM_EVALUATOR_H
#define HM_EVALUATOR_H

#include "hm/HMDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hm {

struct HostArray {
  std::vector<int64_t> shape;
  std::vector<double> data;
  int64_t size() const;
};

class Evaluator {
public:
  // Binds every argument of `func` to seeded random data, with each dynamic
  // dimension symbol (from the hm.dims argument attributes) set to a small
  // distinct size. A dynamic dimension without a name makes every
  // evaluation fail.
  Evaluator(mlir::func::FuncOp func, uint64_t seed);

  // The value computed for `value`; failure (with a message) when an op on
  // its path has no evaluation rule. The array stays valid as long as the
  // evaluator, whatever is evaluated after it.
  mlir::FailureOr<const HostArray *> evaluate(mlir::Value value);
  const std::string &error() const { return message; }

private:
  mlir::LogicalResult evaluateOp(mlir::Operation *op);
  int64_t symbolValue(llvm::StringRef expression);

  std::map<std::string, int64_t> symbols;
  // Boxed: later evaluations grow the map without moving earlier results.
  llvm::DenseMap<mlir::Value, std::unique_ptr<HostArray>> values;
  std::string message;
};

// The sinusoidal position table entry P[n, c] for width d
// (docs/hypermixing.md).
double sinusoid(int64_t n, int64_t c, int64_t d);

// Relative L2 distance ||a - b|| / ||b||.
double relativeError(const HostArray &a, const HostArray &b);

} // namespace hm

#endif // HM_EVALUATOR_H
