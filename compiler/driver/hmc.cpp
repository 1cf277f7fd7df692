//===- hmc.cpp - the hmc command line -------------------------------------===//
//
//   hmc compile MODEL.onnx -o OUTDIR [--name NAME] [--emit=STAGE] ...
//   hmc compile MODEL.hmd --weights W.safetensors | --random-weights SEED ...
//   hmc run OUTDIR/libNAME.so --input NAME=FILE.npy ... --output-dir DIR
//   hmc tune MODEL -o tuning.json [--lengths 128,1024] [--budget SECONDS]
//
//===----------------------------------------------------------------------===//

#include "Diagnostics.h"
#include "DslImporter.h"
#include "KernelGraphExport.h"
#include "OnnxImporter.h"
#include "Pipeline.h"

#include "HostProgram.h"
#include "LibraryBuilder.h"
#include "Naming.h"
#include "RunCommand.h"

#include "hm/HMDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <optional>

namespace {

struct CompileOptions {
  std::string model;
  std::string outDir;
  std::string name;
  std::string emit;
  std::string target = "host";
  std::string algorithm = "auto";
  std::string weightStorage = "embedded";
  std::string weightsFile;
  std::optional<uint64_t> randomSeed;
  bool verbose = false;
  bool quiet = false;
  bool printWeights = false;
  bool audioFrontend = false;
  bool noElementwiseFusion = false;
  std::string tuningDb;
  std::vector<std::string> kernelSchedules;
  // hmc tune: the database to write, the lengths to time at, the budget.
  std::string tuneOutput;
  std::vector<int64_t> lengths;
  double budget = 0;
};

// Kernels are linked into the library by this machine's C compiler, so the
// target's architecture and OS must be this machine's.
#if defined(__x86_64__) && defined(__linux__)
constexpr const char *kHostPlatform = "x86-64-linux";
#elif defined(__aarch64__) && defined(__linux__)
constexpr const char *kHostPlatform = "arm-64-linux";
#else
#error "hmc builds libraries for Linux on x86-64 or AArch64"
#endif

std::string checkTarget(const std::string &target) {
  llvm::StringRef name(target);
  if (name == "host" || name.starts_with("host-") || name == kHostPlatform ||
      name.starts_with(std::string(kHostPlatform) + "-"))
    return "";
  return "'" + target +
         "' is not a target of this machine: use host[-FEATURES] "
         "or " +
         kHostPlatform +
         "-FEATURES (the library is linked here, so "
         "cross-compiling is not supported)";
}

// A seed is a whole number 0 .. 2^64-1, not wrapped or rounded into one.
std::string checkSeed(const std::string &text) {
  unsigned long long value;
  if (llvm::StringRef(text).getAsInteger(10, value))
    return "the seed must be a whole number from 0 to 18446744073709551615, "
           "got '" +
           text + "'";
  return "";
}

std::string executableDir(const char *argv0) {
  std::string path = llvm::sys::fs::getMainExecutable(
      argv0, reinterpret_cast<void *>(&executableDir));
  return llvm::sys::path::parent_path(path).str();
}

void printModule(mlir::ModuleOp module, bool printWeights) {
  mlir::OpPrintingFlags flags;
  if (!printWeights)
    flags.elideLargeResourceString(64);
  module.print(llvm::outs(), flags);
  llvm::outs() << "\n";
}

int compile(const CompileOptions &options, const std::string &binDir) {
  mlir::MLIRContext context;
  context.loadDialect<hm::HMDialect, mlir::func::FuncDialect>();
  hmc::DiagnosticPrinter diagnostics(context,
                                     options.verbose ? hmc::Verbosity::Verbose
                                     : options.quiet ? hmc::Verbosity::Quiet
                                                     : hmc::Verbosity::Normal);

  // The model name prefixes every exported symbol; a file stem becomes one
  // by the header's identifier rules.
  std::string name = options.name.empty()
                         ? hmc::backend::sanitizeIdentifier(
                               llvm::sys::path::stem(options.model).str())
                         : options.name;
  if (hmc::backend::Status status = hmc::backend::validateModelName(name);
      !status.ok()) {
    llvm::errs() << "error: " << status.message() << "\n";
    return 1;
  }

  // A missing model is the first thing to say, before any option misfits.
  if (!llvm::sys::fs::exists(options.model)) {
    llvm::errs()
        << options.model
        << ": error: cannot read the file: No such file or directory\n";
    return 1;
  }
  // A .hmd model names its weights; they come from a safetensors file or a
  // seeded generator. An ONNX model carries its own.
  bool isDsl = llvm::sys::path::extension(options.model) == ".hmd";
  bool weightsGiven = !options.weightsFile.empty();
  if (!isDsl && (weightsGiven || options.randomSeed)) {
    llvm::errs() << "error: --weights and --random-weights apply to .hmd "
                    "models only; "
                 << options.model << " carries its own weights\n";
    return 1;
  }
  if (isDsl && weightsGiven == options.randomSeed.has_value()) {
    llvm::errs() << "error: " << options.model
                 << (weightsGiven ? " takes either --weights or "
                                    "--random-weights, not both\n"
                                  : " needs --weights FILE.safetensors or "
                                    "--random-weights SEED\n");
    return 1;
  }
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (isDsl) {
    hmc::DslImportOptions dslOptions;
    dslOptions.weightsPath = options.weightsFile;
    dslOptions.randomSeed = options.randomSeed;
    dslOptions.hypermixAlgorithm = options.algorithm;
    module = hmc::importDslFile(options.model, dslOptions, context);
  } else {
    module = hmc::importOnnxFile(options.model, context);
  }
  if (!module)
    return 1;
  if (options.emit == "mlir") {
    printModule(*module, options.printWeights);
    return 0;
  }

  mlir::PassManager pm(&context);
  if (options.verbose)
    pm.enableTiming(); // the report prints to stderr when the run ends
  hmc::buildFusionPipeline(pm, {options.algorithm, options.audioFrontend});
  if (mlir::failed(pm.run(*module)))
    return 1;
  if (options.emit == "mlir-fused") {
    printModule(*module, options.printWeights);
    return 0;
  }

  hmc::KernelGraphOptions graphOptions;
  graphOptions.name = name;
  graphOptions.target = options.target;
  graphOptions.fuseElementwise = !options.noElementwiseFusion;
  bool cpu = !hmc::backend::isGpuTarget(options.target);
  graphOptions.weightPanels = cpu;
  graphOptions.convLayerNorm = cpu;
  graphOptions.channelsLastConvs = cpu;
  graphOptions.transposePositions = cpu;
  graphOptions.hypernetworkPanels = cpu;
  graphOptions.cpuHyperMixForms = cpu;
  mlir::FailureOr<hmc::KernelGraph> graph =
      hmc::exportKernelGraph(*module, graphOptions);
  if (mlir::failed(graph))
    return 1;
  if (options.emit == "kernels") {
    llvm::outs() << graph->json.dump(2, ' ', false,
                                     nlohmann::json::error_handler_t::replace)
                 << "\n";
    return 0;
  }

  hmc::backend::LibraryBuildOptions buildOptions;
  buildOptions.name = name;
  buildOptions.outDir = options.outDir;
  buildOptions.target = options.target;
  buildOptions.tuningDb = options.tuningDb;
  buildOptions.kernelSchedules = options.kernelSchedules;
  buildOptions.verbose = options.verbose;
  buildOptions.weightStorage = options.weightStorage == "external"
                                   ? hmc::backend::WeightStorage::External
                                   : hmc::backend::WeightStorage::Embedded;
  hmc::backend::locateTools(binDir, buildOptions);
  if (!options.tuneOutput.empty()) {
    std::vector<std::string> args = {"--tune", options.tuneOutput};
    if (!options.lengths.empty()) {
      std::string lengths;
      for (int64_t length : options.lengths)
        lengths += (lengths.empty() ? "" : ",") + std::to_string(length);
      args.insert(args.end(), {"--lengths", lengths});
    }
    if (options.budget > 0)
      args.insert(args.end(), {"--budget", std::to_string(options.budget)});
    hmc::backend::Status status =
        hmc::backend::tuneKernels(graph->json, buildOptions, args);
    if (!status.ok()) {
      llvm::errs() << options.model << ": error: " << status.message() << "\n";
      return status.message() == "interrupted" ? 130 : 1;
    }
    return 0;
  }

  // From here on temporary folders exist: a signal stops the build and
  // they are removed before exiting.
  hmc::backend::InterruptScope interruptible;
  llvm::SmallString<128> workDir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("hmc-compile", workDir)) {
    llvm::errs() << "error: cannot create a temporary folder: " << ec.message()
                 << "\n";
    return 1;
  }
  llvm::SmallString<128> weightsPath(workDir);
  llvm::sys::path::append(weightsPath, graphOptions.weightsFile);
  {
    std::ofstream weights(weightsPath.str().str(), std::ios::binary);
    weights.write(graph->weights.data(),
                  static_cast<std::streamsize>(graph->weights.size()));
    if (!weights) {
      llvm::errs() << "error: cannot write " << weightsPath << "\n";
      llvm::sys::fs::remove_directories(workDir);
      return 1;
    }
  }
  hmc::backend::Status status = hmc::backend::buildLibrary(
      graph->json, workDir.str().str(), buildOptions);
  llvm::sys::fs::remove_directories(workDir);
  // A signal during the final renames is answered once they are done,
  // with the library written.
  if (!status.ok()) {
    if (int signal = hmc::backend::InterruptScope::received()) {
      llvm::errs() << options.model << ": error: interrupted (signal " << signal
                   << "); nothing was written\n";
      return 128 + signal;
    }
    llvm::errs() << options.model << ": error: " << status.message() << "\n";
    return 1;
  }
  if (options.verbose) {
    llvm::errs() << "wrote " << options.outDir << "/lib" << name << ".so, "
                 << options.outDir << "/" << name << ".h";
    if (buildOptions.weightStorage == hmc::backend::WeightStorage::External &&
        !graph->weights.empty())
      llvm::errs() << " and " << options.outDir << "/" << name << ".weights";
    llvm::errs() << "\n";
  }
  return 0;
}

// A model's interface as hmc imports it: graph inputs and outputs with
// their symbolic shapes, and the weights' size.
int inspectModel(const std::string &path) {
  mlir::MLIRContext context;
  hmc::DiagnosticPrinter diagnostics(context, hmc::Verbosity::Normal);
  mlir::OwningOpRef<mlir::ModuleOp> module = hmc::importOnnxFile(path, context);
  if (!module)
    return 1;
  auto func = *module->getOps<mlir::func::FuncOp>().begin();
  auto describe = [](llvm::StringRef kind, mlir::DictionaryAttr attrs,
                     mlir::Type type) {
    auto dims = attrs.getAs<mlir::ArrayAttr>("hm.dims");
    mlir::Type element = mlir::cast<mlir::ShapedType>(type).getElementType();
    llvm::outs() << kind << " "
                 << attrs.getAs<mlir::StringAttr>("hm.name").getValue() << ": "
                 << (element.isInteger(1)    ? "bool"
                     : element.isF32()       ? "float32"
                     : element.isF64()       ? "float64"
                     : element.isInteger(32) ? "int32"
                                             : "int64")
                 << " [";
    llvm::interleaveComma(dims, llvm::outs(), [](mlir::Attribute dim) {
      if (auto name = mlir::dyn_cast<mlir::StringAttr>(dim))
        llvm::outs() << name.getValue();
      else
        llvm::outs() << mlir::cast<mlir::IntegerAttr>(dim).getInt();
    });
    llvm::outs() << "]\n";
  };
  llvm::outs() << "model: " << path << "\n";
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    describe("input", func.getArgAttrDict(i), func.getArgumentTypes()[i]);
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    describe("output", func.getResultAttrDict(i), func.getResultTypes()[i]);
  int64_t bytes = 0;
  func.walk([&](hm::ConstantOp constant) {
    auto type = mlir::cast<mlir::ShapedType>(constant.getType());
    bytes += type.getNumElements() *
             std::max<int64_t>(1, type.getElementTypeBitWidth() / 8);
  });
  llvm::outs() << "weights: " << bytes << " bytes\n";
  return 0;
}

void printSupportedOps() {
  llvm::outs() << "# Supported ONNX operators\n\n"
               << "Generated by `hmc list-ops` from the importer's table. "
                  "Models from opset "
               << hmc::kMinOnnxOpset << " to " << hmc::kMaxOnnxOpset
               << " import; an operator outside this table is reported with "
                  "its nodes. Calls of the model's local functions (torch's "
                  "export_modules_as_functions) are replaced by their "
                  "bodies first.\n\n"
               << "| operator | opsets | limits |\n|---|---|---|\n";
  for (const hmc::OnnxOpSupport &op : hmc::supportedOnnxOps())
    llvm::outs() << "| " << op.opType << " | " << op.minOpset << "-"
                 << op.maxOpset << " | " << op.limits << " |\n";
}

} // namespace

static int runCommandLine(int argc, char **argv) {
  CLI::App app{"hmc: compiles HyperMixer and HyperConformer models into "
               "standalone shared libraries"};
  app.require_subcommand(1);

  CompileOptions compileOptions;
  // What decides the kernels: shared by compile and tune, so that a
  // database tuned for a model matches what compile builds of it.
  auto addModelOptions = [&](CLI::App *cmd) {
    cmd->add_option("model", compileOptions.model,
                    "the model (.onnx, or .hmd: docs/dsl.md)")
        ->required();
    cmd->add_option("--weights", compileOptions.weightsFile,
                    "the weights of a .hmd model (.safetensors)");
    cmd->add_option("--random-weights", compileOptions.randomSeed,
                    "compile a .hmd model with seeded random weights")
        ->check(CLI::Validator(checkSeed, "SEED"));
    cmd->add_option("--name", compileOptions.name,
                    "library name and C symbol prefix (default: the "
                    "model file's stem, made a C identifier)")
        ->check(CLI::Validator(
            [](const std::string &name) {
              return name.empty() ? "the name must not be empty" : "";
            },
            "NAME"));
    cmd->add_option("--target", compileOptions.target,
                    "Halide target: host (this CPU) or a Halide target "
                    "string such as x86-64-linux-avx2")
        ->check(CLI::Validator(checkTarget, "TARGET"))
        ->capture_default_str();
    cmd->add_flag(
        "--audio-frontend", compileOptions.audioFrontend,
        "speech models: take 16 kHz audio [B, S] instead of the [B, T, 80] "
        "filterbank input (log-Mel features computed in the library) and add "
        "a token_ids output (greedy CTC decoding of the log-probs)");
    cmd->add_option("--hypermix-algorithm", compileOptions.algorithm,
                    "kernel form of fused hypermixing: auto (both, picked per "
                    "run by the sequence length), reassociated (fewer FLOPs on "
                    "long sequences) or two_phase")
        ->check(CLI::IsMember({"auto", "reassociated", "two_phase"}))
        ->capture_default_str();
    cmd->add_flag("--no-elementwise-fusion", compileOptions.noElementwiseFusion,
                  "no kernel fusion beyond hyper_mix: one kernel per "
                  "elementwise op, none fused into a linear or layer_norm, "
                  "transposes, pads and layer norms kept apart from convs, "
                  "conv modules channels-first (for comparisons)");
    cmd->add_flag("-q,--quiet", compileOptions.quiet,
                  "print errors only (for build systems)");
    cmd->add_flag("-v,--verbose", compileOptions.verbose,
                  "print fusion remarks, pass timings and the build commands");
  };
  CLI::App *compileCmd = app.add_subcommand(
      "compile", "compile a model into OUTDIR/libNAME.so and OUTDIR/NAME.h");
  addModelOptions(compileCmd);
  compileCmd->add_option("-o,--output", compileOptions.outDir,
                         "output folder (created if missing)");
  compileCmd
      ->add_option("--emit", compileOptions.emit,
                   "stop early and print a stage: mlir (imported), "
                   "mlir-fused (after fusion), kernels (kernel graph JSON)")
      ->check(CLI::IsMember({"mlir", "mlir-fused", "kernels"}));
  compileCmd
      ->add_option("--tuning-db", compileOptions.tuningDb,
                   "schedules from this database (hmc tune); a kernel "
                   "without an entry keeps the default schedule (-v says so)")
      ->check(CLI::ExistingFile);
  compileCmd->add_option(
      "--kernel-schedule", compileOptions.kernelSchedules,
      "OP=SCHEDULE: every kernel of this op gets this schedule (knob=value "
      "pairs as in a tuning database, e.g. linear=gemm_staging=1), ahead of "
      "--tuning-db; for experiments (docs/tuning.md)");
  compileCmd
      ->add_option("--weight-storage", compileOptions.weightStorage,
                   "embedded (inside libNAME.so) or external (OUTDIR/"
                   "NAME.weights, memory-mapped by NAME_create)")
      ->check(CLI::IsMember({"embedded", "external"}))
      ->capture_default_str();
  compileCmd->add_flag("--print-weights", compileOptions.printWeights,
                       "with --emit, print weight blobs in full");

  CLI::App *tuneCmd = app.add_subcommand(
      "tune", "time candidate schedules of a model's kernels on this machine "
              "and record the best in a tuning database (docs/tuning.md)");
  addModelOptions(tuneCmd);
  tuneCmd
      ->add_option("-o,--output", compileOptions.tuneOutput,
                   "the tuning database (JSON; created, or resumed and "
                   "extended)")
      ->required();
  tuneCmd
      ->add_option("--lengths", compileOptions.lengths,
                   "sequence lengths to time at (default 128,1024)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  tuneCmd
      ->add_option("--budget", compileOptions.budget,
                   "stop after about this many seconds (default: no limit); "
                   "a later run resumes")
      ->check(CLI::Range(0.0, 1e9));

  hmc::backend::RunOptions runOptions;
  CLI::App *runCmd =
      app.add_subcommand("run", "run a generated library on .npy inputs");
  runCmd->add_option("library", runOptions.library, "path of libNAME.so")
      ->required();
  runCmd->add_option("--input", runOptions.inputs,
                     "NAME=FILE.npy for each graph input (graph names)");
  runCmd->add_option("--output-dir", runOptions.outputDir,
                     "write <output name>.npy for each output here");
  runCmd
      ->add_option("--repeat", runOptions.repeat,
                   "time K more runs and print median_ms and p90_ms")
      ->check(CLI::Range(0, 1000000));
  runCmd
      ->add_option("--threads", runOptions.threads,
                   "threads of the handle (0 = all CPUs)")
      ->check(CLI::Range(0, 4096));
  runCmd->add_flag("--profile", runOptions.profile,
                   "print each kernel's time per run to stderr at the end "
                   "(the library's HMC_PROFILE)");

  std::string inspectPath;
  CLI::App *inspectCmd = app.add_subcommand(
      "inspect", "describe a generated library (libNAME.so) or a model "
                 "(.onnx): inputs, outputs, shapes, target, versions");
  inspectCmd->add_option("file", inspectPath, "libNAME.so or MODEL.onnx")
      ->required();

  CLI::App *listOpsCmd = app.add_subcommand(
      "list-ops", "print the supported ONNX operators as Markdown");

  CLI11_PARSE(app, argc, argv);

  if (*inspectCmd)
    return llvm::StringRef(inspectPath).ends_with(".onnx")
               ? inspectModel(inspectPath)
               : hmc::backend::inspectLibrary(inspectPath);
  if (*listOpsCmd) {
    printSupportedOps();
    return 0;
  }

  if (*tuneCmd)
    return compile(compileOptions, executableDir(argv[0]));
  if (*compileCmd) {
    if (compileOptions.outDir.empty() && compileOptions.emit.empty()) {
      llvm::errs() << "error: hmc compile needs -o OUTDIR (or --emit)\n";
      return 1;
    }
    return compile(compileOptions, executableDir(argv[0]));
  }
  return hmc::backend::runLibrary(runOptions);
}

int main(int argc, char **argv) {
  // No input may end in an abort: anything thrown is reported as an error.
  try {
    return runCommandLine(argc, argv);
  } catch (const std::exception &e) {
    llvm::errs() << "error: internal error: " << e.what() << "\n";
    return 1;
  }
}
