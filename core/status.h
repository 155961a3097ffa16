// Status values carry what went wrong (the cause) and what the user can do
// about it (the hint). Only cli/ turns a Status into a message and an exit
// code; every other layer returns one.
#ifndef PROVTRACE_CORE_STATUS_H_
#define PROVTRACE_CORE_STATUS_H_

#include <string>
#include <utility>

namespace provtrace {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the user asked for something malformed
  kPermissionDenied,  // not root / missing capabilities
  kUnsupported,       // the kernel lacks something provtrace needs
  kKernelRejected,    // the kernel refused a BPF program or map
  kIoError,           // reading or writing a file or stream failed
  kDataLoss,          // corrupt or truncated input
  kOutputClosed,      // the reader went away (EPIPE): stop quietly
  kInternal,          // a provtrace bug
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string cause, std::string hint = "")
      : code_(code), cause_(std::move(cause)), hint_(std::move(hint)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& cause() const { return cause_; }
  const std::string& hint() const { return hint_; }

  // "cause: hint" or just the cause; one line, for diagnostics.
  std::string ToString() const {
    if (hint_.empty()) return cause_;
    return cause_ + " (" + hint_ + ")";
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string cause_;
  std::string hint_;
};

inline Status InvalidArgument(std::string cause, std::string hint = "") {
  return Status(StatusCode::kInvalidArgument, std::move(cause), std::move(hint));
}
inline Status IoError(std::string cause, std::string hint = "") {
  return Status(StatusCode::kIoError, std::move(cause), std::move(hint));
}
inline Status Unsupported(std::string cause, std::string hint = "") {
  return Status(StatusCode::kUnsupported, std::move(cause), std::move(hint));
}
inline Status InternalError(std::string cause) {
  return Status(StatusCode::kInternal, std::move(cause),
                "this is a provtrace bug; please report it");
}

}  // namespace provtrace

#define PT_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::provtrace::Status pt_status_ = (expr); \
    if (!pt_status_.ok()) return pt_status_; \
  } while (0)

#endif  // PROVTRACE_CORE_STATUS_H_
