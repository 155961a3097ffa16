// The outputs the options ask for: the formatted one (unless -w alone was
// given) and the raw capture.
#ifndef PROVTRACE_CLI_OUTPUTS_H_
#define PROVTRACE_CLI_OUTPUTS_H_

#include <memory>
#include <vector>

#include "cli/options.h"
#include "core/pipeline.h"
#include "core/sink.h"
#include "formats/output.h"

namespace provtrace::cli {

using Outputs = std::vector<std::unique_ptr<formats::Output>>;

// terminal: standard output's terminal, when a status line shares it.
Status OpenOutputs(const Options& options, Outputs* outputs,
                   formats::SharedTerminal* terminal = nullptr);
// Whether any output (records or a raw capture) goes to standard output.
bool WritesToStdout(const Options& options);
std::vector<RecordSink*> SinksOf(const Outputs& outputs);
uint64_t BytesWritten(const Outputs& outputs);
// Ends every output; the first error wins.
Status EndOutputs(Pipeline& pipeline, Outputs& outputs);

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_OUTPUTS_H_
