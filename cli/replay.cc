#include "cli/replay.h"

#include <signal.h>

#include <optional>

#include "cli/outputs.h"
#include "cli/report.h"
#include "core/pipeline.h"
#include "formats/capture_reader.h"

namespace provtrace::cli {

int RunReplay(const Options& options) {
  Outputs outputs;
  Status status = OpenOutputs(options, &outputs);
  if (!status.ok()) return Report(status);
  Pipeline pipeline(SinksOf(outputs));
  std::optional<Filter> filter;
  if (options.filtering) {
    filter.emplace(options.filter);
    pipeline.set_filter(&*filter);
  }
  pipeline.set_max_records(options.max_records);
  std::unique_ptr<formats::CaptureReader> reader;
  status = formats::CaptureReader::Open(options.read_capture, &pipeline, &reader);
  if (!status.ok()) return Report(status);
  signal(SIGPIPE, SIG_IGN);
  status = pipeline.Begin(reader->info());
  while (status.ok() && !reader->done() && pipeline.status().ok() && !pipeline.done()) {
    status = reader->Poll(0);
  }
  if (status.ok()) status = pipeline.status();
  Status ended = EndOutputs(pipeline, outputs);
  if (status.ok()) status = ended;
  if (options.stats) fputs(pipeline.stats().Summary().c_str(), stderr);
  return status.ok() ? kExitOk : Report(status);
}

}  // namespace provtrace::cli
