// The kernel wakes a transport's reader once per batch of records, so a
// few records can sit in a buffer while the system is quiet. A reader asks
// its DrainTimer after each poll and fetches everything when it is due:
// no record waits longer than the interval.
#ifndef PROVTRACE_PROBES_DRAIN_TIMER_H_
#define PROVTRACE_PROBES_DRAIN_TIMER_H_

#include <time.h>

#include <chrono>
#include <cstdint>

namespace provtrace::probes {

// A BPF program stamps a record (CLOCK_BOOTTIME) a few microseconds before
// it hands it over. After a transport has read all its buffers, every
// record stamped more than this before the read began has arrived: the
// reorder window's watermark (core/reorder.h). Generous, for a virtual CPU
// the hypervisor stops in between.
constexpr uint64_t kInFlightMarginNs = 50'000'000;

inline uint64_t BootTimeNs() {
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<uint64_t>(now.tv_nsec);
}

inline uint64_t WatermarkBefore(uint64_t read_started_ns) {
  return read_started_ns > kInFlightMarginNs ? read_started_ns - kInFlightMarginNs : 0;
}

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
