//===- KernelGraphExport.h - hm dialect -> kernel graph JSON ----*- C++ -*-===//
//
// Lowers a fused hm function to the kernel graph (docs/kernel-graph.md): one
// kernel per compute op (chains of elementwise ops fused into one kernel),
// buffers with symbolic shapes, and the weights blob. Ops without a kernel
// are errors located at their ONNX node.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_LOWERING_KERNELGRAPHEXPORT_H
#define HMC_LOWERING_KERNELGRAPHEXPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace hmc {

struct KernelGraphOptions {
  std::string name;   // model name, prefix of kernel names
  std::string target; // Halide target string
  std::string weightsFile = "weights.bin";
  int64_t maxDimension = int64_t(1) << 20; // upper bound of each symbol
  bool fuseElementwise = true;    // chains of elementwise ops -> one kernel
  bool weightPanels = true;       // linear weights in 16-column panels (CPU)
  bool convLayerNorm = true;      // layer norms folded into 2-D convs (CPU)
  bool channelsLastConvs = true;  // conv modules without transposes (CPU)
  bool transposePositions = true; // token-major hyper_mix tables (CPU)
  bool hypernetworkPanels = true; // hyper_mix weights in 16-output panels (CPU)
  bool cpuHyperMixForms = true;   // whole phase A, tied reuse (HyperMix.cpp)
};

struct KernelGraph {
  nlohmann::json json;
  std::vector<char> weights; // the blob named by json["weights"]["file"]
};

mlir::FailureOr<KernelGraph>
exportKernelGraph(mlir::ModuleOp module, const KernelGraphOptions &options);

} // namespace hmc

#endif // HMC_LOWERING_KERNELGRAPHEXPORT_H
