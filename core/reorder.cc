#include "core/reorder.h"

#include <algorithm>
#include <cstring>

#include "core/record.h"

namespace provtrace {
namespace {

// Lanes are CPUs; a bigger index is damaged input, folded onto lane 0.
constexpr int kMaxLanes = 8192;
constexpr size_t kCompactBytes = 1 << 20;

uint32_t RankOf(uint16_t kind) {
  switch (kind) {
    case PT_KIND_NODE:
      return 0;
    case PT_KIND_RELATION:
      return 1;
    default:
      return 2;
  }
}

}  // namespace

bool Reorderer::Before(const Entry& a, const Entry& b) {
  if (a.time != b.time) return a.time < b.time;
  if (a.rank != b.rank) return a.rank < b.rank;
  return a.seq < b.seq;
}

Reorderer::Lane& Reorderer::LaneFor(int lane) {
  if (lane < 0 || lane >= kMaxLanes) lane = 0;
  if (static_cast<size_t>(lane) >= lanes_.size()) lanes_.resize(static_cast<size_t>(lane) + 1);
  return lanes_[static_cast<size_t>(lane)];
}

void Reorderer::Insert(Lane& lane, Entry entry) {
  // A lane is in time order but for a program that interrupted another
  // one: insert from the back.
  auto it = lane.entries.end();
  while (it != lane.entries.begin() && Before(entry, *(it - 1))) --it;
  lane.entries.insert(it, entry);
  ++held_;
  peak_held_ = std::max(peak_held_, held_);
}

void Reorderer::OnLaneRecord(int lane_index, const void* data, size_t size) {
  Entry entry;
  pt_record_header hdr = {};
  if (size >= sizeof(hdr)) {
    memcpy(&hdr, data, sizeof(hdr));
    entry.time = hdr.time_ns;
    entry.rank = RankOf(hdr.kind);
  } else {
    entry.rank = 3;  // undecodable: the pipeline counts it; keep it in place
  }
  if (entry.time < released_up_to_) {
    // Later than the transport promised: out at once, and counted.
    if (size >= sizeof(hdr)) ++late_;
    downstream_->OnRawRecord(data, size);
    return;
  }
  Lane& lane = LaneFor(lane_index);
  entry.seq = seq_++;
  entry.offset = lane.arena.size();
  entry.size = static_cast<uint32_t>(size);
  const char* bytes = static_cast<const char*>(data);
  lane.arena.insert(lane.arena.end(), bytes, bytes + size);
  lane.last_time = std::max(lane.last_time, entry.time);
  lane.has_last = true;
  Insert(lane, entry);
}

void Reorderer::OnLost(const Lost& lost) {
  Lane& lane = LaneFor(lost.cpu);
  Entry entry;
  entry.is_lost = true;
  entry.lost = lost;
  entry.rank = 2;
  entry.time = lane.has_last ? lane.last_time : lost.time_ns;
  entry.time = std::max(entry.time, released_up_to_);
  entry.seq = seq_++;
  entry.lost.time_ns = entry.time;
  Insert(lane, entry);
}

void Reorderer::Deliver(Lane& lane, const Entry& entry) {
  if (entry.is_lost) {
    downstream_->OnLost(entry.lost);
  } else {
    downstream_->OnRawRecord(lane.arena.data() + entry.offset, entry.size);
    lane.released_bytes += entry.size;
  }
}

void Reorderer::Compact(Lane& lane) {
  if (lane.entries.empty()) {
    lane.arena.clear();
    lane.released_bytes = 0;
    return;
  }
  if (lane.released_bytes < kCompactBytes || lane.released_bytes * 2 < lane.arena.size()) return;
  std::vector<char> kept;
  kept.reserve(lane.arena.size() - lane.released_bytes);
  for (Entry& e : lane.entries) {
    if (e.is_lost) continue;
    size_t at = kept.size();
    kept.insert(kept.end(), lane.arena.begin() + static_cast<std::ptrdiff_t>(e.offset),
                lane.arena.begin() + static_cast<std::ptrdiff_t>(e.offset + e.size));
    e.offset = at;
  }
  lane.arena.swap(kept);
  lane.released_bytes = 0;
}

void Reorderer::Release(uint64_t watermark_ns, bool all) {
  while (true) {
    Lane* best = nullptr;
    for (Lane& lane : lanes_) {
      if (!lane.entries.empty() &&
          (best == nullptr || Before(lane.entries.front(), best->entries.front()))) {
        best = &lane;
      }
    }
    if (best == nullptr) break;
    const Entry& front = best->entries.front();
    if (!all && front.time >= watermark_ns) break;
    if (all) released_up_to_ = std::max(released_up_to_, front.time);
    Deliver(*best, front);
    best->entries.pop_front();
    --held_;
  }
  if (!all) released_up_to_ = std::max(released_up_to_, watermark_ns);
  for (Lane& lane : lanes_) Compact(lane);
}

void Reorderer::OnDrained(uint64_t watermark_ns) { Release(watermark_ns, false); }

void Reorderer::Flush() { Release(0, true); }

}  // namespace provtrace
