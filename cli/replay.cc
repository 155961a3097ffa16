#include "cli/replay.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <optional>

#include "cli/outputs.h"
#include "cli/report.h"
#include "core/pipeline.h"
#include "formats/capture_reader.h"
#include "formats/kafka_source.h"

namespace provtrace::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnStop(int) { g_stop = true; }

// -r kafka://: the topic's captures, merged, followed until Ctrl-C, -d or
// --max-records (as kcat -C).
Status ReplayTopic(const Options& options, Pipeline& pipeline, Outputs& outputs) {
  formats::KafkaSourceOptions source_options;
  if (options.from_offset) {
    PT_RETURN_IF_ERROR(formats::ParseKafkaFromOffset(*options.from_offset, &source_options.start));
  }
  if (options.from_time) {
    PT_RETURN_IF_ERROR(formats::ParseKafkaFromTime(*options.from_time, &source_options.start));
  }
  bool begun = false;
  auto on_info = [&](const CaptureInfo& info) {
    if (begun) return pipeline.OnCaptureInfo(info);
    begun = true;
    return pipeline.Begin(info);
  };
  std::unique_ptr<formats::KafkaCaptureSource> source;
  PT_RETURN_IF_ERROR(formats::KafkaCaptureSource::Open(
      options.read_capture, options.kafka_properties, source_options, &pipeline, on_info, &source));
  struct sigaction sa = {};
  sa.sa_handler = OnStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = options.duration_seconds
                            ? start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::duration<double>(*options.duration_seconds))
                            : std::chrono::steady_clock::time_point::max();
  auto last_flush = start;
  Status status;
  while (status.ok() && pipeline.status().ok() && !pipeline.done() && !g_stop) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    status = source->Poll(options.unbuffered ? 10 : 100);
    if (options.unbuffered || now - last_flush >= std::chrono::seconds(1)) {
      pipeline.Flush();
      last_flush = now;
      for (const std::string& w : source->TakeWarnings()) {
        if (!options.quiet) fprintf(stderr, "provtrace: warning: %s\n", w.c_str());
      }
      ReportOutputWarnings(outputs, options.quiet);
    }
  }
  // An empty topic still makes a whole (empty) output.
  if (!begun && status.ok()) status = pipeline.Begin(CaptureInfo());
  return status;
}

}  // namespace

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
  signal(SIGPIPE, SIG_IGN);
  if (formats::IsKafkaUrl(options.read_capture)) {
    status = ReplayTopic(options, pipeline, outputs);
    if (!status.ok() && pipeline.status().ok() && pipeline.stats().records_received == 0) {
      return Report(status);  // at start: nothing to end
    }
  } else {
    std::unique_ptr<formats::CaptureReader> reader;
    status = formats::CaptureReader::Open(options.read_capture, &pipeline, &reader);
    if (!status.ok()) return Report(status);
    status = pipeline.Begin(reader->info());
    while (status.ok() && !reader->done() && pipeline.status().ok() && !pipeline.done()) {
      status = reader->Poll(0);
    }
  }
  if (status.ok()) status = pipeline.status();
  Status ended = EndOutputs(pipeline, outputs, options.quiet);
  if (status.ok()) status = ended;
  if (options.stats) fputs(pipeline.stats().Summary().c_str(), stderr);
  if (status.ok() && pipeline.stats().output_lost() > 0 &&
      options.on_loss == Options::OnLoss::kExit) {
    fprintf(stderr, "provtrace: records were lost; stopping (--on-loss=exit)\n");
    return kExitLoss;
  }
  return status.ok() ? kExitOk : Report(status);
}

}  // namespace provtrace::cli
