// Where raw records come from: a live transport (perf or ring buffer) or a
// replayed capture. Sources push what they read into a RecordHandler.
#ifndef PROVTRACE_CORE_SOURCE_H_
#define PROVTRACE_CORE_SOURCE_H_

#include <cstddef>
#include <cstdint>

#include "core/model.h"
#include "core/status.h"

namespace provtrace {

class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  // One raw record as received; `data` is valid only during the call.
  virtual void OnRawRecord(const void* data, size_t size) = 0;
  virtual void OnLost(const Lost& lost) = 0;
  // A record of one of the source's lanes (a CPU's perf buffer): records
  // of one lane arrive in the order they were stamped.
  virtual void OnLaneRecord(int lane, const void* data, size_t size) {
    OnRawRecord(data, size);
  }
  // Every record stamped (CLOCK_BOOTTIME) before watermark_ns has been
  // delivered.
  virtual void OnDrained(uint64_t watermark_ns) {}
};

class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Waits up to timeout_ms for records and delivers what arrived.
  virtual Status Poll(int timeout_ms) = 0;
  // Delivers everything already buffered without waiting.
  virtual Status Drain() = 0;
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_SOURCE_H_
