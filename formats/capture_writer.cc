#include "formats/capture_writer.h"

#include <cstring>
#include <string>

#include "core/record.h"
#include "formats/capture_format.h"
#include "formats/crc32c.h"

namespace provtrace::formats {
namespace {

// Frames are gathered into checksummed blocks (capture_format.h), closed
// at kBlockTarget bytes and at every flush.
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
    header.reserved = Crc32c(&header, sizeof(header));
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

  Status Flush() override {
    PT_RETURN_IF_ERROR(CloseBlock());
    return out_->Flush();
  }
  Status End(const Stats&) override { return Flush(); }

 private:
  Status Frame(CaptureFrame type, const void* payload, size_t size) {
    if (block_.empty()) block_.assign(sizeof(BlockPrefix), '\0');  // filled in at the close
    uint32_t prefix[2] = {static_cast<uint32_t>(size), static_cast<uint32_t>(type)};
    block_.append(reinterpret_cast<const char*>(prefix), sizeof(prefix));
    block_.append(static_cast<const char*>(payload), size);
    ++frames_;
    return block_.size() >= sizeof(BlockPrefix) + kBlockTarget ? CloseBlock() : Status::Ok();
  }

  // One write: the block is one unit of the file (a full disk cuts the
  // file back to the last whole one).
  Status CloseBlock() {
    if (frames_ == 0) return Status::Ok();
    size_t payload = block_.size() - sizeof(BlockPrefix);
    BlockPrefix prefix = {static_cast<uint32_t>(payload),
                          static_cast<uint32_t>(CaptureFrame::kBlock),
                          Crc32c(block_.data() + sizeof(BlockPrefix), payload), frames_};
    memcpy(&block_[0], &prefix, sizeof(prefix));
    Status s = out_->Write(block_);
    block_.clear();
    frames_ = 0;
    return s;
  }

  ByteSink* out_;
  std::string block_;
  uint32_t frames_ = 0;
};

}  // namespace

std::unique_ptr<RecordSink> NewCaptureWriter(ByteSink* out) {
  return std::make_unique<CaptureWriter>(out);
}

}  // namespace provtrace::formats
