// -o kafka://BROKERS/TOPIC (a format's records, one per message; -F as for
// files) and -w kafka://BROKERS/TOPIC (the raw capture: its header, then
// its blocks of records, each a message that carries the header too, so
// a topic replays exactly with -r kafka://...). Messages are keyed by the
// machine id.
#ifndef PROVTRACE_FORMATS_KAFKA_OUTPUT_H_
#define PROVTRACE_FORMATS_KAFKA_OUTPUT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/sink.h"
#include "formats/kafka_producer.h"
#include "formats/kafka_url.h"
#include "formats/output.h"

namespace provtrace::formats {

class KafkaOutput : public RecordSink {
 public:
  ~KafkaOutput() override;

  Status Begin(const CaptureInfo& info) override;
  Status OnRaw(std::string_view bytes) override;
  Status OnNode(const Node& node) override;
  Status OnRelation(const Relation& relation) override;
  Status OnLost(const Lost& lost) override;
  // Re-published records of another machine go under its key.
  Status OnCaptureInfo(const CaptureInfo& info) override {
    producer_->set_key(std::to_string(info.machine_id));
    return writer_->OnCaptureInfo(info);
  }
  void OnFilteredNode(const Node& node) override { writer_->OnFilteredNode(node); }
  void OnFilteredRelation(const Relation& relation) override {
    writer_->OnFilteredRelation(relation);
  }
  Status Flush() override;
  // Completes the format's output, then waits (at most the flush timeout)
  // for the deliveries; what is still undelivered is counted lost.
  Status End(const Stats& stats) override;

  uint64_t bytes_written() const { return producer_->bytes_written(); }
  const KafkaDeliveryStats& delivery() const { return producer_->delivery(); }
  std::vector<std::string> TakeWarnings() { return producer_->TakeWarnings(); }
  const KafkaUrl& url() const { return producer_->url(); }
  Format format() const { return format_; }
  int queued_messages() const { return producer_->queued_messages(); }

 private:
  friend Status OpenKafkaOutput(std::string_view, const KafkaProperties&, const OutputSpec&,
                                const KafkaProducerOptions&, std::unique_ptr<KafkaOutput>*);
  KafkaOutput() = default;

  Format format_ = Format::kJson;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<RecordSink> writer_;
  bool ended_ = false;
};

// Connects to the cluster now (an error is the user's to fix: exit 2).
// spec gives the format (kRaw for -w) and the text options; files'
// options (zstd, rotation, --force) do not apply: Kafka compresses (zstd)
// and keeps the topic.
Status OpenKafkaOutput(std::string_view url, const KafkaProperties& properties,
                       const OutputSpec& spec, const KafkaProducerOptions& options,
                       std::unique_ptr<KafkaOutput>* output);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KAFKA_OUTPUT_H_
