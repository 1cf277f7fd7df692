//===- Pipeline.h - hmc's pass pipelines ------------------------*- C++ -*-===//

#ifndef HMC_DRIVER_PIPELINE_H
#define HMC_DRIVER_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace hmc {

struct FusionPipelineOptions {
  std::string hypermixAlgorithm = "reassociated";
};

// Canonicalise exporter forms, fuse hypermixing, clean up.
void buildFusionPipeline(mlir::PassManager &pm,
                         const FusionPipelineOptions &options);

} // namespace hmc

#endif // HMC_DRIVER_PIPELINE_H
