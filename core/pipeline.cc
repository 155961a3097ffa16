#include "core/pipeline.h"

#include <cstring>

#include "core/record.h"

namespace provtrace {

void Pipeline::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

Status Pipeline::Begin(const CaptureInfo& info) {
  for (RecordSink* sink : sinks_) {
    Status s = sink->Begin(info);
    if (!s.ok()) {
      Fail(s);
      return s;
    }
  }
  return Status::Ok();
}

void Pipeline::OnRawRecord(const void* data, size_t size) {
  pt_record_header hdr;
  if (size >= sizeof(hdr)) {
    memcpy(&hdr, data, sizeof(hdr));
    if (hdr.kind == PT_KIND_LOST) return OnLostRecord(data, size);
  }
  ++stats_.records_received;
  if (!status_.ok()) return;
  std::string_view raw(static_cast<const char*>(data), size);
  for (RecordSink* sink : sinks_) {
    Status s = sink->OnRaw(raw);
    if (!s.ok()) return Fail(s);
  }
  if (DecodeRecord(data, size, &scratch_) != DecodeError::kNone) {
    ++stats_.records_bad;
    return;
  }
  if (done()) return;
  if (scratch_.kind == DecodedRecord::Kind::kNode) {
    ++stats_.nodes;
    if (filter_ != nullptr && !filter_->KeepNode(scratch_.node)) {
      ++stats_.records_filtered;
      for (RecordSink* sink : sinks_) sink->OnFilteredNode(scratch_.node);
      return;
    }
    ++stats_.records_out;
    for (RecordSink* sink : sinks_) {
      Status s = sink->OnNode(scratch_.node);
      if (!s.ok()) return Fail(s);
    }
  } else if (scratch_.kind == DecodedRecord::Kind::kRelation) {
    ++stats_.relations;
    if (filter_ != nullptr && !filter_->KeepRelation(scratch_.relation)) {
      ++stats_.records_filtered;
      for (RecordSink* sink : sinks_) sink->OnFilteredRelation(scratch_.relation);
      return;
    }
    ++stats_.records_out;
    for (RecordSink* sink : sinks_) {
      Status s = sink->OnRelation(scratch_.relation);
      if (!s.ok()) return Fail(s);
    }
  }
}

// A ring buffer's loss, marked in the stream by the BPF side.
void Pipeline::OnLostRecord(const void* data, size_t size) {
  DecodedRecord record;
  if (DecodeRecord(data, size, &record) != DecodeError::kNone ||
      record.kind != DecodedRecord::Kind::kLost) {
    ++stats_.records_received;
    ++stats_.records_bad;
    return;
  }
  OnLost(record.lost);
}

void Pipeline::OnLost(const Lost& lost) {
  stats_.lost_reported += lost.count;
  if (lost.source == LostSource::kPerfBuffer) {
    stats_.lost_perf_notified += lost.count;
    if (lost.cpu >= 0) stats_.lost_perf_notified_by_cpu[lost.cpu] += lost.count;
  }
  if (!status_.ok()) return;
  for (RecordSink* sink : sinks_) {
    Status s = sink->OnLost(lost);
    if (!s.ok()) return Fail(s);
  }
}

Status Pipeline::Flush() {
  if (!status_.ok()) return status_;
  for (RecordSink* sink : sinks_) {
    Status s = sink->Flush();
    if (!s.ok()) {
      Fail(s);
      return s;
    }
  }
  return Status::Ok();
}

Status Pipeline::End() {
  if (!status_.ok()) return status_;
  for (RecordSink* sink : sinks_) {
    Status s = sink->End(stats_);
    if (!s.ok()) {
      Fail(s);
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace provtrace
