// hmc-halide: kernel graph -> one AOT object per kernel plus the Halide
// runtime object. Runs as a child of hmc; Halide (LLVM 14) lives only here.
#include "AotCompile.h"
#include "Tuner.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>

namespace {

int fail(const std::string &message) {
  fmt::print(stderr, "hmc-halide: error: {}\n", message);
  return 1;
}

std::atomic<bool> interrupted{false};

/// The first Ctrl-C asks the tuner to stop after the running candidate and
/// keep what it found; a second one kills as usual.
void onInterrupt(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL);
}

namespace hh = hmc::halide;

int tune(const hh::KernelGraph &graph, const Halide::Target &target,
         const hh::TuneOptions &options, const std::string &dbPath) {
  // Candidates run here: a GPU target needs its device on this machine.
  if (target.has_gpu_feature() && !Halide::host_supports_target_device(target))
    return fail(fmt::format("tuning for {} runs the kernels on its GPU, and "
                            "this machine has none that Halide can use",
                            target.to_string()));
  std::signal(SIGINT, onInterrupt);
  hh::TuneSummary summary =
      hh::tuneGraph(graph, target, options, dbPath, interrupted);
  fmt::print(stderr,
             "{}: {} candidates timed, {} rejected; {} kernel x length pairs "
             "done, {} already in the database{}\n",
             dbPath, summary.measured, summary.rejected, summary.units,
             summary.skipped,
             summary.stopped ? interrupted
                                   ? "; interrupted: run again to resume"
                                   : "; budget spent: run again to "
                                     "resume"
                             : "");
  return interrupted ? 130 : 0;
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"Compile an hmc kernel graph (docs/kernel-graph.md) to Halide "
               "object files: OUTDIR/<kernel>.o and OUTDIR/halide_runtime.o, "
               "and OUTDIR/target.json naming the CPU features they need."};
  std::string graphPath, outDir, targetName;
  bool runtimeOnly = false, verbose = false;
  app.add_option("graph", graphPath, "Kernel graph JSON file");
  app.add_option("-o,--output-dir", outDir, "Directory for the objects");
  app.add_option("--target", targetName,
                 "'host' or a Halide target string (default: the graph's "
                 "target, else host)");
  app.add_flag("--runtime-only", runtimeOnly,
               "Write only halide_runtime.o (no graph argument)");
  app.add_flag("-v,--verbose", verbose,
               "Report each object written and each kernel's schedule");
  std::string tuningDbPath, tunePath;
  app.add_option("--tuning-db", tuningDbPath,
                 "Schedule kernels as this tuning database says (a kernel "
                 "without an entry keeps the default schedule)");
  std::vector<std::string> kernelSchedules;
  app.add_option("--kernel-schedule", kernelSchedules,
                 "OP=SCHEDULE: every kernel of this op gets this schedule "
                 "(knob=value pairs, as in a tuning database), ahead of "
                 "--tuning-db; for experiments with schedules");
  hh::TuneOptions tuneOptions;
  app.add_option("--tune", tunePath,
                 "Instead of compiling, tune the graph's kernels on this "
                 "machine into this database (created, or resumed)");
  app.add_option("--lengths", tuneOptions.lengths,
                 "With --tune: sequence lengths to time at")
      ->delimiter(',')
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  app.add_option("--budget", tuneOptions.budgetSeconds,
                 "With --tune: stop after this many seconds (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  tuneOptions.verbose = verbose;

  if (tunePath.empty() && outDir.empty())
    return fail("-o OUTDIR is required (except with --tune)");
  if (runtimeOnly == !graphPath.empty())
    return fail(runtimeOnly ? "--runtime-only takes no kernel graph"
                            : "a kernel graph is required (or --runtime-only)");

  if (!tunePath.empty() &&
      (runtimeOnly || !tuningDbPath.empty() || !kernelSchedules.empty()))
    return fail("--tune takes a kernel graph and no --runtime-only, "
                "--tuning-db or --kernel-schedule");
  std::map<std::string, hh::ScheduleChoice> opSchedules;
  for (const std::string &item : kernelSchedules) {
    size_t equals = item.find('=');
    if (equals == 0 || equals == std::string::npos)
      return fail(
          fmt::format("--kernel-schedule '{}': expected OP=SCHEDULE, e.g. "
                      "linear=gemm_staging=1",
                      item));
    try {
      hh::ScheduleChoice choice =
          hh::ScheduleChoice::parse(item.substr(equals + 1));
      // An autoscheduler plans for size estimates, which hmc tune records.
      if (!choice.autoscheduler.empty())
        return fail(fmt::format("--kernel-schedule '{}': autoschedulers are "
                                "chosen through hmc tune's database",
                                item));
      opSchedules[item.substr(0, equals)] = choice;
    } catch (const std::invalid_argument &error) {
      return fail(fmt::format("--kernel-schedule: {}", error.what()));
    }
  }
  std::string kernelName;
  try {
    hh::KernelGraph graph;
    if (!runtimeOnly)
      graph = hh::loadKernelGraph(graphPath);
    if (targetName.empty())
      targetName = runtimeOnly ? "host" : graph.target;
    Halide::Target target = hh::parseTarget(targetName);
    if (!tunePath.empty())
      return tune(graph, target, tuneOptions, tunePath);
    std::optional<hh::TuningDb> db;
    if (!tuningDbPath.empty()) {
      if (!std::filesystem::is_regular_file(tuningDbPath))
        return fail(
            fmt::format("tuning database '{}' does not exist", tuningDbPath));
      db = hh::TuningDb::load(tuningDbPath);
    }
    std::filesystem::create_directories(outDir);
    std::filesystem::path dir(outDir);

    for (const auto &[op, choice] : opSchedules)
      if (std::none_of(
              graph.kernels.begin(), graph.kernels.end(),
              [&](const hh::KernelDesc &kernel) { return kernel.op == op; }))
        fmt::print(stderr,
                   "hmc-halide: warning: --kernel-schedule {}: no {} kernel "
                   "in {}\n",
                   op, op, graphPath);
    // Per source, the kernels whose schedule it set: a database entry that
    // --kernel-schedule overrides counts for the flag only.
    std::vector<std::string> tuned, setByFlag;
    // Knobs a schedule sets in vain, by where it came from and what went
    // unused, with the kernels concerned.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>>
        unusedKnobs;
    for (const hh::KernelDesc &kernel : graph.kernels) {
      kernelName = kernel.name;
      auto start = std::chrono::steady_clock::now();
      std::string path = (dir / (kernel.name + ".o")).string();
      hh::ScheduleChoice schedule;
      if (db) {
        std::optional<hh::ScheduleChoice> best =
            db->best(graph, hh::kernelKey(graph, kernel), target.to_string());
        if (best)
          schedule = *best;
        if (!best.has_value() && verbose)
          fmt::print("note: {} ({}) has no entry in {} for {}: default "
                     "schedule\n",
                     kernel.name, kernel.op, tuningDbPath, target.to_string());
      }
      std::vector<std::string> *setBy = &tuned;
      std::string origin = fmt::format("tuning database {} entry '{}'",
                                       tuningDbPath, schedule.str());
      if (auto it = opSchedules.find(kernel.op); it != opSchedules.end()) {
        schedule = it->second;
        setBy = &setByFlag;
        origin =
            fmt::format("--kernel-schedule {}={}", kernel.op, schedule.str());
      }
      if (!schedule.isDefault())
        setBy->push_back(fmt::format("{}: {}", kernel.name, schedule.str()));
      for (const std::string &note :
           hh::compileKernel(graph, kernel, target, path, schedule))
        unusedKnobs[{origin, note}].push_back(kernel.name);
      if (verbose)
        fmt::print("{} ({}) -> {} in {:.2f} s, schedule: {}\n", kernel.name,
                   kernel.op, path,
                   std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count(),
                   schedule.str());
    }
    kernelName.clear();
    for (const auto &[where, kernels] : unusedKnobs) {
      std::string which;
      for (size_t i = 0; i < std::min<size_t>(kernels.size(), 3); ++i)
        which += (i ? ", " : "") + kernels[i];
      if (kernels.size() > 3)
        which = fmt::format("{} kernels: {}, ...", kernels.size(), which);
      fmt::print(stderr, "hmc-halide: warning: {}: {} ({})\n", where.first,
                 where.second, which);
    }
    std::string runtimePath = (dir / "halide_runtime.o").string();
    hh::compileRuntime(target, runtimePath);
    if (verbose)
      fmt::print("halide runtime ({}) -> {}\n",
                 hh::runtimeTarget(target).to_string(), runtimePath);
    if (!runtimeOnly) {
      auto describe = [&](const std::string &origin,
                          const std::vector<std::string> &kernels,
                          const char *verb) {
        std::string text =
            fmt::format("{}: {} of {} kernels {}", origin, kernels.size(),
                        graph.kernels.size(), verb);
        for (size_t i = 0; i < kernels.size(); ++i)
          text += (i ? "; " : " (") + kernels[i];
        return kernels.empty() ? text : text + ")";
      };
      std::string source = "default";
      if (db)
        source = describe("tuning database", tuned, "tuned");
      if (!opSchedules.empty()) {
        std::string flag = describe("--kernel-schedule", setByFlag, "set");
        source = db ? source + "; " + flag : flag;
      }
      hh::writeTargetFile(target, (dir / "target.json").string(), source);
    }
  } catch (const Halide::Error &error) {
    std::string where = kernelName.empty()
                            ? std::string("runtime")
                            : fmt::format("kernel '{}'", kernelName);
    return fail(fmt::format("{}: Halide: {}", where, error.what()));
  } catch (const std::exception &error) {
    if (!kernelName.empty())
      return fail(fmt::format("kernel '{}': {}", kernelName, error.what()));
    return fail(error.what());
  }
  return 0;
}
