//===- HostProgram.h - C host program and header from a kernel graph -*- C++
//-*-===//
//
// The host program of a generated library is only data: static tables that
// describe the model to the runtime executor (hmc/runtime.h) and thin wrappers
// named after the model. This emits it, with the public header, the assembler
// file that embeds the weights and the linker version script, from the kernel
// graph alone (docs/kernel-graph.md, docs/c-api.md); the table of the kernels'
// target comes from hmc-halide, in its own file.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_BACKEND_HOSTPROGRAM_H
#define HMC_BACKEND_HOSTPROGRAM_H

#include "Status.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hmc::backend {

struct HostProgramOptions {
  /// Model name, the prefix of every export; empty takes the graph's "name".
  std::string name;
  /// Recorded in the library descriptor; empty takes the graph's "target".
  std::string target;
  /// Folder of the kernel graph file: the weights file is relative to it.
  std::string graphDir = ".";
  /// Embed the weights blob (weights.s); else the library's model table has
  /// no blob and the runtime maps NAME.weights (or weights_path) at create.
  bool embedWeights = true;
};

struct HostProgram {
  std::string name;
  /// host.c: compiled with NAME.h and hmc/runtime.h on the include path.
  std::string source;
  /// NAME.h: the public header.
  std::string header;
  /// weights.s: embeds weightsPath; empty when the model has no weights or
  /// they are external.
  std::string weightsAssembly;
  std::string weightsPath;
  uint64_t weightsSize = 0;
  /// For `-Wl,--version-script`: exports NAME_* and hmc_library_v1 only.
  std::string versionScript;
  /// Distinct kernel names in first-call order; hmc-halide writes one object
  /// file per name.
  std::vector<std::string> kernels;
};

/// The exported API functions of a model, without the descriptor; a GPU
/// library (isGpuTarget) also exports NAME_run_device.
std::vector<std::string> exportedFunctions(const std::string &name,
                                           bool gpu = false);

/// Whether a target string asks for a GPU (CUDA, the one hmc supports).
bool isGpuTarget(const std::string &target);

/// Validates `graph` against the kernel-graph schema (the parts the host
/// program depends on) and emits the host program.
Status emitHostProgram(const nlohmann::json &graph,
                       const HostProgramOptions &options, HostProgram &out);

/// target.c, defining the table `hmc_target` that host.c's model points at,
/// from the target.json hmc-halide writes beside the kernels: the target
/// string and the CPU features create checks.
Status emitTargetSource(const nlohmann::json &kernelTarget, std::string &out);

} // namespace hmc::backend

#endif // HMC_BACKEND_HOSTPROGRAM_H
