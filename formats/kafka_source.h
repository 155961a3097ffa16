// -r kafka://BROKERS/TOPIC: a topic of raw capture messages (written with
// -w kafka://...) replayed through a RecordHandler (the pipeline), each
// message through the same reader and decoder as a capture file. A topic
// may hold many machines' captures: their records arrive interleaved, each
// machine's in order, and every change of capture (machine, boot) is
// announced before the records it applies to.
#ifndef PROVTRACE_FORMATS_KAFKA_SOURCE_H_
#define PROVTRACE_FORMATS_KAFKA_SOURCE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/source.h"
#include "core/status.h"
#include "formats/kafka_client.h"
#include "formats/kafka_url.h"

namespace provtrace::formats {

struct KafkaSourceOptions {
  KafkaStart start;  // --from-offset, --from-time; the beginning by default
  // done() once every partition has been read to its end (as kcat -e);
  // otherwise the topic is followed until the caller stops.
  bool stop_at_end = false;
  int connect_timeout_ms = kKafkaConnectTimeoutMs;
};

class KafkaCaptureSource : public RecordSource, private KafkaCallbacks {
 public:
  // Called with the capture the records that follow belong to, before the
  // first of them and at every change; an error stops the source.
  using InfoHandler = std::function<Status(const CaptureInfo&)>;

  // Connects and assigns every partition of the topic (waits up to
  // connect_timeout_ms: an unreachable cluster, an unknown topic or a
  // refused login is an error here).
  static Status Open(std::string_view url, const KafkaProperties& properties,
                     const KafkaSourceOptions& options, RecordHandler* handler, InfoHandler on_info,
                     std::unique_ptr<KafkaCaptureSource>* source);
  ~KafkaCaptureSource() override;

  // Waits up to timeout_ms for messages and delivers what arrived. A
  // message that is not a provtrace capture message, or is corrupt, is a
  // kDataLoss error naming its partition and offset; the messages before
  // it were delivered.
  Status Poll(int timeout_ms) override;
  // Delivers what has already been fetched, without waiting.
  Status Drain() override;
  bool done() const;

  const CaptureInfo& info() const { return info_; }
  bool has_info() const { return has_info_; }
  uint64_t messages() const { return messages_; }
  // Skipped because they are older than --from-time.
  uint64_t messages_before_start() const { return messages_before_start_; }
  // What happened to the cluster since the last call, one line each.
  std::vector<std::string> TakeWarnings();

 private:
  KafkaCaptureSource() = default;
  Status Assign(const std::vector<int32_t>& partitions);
  Status Deliver(const rd_kafka_message_t& message);
  Status OnConsumerError(const rd_kafka_message_t& message);
  void NoteErrors();
  std::string Where(const rd_kafka_message_t& message) const;

  KafkaUrl url_;
  KafkaSourceOptions options_;
  RecordHandler* handler_ = nullptr;
  InfoHandler on_info_;
  rd_kafka_t* rk_ = nullptr;
  // The capture header last seen in each (partition, key).
  std::map<std::pair<int32_t, std::string>, std::string> headers_;
  std::map<int32_t, bool> at_end_;
  CaptureInfo info_;
  bool has_info_ = false;
  uint64_t messages_ = 0;
  uint64_t messages_before_start_ = 0;
  std::vector<std::string> warnings_;
  bool brokers_down_ = false;
};

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KAFKA_SOURCE_H_
