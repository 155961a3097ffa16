// A byte sink that produces one Kafka message per unit it is given (a
// record's line, a document, a block of raw records), keyed by the machine
// id so that one host's messages stay in order in one partition.
//
// It never blocks: when librdkafka's bounded queue is full the unit is
// dropped and its records are counted lost. What was delivered is counted
// from the delivery reports, never from the send calls.
#ifndef PROVTRACE_FORMATS_KAFKA_PRODUCER_H_
#define PROVTRACE_FORMATS_KAFKA_PRODUCER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/byte_sink.h"
#include "formats/kafka_client.h"
#include "formats/kafka_url.h"

namespace provtrace::formats {

// provtrace's producer defaults (provtrace(8)); -X changes any of them.
// The queue bound: librdkafka's own default message count, and 128 MiB.
inline constexpr int kKafkaQueueMessages = 100000;
inline constexpr int kKafkaQueueKbytes = 128 * 1024;
// How long the end of a capture waits for deliveries.
inline constexpr int kKafkaFlushTimeoutMs = 10000;

// Records, by what became of them. sent = delivered + lost() + pending().
struct KafkaDeliveryStats {
  uint64_t records_sent = 0;       // handed to the output
  uint64_t records_delivered = 0;  // in messages a broker acknowledged
  // Lost, by cause:
  uint64_t records_queue_full = 0;  // refused at once: the queue was full
  uint64_t records_refused = 0;     // refused at once for another reason
  uint64_t records_failed = 0;      // a delivery report said: failed for good
  uint64_t records_unflushed = 0;   // not delivered when the stop's flush ran out
  // Sent, but that the format wrote nothing more for (a text line folded
  // away at the end): no message carried them.
  uint64_t records_without_message = 0;
  uint64_t messages_delivered = 0;
  uint64_t bytes_delivered = 0;
  std::string last_error;  // of the last failed message

  uint64_t lost() const {
    return records_queue_full + records_refused + records_failed + records_unflushed;
  }
  // Still queued or in flight.
  uint64_t pending() const {
    return records_sent - records_delivered - lost() - records_without_message;
  }
};

struct KafkaProducerOptions {
  int connect_timeout_ms = kKafkaConnectTimeoutMs;
  int flush_timeout_ms = kKafkaFlushTimeoutMs;
  // The first unit written is a raw capture's header: it is sent as a
  // message of its own and as the kKafkaCaptureHeaderName header of all others.
  bool capture = false;
  // A unit's final newline (a JSON or text line's) is left out: a message
  // is the record, as Kafka's consumers expect (kcat prints one a line).
  bool strip_newline = true;
};

class KafkaProducer : public ByteSink, private KafkaCallbacks {
 public:
  // Connects (waits up to connect_timeout_ms for the topic's metadata):
  // an unreachable cluster, an unknown topic or a refused login is an
  // error here, before any record is made.
  static Status Open(const KafkaUrl& url, const KafkaProperties& properties,
                     const KafkaProducerOptions& options, std::unique_ptr<KafkaProducer>* producer);
  ~KafkaProducer() override;

  // The key of the messages from now on (the machine id).
  void set_key(std::string key) { key_ = std::move(key); }
  // The next unit written carries these records (counted as sent now).
  void AddRecords(uint64_t count);

  // Queues one message; never waits. A full queue or a refused message is
  // counted, not an error: the capture goes on.
  Status Write(std::string_view bytes) override;
  // Serves delivery reports; does not wait.
  Status Flush() override;
  // Waits up to flush_timeout_ms for what is queued, then gives up on the
  // rest (counted unflushed) and disconnects.
  Status Close() override;
  // Bytes of delivered messages.
  uint64_t bytes_written() const override { return stats_.bytes_delivered; }

  const KafkaDeliveryStats& delivery() const { return stats_; }
  // What happened to the cluster since the last call (brokers down, back,
  // fatal errors), one line each, for the user.
  std::vector<std::string> TakeWarnings();
  const KafkaUrl& url() const { return url_; }
  // Messages in librdkafka's queue or in flight.
  int queued_messages() const;

 private:
  KafkaProducer() = default;
  void OnDelivery(const rd_kafka_message_t& message) override;
  void Produce(std::string_view bytes, uint64_t records);
  void NoteErrors();

  KafkaUrl url_;
  KafkaProducerOptions options_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  std::string key_;
  std::string capture_header_;
  bool header_seen_ = false;
  uint64_t pending_records_ = 0;
  KafkaDeliveryStats stats_;
  std::vector<std::string> warnings_;
  bool brokers_down_ = false;
  bool closed_ = false;
};

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KAFKA_PRODUCER_H_
