#include "Tuner.h"
#include "JitThreads.h"
#include "KernelBuilder.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

namespace hmc::halide {

using Clock = std::chrono::steady_clock;

//===----------------------------------------------------------------------===//
// Kernel keys and the database
//===----------------------------------------------------------------------===//

std::string kernelKey(const KernelGraph &graph, const KernelDesc &kernel) {
  // Symbols by order of first use, with derived ones' relation to their base.
  std::map<std::string, std::string> renamed;
  std::function<std::string(const std::string &)> rename =
      [&](const std::string &symbol) -> std::string {
    auto it = renamed.find(symbol);
    if (it != renamed.end())
      return it->second;
    std::string name = "s" + std::to_string(renamed.size());
    renamed[symbol] = name;
    if (const SymbolDesc *desc = graph.findSymbol(symbol);
        desc && !desc->base.empty())
      renamed[symbol] = name =
          fmt::format("({}{}+{})/{}+{}", rename(desc->base),
                      desc->mul == 1 ? "" : fmt::format("*{}", desc->mul),
                      desc->add, desc->div, desc->post);
    return name;
  };
  nlohmann::json operands = nlohmann::json::array();
  for (const auto *list : {&kernel.inputs, &kernel.outputs})
    for (const Operand &operand : *list) {
      const BufferDesc &buffer = graph.buffer(operand.buffer);
      nlohmann::json shape = nlohmann::json::array();
      for (const Dim &dim : buffer.shape)
        shape.push_back(dim.isStatic() ? nlohmann::json(dim.size)
                                       : nlohmann::json(rename(dim.symbol)));
      operands.push_back({operand.role, dtypeName(buffer.dtype), shape});
    }
  std::string text = nlohmann::json{
      {"op", kernel.op},
      {"attrs", kernel.attrs},
      {"operands",
       operands}}.dump();
  // FNV-1a, 64 bits: stable across runs and machines.
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text)
    hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

namespace {

constexpr const char *kDbFormat = "hmc.tuning_db";

nlohmann::json toJson(const TuningDb::Entry &entry) {
  nlohmann::json measurements = nlohmann::json::array();
  for (const TuningDb::Measurement &m : entry.measurements) {
    nlohmann::json item = {{"schedule", m.schedule}};
    if (m.ms >= 0)
      item["ms"] = std::stod(fmt::format("{:.4g}", m.ms));
    else
      item["rejected"] = m.note;
    measurements.push_back(item);
  }
  return {{"key", entry.key},           {"op", entry.op},
          {"target", entry.target},     {"length", entry.length},
          {"complete", entry.complete}, {"measurements", measurements}};
}

TuningDb::Entry entryFromJson(const nlohmann::json &json,
                              const std::string &where) {
  auto fail = [&](const std::string &what) -> TuningDb::Entry {
    throw std::runtime_error(fmt::format("{}: {}", where, what));
  };
  if (!json.is_object())
    return fail("expected an object");
  TuningDb::Entry entry;
  try {
    entry.key = json.at("key").get<std::string>();
    entry.op = json.at("op").get<std::string>();
    entry.target = json.at("target").get<std::string>();
    entry.length = json.at("length").get<int64_t>();
    entry.complete = json.at("complete").get<bool>();
    for (const nlohmann::json &item : json.at("measurements")) {
      TuningDb::Measurement m;
      m.schedule = item.at("schedule").get<std::string>();
      ScheduleChoice::parse(m.schedule); // throws on a malformed one
      if (item.contains("ms"))
        m.ms = item.at("ms").get<double>();
      else {
        m.ms = -1;
        m.note = item.at("rejected").get<std::string>();
      }
      if (m.ms < 0 && m.note.empty())
        return fail("a measurement needs ms >= 0 or a rejection note");
      entry.measurements.push_back(m);
    }
  } catch (const nlohmann::json::exception &error) {
    return fail(error.what());
  } catch (const std::invalid_argument &error) {
    return fail(error.what());
  }
  if (entry.length < 1)
    return fail("length must be at least 1");
  return entry;
}

} // namespace

TuningDb TuningDb::load(const std::string &path) {
  TuningDb db;
  std::ifstream file(path);
  if (!file)
    return db;
  nlohmann::json json = nlohmann::json::parse(file, nullptr, false);
  if (json.is_discarded() || !json.is_object() ||
      json.value("format", "") != kDbFormat || json.value("version", 0) != 1 ||
      !json.contains("entries") || !json["entries"].is_array())
    throw std::runtime_error(
        fmt::format("{}: not a tuning database (expected JSON with "
                    "\"format\": \"{}\", \"version\": 1 and \"entries\")",
                    path, kDbFormat));
  const nlohmann::json &entries = json["entries"];
  for (size_t i = 0; i < entries.size(); ++i)
    db.insert(
        entryFromJson(entries[i], fmt::format("{}: entries[{}]", path, i)));
  return db;
}

void TuningDb::save(const std::string &path) const {
  std::vector<Entry> sorted = entries_;
  std::sort(sorted.begin(), sorted.end(), [](const Entry &a, const Entry &b) {
    return std::tie(a.key, a.target, a.length) <
           std::tie(b.key, b.target, b.length);
  });
  nlohmann::json entries = nlohmann::json::array();
  for (Entry &entry : sorted) {
    std::sort(entry.measurements.begin(), entry.measurements.end(),
              [](const Measurement &a, const Measurement &b) {
                return a.schedule < b.schedule;
              });
    entries.push_back(toJson(entry));
  }
  nlohmann::json json = {
      {"format", kDbFormat}, {"version", 1}, {"entries", entries}};
  std::string temp = path + ".tmp";
  {
    std::ofstream file(temp);
    file << json.dump(1) << "\n";
    if (!file.flush())
      throw std::runtime_error("cannot write " + temp);
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec)
    throw std::runtime_error(
        fmt::format("cannot rename {} to {}: {}", temp, path, ec.message()));
}

TuningDb::Entry *TuningDb::find(const std::string &key,
                                const std::string &target, int64_t length) {
  for (Entry &entry : entries_)
    if (entry.key == key && entry.target == target && entry.length == length)
      return &entry;
  return nullptr;
}

TuningDb::Entry &TuningDb::insert(Entry entry) {
  // Merging: a complete entry wins over a partial one; else the later one.
  if (Entry *existing = find(entry.key, entry.target, entry.length)) {
    if (entry.complete || !existing->complete)
      *existing = std::move(entry);
    return *existing;
  }
  entries_.push_back(std::move(entry));
  return entries_.back();
}

std::optional<ScheduleChoice> TuningDb::best(const KernelGraph &graph,
                                             const std::string &key,
                                             const std::string &target) const {
  std::vector<const Entry *> matches;
  for (const Entry &entry : entries_)
    if (entry.key == key && entry.target == target)
      matches.push_back(&entry);
  if (matches.empty())
    return std::nullopt;
  // Score: time relative to the default, summed over the lengths; only
  // schedules measured at every length compete.
  std::map<std::string, double> score;
  std::map<std::string, size_t> count;
  int64_t longest = 0;
  for (const Entry *entry : matches) {
    longest = std::max(longest, entry->length);
    auto def = std::find_if(
        entry->measurements.begin(), entry->measurements.end(),
        [](const Measurement &m) { return m.schedule == "default"; });
    if (def == entry->measurements.end() || def->ms <= 0)
      continue;
    for (const Measurement &m : entry->measurements)
      if (m.ms > 0) {
        score[m.schedule] += m.ms / def->ms;
        ++count[m.schedule];
      }
  }
  size_t lengths = count["default"];
  std::string winner = "default";
  // A candidate must beat the default by 3%: closer is timing noise.
  double bestScore = 0.97 * double(lengths);
  for (const auto &[schedule, total] : score)
    if (count[schedule] == lengths && total < bestScore) {
      bestScore = total;
      winner = schedule;
    }
  ScheduleChoice choice = ScheduleChoice::parse(winner);
  choice.estimates = symbolSizes(graph, longest);
  return choice;
}

//===----------------------------------------------------------------------===//
// Measuring
//===----------------------------------------------------------------------===//

namespace {

/// The search space of one kernel: the default first.
std::vector<ScheduleChoice> candidates(const KernelGraph &graph,
                                       const KernelDesc &kernel,
                                       const Halide::Target &target) {
  std::vector<ScheduleChoice> list(1);
  auto add = [&](std::map<std::string, int> knobs) {
    ScheduleChoice choice;
    choice.knobs = std::move(knobs);
    list.push_back(choice);
  };
  const std::string &op = kernel.op;
  if (target.has_gpu_feature()) {
    // GPU kernels: hmc's GPU schedules with each fixed thread tile or token
    // chunk, the shared-memory staged GEMM (where it does not apply the
    // default form is built, so it measures as the default), against
    // Halide's GPU autoscheduler.
    if (op == "linear" || op == "matmul") {
      for (int tileLog2 : {0, 1, 2})
        add({{"thread_tile_log2", tileLog2}});
      if (!kernel.attrs.value("relative_shift", false))
        add({{"gemm_staging", 1}});
    } else if (op == "hyper_mix")
      for (int chunk : {32, 512})
        add({{"chunk_tokens", chunk}});
    if (autoschedulable(op)) {
      list.emplace_back();
      list.back().autoscheduler = "Li2018";
    }
    return list;
  }
  int natural = target.natural_vector_size(Halide::Float(32));
  // Register tiles: at most this many accumulators (32 vector registers on
  // AVX-512, 16 on AVX2).
  int registers = target.has_feature(Halide::Target::AVX512) ? 28 : 14;
  if (op == "linear" || op == "matmul") {
    // Register tiles of `vectors` x `row_tile` accumulators, when m fills a
    // vector or is a matmul's run-time count (tiled with its rows).
    const Shape &out = graph.buffer(kernel.outputs[0].buffer).shape;
    const Dim &m = out.back();
    bool dynamicM = !m.isStatic() && op == "matmul" && out.size() >= 2;
    if ((m.isStatic() && m.size >= natural) || dynamicM)
      for (int vectors = 1;
           vectors <= (dynamicM ? 4 : std::min<int64_t>(4, m.size / natural));
           ++vectors)
        for (int rows : {2, 4, 6, 8})
          if (vectors * rows <= registers)
            add({{"vectors", vectors}, {"row_tile", rows}});
    // Fewer, longer tasks (weights reused over more rows) or more, shorter
    // ones (better balance) than the default 16.
    for (int tasks : {4, 64})
      add({{"tasks", tasks}});
  } else if (op == "hyper_mix") {
    // The default chunk budget depends on the kernel's form (8, 16 or 40
    // KiB): all are candidates. Phase A over all tokens at once has no
    // chunks; either form of it (one is the default) is a candidate where
    // the kernel offers it.
    for (int tile : {32, 64, 128}) {
      for (int chunk : {8, 16, 40, 80})
        add({{"tile_tokens", tile}, {"chunk_kib", chunk}});
      if (tile != 32)
        add({{"tile_tokens", tile}});
    }
    for (int whole : {0, 1})
      add({{"phase_a_whole", whole}});
    // After a whole phase A, phase B in tiles or by channel (one is the
    // default), each with its own tile or register block sizes.
    for (int tile : {32, 64, 128})
      add({{"phase_b_by_channel", 0}, {"tile_tokens", tile}});
    for (int vectors : {1, 2, 4})
      add({{"phase_b_by_channel", 1}, {"phase_b_vectors", vectors}});
  } else if (op != "fbank" && op != "ctc_greedy") {
    for (int elements : {1 << 12, 1 << 16})
      add({{"task_elements", elements}});
    if (op == "conv") {
      for (int tasks : {4, 64})
        add({{"tasks", tasks}});
      // A 1-D pointwise conv: register tiles of `vectors` time vectors x
      // `row_tile` output channels.
      if (isPointwiseConv(KernelView(graph, kernel)))
        for (int vectors = 1; vectors <= 4; ++vectors)
          for (int rows : {2, 4, 6, 8, 12})
            if (vectors * rows <= registers)
              add({{"vectors", vectors}, {"row_tile", rows}});
    }
  }
  if (autoschedulable(op))
    for (const char *name : {"Adams2019", "Li2018", "Mullapudi2016"}) {
      ScheduleChoice choice;
      choice.autoscheduler = name;
      list.push_back(choice);
    }
  return list;
}

/// Applies `fn` to the elements of a dense buffer as its C type.
template <typename Fn> void forEachValue(Halide::Buffer<> &buffer, Fn fn) {
  size_t count = buffer.number_of_elements();
  Halide::Type type = buffer.type();
  auto apply = [&](auto *data) {
    for (size_t i = 0; i < count; ++i)
      fn(data[i]);
  };
  if (type == Halide::Float(32))
    apply(static_cast<float *>(buffer.data()));
  else if (type == Halide::Float(64))
    apply(static_cast<double *>(buffer.data()));
  else if (type == Halide::Int(32))
    apply(static_cast<int32_t *>(buffer.data()));
  else if (type == Halide::Int(64))
    apply(static_cast<int64_t *>(buffer.data()));
  else
    apply(static_cast<uint8_t *>(buffer.data()));
}

std::vector<double> values(Halide::Buffer<> &buffer) {
  std::vector<double> out;
  out.reserve(buffer.number_of_elements());
  forEachValue(buffer, [&](auto v) { out.push_back(double(v)); });
  return out;
}

Halide::Buffer<> allocate(const BufferDesc &desc,
                          const std::map<std::string, int64_t> &sizes) {
  std::vector<int64_t> shape = concreteShape(desc, sizes);
  std::vector<int> extents(shape.rbegin(), shape.rend());
  return Halide::Buffer<>(halideType(desc.dtype), extents);
}

/// Inputs every op accepts: floats in [0.1, 1] (logs and roots stay real),
/// integers 0 (a valid index), booleans random.
std::vector<Halide::Buffer<>>
makeInputs(const KernelView &view,
           const std::map<std::string, int64_t> &sizes) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> real(0.1, 1.0);
  std::vector<Halide::Buffer<>> inputs;
  for (size_t i = 0; i < view.kernel().inputs.size(); ++i) {
    const BufferDesc &desc = view.input(i);
    Halide::Buffer<> buffer = allocate(desc, sizes);
    forEachValue(buffer, [&](auto &v) {
      using T = std::remove_reference_t<decltype(v)>;
      if constexpr (std::is_floating_point_v<T>)
        v = T(real(rng));
      else if constexpr (std::is_same_v<T, uint8_t>)
        v = T(rng() & 1);
      else
        v = 0;
    });
    inputs.push_back(buffer);
  }
  return inputs;
}

/// The inputs of one problem size and, once the default has run, its output.
struct Problem {
  std::string label; // "length 7, batch 2"
  std::map<std::string, int64_t> sizes;
  std::vector<Halide::Buffer<>> inputs;
  Halide::Buffer<> expected;
};

/// One candidate, JIT-compiled once and run on several problems.
class CompiledKernel {
public:
  CompiledKernel(const KernelGraph &graph, const KernelDesc &kernel,
                 const Halide::Target &target, const ScheduleChoice &choice)
      : graph_(graph), kernel_(kernel),
        built_(buildKernel(graph, kernel, target, choice)) {
    // A knob this kernel does not read would only time the default again.
    if (!built_.knobNotes.empty())
      throw std::runtime_error(built_.knobNotes.front());
    useLibraryThreadPool(built_.pipeline);
    built_.pipeline.compile_jit(target);
  }

  Halide::Buffer<> run(Problem &problem) {
    Halide::Buffer<> output =
        allocate(graph_.buffer(kernel_.outputs[0].buffer), problem.sizes);
    runInto(problem, output);
    return output;
  }

  /// Runs until 0.2 s and 3 runs have passed (at most 50): the median ms.
  /// One output buffer, written once before the timed runs: a fresh one
  /// per run made the first candidate timed at a large length pay for its
  /// pages (the 30 MB CTC output at 60 s: 100 ms instead of 4), and lose to
  /// any other.
  double time(Problem &problem) {
    Halide::Buffer<> output = run(problem);
    std::vector<double> times;
    double total = 0;
    while ((times.size() < 3 || total < 0.2) && times.size() < 50) {
      auto start = Clock::now();
      runInto(problem, output);
      times.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - start)
              .count());
      total += times.back() / 1e3;
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2,
                     times.end());
    return times[times.size() / 2];
  }

private:
  void runInto(Problem &problem, Halide::Buffer<> &output) {
    for (size_t i = 0; i < problem.inputs.size(); ++i)
      built_.inputs[i].set(problem.inputs[i]);
    built_.pipeline.realize(Halide::Realization({output}));
  }

  const KernelGraph &graph_;
  const KernelDesc &kernel_;
  BuiltKernel built_;
};

/// Why `actual` differs from the default's `expected`, or "" when it agrees:
/// relative L2 within 1e-5 for floats, exact for integers, NaN where the
/// default has NaN.
std::string disagreement(Halide::Buffer<> &actual, Halide::Buffer<> &expected) {
  std::vector<double> a = values(actual), e = values(expected);
  bool exact = !actual.type().is_float();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(e[i]) || std::isnan(a[i])) {
      if (std::isnan(e[i]) != std::isnan(a[i]))
        return fmt::format("element {} is {} where the default gives {}", i,
                           a[i], e[i]);
      continue;
    }
    if (exact && a[i] != e[i])
      return fmt::format("element {} is {} where the default gives {}", i, a[i],
                         e[i]);
    diff += (a[i] - e[i]) * (a[i] - e[i]);
    norm += e[i] * e[i];
  }
  double relative = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
  if (relative > 1e-5)
    return fmt::format("relative L2 error {:.2g} against the default",
                       relative);
  return "";
}

/// Sends stderr to /dev/null while alive (when `active`).
class QuietStderr {
public:
  explicit QuietStderr(bool active) {
    if (!active)
      return;
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (saved_ >= 0 && null >= 0)
      dup2(null, STDERR_FILENO);
    if (null >= 0)
      close(null);
  }
  QuietStderr(const QuietStderr &) = delete;
  QuietStderr &operator=(const QuietStderr &) = delete;
  ~QuietStderr() {
    if (saved_ < 0)
      return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
  }

private:
  int saved_ = -1;
};

std::string formatDuration(double seconds) {
  int s = static_cast<int>(std::lround(seconds));
  return s >= 60 ? fmt::format("{}m{:02d}s", s / 60, s % 60)
                 : fmt::format("{}s", s);
}

/// A progress bar with an ETA on stderr: redrawn in place on a terminal, a
/// line per step otherwise.
class Progress {
public:
  explicit Progress(int total) : total_(total), start_(Clock::now()) {}

  void show(int done, const std::string &what, double budget) {
    double elapsed = seconds();
    double eta = done > 0 ? elapsed / done * (total_ - done) : 0;
    if (budget > 0)
      eta = std::min(eta, std::max(0.0, budget - elapsed));
    int width = 24, filled = total_ ? width * done / total_ : width;
    std::string line = fmt::format(
        "[{}{}] {}/{} {} | {} elapsed, ETA {}", std::string(filled, '#'),
        std::string(width - filled, '.'), done, total_, what,
        formatDuration(elapsed), done > 0 ? formatDuration(eta) : "?");
    if (tty_)
      fmt::print(stderr, "\r{:<100}", line.substr(0, 100));
    else
      fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  }
  void finish() {
    if (tty_)
      fmt::print(stderr, "\n");
  }
  /// A line of its own, below the bar on a terminal.
  void log(const std::string &text) {
    fmt::print(stderr, "{}{}\n", tty_ ? "\n" : "", text);
  }
  double seconds() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

private:
  int total_;
  Clock::time_point start_;
  bool tty_ = isatty(STDERR_FILENO);
};

} // namespace

TuneSummary tuneGraph(const KernelGraph &graph, const Halide::Target &target,
                      const TuneOptions &options, const std::string &dbPath,
                      const std::atomic<bool> &stop) {
  TuningDb db = TuningDb::load(dbPath);
  std::string targetName = target.to_string();
  TuneSummary summary;

  // Distinct kernels: layers sharing a kernel, or equal kernels of other
  // names, are tuned once.
  std::vector<std::pair<const KernelDesc *, std::string>> kernels;
  std::set<std::string> seen;
  for (const KernelDesc &kernel : graph.kernels) {
    std::string key = kernelKey(graph, kernel);
    if (seen.insert(key).second)
      kernels.emplace_back(&kernel, key);
  }
  std::vector<std::pair<size_t, int64_t>> work;
  for (size_t k = 0; k < kernels.size(); ++k)
    for (int64_t length : options.lengths) {
      const TuningDb::Entry *entry =
          db.find(kernels[k].second, targetName, length);
      if (entry && entry->complete)
        ++summary.skipped;
      else
        work.emplace_back(k, length);
    }

  Progress progress(static_cast<int>(work.size()));
  auto outOfTime = [&] {
    return stop || (options.budgetSeconds > 0 &&
                    progress.seconds() >= options.budgetSeconds);
  };
  for (size_t w = 0; w < work.size() && !outOfTime(); ++w) {
    const auto &[kernel, key] = kernels[work[w].first];
    int64_t length = work[w].second;
    std::string label =
        fmt::format("{} ({}) at length {}", kernel->name, kernel->op, length);
    progress.show(static_cast<int>(w), label, options.budgetSeconds);

    // The timed problem, then odd small ones: a library serves every
    // length, so a schedule that only works near the timed size (an
    // autoscheduler's split wider than the extent) is rejected.
    KernelView view(graph, *kernel);
    std::vector<Problem> problems;
    for (auto [n, batch] : std::vector<std::pair<int64_t, int64_t>>{
             {length, 1}, {1, 1}, {7, 2}, {33, 1}}) {
      // A small length the model refuses (T - 1 frames at T = 1) is no
      // check problem.
      bool inRange = true;
      std::map<std::string, int64_t> sizes =
          symbolSizes(graph, n, batch, &inRange);
      if (!inRange && !problems.empty())
        continue;
      problems.push_back({fmt::format("length {}, batch {}", n, batch),
                          sizes,
                          makeInputs(view, sizes),
                          {}});
    }
    TuningDb::Entry fresh{key, kernel->op, targetName, length, false, {}};
    if (const TuningDb::Entry *old = db.find(key, targetName, length))
      fresh.measurements = old->measurements;
    TuningDb::Entry &entry = db.insert(fresh);

    // The default runs every time: its outputs are the reference.
    std::vector<ScheduleChoice> space = candidates(graph, *kernel, target);
    bool finished = true;
    for (size_t c = 0; c < space.size(); ++c) {
      if (c > 0 && outOfTime()) {
        finished = false;
        break;
      }
      ScheduleChoice choice = space[c];
      choice.estimates = problems[0].sizes;
      std::string name = choice.str();
      auto done = std::find_if(
          entry.measurements.begin(), entry.measurements.end(),
          [&](const TuningDb::Measurement &m) { return m.schedule == name; });
      if (c > 0 && done != entry.measurements.end())
        continue;
      TuningDb::Measurement result{name, -1, ""};
      try {
        // Autoschedulers and Halide's warnings talk on stderr, over the bar.
        QuietStderr quiet(!options.verbose);
        CompiledKernel compiled(graph, *kernel, target, choice);
        for (size_t p = 0; p < problems.size(); ++p) {
          Problem &problem = problems[p];
          Halide::Buffer<> output;
          try {
            output = compiled.run(problem);
          } catch (const Halide::Error &error) {
            // A small check problem the kernel itself refuses (a reflect pad
            // longer than length 1) is no problem the model can run.
            if (c == 0 && p > 0 &&
                std::string(error.what()).find("Requirement Failed") !=
                    std::string::npos) {
              problems.erase(problems.begin() + static_cast<long>(p--));
              continue;
            }
            throw std::runtime_error(fmt::format("fails at {}: Halide: {}",
                                                 problem.label, error.what()));
          }
          if (c == 0)
            problem.expected = output;
          else if (std::string why = disagreement(output, problem.expected);
                   !why.empty())
            throw std::runtime_error(
                fmt::format("at {}: {}", problem.label, why));
        }
        result.ms = compiled.time(problems[0]);
      } catch (const Halide::Error &error) {
        result.note = fmt::format("Halide: {}", error.what());
      } catch (const std::exception &error) {
        result.note = error.what();
      }
      if (c == 0 && result.ms < 0)
        throw std::runtime_error(
            fmt::format("kernel '{}': the default schedule failed: {}",
                        kernel->name, result.note));
      if (result.ms < 0) {
        // Keep the first line: Halide's messages run long.
        result.note = result.note.substr(0, result.note.find('\n'));
        ++summary.rejected;
      } else {
        ++summary.measured;
      }
      if (options.verbose)
        progress.log(fmt::format("  {} {}: {}", label, name,
                                 result.ms >= 0
                                     ? fmt::format("{:.4g} ms", result.ms)
                                     : "rejected: " + result.note));
      if (done != entry.measurements.end())
        *done = result;
      else
        entry.measurements.push_back(result);
    }
    entry.complete = finished;
    if (finished)
      ++summary.units;
    db.save(dbPath);
  }
  summary.stopped =
      outOfTime() && summary.units + summary.skipped <
                         int(kernels.size() * options.lengths.size());
  progress.show(summary.units, summary.stopped ? "stopped" : "done",
                options.budgetSeconds);
  progress.finish();
  if (db.size() == 0)
    db.save(dbPath);
  return summary;
}

} // namespace hmc::halide
