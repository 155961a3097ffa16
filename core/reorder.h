// One stream in time order out of a transport's lanes (a perf buffer per
// CPU, or one ring buffer), each of which is in time order on its own.
//
// Records wait until the transport says every record stamped before some
// time has been delivered (OnDrained), then go out merged by time; a node
// and a relation stamped at the same nanosecond go out node first. A record
// older than what has already gone out ("late": a BPF program held up for
// longer than the transport's margin between stamping and handing over a
// record) goes out at once and is counted: time then steps back once.
#ifndef PROVTRACE_CORE_REORDER_H_
#define PROVTRACE_CORE_REORDER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "core/model.h"
#include "core/source.h"

namespace provtrace {

class Reorderer : public RecordHandler {
 public:
  explicit Reorderer(RecordHandler* downstream) : downstream_(downstream) {}

  void OnRawRecord(const void* data, size_t size) override { OnLaneRecord(0, data, size); }
  void OnLaneRecord(int lane, const void* data, size_t size) override;
  // A loss on lane lost.cpu (-1: lane 0). It keeps its place in the lane:
  // its time becomes that of the record before it (when there is one), so
  // the gap is marked where it is.
  void OnLost(const Lost& lost) override;
  void OnDrained(uint64_t watermark_ns) override;

  // Releases everything still held (the capture is over).
  void Flush();

  uint64_t late() const { return late_; }
  size_t peak_held() const { return peak_held_; }
  size_t held() const { return held_; }

 private:
  struct Entry {
    uint64_t time = 0;
    uint32_t rank = 0;  // at equal times: nodes, then relations, then losses
    uint64_t seq = 0;   // arrival order, for ties
    size_t offset = 0;  // into the lane's arena
    uint32_t size = 0;
    bool is_lost = false;
    Lost lost;
  };
  struct Lane {
    std::deque<Entry> entries;  // sorted by (time, rank, seq)
    std::vector<char> arena;    // bytes of records, in arrival order
    size_t released_bytes = 0;
    uint64_t last_time = 0;  // of the last record that arrived
    bool has_last = false;
  };

  static bool Before(const Entry& a, const Entry& b);
  Lane& LaneFor(int lane);
  void Insert(Lane& lane, Entry entry);
  void Release(uint64_t watermark_ns, bool all);
  void Deliver(Lane& lane, const Entry& entry);
  void Compact(Lane& lane);

  RecordHandler* downstream_;
  std::vector<Lane> lanes_;
  uint64_t seq_ = 0;
  uint64_t released_up_to_ = 0;  // every record before this time is out
  uint64_t late_ = 0;
  size_t held_ = 0;
  size_t peak_held_ = 0;
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_REORDER_H_
