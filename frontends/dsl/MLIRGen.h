//===- MLIRGen.h - .hmd syntax tree -> hm dialect ---------------*- C++ -*-===//

#ifndef HMC_FRONTENDS_DSL_MLIRGEN_H
#define HMC_FRONTENDS_DSL_MLIRGEN_H

#include "AST.h"
#include "Weights.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace hmc::dsl {

// Evaluates the model file top to bottom (blocks inlined, repeats unrolled,
// hyperparameters folded) and emits func.func @main with one argument per
// `input` and one result per `output`. Type errors are reported at their
// place in `filename`; returns null after an error.
mlir::OwningOpRef<mlir::ModuleOp>
generateModule(const ModelFile &file, llvm::StringRef filename,
               WeightSource &weights, llvm::StringRef hypermixAlgorithm,
               mlir::MLIRContext &context);

} // namespace hmc::dsl

#endif // HMC_FRONTENDS_DSL_MLIRGEN_H
