#include "formats/capture_reader.h"

#include <errno.h>
#include <zstd.h>

#include <cstring>

#include "core/decoder.h"
#include "core/record.h"
#include "formats/capture_format.h"

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
  if (header.format_version != kCaptureFormatVersion) {
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
  pos_ += header.header_size;
  info_.boot_id = header.boot_id;
  info_.machine_id = header.machine_id;
  info_.realtime_offset_ns = header.realtime_offset_ns;
  info_.backend = std::string(header.backend, strnlen(header.backend, sizeof(header.backend)));
  return Status::Ok();
}

Status CaptureReader::Poll(int) {
  for (int i = 0; i < kFramesPerPoll && !done_; ++i) {
    uint64_t offset = consumed_ + pos_;
    auto corrupt = [&](const std::string& why) {
      done_ = true;
      return Status(StatusCode::kDataLoss,
                    name_ + " is corrupt at byte " + std::to_string(offset) + " (frame " +
                        std::to_string(frames_ + 1) + "): " + why,
                    "the records before it were output");
    };
    if (!Fill(8)) {
      if (!zstd_error_.empty()) return corrupt("zstd: " + zstd_error_);
      if (buf_.size() == pos_) {
        done_ = true;
        return Status::Ok();
      }
      return corrupt("truncated frame header");
    }
    uint32_t prefix[2];
    memcpy(prefix, buf_.data() + pos_, sizeof(prefix));
    uint32_t length = prefix[0];
    if (length > kMaxFramePayload) return corrupt("frame length " + std::to_string(length));
    if (!Fill(8 + static_cast<size_t>(length))) {
      if (!zstd_error_.empty()) return corrupt("zstd: " + zstd_error_);
      return corrupt("truncated: the frame needs " + std::to_string(length) + " bytes, " +
                     std::to_string(buf_.size() - pos_ - 8) + " are left");
    }
    const char* payload = buf_.data() + pos_ + 8;
    switch (static_cast<CaptureFrame>(prefix[1])) {
      case CaptureFrame::kRecord: {
        DecodedRecord probe;
        DecodeError error = DecodeRecord(payload, length, &probe);
        if (error != DecodeError::kNone) {
          return corrupt("record does not decode: " + std::string(DecodeErrorText(error)));
        }
        handler_->OnRawRecord(payload, length);
        break;
      }
      case CaptureFrame::kLost: {
        if (length != sizeof(CaptureLost)) return corrupt("lost frame of the wrong size");
        CaptureLost raw;
        memcpy(&raw, payload, sizeof(raw));
        Lost lost;
        lost.source = static_cast<LostSource>(raw.source);
        lost.count = raw.count;
        lost.cpu = raw.cpu;
        lost.time_ns = raw.time_ns;
        handler_->OnLost(lost);
        break;
      }
      default:
        return corrupt("unknown frame type " + std::to_string(prefix[1]));
    }
    pos_ += 8 + length;
    ++frames_;
  }
  return Status::Ok();
}

Status CaptureReader::Drain() {
  while (!done_) PT_RETURN_IF_ERROR(Poll(0));
  return Status::Ok();
}

}  // namespace provtrace::formats
