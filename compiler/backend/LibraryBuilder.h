//===- LibraryBuilder.h - Kernel graph to lib<NAME>.so + NAME.h -*- C++ -*-===//
//
// Builds the standalone library of a model: emits the host program, runs
// hmc-halide (a separate process: Halide's LLVM 14 never shares a process
// with MLIR's LLVM 19), compiles and links with the system C compiler, and
// installs lib<NAME>.so and NAME.h (and NAME.weights for external weights)
// into the output folder all at once.
//
//===----------------------------------------------------------------------===//

#ifndef HMC_BACKEND_LIBRARYBUILDER_H
#define HMC_BACKEND_LIBRARYBUILDER_H

#include "Status.h"

#include <nlohmann/json_fwd.hpp>

#include <csignal>
#include <string>
#include <vector>

namespace hmc::backend {

/// Where a library's weights live: inside lib<NAME>.so, or in NAME.weights
/// beside it, memory-mapped by NAME_create.
enum class WeightStorage { Embedded, External };

struct LibraryBuildOptions {
  /// Model name, the prefix of every export; empty takes the graph's "name".
  std::string name;
  /// Receives lib<NAME>.so and NAME.h; created if missing.
  std::string outDir;
  /// External also installs NAME.weights (the raw blob) into outDir.
  WeightStorage weightStorage = WeightStorage::Embedded;
  /// Halide target passed to hmc-halide; empty keeps the graph's "target".
  std::string target;
  /// A tuning database (docs/tuning.md) for hmc-halide's schedules.
  std::string tuningDb;
  /// OP=SCHEDULE overrides for every kernel of an op (hmc-halide's
  /// --kernel-schedule).
  std::vector<std::string> kernelSchedules;
  /// Echo each command and its output on stderr.
  bool verbose = false;
  std::string hmcHalidePath;
  /// The runtime executor, libhmcrt.a.
  std::string runtimeLibPath;
  /// For compiling the host program: must provide hmc/runtime.h.
  std::vector<std::string> includeDirs;
  /// The system C compiler (searched in PATH), also used as the linker.
  std::string cc = "cc";
};

/// Sets hmcHalidePath, runtimeLibPath and includeDirs for a driver whose
/// executable lies in `binDir`: bin/hmc-halide, lib/libhmcrt.a and include/
/// beside it (the layout of both the build tree and an installation), else
/// the source tree's runtime/include.
void locateTools(const std::string &binDir, LibraryBuildOptions &options);

/// Builds the library of `graph`, whose weights file is relative to
/// `graphDir`. On error nothing new is left in the output folder and the
/// message includes the failing command's output.
Status buildLibrary(const nlohmann::json &graph, const std::string &graphDir,
                    const LibraryBuildOptions &options);

/// While alive, SIGINT and SIGTERM stop the running tool and make the build
/// fail ("interrupted") instead of killing this process, so its temporary
/// folders are removed and no tool is left running. Not nestable.
class InterruptScope {
public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope &) = delete;
  InterruptScope &operator=(const InterruptScope &) = delete;
  /// The signal that arrived (0: none); exit with 128 + it.
  static int received();

private:
  struct sigaction previousInt_, previousTerm_;
};

/// Runs `hmc-halide GRAPH --tune ...` (tuneArgs follow the graph) with its
/// progress on this process's stderr. Uses hmcHalidePath, target, verbose.
Status tuneKernels(const nlohmann::json &graph,
                   const LibraryBuildOptions &options,
                   const std::vector<std::string> &tuneArgs);

} // namespace hmc::backend

#endif // HMC_BACKEND_LIBRARYBUILDER_H
