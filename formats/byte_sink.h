// Where a format's bytes go, independent of the format: stdout, a file,
// (later) a compressor in front of either.
#ifndef PROVTRACE_FORMATS_BYTE_SINK_H_
#define PROVTRACE_FORMATS_BYTE_SINK_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace provtrace::formats {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // One call writes one whole unit (a record, a line, a document), unless
  // the sink was told to wait for Mark().
  virtual Status Write(std::string_view bytes) = 0;
  virtual Status Flush() = 0;
  virtual Status Close() = 0;
  virtual uint64_t bytes_written() const = 0;
  // Units end only where Mark() says (a compressor's frames), not at every
  // Write.
  virtual void MarkOnlyWhenAsked() {}
  // What was written so far ends a whole unit.
  virtual void Mark() {}
};

// A buffered sink over a file descriptor. unbuffered: every Write goes
// straight through (line-at-a-time output in pipelines). When a write
// fails (a full disk), a regular file is cut back to the end of its last
// whole unit, so what it holds stays valid: no half record, no half zstd
// frame.
class FdSink : public ByteSink {
 public:
  FdSink(int fd, std::string name, bool owns_fd, bool unbuffered);
  ~FdSink() override;
  Status Write(std::string_view bytes) override;
  Status Flush() override;
  Status Close() override;
  // Bytes accepted: written, or buffered to be.
  uint64_t bytes_written() const override { return written_ + buffer_.size(); }
  void MarkOnlyWhenAsked() override { mark_every_write_ = false; }
  void Mark() override;

 private:
  Status WriteAll(const char* data, size_t size);
  void CommitWritten();
  void CutToLastUnit();

  int fd_;
  std::string name_;
  bool owns_fd_;
  bool unbuffered_;
  bool mark_every_write_ = true;
  std::string buffer_;
  uint64_t written_ = 0;
  // Ends of whole units not yet on disk, in order, and the last one that is.
  std::deque<uint64_t> marks_;
  uint64_t whole_ = 0;
  Status failed_;
};

std::unique_ptr<ByteSink> StdoutSink(bool unbuffered);

// A file sink over a new file `path`, mode 0600, as OpenOutputFile makes it
// (formats/output_file.h): never through a symlink; an existing file or
// link is an error, unless `force`, which replaces it with a new file.
Status OpenFileSink(const std::string& path, bool force, bool unbuffered,
                    std::unique_ptr<ByteSink>* sink);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_BYTE_SINK_H_
