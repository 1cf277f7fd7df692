//===- Passes.h - hm transformations ----------------------------*- C++ -*-===//

#ifndef HM_PASSES_H
#define HM_PASSES_H

#include "hm/HMDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace hm {

#define GEN_PASS_DECL
#include "hm/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hm/Passes.h.inc"

} // namespace hm

#endif // HM_PASSES_H
