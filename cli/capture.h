// A live capture: the probes loaded, a transport connected to them, then
// attached; records through the reorder window and the pipeline to the
// outputs until a stop; then detached, drained and counted.
#ifndef PROVTRACE_CLI_CAPTURE_H_
#define PROVTRACE_CLI_CAPTURE_H_

#include "cli/options.h"

namespace provtrace::cli {

// Returns the exit status.
int RunCapture(const Options& options);

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_CAPTURE_H_
