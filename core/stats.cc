#include "core/stats.h"

#include <sstream>

namespace provtrace {

std::string Stats::Summary() const {
  std::ostringstream out;
  out << "records received:        " << records_received << "\n"
      << "  nodes:                 " << nodes << "\n"
      << "  relations:             " << relations << "\n"
      << "  undecodable:           " << records_bad << "\n"
      << "  filtered out:          " << records_filtered << "\n"
      << "  held nodes dropped:    " << held_nodes_dropped << "\n"
      << "records written:         " << records_out << "\n"
      << "records emitted (BPF):   " << bpf_emitted << "\n"
      << "lost, output refused:    " << bpf_output_failed << " (BPF count)\n"
      << "lost, in the stream:     " << lost_reported << "\n"
      << "lost, perf notified:     " << lost_perf_notified << "\n"
      << "state inserts failed:    " << bpf_state_full << "\n"
      << "paths truncated:         " << bpf_path_truncated << "\n"
      << "nodes described again:   " << bpf_redescribed << "\n"
      << "records out of order:    " << records_late << "\n"
      << "reorder window peak:     " << reorder_peak_held << " records\n"
      << "bytes written:           " << bytes_written << "\n";
  for (const auto& [cause, count] : output_lost_by_cause) {
    std::string label = "lost, " + cause + ":";
    if (label.size() < 25) label.resize(25, ' ');
    out << label << count << "\n";
  }
  if (peak_rss_kib > 0) out << "peak RSS (KiB):          " << peak_rss_kib << "\n";
  return out.str();
}

}  // namespace provtrace
