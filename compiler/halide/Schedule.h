// Which schedule a kernel gets: hmc's hand-written default, the default with
// some of its parameters changed (a tuning "knob" setting), or one of
// Halide's autoschedulers. The tuner enumerates these; the tuning database
// stores them by their text form.
#ifndef HMC_HALIDE_SCHEDULE_H
#define HMC_HALIDE_SCHEDULE_H

#include <cstdint>
#include <map>
#include <string>

namespace hmc::halide {

struct ScheduleChoice {
  /// Empty for the hand-written schedule; else Adams2019, Li2018 or
  /// Mullapudi2016, which schedule the kernel's unscheduled algorithm.
  std::string autoscheduler;
  /// Parameters of the hand-written schedule that differ from its defaults.
  std::map<std::string, int> knobs;
  /// Sizes of the dynamic symbols an autoscheduler plans for.
  std::map<std::string, int64_t> estimates;

  bool isDefault() const { return autoscheduler.empty() && knobs.empty(); }
  /// "default", an autoscheduler's name, or "knob=value,knob=value".
  std::string str() const;
  /// The inverse of str() (estimates are not part of it); throws
  /// std::invalid_argument on anything else.
  static ScheduleChoice parse(const std::string &text);
};

/// The autoschedulers Debian's Halide 14 ships as plugins.
bool isAutoscheduler(const std::string &name);

} // namespace hmc::halide

#endif // HMC_HALIDE_SCHEDULE_H
