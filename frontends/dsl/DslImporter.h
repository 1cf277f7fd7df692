//===- DslImporter.h - .hmd model files -> hm dialect -----------*- C++ -*-===//

#ifndef HMC_FRONTENDS_DSL_DSLIMPORTER_H
#define HMC_FRONTENDS_DSL_DSLIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace hmc {

struct DslImportOptions {
  // A safetensors file holding the weights by name...
  std::string weightsPath;
  // ...or seeded random weights with a trained model's spread.
  std::optional<uint64_t> randomSeed;
  // The `algorithm` of every hm.hyper_mix (hmc's --hypermix-algorithm).
  std::string hypermixAlgorithm;
};

// Parses a .hmd file and builds a module with one func.func @main in the hm
// dialect, weights bound from the options. Errors are MLIR diagnostics at
// FILE:LINE:COL whose message ends with the source line and a caret under
// the column; returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp> importDslFile(const std::string &path,
                                                const DslImportOptions &options,
                                                mlir::MLIRContext &context);

} // namespace hmc

#endif // HMC_FRONTENDS_DSL_DSLIMPORTER_H
