//===- OnnxImportFuzzer.cpp - bytes -> ONNX importer -> kernel graph ------===//
//
// Any byte string is a candidate ModelProto. The importer, the fusion
// pipeline and the kernel-graph export must reject what they cannot compile
// with a diagnostic; crashes, leaks and sanitizer reports are bugs.
//
//===----------------------------------------------------------------------===//

#include "KernelGraphExport.h"
#include "OnnxImporter.h"
#include "Pipeline.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // No thread pool per input: the fuzzer runs millions of them.
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  // Diagnostics are the expected outcome; printing them would only slow the
  // fuzzer down.
  context.getDiagEngine().registerHandler(
      [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::OwningOpRef<mlir::ModuleOp> module = hmc::importOnnxBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
      context);
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  hmc::buildFusionPipeline(pm, {});
  if (mlir::failed(pm.run(*module)))
    return 0;
  hmc::KernelGraphOptions options;
  options.name = "fuzz";
  options.target = "host";
  (void)hmc::exportKernelGraph(*module, options);
  return 0;
}
