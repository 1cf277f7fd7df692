#include "Schedule.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace hmc::halide {

bool isAutoscheduler(const std::string &name) {
  return name == "Adams2019" || name == "Li2018" || name == "Mullapudi2016";
}

std::string ScheduleChoice::str() const {
  if (!autoscheduler.empty())
    return autoscheduler;
  if (knobs.empty())
    return "default";
  std::string text;
  for (const auto &[name, value] : knobs)
    text += fmt::format("{}{}={}", text.empty() ? "" : ",", name, value);
  return text;
}

ScheduleChoice ScheduleChoice::parse(const std::string &text) {
  ScheduleChoice choice;
  if (text == "default")
    return choice;
  if (isAutoscheduler(text)) {
    choice.autoscheduler = text;
    return choice;
  }
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos)
      end = text.size();
    std::string item = text.substr(start, end - start);
    size_t equals = item.find('=');
    int value = 0;
    const char *first = item.data() + equals + 1;
    const char *last = item.data() + item.size();
    if (equals == 0 || equals == std::string::npos ||
        std::from_chars(first, last, value).ptr != last || first == last)
      throw std::invalid_argument(fmt::format(
          "schedule '{}': expected 'default', an autoscheduler (Adams2019, "
          "Li2018, Mullapudi2016) or knob=value pairs separated by commas",
          text));
    choice.knobs[item.substr(0, equals)] = value;
    start = end + 1;
  }
  return choice;
}

} // namespace hmc::halide
