#include "cli/outputs.h"

#include <unistd.h>

#include <cstring>

namespace provtrace::cli {
namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

}  // namespace

Status OpenOutputs(const Options& options, Outputs* outputs) {
  uint64_t rotate = options.rotate_size.empty() ? 0 : *formats::ParseSize(options.rotate_size);
  bool formatted = options.write_capture.empty() || options.output_given || options.format;
  if (formatted) {
    formats::OutputSpec spec;
    spec.path = options.output;
    spec.force = options.force;
    spec.unbuffered = options.unbuffered;
    if (options.format) {
      spec.format = *formats::ParseFormat(*options.format);
    } else {
      bool terminal = options.output == "-" && isatty(STDOUT_FILENO);
      spec.format = terminal ? formats::Format::kText : formats::Format::kJson;
    }
    if (options.compress || EndsWith(options.output, ".zst")) {
      spec.zstd_level = options.compress.value_or(formats::kDefaultZstdLevel);
    }
    if (options.output_given) {
      spec.rotate_size = rotate;
      spec.rotate_count = options.rotate_count;
    }
    std::unique_ptr<formats::Output> out;
    PT_RETURN_IF_ERROR(formats::Output::Open(spec, &out));
    outputs->push_back(std::move(out));
  }
  if (!options.write_capture.empty()) {
    formats::OutputSpec spec;
    spec.format = formats::Format::kRaw;
    spec.path = options.write_capture;
    spec.force = options.force;
    if (options.compress || EndsWith(options.write_capture, ".zst")) {
      spec.zstd_level = options.compress.value_or(formats::kDefaultZstdLevel);
    }
    spec.rotate_size = rotate;
    spec.rotate_count = options.rotate_count;
    std::unique_ptr<formats::Output> out;
    PT_RETURN_IF_ERROR(formats::Output::Open(spec, &out));
    outputs->push_back(std::move(out));
  }
  return Status::Ok();
}

std::vector<RecordSink*> SinksOf(const Outputs& outputs) {
  std::vector<RecordSink*> sinks;
  for (const auto& o : outputs) sinks.push_back(o.get());
  return sinks;
}

uint64_t BytesWritten(const Outputs& outputs) {
  uint64_t bytes = 0;
  for (const auto& o : outputs) bytes += o->bytes_written();
  return bytes;
}

Status EndOutputs(Pipeline& pipeline, Outputs& outputs) {
  Status status = pipeline.End();
  pipeline.stats().bytes_written = BytesWritten(outputs);
  return status;
}

}  // namespace provtrace::cli
