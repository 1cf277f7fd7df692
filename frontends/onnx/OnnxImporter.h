//===- OnnxImporter.h - ONNX ModelProto -> hm dialect -----------*- C++ -*-===//

#ifndef HMC_FRONTENDS_ONNX_ONNXIMPORTER_H
#define HMC_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace hmc {

struct OnnxOpSupport {
  std::string opType;
  int minOpset;
  int maxOpset;
  int minInputs;      // inputs below this index must be present
  int maxInputs;      // -1: variadic, every input present
  std::string limits; // what is not supported yet, for docs
};

// The default-domain opsets a model may declare. Opsets 21 to 27 (ONNX 1.16
// to 1.22) changed the supported operators only by admitting new element
// types, but for GroupNormalization-21 (scale and bias per channel, not per
// group); torch's dynamo exporter writes 18 or 22.
constexpr int kMinOnnxOpset = 11;
constexpr int kMaxOnnxOpset = 27;

// The importer's own table of supported ONNX operators.
const std::vector<OnnxOpSupport> &supportedOnnxOps();

// Imports an ONNX file into a module with one func.func @main. Errors are
// reported as MLIR diagnostics located at the file and ONNX node; returns null
// on failure.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(const std::string &path,
                                                 mlir::MLIRContext &context);

// The same for a model already in memory (fuzzing, embedding); the name
// only locates diagnostics. Tensors with external data are rejected: their
// paths are relative to a model file.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBuffer(llvm::StringRef bytes, const std::string &nameForDiagnostics,
                 mlir::MLIRContext &context);

} // namespace hmc

#endif // HMC_FRONTENDS_ONNX_ONNXIMPORTER_H
