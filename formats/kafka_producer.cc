#include "formats/kafka_producer.h"

#include <chrono>
#include <cstdint>

#include "formats/capture_format.h"

namespace provtrace::formats {
namespace {

// What provtrace asks of librdkafka unless -X says otherwise.
KafkaProperties ProducerDefaults() {
  return {
      {"client.id", "provtrace"},
      // Retries neither duplicate nor reorder a host's messages.
      {"enable.idempotence", "true"},
      {"compression.type", "zstd"},
      {"queue.buffering.max.messages", std::to_string(kKafkaQueueMessages)},
      {"queue.buffering.max.kbytes", std::to_string(kKafkaQueueKbytes)},
      // A mistyped topic is an error, not a new topic.
      {"allow.auto.create.topics", "false"},
  };
}

}  // namespace

Status KafkaProducer::Open(const KafkaUrl& url, const KafkaProperties& properties,
                           const KafkaProducerOptions& options,
                           std::unique_ptr<KafkaProducer>* out) {
  std::unique_ptr<KafkaProducer> producer(new KafkaProducer());
  producer->url_ = url;
  producer->options_ = options;
  rd_kafka_conf_t* conf = nullptr;
  PT_RETURN_IF_ERROR(NewKafkaConf(url, ProducerDefaults(), properties, producer.get(), &conf));
  char errstr[512];
  producer->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (producer->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument(std::string("kafka: ") + errstr,
                           "check the -X properties (librdkafka's CONFIGURATION.md)");
  }
  std::vector<int32_t> partitions;
  PT_RETURN_IF_ERROR(WaitForKafkaTopic(producer->rk_, url, options.connect_timeout_ms,
                                       &producer->errors(), &partitions));
  producer->rkt_ = rd_kafka_topic_new(producer->rk_, url.topic.c_str(), nullptr);
  *out = std::move(producer);
  return Status::Ok();
}

KafkaProducer::~KafkaProducer() {
  Close();
  if (rkt_ != nullptr) rd_kafka_topic_destroy(rkt_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void KafkaProducer::AddRecords(uint64_t count) {
  pending_records_ += count;
  stats_.records_sent += count;
}

void KafkaProducer::NoteErrors() {
  for (const KafkaErrors::Error& e : errors().Take()) {
    if (e.code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      if (!brokers_down_) {
        warnings_.push_back("kafka: all brokers of " + url_.Bootstrap() + " are down (" + e.text +
                            "); records wait in librdkafka's queue, and are counted lost "
                            "when it is full or they time out");
      }
      brokers_down_ = true;
    } else if (e.code == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_fatal_error(rk_, reason, sizeof(reason));
      warnings_.push_back(std::string("kafka: fatal producer error: ") + reason +
                          "; every record from now on is counted lost");
    } else if (IsKafkaConfigurationError(e.code)) {
      warnings_.push_back("kafka: " + e.text);
    }
  }
}

std::vector<std::string> KafkaProducer::TakeWarnings() {
  if (rk_ != nullptr) NoteErrors();
  std::vector<std::string> out;
  out.swap(warnings_);
  return out;
}

int KafkaProducer::queued_messages() const { return rk_ ? rd_kafka_outq_len(rk_) : 0; }

void KafkaProducer::OnDelivery(const rd_kafka_message_t& message) {
  uint64_t records = reinterpret_cast<uintptr_t>(message._private);
  if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    stats_.records_delivered += records;
    ++stats_.messages_delivered;
    stats_.bytes_delivered += message.len;
    if (brokers_down_) {
      brokers_down_ = false;
      warnings_.push_back("kafka: " + url_.Bootstrap() + " is reachable again");
    }
    return;
  }
  if (message.err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
      message.err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
    stats_.records_unflushed += records;
  } else {
    if (stats_.records_failed == 0 || stats_.last_error != rd_kafka_err2str(message.err)) {
      warnings_.push_back(std::string("kafka: delivery failed: ") + rd_kafka_err2str(message.err));
    }
    stats_.records_failed += records;
    stats_.last_error = rd_kafka_err2str(message.err);
  }
}

void KafkaProducer::Produce(std::string_view bytes, uint64_t records) {
  void* opaque = reinterpret_cast<void*>(static_cast<uintptr_t>(records));
  rd_kafka_resp_err_t err;
  // Copied: the caller's buffer is reused at once.
  if (options_.capture && !capture_header_.empty() && header_seen_) {
    err = rd_kafka_producev(rk_, RD_KAFKA_V_RKT(rkt_), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_KEY(key_.data(), key_.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(bytes.data()), bytes.size()),
                            RD_KAFKA_V_HEADER(kKafkaCaptureHeaderName, capture_header_.data(),
                                              static_cast<ssize_t>(capture_header_.size())),
                            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  } else {
    err = rd_kafka_producev(rk_, RD_KAFKA_V_RKT(rkt_), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                            RD_KAFKA_V_KEY(key_.data(), key_.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(bytes.data()), bytes.size()),
                            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    stats_.records_queue_full += records;
    return;
  }
  if (stats_.records_refused == 0 || stats_.last_error != rd_kafka_err2str(err)) {
    warnings_.push_back(std::string("kafka: message refused: ") + rd_kafka_err2str(err));
  }
  stats_.records_refused += records;
  stats_.last_error = rd_kafka_err2str(err);
}

Status KafkaProducer::Write(std::string_view bytes) {
  if (closed_) return IoError("kafka output " + url_.ToString() + " is closed");
  uint64_t records = pending_records_;
  pending_records_ = 0;
  if (options_.capture && !header_seen_) {
    // The capture's header: remembered for the messages to come, and sent.
    if (bytes.size() == sizeof(CaptureHeader)) capture_header_ = std::string(bytes);
    Produce(bytes, records);
    header_seen_ = true;
  } else {
    if (options_.strip_newline && !options_.capture && !bytes.empty() && bytes.back() == '\n') {
      bytes.remove_suffix(1);
    }
    Produce(bytes, records);
  }
  // Delivery reports free the queue's space: serve them at every message.
  rd_kafka_poll(rk_, 0);
  return Status::Ok();
}

Status KafkaProducer::Flush() {
  if (closed_ || rk_ == nullptr) return Status::Ok();
  rd_kafka_poll(rk_, 0);
  NoteErrors();
  return Status::Ok();
}

Status KafkaProducer::Close() {
  if (closed_ || rk_ == nullptr) return Status::Ok();
  closed_ = true;
  stats_.records_without_message += pending_records_;
  pending_records_ = 0;
  rd_kafka_flush(rk_, options_.flush_timeout_ms);
  if (rd_kafka_outq_len(rk_) > 0) {
    // What is left is given up: the purge's delivery reports count it.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rd_kafka_outq_len(rk_) > 0 && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(rk_, 100);
    }
    // Reports that never came: those records are not delivered either.
    stats_.records_unflushed += stats_.pending();
  }
  NoteErrors();
  if (stats_.records_unflushed > 0) {
    warnings_.push_back("kafka: " + std::to_string(stats_.records_unflushed) +
                        " records not delivered to " + url_.ToString() + " within " +
                        std::to_string(options_.flush_timeout_ms / 1000) + " s of the stop");
  }
  return Status::Ok();
}

}  // namespace provtrace::formats
