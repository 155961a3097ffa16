#include "formats/byte_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "formats/output_file.h"

namespace provtrace::formats {
namespace {

constexpr size_t kBufferSize = 64 * 1024;

}  // namespace

FdSink::FdSink(int fd, std::string name, bool owns_fd, bool unbuffered)
    : fd_(fd), name_(std::move(name)), owns_fd_(owns_fd), unbuffered_(unbuffered) {
  buffer_.reserve(kBufferSize);
}

FdSink::~FdSink() { Close(); }

void FdSink::Mark() {
  marks_.push_back(written_ + buffer_.size());
  CommitWritten();
}

// Marks at or before what is on disk now end whole units there.
void FdSink::CommitWritten() {
  while (!marks_.empty() && marks_.front() <= written_) {
    whole_ = marks_.front();
    marks_.pop_front();
  }
}

// After a failed write: a regular file ends at its last whole unit.
void FdSink::CutToLastUnit() {
  struct stat st;
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;
  off_t end = lseek(fd_, 0, SEEK_CUR);
  if (end < 0) return;
  // The file's offset is where we are; units are counted from where it
  // was when we got it.
  off_t base = end - static_cast<off_t>(written_);
  if (ftruncate(fd_, base + static_cast<off_t>(whole_)) == 0) {
    lseek(fd_, base + static_cast<off_t>(whole_), SEEK_SET);
  }
}

Status FdSink::WriteAll(const char* data, size_t size) {
  if (!failed_.ok()) return failed_;
  while (size > 0) {
    ssize_t n = write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        failed_ = Status(StatusCode::kOutputClosed, "the reader of " + name_ + " went away");
      } else {
        failed_ = IoError("cannot write " + name_ + ": " + strerror(errno));
        CutToLastUnit();
      }
      return failed_;
    }
    data += n;
    size -= static_cast<size_t>(n);
    written_ += static_cast<uint64_t>(n);
    CommitWritten();
  }
  return Status::Ok();
}

Status FdSink::Write(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (unbuffered_) {
    if (mark_every_write_) marks_.push_back(written_ + bytes.size());
    return WriteAll(bytes.data(), bytes.size());
  }
  if (buffer_.size() + bytes.size() > kBufferSize) {
    PT_RETURN_IF_ERROR(Flush());
    if (bytes.size() > kBufferSize) {
      if (mark_every_write_) marks_.push_back(written_ + bytes.size());
      return WriteAll(bytes.data(), bytes.size());
    }
  }
  buffer_.append(bytes.data(), bytes.size());
  if (mark_every_write_) marks_.push_back(written_ + buffer_.size());
  return failed_;
}

Status FdSink::Flush() {
  if (buffer_.empty()) return failed_;
  Status s = WriteAll(buffer_.data(), buffer_.size());
  buffer_.clear();
  return s;
}

Status FdSink::Close() {
  if (fd_ < 0) return failed_;
  Status s = Flush();
  if (owns_fd_) {
    if (close(fd_) != 0 && s.ok()) s = IoError("cannot close " + name_ + ": " + strerror(errno));
  }
  fd_ = -1;
  return s;
}

std::unique_ptr<ByteSink> StdoutSink(bool unbuffered) {
  return std::make_unique<FdSink>(STDOUT_FILENO, "standard output", false, unbuffered);
}

Status OpenFileSink(const std::string& path, bool force, bool unbuffered,
                    std::unique_ptr<ByteSink>* sink) {
  int fd = -1;
  PT_RETURN_IF_ERROR(OpenOutputFile(path, force, &fd));
  *sink = std::make_unique<FdSink>(fd, path, true, unbuffered);
  return Status::Ok();
}

}  // namespace provtrace::formats
