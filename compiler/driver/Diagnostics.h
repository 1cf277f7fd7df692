//===- Diagnostics.h - compiler-style diagnostic printing ------*- C++ -*-===//

#ifndef HMC_DRIVER_DIAGNOSTICS_H
#define HMC_DRIVER_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

namespace hmc {

// Which diagnostics reach the user: errors always; warnings and notes unless
// quiet (for build systems); remarks (what fused and why not) when verbose.
enum class Verbosity { Quiet, Normal, Verbose };

// Prints MLIR diagnostics as "FILE: node 'NAME': error: message" for ONNX
// locations and "FILE:LINE:COL: error: message" for text locations, with the
// severity in colour when stderr is a terminal.
class DiagnosticPrinter {
public:
  DiagnosticPrinter(mlir::MLIRContext &context, Verbosity verbosity);
  ~DiagnosticPrinter();

private:
  mlir::MLIRContext &context;
  mlir::DiagnosticEngine::HandlerID id;
  Verbosity verbosity;
};

} // namespace hmc

#endif // HMC_DRIVER_DIAGNOSTICS_H
