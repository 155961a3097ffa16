// Where a format's bytes go, independent of the format: stdout, a file,
// (later) a compressor in front of either.
#ifndef PROVTRACE_FORMATS_BYTE_SINK_H_
#define PROVTRACE_FORMATS_BYTE_SINK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace provtrace::formats {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
  virtual Status Flush() = 0;
  virtual Status Close() = 0;
  virtual uint64_t bytes_written() const = 0;
};

// A buffered sink over a file descriptor. unbuffered: every Write goes
// straight through (line-at-a-time output in pipelines).
class FdSink : public ByteSink {
 public:
  FdSink(int fd, std::string name, bool owns_fd, bool unbuffered);
  ~FdSink() override;
  Status Write(std::string_view bytes) override;
  Status Flush() override;
  Status Close() override;
  // Bytes accepted: written, or buffered to be.
  uint64_t bytes_written() const override { return written_ + buffer_.size(); }

 private:
  Status WriteAll(const char* data, size_t size);

  int fd_;
  std::string name_;
  bool owns_fd_;
  bool unbuffered_;
  std::string buffer_;
  uint64_t written_ = 0;
  Status failed_;
};

std::unique_ptr<ByteSink> StdoutSink(bool unbuffered);

// Creates `path` with mode 0600. Refuses to follow a symlink, and to replace
// an existing file unless `force`.
Status OpenFileSink(const std::string& path, bool force, bool unbuffered,
                    std::unique_ptr<ByteSink>* sink);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_BYTE_SINK_H_
