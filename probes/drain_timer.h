// The kernel wakes a transport's reader once per batch of records, so a
// few records can sit in a buffer while the system is quiet. A reader asks
// its DrainTimer after each poll and fetches everything when it is due:
// no record waits longer than the interval.
#ifndef PROVTRACE_PROBES_DRAIN_TIMER_H_
#define PROVTRACE_PROBES_DRAIN_TIMER_H_

#include <chrono>

namespace provtrace::probes {

class DrainTimer {
 public:
  static constexpr std::chrono::milliseconds kInterval{100};

  // True at most once per interval.
  bool Due() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < kInterval) return false;
    last_ = now;
    return true;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_DRAIN_TIMER_H_
