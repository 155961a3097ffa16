#include "formats/capture_writer.h"

#include <cstring>
#include <string>

#include "core/record.h"
#include "formats/capture_format.h"

namespace provtrace::formats {
namespace {

class CaptureWriter : public RecordSink {
 public:
  explicit CaptureWriter(ByteSink* out) : out_(out) {}

  Status Begin(const CaptureInfo& info) override {
    CaptureHeader header;
    memset(&header, 0, sizeof(header));
    memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
    header.format_version = kCaptureFormatVersion;
    header.schema_version = PT_RECORD_SCHEMA_VERSION;
    header.header_size = sizeof(header);
    header.boot_id = info.boot_id;
    header.machine_id = info.machine_id;
    header.realtime_offset_ns = info.realtime_offset_ns;
    strncpy(header.backend, info.backend.c_str(), sizeof(header.backend) - 1);
    return out_->Write(std::string_view(reinterpret_cast<const char*>(&header), sizeof(header)));
  }

  Status OnRaw(std::string_view bytes) override {
    return Frame(CaptureFrame::kRecord, bytes.data(), bytes.size());
  }

  Status OnNode(const Node&) override { return Status::Ok(); }
  Status OnRelation(const Relation&) override { return Status::Ok(); }

  Status OnLost(const Lost& lost) override {
    CaptureLost payload;
    memset(&payload, 0, sizeof(payload));
    payload.count = lost.count;
    payload.time_ns = lost.time_ns;
    payload.cpu = lost.cpu;
    payload.source = static_cast<uint32_t>(lost.source);
    return Frame(CaptureFrame::kLost, &payload, sizeof(payload));
  }

  Status Flush() override { return out_->Flush(); }
  Status End(const Stats&) override { return out_->Flush(); }

 private:
  Status Frame(CaptureFrame type, const void* payload, size_t size) {
    uint32_t prefix[2] = {static_cast<uint32_t>(size), static_cast<uint32_t>(type)};
    frame_.assign(reinterpret_cast<const char*>(prefix), sizeof(prefix));
    frame_.append(static_cast<const char*>(payload), size);
    return out_->Write(frame_);
  }

  ByteSink* out_;
  std::string frame_;
};

}  // namespace

std::unique_ptr<RecordSink> NewCaptureWriter(ByteSink* out) {
  return std::make_unique<CaptureWriter>(out);
}

}  // namespace provtrace::formats
