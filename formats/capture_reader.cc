#include "formats/capture_reader.h"

#include <errno.h>
#include <zstd.h>

#include <cstring>

#include "core/decoder.h"
#include "core/record.h"
#include "formats/capture_format.h"
#include "formats/crc32c.h"

namespace provtrace::formats {
namespace {

constexpr uint32_t kZstdMagic = 0xFD2FB528;
constexpr size_t kReadChunk = 1 << 16;
constexpr int kFramesPerPoll = 4096;

}  // namespace

Status CaptureReader::Open(const std::string& path, RecordHandler* handler,
                           std::unique_ptr<CaptureReader>* out) {
  std::unique_ptr<CaptureReader> reader(new CaptureReader());
  reader->name_ = path == "-" ? "standard input" : path;
  reader->handler_ = handler;
  if (path == "-") {
    reader->file_ = stdin;
  } else {
    reader->file_ = fopen(path.c_str(), "rb");
    if (reader->file_ == nullptr) {
      return IoError("cannot open capture " + path + ": " + strerror(errno));
    }
    reader->owns_file_ = true;
  }
  PT_RETURN_IF_ERROR(reader->ReadHeader());
  *out = std::move(reader);
  return Status::Ok();
}

Status CaptureReader::FromBytes(std::string bytes, RecordHandler* handler,
                                std::unique_ptr<CaptureReader>* out) {
  std::unique_ptr<CaptureReader> reader(new CaptureReader());
  reader->name_ = "capture";
  reader->handler_ = handler;
  reader->in_ = std::move(bytes);
  reader->eof_ = true;  // all input is in in_
  PT_RETURN_IF_ERROR(reader->ReadHeader());
  *out = std::move(reader);
  return Status::Ok();
}

CaptureReader::~CaptureReader() {
  if (owns_file_ && file_ != nullptr) fclose(file_);
  if (zstd_ != nullptr) ZSTD_freeDStream(static_cast<ZSTD_DStream*>(zstd_));
}

bool CaptureReader::Fill(size_t n) {
  if (pos_ > kReadChunk && pos_ * 2 > buf_.size()) {
    consumed_ += pos_;
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  while (buf_.size() - pos_ < n) {
    // Raw input: from the file, or what FromBytes was given.
    if (in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
      if (file_ == nullptr || feof(file_)) {
        eof_ = true;
        return false;
      }
      in_.resize(kReadChunk);
      size_t got = fread(&in_[0], 1, kReadChunk, file_);
      in_.resize(got);
      if (got == 0) {
        eof_ = true;
        return false;
      }
    }
    if (zstd_ == nullptr) {
      buf_.append(in_, in_pos_, std::string::npos);
      in_pos_ = in_.size();
      continue;
    }
    std::string out(ZSTD_DStreamOutSize(), '\0');
    ZSTD_inBuffer zin = {in_.data(), in_.size(), in_pos_};
    ZSTD_outBuffer zout = {&out[0], out.size(), 0};
    size_t rc = ZSTD_decompressStream(static_cast<ZSTD_DStream*>(zstd_), &zout, &zin);
    if (ZSTD_isError(rc)) {
      zstd_error_ = ZSTD_getErrorName(rc);
      eof_ = true;
      return false;
    }
    in_pos_ = zin.pos;
    buf_.append(out.data(), zout.pos);
  }
  return true;
}

Status CaptureReader::ReadHeader() {
  // zstd-compressed captures (-w cap.zst) are read transparently.
  uint32_t magic = 0;
  if (Fill(sizeof(magic))) memcpy(&magic, buf_.data() + pos_, sizeof(magic));
  if (magic == kZstdMagic) {
    zstd_ = ZSTD_createDStream();
    ZSTD_initDStream(static_cast<ZSTD_DStream*>(zstd_));
    in_ = buf_ + in_.substr(in_pos_);  // what was read is compressed input
    in_pos_ = 0;
    buf_.clear();
    pos_ = 0;
    eof_ = false;
  }
  CaptureHeader header;
  if (!Fill(sizeof(header))) {
    return Status(StatusCode::kDataLoss, name_ + " is not a provtrace capture (too short)",
                  "make captures with provtrace -w FILE");
  }
  memcpy(&header, buf_.data() + pos_, sizeof(header));
  if (memcmp(header.magic, kCaptureMagic, sizeof(header.magic)) != 0) {
    return Status(StatusCode::kDataLoss, name_ + " is not a provtrace capture (bad magic)",
                  "make captures with provtrace -w FILE");
  }
  if (header.format_version < kFirstCaptureFormatVersion ||
      header.format_version > kCaptureFormatVersion) {
    return Status(StatusCode::kDataLoss,
                  name_ + " is capture format " + std::to_string(header.format_version) +
                      "; this provtrace reads format " + std::to_string(kCaptureFormatVersion),
                  "read it with the provtrace that wrote it");
  }
  if (header.schema_version > PT_RECORD_SCHEMA_VERSION) {
    return Status(
        StatusCode::kDataLoss,
        name_ + " holds records of a newer schema (" + std::to_string(header.schema_version) + ")",
        "read it with a newer provtrace");
  }
  if (header.header_size < sizeof(header) || header.header_size > kMaxFramePayload ||
      !Fill(header.header_size)) {
    return Status(StatusCode::kDataLoss, name_ + " has a corrupt header");
  }
  format_ = header.format_version;
  if (format_ >= 2) {
    // The header's checksum covers what this reader knows of it.
    CaptureHeader unsummed = header;
    unsummed.reserved = 0;
    if (Crc32c(&unsummed, sizeof(unsummed)) != header.reserved) {
      return Status(StatusCode::kDataLoss,
                    name_ + " is corrupt at byte 0 (its header): checksum mismatch");
    }
  }
  pos_ += header.header_size;
  info_.boot_id = header.boot_id;
  info_.machine_id = header.machine_id;
  info_.realtime_offset_ns = header.realtime_offset_ns;
  info_.backend = std::string(header.backend, strnlen(header.backend, sizeof(header.backend)));
  return Status::Ok();
}

// Delivers one format 1 frame (a record or a loss) at payload; `why` says
// what is wrong when it is not one.
bool CaptureReader::Deliver(uint32_t type, const char* payload, uint32_t length, std::string* why) {
  switch (static_cast<CaptureFrame>(type)) {
    case CaptureFrame::kRecord: {
      DecodedRecord probe;
      DecodeError error = DecodeRecord(payload, length, &probe);
      if (error != DecodeError::kNone) {
        *why = "record does not decode: " + std::string(DecodeErrorText(error));
        return false;
      }
      handler_->OnRawRecord(payload, length);
      return true;
    }
    case CaptureFrame::kLost: {
      if (length != sizeof(CaptureLost)) {
        *why = "lost frame of the wrong size";
        return false;
      }
      CaptureLost raw;
      memcpy(&raw, payload, sizeof(raw));
      Lost lost;
      lost.source = static_cast<LostSource>(raw.source);
      lost.count = raw.count;
      lost.cpu = raw.cpu;
      lost.time_ns = raw.time_ns;
      handler_->OnLost(lost);
      return true;
    }
    default:
      *why = "unknown frame type " + std::to_string(type);
      return false;
  }
}

// A checksummed block of frames (format 2): all or nothing of it is
// delivered.
bool CaptureReader::DeliverBlock(const char* payload, uint32_t length, uint32_t frames,
                                 uint64_t offset, std::string* why, uint64_t* bad_at) {
  // First check every frame's bounds, so that none is delivered from a
  // block whose framing is broken.
  uint32_t at = 0, count = 0;
  while (at < length) {
    uint32_t prefix[2];
    if (length - at < sizeof(prefix)) break;
    memcpy(prefix, payload + at, sizeof(prefix));
    if (prefix[0] > kMaxFramePayload || prefix[0] > length - at - sizeof(prefix)) break;
    at += sizeof(prefix) + prefix[0];
    ++count;
  }
  if (at != length || count != frames) {
    *why = "block framing does not add up";
    *bad_at = offset;
    return false;
  }
  for (at = 0; at < length;) {
    uint32_t prefix[2];
    memcpy(prefix, payload + at, sizeof(prefix));
    if (!Deliver(prefix[1], payload + at + sizeof(prefix), prefix[0], why)) {
      *bad_at = offset + sizeof(BlockPrefix) + at;
      return false;
    }
    at += sizeof(prefix) + prefix[0];
    ++frames_;
  }
  return true;
}

Status CaptureReader::Poll(int) {
  for (int i = 0; i < kFramesPerPoll && !done_; ++i) {
    uint64_t offset = consumed_ + pos_;
    auto corrupt = [&](const std::string& why, uint64_t at) {
      done_ = true;
      return Status(StatusCode::kDataLoss,
                    name_ + " is corrupt at byte " + std::to_string(at) + " (frame " +
                        std::to_string(frames_ + 1) + "): " + why,
                    "the records before it were output");
    };
    if (!Fill(8)) {
      if (!zstd_error_.empty()) return corrupt("zstd: " + zstd_error_, offset);
      if (buf_.size() == pos_) {
        done_ = true;
        return Status::Ok();
      }
      return corrupt("truncated frame header", offset);
    }
    uint32_t prefix[2];
    memcpy(prefix, buf_.data() + pos_, sizeof(prefix));
    uint32_t length = prefix[0];
    size_t head = 8;
    if (format_ >= 2) {
      // Every frame of format 2 is a checksummed block.
      if (prefix[1] != static_cast<uint32_t>(CaptureFrame::kBlock)) {
        return corrupt("not a block (frame type " + std::to_string(prefix[1]) + ")", offset);
      }
      if (length > kMaxBlockPayload)
        return corrupt("block length " + std::to_string(length), offset);
      head = sizeof(BlockPrefix);
    } else if (length > kMaxFramePayload) {
      return corrupt("frame length " + std::to_string(length), offset);
    }
    if (!Fill(head + static_cast<size_t>(length))) {
      if (!zstd_error_.empty()) return corrupt("zstd: " + zstd_error_, offset);
      size_t left = buf_.size() - pos_;
      return corrupt("truncated: the frame needs " + std::to_string(length) + " bytes, " +
                         std::to_string(left > head ? left - head : 0) + " are left",
                     offset);
    }
    const char* payload = buf_.data() + pos_ + head;
    std::string why;
    if (format_ >= 2) {
      BlockPrefix block;
      memcpy(&block, buf_.data() + pos_, sizeof(block));
      if (Crc32c(payload, length) != block.crc) return corrupt("checksum mismatch", offset);
      uint64_t bad_at = offset;
      if (!DeliverBlock(payload, length, block.frames, offset, &why, &bad_at)) {
        return corrupt(why, bad_at);
      }
    } else {
      if (!Deliver(prefix[1], payload, length, &why)) return corrupt(why, offset);
      ++frames_;
    }
    pos_ += head + length;
  }
  return Status::Ok();
}

Status CaptureReader::Drain() {
  while (!done_) PT_RETURN_IF_ERROR(Poll(0));
  return Status::Ok();
}

}  // namespace provtrace::formats
