//===- LibraryBuilder.cpp - Kernel graph to lib<NAME>.so + NAME.h ---------===//

#include "LibraryBuilder.h"

#include "HostProgram.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace hmc::backend {
namespace {

namespace fs = std::filesystem;

// How much of a failing tool's output goes into the error message.
constexpr size_t kMaxToolOutput = 16384;

// A sanitized hmc (docs/testing.md) instruments the host code of the
// libraries it builds as well: their libhmcrt.a is instrumented already.
#ifdef HMC_SANITIZE_FLAGS
const std::vector<std::string> kSanitizeFlags = {HMC_SANITIZE_FLAGS,
                                                 "-fno-sanitize-recover=all"};
#else
const std::vector<std::string> kSanitizeFlags;
#endif

// A private working folder, removed with everything in it on every path out.
class TempDir {
public:
  TempDir() = default;
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty())
      fs::remove_all(path_, ignored);
  }

  Status create() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec)
      return Status::error("no temporary folder: " + ec.message());
    std::string pattern = (base / "hmc-build-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      return Status::error("cannot create a folder in " + base.string() + ": " +
                           std::strerror(errno));
    path_ = pattern;
    return Status::success();
  }

  const fs::path &path() const { return path_; }

private:
  fs::path path_;
};

Status writeFile(const fs::path &path, const std::string &text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
  file.close();
  if (!file)
    return Status::error("cannot write " + path.string());
  return Status::success();
}

// Graph names are not checked for UTF-8; JSON would need it.
Status graphToText(const nlohmann::json &graph, std::string &text) {
  try {
    text = graph.dump(2) + "\n";
  } catch (const nlohmann::json::exception &error) {
    return Status::error(std::string("cannot write the kernel graph: ") +
                         error.what());
  }
  return Status::success();
}

std::string readTail(const fs::path &path, size_t limit) {
  std::ifstream file(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)),
                   std::istreambuf_iterator<char>());
  if (text.size() > limit)
    text = "...\n" + text.substr(text.size() - limit);
  return text;
}

// Shell-quoted, so that a command from an error message can be rerun.
std::string commandLine(const std::vector<std::string> &argv) {
  std::string line;
  for (const std::string &arg : argv) {
    if (!line.empty())
      line += ' ';
    bool plain =
        !arg.empty() &&
        arg.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789_-+=/.,:@%") == std::string::npos;
    if (plain) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg)
      line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

volatile sig_atomic_t stopSignal = 0;
volatile sig_atomic_t runningTool = 0; // its pid while one runs

extern "C" void onStopSignal(int signal) {
  stopSignal = signal;
  if (pid_t tool = runningTool; tool > 0)
    kill(tool, SIGTERM);
}

// Runs argv (argv[0] searched in PATH) with stdout and stderr in `logPath`
// (or this process's own when `logPath` is empty).
Status runTool(const std::vector<std::string> &argv, const fs::path &logPath,
               bool verbose, int *exitCode = nullptr) {
  std::string command = commandLine(argv);
  if (verbose)
    std::cerr << "+ " << command << "\n";

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!logPath.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  std::vector<char *> args;
  for (const std::string &arg : argv)
    args.push_back(const_cast<char *>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int error =
      posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error)
    return Status::error("cannot run " + argv[0] + ": " + std::strerror(error));

  runningTool = pid;
  if (stopSignal) // arrived before the pid was known
    kill(pid, SIGTERM);
  int waitStatus;
  while (waitpid(pid, &waitStatus, 0) < 0)
    if (errno != EINTR) {
      runningTool = 0;
      return Status::error("lost track of " + argv[0] + ": " +
                           std::strerror(errno));
    }
  runningTool = 0;
  if (stopSignal)
    return Status::error("interrupted");
  std::string output =
      logPath.empty() ? std::string() : readTail(logPath, kMaxToolOutput);
  if (verbose)
    std::cerr << output;
  if (exitCode)
    *exitCode = WIFEXITED(waitStatus) ? WEXITSTATUS(waitStatus) : -1;
  if (WIFEXITED(waitStatus) && WEXITSTATUS(waitStatus) == 0)
    return Status::success();
  std::string how =
      WIFEXITED(waitStatus)
          ? "exited with status " + std::to_string(WEXITSTATUS(waitStatus))
          : "was killed by signal " + std::to_string(WTERMSIG(waitStatus));
  return Status::error(fs::path(argv[0]).filename().string() + " " + how +
                       "\ncommand: " + command + "\n" + output);
}

} // namespace

InterruptScope::InterruptScope() {
  stopSignal = 0;
  struct sigaction action = {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previousInt_);
  sigaction(SIGTERM, &action, &previousTerm_);
}

InterruptScope::~InterruptScope() {
  sigaction(SIGINT, &previousInt_, nullptr);
  sigaction(SIGTERM, &previousTerm_, nullptr);
}

int InterruptScope::received() { return stopSignal; }

namespace {

Status checkFile(const std::string &path, const char *what) {
  if (path.empty())
    return Status::error(std::string("no path given for ") + what);
  if (!fs::is_regular_file(path))
    return Status::error(std::string(what) + " not found at " + path);
  return Status::success();
}

// Moves `files` (built file, final name) into `outDir` so that either all
// arrive or none: copies under hidden temporary names first, then renames,
// which is atomic within one folder.
Status install(const std::vector<std::pair<fs::path, std::string>> &files,
               const std::vector<std::string> &obsolete,
               const fs::path &outDir) {
  std::error_code ec;
  fs::create_directories(outDir, ec);
  if (ec)
    return Status::error("cannot create " + outDir.string() + ": " +
                         ec.message());
  std::vector<fs::path> staged;
  auto discard = [&](const std::vector<fs::path> &paths) {
    std::error_code ignored;
    for (const fs::path &path : paths)
      fs::remove(path, ignored);
  };
  for (const auto &[built, name] : files) {
    fs::path temp = outDir / ("." + name + ".tmp-" + std::to_string(getpid()));
    fs::copy_file(built, temp, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      discard(staged);
      return Status::error("cannot write " + temp.string() + ": " +
                           ec.message());
    }
    staged.push_back(temp);
  }
  // The last moment to stop; the renames below finish whatever arrives.
  sigset_t stops, previous;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  sigprocmask(SIG_BLOCK, &stops, &previous);
  if (stopSignal) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    discard(staged);
    return Status::error("interrupted");
  }
  struct RestoreMask {
    const sigset_t &mask;
    ~RestoreMask() { sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};
  std::vector<fs::path> installed;
  for (size_t i = 0; i < files.size(); ++i) {
    fs::path final = outDir / files[i].second;
    fs::rename(staged[i], final, ec);
    if (ec) {
      discard(installed);
      discard(std::vector<fs::path>(staged.begin() + i, staged.end()));
      return Status::error("cannot write " + final.string() + ": " +
                           ec.message());
    }
    installed.push_back(final);
  }
  // A file an earlier build left that this library does not use (its
  // weights, now embedded) would be mistaken for part of it. The library is
  // installed either way.
  for (const std::string &name : obsolete) {
    fs::remove(outDir / name, ec);
    if (ec)
      std::cerr << "hmc: warning: cannot remove the earlier build's "
                << (outDir / name).string() << ": " << ec.message() << "\n";
  }
  return Status::success();
}

// target.c from the target.json hmc-halide wrote beside the kernels.
Status readTargetSource(const fs::path &path, std::string &source) {
  std::ifstream file(path);
  if (!file)
    return Status::error("hmc-halide did not write " + path.string());
  nlohmann::json json = nlohmann::json::parse(file, nullptr, false);
  if (json.is_discarded())
    return Status::error("hmc-halide wrote invalid JSON to " + path.string());
  return emitTargetSource(json, source);
}

} // namespace

void locateTools(const std::string &binDir, LibraryBuildOptions &options) {
  fs::path bin(binDir);
  fs::path prefix = (bin / "..").lexically_normal();
  options.hmcHalidePath = (bin / "hmc-halide").string();
  options.runtimeLibPath = (prefix / "lib" / "libhmcrt.a").string();
  fs::path include = prefix / "include";
  options.includeDirs = {fs::is_regular_file(include / "hmc" / "runtime.h")
                             ? include.string()
                             : std::string(HMC_SOURCE_RUNTIME_INCLUDE_DIR)};
}

Status buildLibrary(const nlohmann::json &graph, const std::string &graphDir,
                    const LibraryBuildOptions &options) {
  HostProgramOptions hostOptions;
  hostOptions.name = options.name;
  hostOptions.target = options.target;
  hostOptions.graphDir = graphDir;
  const bool external = options.weightStorage == WeightStorage::External;
  hostOptions.embedWeights = !external;
  HostProgram host;
  if (Status status = emitHostProgram(graph, hostOptions, host); !status.ok())
    return status;
  const std::string &name = host.name;

  if (!host.weightsPath.empty()) {
    std::error_code ec;
    uintmax_t size = fs::file_size(host.weightsPath, ec);
    if (ec)
      return Status::error("cannot read the weights file " + host.weightsPath +
                           ": " + ec.message());
    if (size != host.weightsSize)
      return Status::error("the weights file " + host.weightsPath + " has " +
                           std::to_string(size) +
                           " bytes, the kernel graph says " +
                           std::to_string(host.weightsSize));
  }
  if (Status status = checkFile(options.hmcHalidePath, "hmc-halide");
      !status.ok())
    return status;
  if (Status status = checkFile(options.runtimeLibPath, "libhmcrt.a");
      !status.ok())
    return status;
  if (options.outDir.empty())
    return Status::error("no output folder given");

  TempDir temp;
  if (Status status = temp.create(); !status.ok())
    return status;
  const fs::path &dir = temp.path();
  if (options.verbose)
    std::cerr << "building " << name << " in " << dir.string() << "\n";

  // hmc-halide reads the graph from a file: this copy carries the model name
  // and the weights file by absolute path.
  nlohmann::json halideGraph = graph;
  halideGraph["name"] = name;
  if (!host.weightsPath.empty())
    halideGraph["weights"]["file"] = host.weightsPath;
  const std::string headerName = name + ".h";
  const std::string libraryName = "lib" + name + ".so";
  std::string graphText;
  if (Status status = graphToText(halideGraph, graphText); !status.ok())
    return status;
  std::vector<std::pair<std::string, std::string>> sources = {
      {"graph.json", graphText},
      {"host.c", host.source},
      {headerName, host.header},
      {"exports.map", host.versionScript}};
  if (!host.weightsAssembly.empty())
    sources.emplace_back("weights.s", host.weightsAssembly);
  for (const auto &[file, text] : sources)
    if (Status status = writeFile(dir / file, text); !status.ok())
      return status;

  fs::path kernelDir = dir / "kernels";
  std::vector<std::string> halide = {options.hmcHalidePath,
                                     (dir / "graph.json").string(), "-o",
                                     kernelDir.string()};
  if (!options.target.empty()) {
    halide.push_back("--target");
    halide.push_back(options.target);
  }
  if (!options.tuningDb.empty()) {
    halide.push_back("--tuning-db");
    halide.push_back(fs::absolute(options.tuningDb).string());
  }
  for (const std::string &schedule : options.kernelSchedules) {
    halide.push_back("--kernel-schedule");
    halide.push_back(schedule);
  }
  if (options.verbose)
    halide.push_back("-v");
  if (Status status = runTool(halide, dir / "hmc-halide.log", options.verbose);
      !status.ok())
    return status;
  // Its warnings (schedule knobs that went unused) matter without -v too.
  if (!options.verbose) {
    std::istringstream log(readTail(dir / "hmc-halide.log", kMaxToolOutput));
    for (std::string line; std::getline(log, line);)
      if (line.find(": warning: ") != std::string::npos)
        std::cerr << line << "\n";
  }

  std::vector<std::string> halideObjects;
  for (const std::string &kernel : host.kernels)
    halideObjects.push_back((kernelDir / (kernel + ".o")).string());
  halideObjects.push_back((kernelDir / "halide_runtime.o").string());
  for (const std::string &object : halideObjects)
    if (!fs::is_regular_file(object))
      return Status::error("hmc-halide did not write " + object);
  std::string targetSource;
  if (Status status = readTargetSource(kernelDir / "target.json", targetSource);
      !status.ok())
    return status;
  if (Status status = writeFile(dir / "target.c", targetSource); !status.ok())
    return status;

  std::vector<std::string> compileC = {
      options.cc, "-O2", "-fPIC",     "-fvisibility=hidden",
      "-std=c11", "-I",  dir.string()};
  compileC.insert(compileC.end(), kSanitizeFlags.begin(), kSanitizeFlags.end());
  for (const std::string &include : options.includeDirs) {
    compileC.push_back("-I");
    compileC.push_back(include);
  }
  for (const std::string stem : {"host", "target"}) {
    std::vector<std::string> compile = compileC;
    compile.insert(compile.end(), {"-c", (dir / (stem + ".c")).string(), "-o",
                                   (dir / (stem + ".o")).string()});
    if (Status status = runTool(compile, dir / "cc.log", options.verbose);
        !status.ok())
      return status;
  }
  if (!host.weightsAssembly.empty())
    if (Status status = runTool({options.cc, "-c", (dir / "weights.s").string(),
                                 "-o", (dir / "weights.o").string()},
                                dir / "cc.log", options.verbose);
        !status.ok())
      return status;

  // -Bsymbolic binds the library's own uses of its exports (the descriptor
  // the runtime reads) to itself even when another model's library exports
  // the same hmc_library_v1 into the global scope.
  std::vector<std::string> link = {options.cc, "-shared", "-o",
                                   (dir / libraryName).string(),
                                   (dir / "host.o").string()};
  link.push_back((dir / "target.o").string());
  if (!host.weightsAssembly.empty())
    link.push_back((dir / "weights.o").string());
  link.insert(link.end(), halideObjects.begin(), halideObjects.end());
  link.insert(link.end(),
              {options.runtimeLibPath, "-Wl,-soname," + libraryName,
               "-Wl,--version-script," + (dir / "exports.map").string(),
               "-Wl,--exclude-libs,ALL", "-Wl,-z,defs", "-Wl,--gc-sections",
               "-Wl,-Bsymbolic", "-lm", "-lpthread", "-ldl"});
  link.insert(link.end(), kSanitizeFlags.begin(), kSanitizeFlags.end());
  if (Status status = runTool(link, dir / "link.log", options.verbose);
      !status.ok())
    return status;

  std::vector<std::pair<fs::path, std::string>> files = {
      {dir / libraryName, libraryName}, {dir / headerName, headerName}};
  // The same bytes an embedded build would .incbin, checked in size above.
  std::vector<std::string> obsolete;
  if (external && !host.weightsPath.empty())
    files.emplace_back(host.weightsPath, name + ".weights");
  else
    obsolete.push_back(name + ".weights");
  return install(files, obsolete, options.outDir);
}

Status tuneKernels(const nlohmann::json &graph,
                   const LibraryBuildOptions &options,
                   const std::vector<std::string> &tuneArgs) {
  if (Status status = checkFile(options.hmcHalidePath, "hmc-halide");
      !status.ok())
    return status;
  TempDir temp;
  if (Status status = temp.create(); !status.ok())
    return status;
  fs::path graphPath = temp.path() / "graph.json";
  std::string graphText;
  if (Status status = graphToText(graph, graphText); !status.ok())
    return status;
  if (Status status = writeFile(graphPath, graphText); !status.ok())
    return status;
  std::vector<std::string> halide = {options.hmcHalidePath, graphPath.string()};
  if (!options.target.empty())
    halide.insert(halide.end(), {"--target", options.target});
  halide.insert(halide.end(), tuneArgs.begin(), tuneArgs.end());
  if (options.verbose)
    halide.push_back("-v");
  // Ctrl-C reaches hmc-halide too, which stops after the running candidate
  // and saves; hmc waits for that instead of dying first.
  void (*previous)(int) = std::signal(SIGINT, SIG_IGN);
  int exitCode = 0;
  Status status = runTool(halide, "", options.verbose, &exitCode);
  std::signal(SIGINT, previous);
  // 130: interrupted after saving; hmc-halide said so already.
  if (exitCode == 130)
    return Status::error("interrupted");
  return status;
}

} // namespace hmc::backend
