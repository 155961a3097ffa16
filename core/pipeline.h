// source -> decode -> sinks. The pipeline is the RecordHandler a source
// feeds; it counts everything and remembers the first sink error (a closed
// pipe, a full disk) so the capture loop can stop on it.
#ifndef PROVTRACE_CORE_PIPELINE_H_
#define PROVTRACE_CORE_PIPELINE_H_

#include <vector>

#include "core/decoder.h"
#include "core/filter.h"
#include "core/sink.h"
#include "core/source.h"
#include "core/stats.h"

namespace provtrace {

class Pipeline : public RecordHandler {
 public:
  explicit Pipeline(std::vector<RecordSink*> sinks) : sinks_(std::move(sinks)) {}

  // Records the filter drops reach no sink but the raw capture (which
  // keeps everything as received). With a filter, a node goes out only
  // when a kept relation names it, just before that relation (the machine
  // node always goes out); until then it is held (HeldNodes), and sinks
  // learn from it at once through OnFilteredNode.
  void set_filter(Filter* filter) { filter_ = filter; }
  // At most this many records (nodes and relations) go out: a relation
  // goes out with its held nodes or not at all, so the output may stop up
  // to two records short of the limit. Then done() is true.
  void set_max_records(uint64_t max) { max_records_ = max; }
  bool done() const {
    return max_records_ > 0 && (stats_.records_out >= max_records_ || limit_reached_);
  }
  // Held nodes dropped to bound memory before a relation named them (also
  // in stats().held_nodes_dropped).
  uint64_t held_nodes_dropped() const { return held_.dropped(); }

  Status Begin(const CaptureInfo& info);
  // The records that follow are of another capture (RecordSink's hook).
  Status OnCaptureInfo(const CaptureInfo& info);
  void OnRawRecord(const void* data, size_t size) override;
  void OnLost(const Lost& lost) override;
  Status Flush();
  Status End();

  // The first error a sink returned; once set, records are no longer
  // passed on.
  const Status& status() const { return status_; }
  Stats& stats() { return stats_; }
  const Stats& stats() const { return stats_; }

 private:
  void Fail(Status status);
  void OnLostRecord(const void* data, size_t size);
  void OnNode(const void* data, size_t size);
  void OnRelation();
  // Sends the held node (id, version), if any, to the sinks.
  void EmitHeld(const NodeRef& ref);
  void EmitNode(const Node& node);

  std::vector<RecordSink*> sinks_;
  Filter* filter_ = nullptr;
  uint64_t max_records_ = 0;
  bool limit_reached_ = false;  // the next relation and its nodes would not fit
  Stats stats_;
  Status status_;
  DecodedRecord scratch_;
  HeldNodes held_;
  std::vector<uint8_t> held_record_;
  DecodedRecord held_scratch_;
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_PIPELINE_H_
