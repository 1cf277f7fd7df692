//===- Pipeline.h - hmc's pass pipelines ------------------------*- C++ -*-===//

#ifndef HMC_DRIVER_PIPELINE_H
#define HMC_DRIVER_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace hmc {

struct FusionPipelineOptions {
  std::string hypermixAlgorithm = "auto";
  // Raw 16 kHz audio in (filterbank in the library), CTC token ids out.
  bool audioFrontend = false;
};

// Canonicalise exporter forms, fuse hypermixing, clean up.
void buildFusionPipeline(mlir::PassManager &pm,
                         const FusionPipelineOptions &options);

} // namespace hmc

#endif // HMC_DRIVER_PIPELINE_H
