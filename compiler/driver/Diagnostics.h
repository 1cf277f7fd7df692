//===- Diagnostics.h - compiler-style diagnostic printing ------*- C++ -*-===//

#ifndef HMC_DRIVER_DIAGNOSTICS_H
#define HMC_DRIVER_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

namespace hmc {

// Prints MLIR diagnostics as "FILE: node 'NAME': error: message" for ONNX
// locations and "FILE:LINE:COL: error: message" for text locations; remarks
// are shown only when `showRemarks` is set.
class DiagnosticPrinter {
public:
  DiagnosticPrinter(mlir::MLIRContext &context, bool showRemarks);
  ~DiagnosticPrinter();

private:
  mlir::MLIRContext &context;
  mlir::DiagnosticEngine::HandlerID id;
  bool showRemarks;
};

} // namespace hmc

#endif // HMC_DRIVER_DIAGNOSTICS_H
