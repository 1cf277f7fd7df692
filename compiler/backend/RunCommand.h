//===- RunCommand.h - `hmc run` and `hmc inspect` of a library -*- C++ -*-===//
//
// Loads any hmc-generated library through its hmc_library_v1 descriptor (no
// need to know the model's name), runs it on .npy inputs named like the
// model's graph inputs, writes the outputs as .npy and optionally times
// repeated runs.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_BACKEND_RUNCOMMAND_H
#define HMC_BACKEND_RUNCOMMAND_H

#include <iostream>
#include <string>
#include <vector>

namespace hmc::backend {

struct RunOptions {
  /// Path of lib<NAME>.so.
  std::string library;
  /// "NAME=FILE.npy" per input, NAME being the graph's input name.
  std::vector<std::string> inputs;
  /// Receives <output name>.npy per output; empty writes nothing.
  std::string outputDir;
  /// Timed runs after the first; > 0 prints median_ms and p90_ms.
  int repeat = 0;
  /// Threads of the handle; 0 = the library's default.
  int threads = 0;
  /// Sets HMC_PROFILE for the handle: each kernel's time per run goes to
  /// stderr when the handle is destroyed.
  bool profile = false;
};

/// Prints what the library's descriptor says (`hmc inspect`): model name,
/// versions, target, schedule source, and each input and output with its
/// graph name, C name, dtype and (symbolic) shape. Returns the exit status.
int inspectLibrary(const std::string &path, std::ostream &out = std::cout,
                   std::ostream &err = std::cerr);

/// Runs the library as `hmc run` does; returns the process exit status.
/// Results and timings go to `out`, errors (with the library's last_error)
/// to `err`.
int runLibrary(const RunOptions &options, std::ostream &out = std::cout,
               std::ostream &err = std::cerr);

} // namespace hmc::backend

#endif // HMC_BACKEND_RUNCOMMAND_H
