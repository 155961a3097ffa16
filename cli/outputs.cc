#include "cli/outputs.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "formats/text.h"

namespace provtrace::cli {
namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Whether the user's locale (the first of LC_ALL, LC_CTYPE, LANG that is
// set, as setlocale would pick) shows UTF-8; unset is the C locale.
bool LocaleIsUtf8() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = getenv(name);
    if (value == nullptr || *value == '\0') continue;
    std::string lower(value);
    for (char& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
  }
  return false;
}

// How the text format is shown: on a terminal, fitted to its width
// (COLUMNS if set, as ls(1) does, else TIOCGWINSZ) and in colour unless
// NO_COLOR is set and not empty (no-color.org) or TERM is dumb; in a file
// or a pipe, whole lines and no colour. Relation types the text view
// folds get lines of their own when --only asks for them.
formats::TextOptions TextOptionsFor(const Options& options) {
  formats::TextOptions text;
  text.utf8 = LocaleIsUtf8();
  for (RelationType type : options.filter.only_relations) {
    if (formats::TextFolds(type)) text.fold = false;
  }
  if (options.output != "-" || !isatty(STDOUT_FILENO)) return text;  // kafka:// too
  const char* columns = getenv("COLUMNS");
  int width = columns != nullptr ? atoi(columns) : 0;
  struct winsize size;
  if (width <= 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) width = size.ws_col;
  text.width = width > 0 ? width : 0;
  const char* no_color = getenv("NO_COLOR");
  const char* term = getenv("TERM");
  text.color =
      (no_color == nullptr || *no_color == '\0') && !(term != nullptr && strcmp(term, "dumb") == 0);
  return text;
}

bool Formatted(const Options& options) {
  return options.write_capture.empty() || options.output_given || options.format;
}

}  // namespace

bool WritesToStdout(const Options& options) {
  return (Formatted(options) && options.output == "-") || options.write_capture == "-";
}

Status OpenOutputs(const Options& options, Outputs* outputs, formats::SharedTerminal* terminal) {
  uint64_t rotate = options.rotate_size.empty() ? 0 : *formats::ParseSize(options.rotate_size);
  if (Formatted(options)) {
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
    spec.text = TextOptionsFor(options);
    if (formats::IsKafkaUrl(options.output)) {
      std::unique_ptr<formats::KafkaOutput> out;
      PT_RETURN_IF_ERROR(
          formats::OpenKafkaOutput(options.output, options.kafka_properties, spec, {}, &out));
      outputs->kafka.push_back(std::move(out));
    } else {
      if (options.compress || EndsWith(options.output, ".zst")) {
        spec.zstd_level = options.compress.value_or(formats::kDefaultZstdLevel);
      }
      spec.terminal = terminal;
      if (options.output_given) {
        spec.rotate_size = rotate;
        spec.rotate_count = options.rotate_count;
      }
      std::unique_ptr<formats::Output> out;
      PT_RETURN_IF_ERROR(formats::Output::Open(spec, &out));
      outputs->files.push_back(std::move(out));
    }
  }
  if (!options.write_capture.empty()) {
    formats::OutputSpec spec;
    spec.format = formats::Format::kRaw;
    spec.path = options.write_capture;
    spec.force = options.force;
    if (formats::IsKafkaUrl(options.write_capture)) {
      std::unique_ptr<formats::KafkaOutput> out;
      PT_RETURN_IF_ERROR(formats::OpenKafkaOutput(options.write_capture, options.kafka_properties,
                                                  spec, {}, &out));
      outputs->kafka.push_back(std::move(out));
      return Status::Ok();
    }
    if (options.compress || EndsWith(options.write_capture, ".zst")) {
      spec.zstd_level = options.compress.value_or(formats::kDefaultZstdLevel);
    }
    spec.rotate_size = rotate;
    spec.rotate_count = options.rotate_count;
    std::unique_ptr<formats::Output> out;
    PT_RETURN_IF_ERROR(formats::Output::Open(spec, &out));
    outputs->files.push_back(std::move(out));
  }
  return Status::Ok();
}

std::vector<RecordSink*> SinksOf(const Outputs& outputs) {
  std::vector<RecordSink*> sinks;
  for (const auto& o : outputs.files) sinks.push_back(o.get());
  for (const auto& o : outputs.kafka) sinks.push_back(o.get());
  return sinks;
}

uint64_t BytesWritten(const Outputs& outputs) {
  uint64_t bytes = 0;
  for (const auto& o : outputs.files) bytes += o->bytes_written();
  for (const auto& o : outputs.kafka) bytes += o->bytes_written();
  return bytes;
}

uint64_t OutputLost(const Outputs& outputs) {
  uint64_t lost = 0;
  for (const auto& o : outputs.kafka) lost += o->delivery().lost();
  return lost;
}

void ReportOutputWarnings(Outputs& outputs, bool quiet) {
  for (const auto& o : outputs.kafka) {
    for (const std::string& w : o->TakeWarnings()) {
      if (!quiet) fprintf(stderr, "provtrace: warning: %s\n", w.c_str());
    }
  }
}

Status EndOutputs(Pipeline& pipeline, Outputs& outputs, bool quiet) {
  Status status = pipeline.End();
  Stats& stats = pipeline.stats();
  stats.bytes_written = BytesWritten(outputs);
  ReportOutputWarnings(outputs, quiet);
  for (const auto& o : outputs.kafka) {
    const formats::KafkaDeliveryStats& d = o->delivery();
    stats.output_lost_by_cause["kafka queue full"] += d.records_queue_full;
    stats.output_lost_by_cause["kafka refused"] += d.records_refused;
    stats.output_lost_by_cause["kafka delivery failed"] += d.records_failed;
    stats.output_lost_by_cause["kafka not delivered at stop"] += d.records_unflushed;
    if (d.lost() > 0 && !quiet) {
      fprintf(stderr,
              "provtrace: warning: %s: %llu of %llu records not delivered (queue full %llu, "
              "refused %llu, delivery failed %llu, not delivered at stop %llu)\n",
              o->url().ToString().c_str(), static_cast<unsigned long long>(d.lost()),
              static_cast<unsigned long long>(d.records_sent),
              static_cast<unsigned long long>(d.records_queue_full),
              static_cast<unsigned long long>(d.records_refused),
              static_cast<unsigned long long>(d.records_failed),
              static_cast<unsigned long long>(d.records_unflushed));
    }
  }
  return status;
}

}  // namespace provtrace::cli
