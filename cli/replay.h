// -r: a capture replayed through the same decoder as live data.
#ifndef PROVTRACE_CLI_REPLAY_H_
#define PROVTRACE_CLI_REPLAY_H_

#include "cli/options.h"

namespace provtrace::cli {

// Returns the exit status.
int RunReplay(const Options& options);

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_REPLAY_H_
