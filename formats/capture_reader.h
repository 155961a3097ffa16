// -r FILE: replays a raw capture through a RecordHandler (the pipeline),
// exactly as the live transport would have delivered it.
#ifndef PROVTRACE_FORMATS_CAPTURE_READER_H_
#define PROVTRACE_FORMATS_CAPTURE_READER_H_

#include <cstdio>
#include <memory>
#include <string>

#include "core/model.h"
#include "core/source.h"
#include "core/status.h"

namespace provtrace::formats {

class CaptureReader : public RecordSource {
 public:
  // Opens `path` ("-": standard input) and reads its header. A compressed
  // capture (zstd) is read transparently.
  static Status Open(const std::string& path, RecordHandler* handler,
                     std::unique_ptr<CaptureReader>* reader);
  // Reads from memory (tests, fuzzing).
  static Status FromBytes(std::string bytes, RecordHandler* handler,
                          std::unique_ptr<CaptureReader>* reader);
  ~CaptureReader() override;

  const CaptureInfo& info() const { return info_; }
  // Delivers up to a batch of frames; at the end of the file sets done().
  // A truncated or corrupt frame is a kDataLoss error naming its offset;
  // everything before it has been delivered.
  Status Poll(int timeout_ms) override;
  Status Drain() override;
  bool done() const { return done_; }

 private:
  CaptureReader() = default;
  Status ReadHeader();
  // Makes at least n bytes available at pos_ (fewer at the end of input).
  bool Fill(size_t n);
  bool Deliver(uint32_t type, const char* payload, uint32_t length, std::string* why);
  bool DeliverBlock(const char* payload, uint32_t length, uint32_t frames, uint64_t offset,
                    std::string* why, uint64_t* bad_at);

  std::string name_;
  RecordHandler* handler_ = nullptr;
  FILE* file_ = nullptr;
  bool owns_file_ = false;
  void* zstd_ = nullptr;  // ZSTD_DStream when compressed
  std::string in_;        // compressed input not yet decoded
  size_t in_pos_ = 0;
  std::string buf_;  // decoded bytes
  size_t pos_ = 0;
  uint64_t consumed_ = 0;  // bytes of capture before buf_[0]
  std::string zstd_error_;
  bool eof_ = false;
  bool done_ = false;
  uint64_t frames_ = 0;
  uint32_t format_ = 0;  // of the capture (capture_format.h)
  CaptureInfo info_;
};

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_CAPTURE_READER_H_
