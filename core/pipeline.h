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
  // keeps everything as received).
  void set_filter(Filter* filter) { filter_ = filter; }
  // After this many nodes and relations have gone out, done() is true.
  void set_max_records(uint64_t max) { max_records_ = max; }
  bool done() const { return max_records_ > 0 && stats_.records_out >= max_records_; }

  Status Begin(const CaptureInfo& info);
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

  std::vector<RecordSink*> sinks_;
  Filter* filter_ = nullptr;
  uint64_t max_records_ = 0;
  Stats stats_;
  Status status_;
  DecodedRecord scratch_;
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_PIPELINE_H_
