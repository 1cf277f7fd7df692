//===- ConstantData.h - reading and making hm constants ---------*- C++ -*-===//

#ifndef HM_CONSTANTDATA_H
#define HM_CONSTANTDATA_H

#include "hm/HMDialect.h"

#include "mlir/IR/Builders.h"

#include <optional>
#include <string>
#include <vector>

namespace hm {

// The value of a one-element (or splat) hm.constant, else nullopt.
std::optional<double> getScalarConstant(mlir::Value value);

// All elements of an hm.constant as doubles (row-major), else nullopt.
std::optional<std::vector<double>> getConstantValues(mlir::Value value);

// A float32 hm.constant of `shape` holding `values`, stored as a
// dense_resource blob named `name`.
ConstantOp createFloat32Constant(mlir::OpBuilder &builder, mlir::Location loc,
                                 llvm::ArrayRef<int64_t> shape,
                                 llvm::ArrayRef<double> values,
                                 llvm::StringRef name);

} // namespace hm

#endif // HM_CONSTANTDATA_H
