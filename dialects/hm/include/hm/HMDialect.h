//===- HMDialect.h - the hm dialect -----------------------------*- C++ -*-===//

#ifndef HM_HMDIALECT_H
#define HM_HMDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "hm/HMOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "hm/HMOps.h.inc"

#endif // HM_HMDIALECT_H
