//===- Pipeline.cpp -------------------------------------------------------===//

#include "Pipeline.h"

#include "hm/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/Passes.h"

namespace hmc {

void buildFusionPipeline(mlir::PassManager &pm,
                         const FusionPipelineOptions &options) {
  mlir::OpPassManager &func = pm.nest<mlir::func::FuncOp>();
  func.addPass(hm::createCanonicalizeHM());
  func.addPass(mlir::createCanonicalizerPass());
  // Exporters may compute the mask twice; fusion wants one value.
  func.addPass(mlir::createCSEPass());
  hm::FuseHyperMixingOptions fuse;
  fuse.algorithm = options.hypermixAlgorithm;
  func.addPass(hm::createFuseHyperMixing(fuse));
  func.addPass(mlir::createCanonicalizerPass());
  func.addPass(mlir::createCSEPass());
  // After fusion: the fusion checks evaluate the graph from its inputs.
  if (options.audioFrontend)
    pm.addPass(hm::createAddAudioFrontend());
}

} // namespace hmc
