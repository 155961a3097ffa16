#include "core/pipeline.h"

#include <cstring>

#include "core/record.h"

namespace provtrace {

void Pipeline::Fail(Status status) {
  if (status_.ok()) status_ = std::move(status);
}

Status Pipeline::Begin(const CaptureInfo& info) {
  held_.set_capture(info.machine_id, info.boot_id);
  for (RecordSink* sink : sinks_) {
    Status s = sink->Begin(info);
    if (!s.ok()) {
      Fail(s);
      return s;
    }
  }
  return Status::Ok();
}

Status Pipeline::OnCaptureInfo(const CaptureInfo& info) {
  if (!status_.ok()) return status_;
  held_.set_capture(info.machine_id, info.boot_id);
  for (RecordSink* sink : sinks_) {
    Status s = sink->OnCaptureInfo(info);
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
    OnNode(data, scratch_.size);
  } else if (scratch_.kind == DecodedRecord::Kind::kRelation) {
    OnRelation();
  }
}

void Pipeline::OnNode(const void* data, size_t size) {
  const Node& node = scratch_.node;
  ++stats_.nodes;
  if (filter_ != nullptr && node.type != NodeType::kMachine) {
    bool keep = filter_->KeepNode(node);
    for (RecordSink* sink : sinks_) sink->OnFilteredNode(node);
    if (!keep) {
      ++stats_.records_filtered;
      return;
    }
    held_.Hold(node.id, node.version, data, size);
    stats_.held_nodes_dropped = held_.dropped();
    return;
  }
  EmitNode(node);
}

void Pipeline::EmitNode(const Node& node) {
  ++stats_.records_out;
  for (RecordSink* sink : sinks_) {
    Status s = sink->OnNode(node);
    if (!s.ok()) return Fail(s);
  }
}

void Pipeline::EmitHeld(const NodeRef& ref) {
  if (!status_.ok() || !held_.Take(ref.id, ref.version, &held_record_)) return;
  if (DecodeRecord(held_record_.data(), held_record_.size(), &held_scratch_) !=
          DecodeError::kNone ||
      held_scratch_.kind != DecodedRecord::Kind::kNode) {
    return;  // it decoded when it was held
  }
  EmitNode(held_scratch_.node);
}

void Pipeline::OnRelation() {
  const Relation& rel = scratch_.relation;
  ++stats_.relations;
  if (filter_ != nullptr) {
    if (!filter_->KeepRelation(rel)) {
      ++stats_.records_filtered;
      for (RecordSink* sink : sinks_) sink->OnFilteredRelation(rel);
      return;
    }
    uint64_t needed = 1 + (held_.Holds(rel.from.id, rel.from.version) ? 1 : 0) +
                      (held_.Holds(rel.to.id, rel.to.version) ? 1 : 0);
    if (max_records_ > 0 && stats_.records_out + needed > max_records_) {
      limit_reached_ = true;
      return;
    }
    EmitHeld(rel.from);
    EmitHeld(rel.to);
    if (!status_.ok()) return;
  }
  ++stats_.records_out;
  for (RecordSink* sink : sinks_) {
    Status s = sink->OnRelation(rel);
    if (!s.ok()) return Fail(s);
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
  // Held nodes no kept relation named were left out by the filter.
  stats_.records_filtered += held_.size() + held_.dropped();
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
