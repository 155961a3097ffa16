// What every stage counted: nothing is dropped without a number here.
#ifndef PROVTRACE_CORE_STATS_H_
#define PROVTRACE_CORE_STATS_H_

#include <cstdint>
#include <map>
#include <string>

namespace provtrace {

struct Stats {
  // User space.
  uint64_t records_received = 0;  // raw records handed over by the transport
  uint64_t records_bad = 0;       // undecodable: counted, skipped
  uint64_t nodes = 0;
  uint64_t relations = 0;
  uint64_t lost_reported = 0;       // losses put into the stream, all sources
  uint64_t lost_perf_notified = 0;  // of those, the perf buffers' own notifications
  std::map<int, uint64_t> lost_perf_notified_by_cpu;
  uint64_t records_filtered = 0;  // dropped by the user's filters (not lost)
  // Of those, nodes a filter held until a kept relation would name them,
  // dropped to bound the memory held (core/filter.h, HeldNodes): a kept
  // relation that names one later names a node the output does not have.
  uint64_t held_nodes_dropped = 0;
  uint64_t records_out = 0;  // nodes and relations that went out (written)
  // BPF side (filled in from the kernel's per-CPU counters).
  uint64_t bpf_emitted = 0;
  uint64_t bpf_output_failed = 0;  // records the kernel could not hand over
  uint64_t bpf_state_full = 0;     // per-object state that could not be stored
  uint64_t bpf_path_truncated = 0;
  uint64_t bpf_redescribed = 0;  // nodes emitted again after a loss
  // The reorder window (core/reorder.h).
  uint64_t records_late = 0;  // arrived after later records had gone out
  uint64_t reorder_peak_held = 0;
  // Output.
  uint64_t bytes_written = 0;
  // Records an output took but could not deliver (kafka://), by cause:
  // "kafka queue full", "kafka refused", "kafka delivery failed", "kafka
  // not delivered at stop".
  std::map<std::string, uint64_t> output_lost_by_cause;
  // The process.
  uint64_t peak_rss_kib = 0;

  // Records that never reached the output. The BPF count is authoritative:
  // a perf buffer reports the same refusals again as lost events.
  uint64_t lost() const {
    return (bpf_output_failed > lost_reported ? bpf_output_failed : lost_reported) + output_lost();
  }
  uint64_t output_lost() const {
    uint64_t total = 0;
    for (const auto& [cause, count] : output_lost_by_cause) total += count;
    return total;
  }

  // Multi-line human-readable summary for --stats.
  std::string Summary() const;
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_STATS_H_
