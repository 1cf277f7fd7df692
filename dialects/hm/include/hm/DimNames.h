//===- DimNames.h - how a value's dims are spelled --------------*- C++ -*-===//

#ifndef HM_DIMNAMES_H
#define HM_DIMNAMES_H

#include "hm/HMDialect.h"

#include "mlir/IR/Value.h"

#include <optional>

namespace hm {

// The dims of `value` as an hm.reshape spells them (sizes, and the symbol
// names of dynamic dims), where its producers name them: a reshape, a
// function argument's hm.dims, or a transpose, cast or not of a named value.
std::optional<llvm::SmallVector<mlir::Attribute>> dimNames(mlir::Value value);

} // namespace hm

#endif // HM_DIMNAMES_H
