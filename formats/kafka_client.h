// What the Kafka producer and consumer share: a librdkafka configuration
// from provtrace's defaults, the URL and the user's -X properties; errors
// librdkafka reports in the background, kept for the caller to read; and
// the bounded wait at start that turns an unreachable broker, an unknown
// topic or a failed authentication into one Status.
#ifndef PROVTRACE_FORMATS_KAFKA_CLIENT_H_
#define PROVTRACE_FORMATS_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>

#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "formats/kafka_url.h"

namespace provtrace::formats {

// How long provtrace waits at start for the cluster to answer (documented
// in provtrace(8)); -X socket.connection.setup.timeout.ms and the like
// change librdkafka's own timers, not this.
inline constexpr int kKafkaConnectTimeoutMs = 10000;

// The Kafka header of every raw capture message but the first: the
// capture's header (formats/capture_format.h), so any message decodes.
inline constexpr char kKafkaCaptureHeaderName[] = "provtrace.capture";

// Errors librdkafka reported through its error callback (served by
// rd_kafka_poll and rd_kafka_consumer_poll), in order.
class KafkaErrors {
 public:
  struct Error {
    rd_kafka_resp_err_t code;
    std::string text;
  };
  void Add(rd_kafka_resp_err_t code, const char* text);
  std::vector<Error> Take();
  // The most recent error text ("" if none yet), kept after Take().
  std::string last() const;

 private:
  mutable std::mutex mutex_;
  std::vector<Error> errors_;
  std::string last_;
};

// The owner of a handle: librdkafka's callbacks reach it (the handle's
// opaque), from the thread that polls.
class KafkaCallbacks {
 public:
  virtual ~KafkaCallbacks() = default;
  // A producer's delivery report, one per message.
  virtual void OnDelivery(const rd_kafka_message_t& message) {}
  KafkaErrors& errors() { return errors_; }

 private:
  KafkaErrors errors_;
};

// A configuration: `defaults`, then bootstrap.servers from the URL, then
// `user` (-X, which wins), with `callbacks` as its owner. librdkafka's own
// log lines are dropped (the errors say the same, once, in provtrace's
// words) unless the user asked for them with -X debug=....
Status NewKafkaConf(const KafkaUrl& url, const KafkaProperties& defaults,
                    const KafkaProperties& user, KafkaCallbacks* callbacks, rd_kafka_conf_t** conf);

// True for errors that mean the client cannot work with this cluster at
// all (authentication, TLS, a bad address), rather than that it is down.
bool IsKafkaConfigurationError(rd_kafka_resp_err_t code);

// Waits up to timeout_ms for the topic's metadata. Fails at once on an
// authentication or TLS failure, or when every broker refused us; fails at
// the timeout when no broker answered. An unknown topic is an error.
Status WaitForKafkaTopic(rd_kafka_t* rk, const KafkaUrl& url, int timeout_ms, KafkaErrors* errors,
                         std::vector<int32_t>* partitions);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KAFKA_CLIENT_H_
