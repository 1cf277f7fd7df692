//===- DslImportFuzzer.cpp - bytes -> .hmd importer -> kernel graph -------===//
//
// Any text is a candidate .hmd model, with seeded random weights. Lexer,
// parser, MLIRGen, the fusion pipeline and the kernel-graph export must
// reject what they cannot compile with a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "DslImporter.h"
#include "KernelGraphExport.h"
#include "MemFile.h"
#include "Pipeline.h"

#include "hm/HMDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = hmc::fuzz::writeMemFile(data, size);
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  // As hmc does: the DSL importer expects the dialects loaded.
  context.loadDialect<hm::HMDialect, mlir::func::FuncDialect>();
  context.getDiagEngine().registerHandler(
      [](mlir::Diagnostic &) { return mlir::success(); });
  hmc::DslImportOptions options;
  options.randomSeed = 1;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      hmc::importDslFile(path, options, context);
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  hmc::buildFusionPipeline(pm, {});
  if (mlir::failed(pm.run(*module)))
    return 0;
  hmc::KernelGraphOptions graphOptions;
  graphOptions.name = "fuzz";
  graphOptions.target = "host";
  (void)hmc::exportKernelGraph(*module, graphOptions);
  return 0;
}
