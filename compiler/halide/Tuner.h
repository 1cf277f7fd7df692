// The schedule tuner and its database (docs/tuning.md). For every distinct
// kernel of a graph and every sequence length asked for, the tuner JIT-
// compiles the candidate schedules (hmc's default, variations of its
// parameters, Halide's autoschedulers), checks each against the default's
// output, times it on this machine and records the times. Compiling with a
// database picks, per kernel, the candidate fastest over those lengths.
#ifndef HMC_HALIDE_TUNER_H
#define HMC_HALIDE_TUNER_H

#include "KernelGraph.h"
#include "Schedule.h"

#include <Halide.h>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace hmc::halide {

/// What the database knows of a kernel, independent of its name and model:
/// op, attributes, dtypes and shapes (symbols renamed by first use).
std::string kernelKey(const KernelGraph &graph, const KernelDesc &kernel);

class TuningDb {
public:
  struct Measurement {
    std::string schedule; // ScheduleChoice::str()
    double ms = 0;        // median; negative: failed (see note)
    std::string note;     // why a candidate was rejected
  };
  struct Entry {
    std::string key, op, target;
    int64_t length = 0;
    bool complete = false; // every candidate was tried
    std::vector<Measurement> measurements;
  };

  /// An absent file is an empty database; a malformed one throws
  /// std::runtime_error naming the file and the entry.
  static TuningDb load(const std::string &path);
  /// Writes sorted, so equal content gives equal bytes; goes through a
  /// temporary file renamed into place.
  void save(const std::string &path) const;

  Entry *find(const std::string &key, const std::string &target,
              int64_t length);
  Entry &insert(Entry entry);
  /// The schedule with the least total time relative to the default over
  /// every length measured for (key, target); nullopt when there is none.
  /// Its estimates are for the longest of those lengths.
  std::optional<ScheduleChoice> best(const KernelGraph &graph,
                                     const std::string &key,
                                     const std::string &target) const;
  size_t size() const { return entries_.size(); }

private:
  std::vector<Entry> entries_;
};

struct TuneOptions {
  std::vector<int64_t> lengths = {128, 1024};
  /// Seconds for the whole run; 0 is no limit.
  double budgetSeconds = 0;
  /// Print every candidate's time.
  bool verbose = false;
};

struct TuneSummary {
  int measured = 0;     // candidates timed in this run
  int rejected = 0;     // failed to compile or disagreed with the default
  int units = 0;        // (kernel, length) pairs completed in this run
  int skipped = 0;      // pairs already complete in the database
  bool stopped = false; // budget spent or interrupted before the end
};

/// Tunes every distinct kernel of `graph` for `target` at each length,
/// saving `dbPath` after every kernel and length. Checks `stop` between
/// candidates (set it from a signal handler); a pair left half done is
/// saved incomplete and finished by the next run.
TuneSummary tuneGraph(const KernelGraph &graph, const Halide::Target &target,
                      const TuneOptions &options, const std::string &dbPath,
                      const std::atomic<bool> &stop);

} // namespace hmc::halide

#endif // HMC_HALIDE_TUNER_H
