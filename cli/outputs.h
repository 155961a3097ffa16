// The outputs the options ask for: the formatted one (unless -w alone was
// given) and the raw capture.
#ifndef PROVTRACE_CLI_OUTPUTS_H_
#define PROVTRACE_CLI_OUTPUTS_H_

#include <memory>
#include <vector>

#include "cli/options.h"
#include "core/pipeline.h"
#include "core/sink.h"
#include "formats/kafka_output.h"
#include "formats/output.h"

namespace provtrace::cli {

struct Outputs {
  std::vector<std::unique_ptr<formats::Output>> files;  // and standard output
  std::vector<std::unique_ptr<formats::KafkaOutput>> kafka;
};

// Connects to the kafka:// ones: an unreachable cluster is an error here.
// terminal: standard output's terminal, when a status line shares it.
Status OpenOutputs(const Options& options, Outputs* outputs,
                   formats::SharedTerminal* terminal = nullptr);
// Whether any output (records or a raw capture) goes to standard output.
bool WritesToStdout(const Options& options);
std::vector<RecordSink*> SinksOf(const Outputs& outputs);
uint64_t BytesWritten(const Outputs& outputs);
// Records the kafka:// outputs took and could not deliver, so far.
uint64_t OutputLost(const Outputs& outputs);
// What happened to the kafka:// outputs' clusters since the last call
// (brokers down, back), on stderr unless quiet.
void ReportOutputWarnings(Outputs& outputs, bool quiet);
// Ends every output (kafka:// ones flush, waiting a bounded time) and
// counts their losses into the stats; the first error wins.
Status EndOutputs(Pipeline& pipeline, Outputs& outputs, bool quiet);

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_OUTPUTS_H_
