// Where a Status becomes a message on stderr and an exit status: only cli/
// does this, and only through these.
#ifndef PROVTRACE_CLI_REPORT_H_
#define PROVTRACE_CLI_REPORT_H_

#include <cstdio>

#include "core/status.h"

namespace provtrace::cli {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitLoss = 3;  // --on-loss=exit
// With a command: -d or --max-records ended the capture before the command
// ended (and provtrace ended it), as timeout(1) says a time limit did.
constexpr int kExitCommandCut = 124;

inline int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
    case StatusCode::kOutputClosed:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnsupported:
    case StatusCode::kKernelRejected:
      return kExitUsage;
    case StatusCode::kIoError:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return kExitRuntime;
  }
  return kExitRuntime;
}

// One line on stderr (none for a reader that went away); the exit status.
inline int Report(const Status& status) {
  if (status.code() != StatusCode::kOutputClosed) {
    fprintf(stderr, "provtrace: %s\n", status.ToString().c_str());
  }
  return ExitCodeFor(status);
}

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_REPORT_H_
