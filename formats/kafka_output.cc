#include "formats/kafka_output.h"

#include "formats/capture_writer.h"
#include "formats/dot.h"
#include "formats/json_lines.h"
#include "formats/prov_json.h"
#include "formats/spade_json.h"
#include "formats/text.h"

namespace provtrace::formats {
namespace {

// The same writers as formats/output.cc's, over the producer.
std::unique_ptr<RecordSink> NewKafkaWriter(const OutputSpec& spec, ByteSink* out) {
  switch (spec.format) {
    case Format::kJson:
      return NewJsonLinesWriter(out);
    case Format::kText:
      return NewTextWriter(out, spec.text);
    case Format::kProvJson:
      return NewProvJsonWriter(out);
    case Format::kSpadeJson:
      return NewSpadeJsonWriter(out);
    case Format::kDot:
      return NewDotWriter(out);
    case Format::kRaw:
      return NewCaptureWriter(out);
  }
  return nullptr;
}

}  // namespace

Status OpenKafkaOutput(std::string_view text, const KafkaProperties& properties,
                       const OutputSpec& spec, const KafkaProducerOptions& options,
                       std::unique_ptr<KafkaOutput>* out) {
  KafkaUrl url;
  PT_RETURN_IF_ERROR(ParseKafkaUrl(text, &url));
  const char* flag = spec.format == Format::kRaw ? "-w" : "-o";
  if (spec.zstd_level > 0) {
    return InvalidArgument(std::string(flag) + " kafka:// is not compressed by provtrace",
                           "librdkafka compresses the messages (zstd; -X compression.type=...)");
  }
  if (spec.rotate_size > 0) {
    return InvalidArgument(std::string("--rotate-size does not apply to ") + flag + " kafka://",
                           "the cluster's retention settings keep the topic's size");
  }
  std::unique_ptr<KafkaOutput> output(new KafkaOutput());
  output->format_ = spec.format;
  KafkaProducerOptions producer_options = options;
  producer_options.capture = spec.format == Format::kRaw;
  PT_RETURN_IF_ERROR(KafkaProducer::Open(url, properties, producer_options, &output->producer_));
  output->writer_ = NewKafkaWriter(spec, output->producer_.get());
  *out = std::move(output);
  return Status::Ok();
}

KafkaOutput::~KafkaOutput() {
  if (!ended_ && writer_ != nullptr) End(Stats());
}

Status KafkaOutput::Begin(const CaptureInfo& info) {
  producer_->set_key(std::to_string(info.machine_id));
  return writer_->Begin(info);
}

// Every record is counted as it is handed to the writer; the message the
// writer makes of it carries the count to its delivery report.
Status KafkaOutput::OnRaw(std::string_view bytes) {
  if (format_ != Format::kRaw) return Status::Ok();
  producer_->AddRecords(1);
  return writer_->OnRaw(bytes);
}

Status KafkaOutput::OnNode(const Node& node) {
  if (format_ != Format::kRaw) producer_->AddRecords(1);
  return writer_->OnNode(node);
}

Status KafkaOutput::OnRelation(const Relation& relation) {
  if (format_ != Format::kRaw) producer_->AddRecords(1);
  return writer_->OnRelation(relation);
}

Status KafkaOutput::OnLost(const Lost& lost) { return writer_->OnLost(lost); }

Status KafkaOutput::Flush() { return writer_->Flush(); }

Status KafkaOutput::End(const Stats& stats) {
  if (ended_) return Status::Ok();
  ended_ = true;
  Status s = writer_->End(stats);
  Status c = producer_->Close();
  return s.ok() ? c : s;
}

}  // namespace provtrace::formats
