#include "formats/kafka_source.h"

#include <cstring>

#include "formats/capture_format.h"
#include "formats/capture_reader.h"

namespace provtrace::formats {
namespace {

constexpr int kMessagesPerPoll = 256;

KafkaProperties ConsumerDefaults() {
  return {
      {"client.id", "provtrace"},
      // provtrace reads; it commits nothing and joins no group (librdkafka
      // wants a group id all the same).
      {"group.id", "provtrace"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},
      {"allow.auto.create.topics", "false"},
      // An offset the partition lacks is the user's to know about.
      {"auto.offset.reset", "error"},
  };
}

bool SameCapture(const CaptureInfo& a, const CaptureInfo& b) {
  return a.boot_id == b.boot_id && a.machine_id == b.machine_id &&
         a.realtime_offset_ns == b.realtime_offset_ns && a.backend == b.backend;
}

bool IsCaptureHeader(const rd_kafka_message_t& m) {
  return m.len >= sizeof(kCaptureMagic) &&
         memcmp(m.payload, kCaptureMagic, sizeof(kCaptureMagic)) == 0;
}

// A handler that only remembers: reading a header delivers nothing.
class NoRecords : public RecordHandler {
 public:
  void OnRawRecord(const void*, size_t) override {}
  void OnLost(const Lost&) override {}
};

}  // namespace

Status KafkaCaptureSource::Open(std::string_view text, const KafkaProperties& properties,
                                const KafkaSourceOptions& options, RecordHandler* handler,
                                InfoHandler on_info, std::unique_ptr<KafkaCaptureSource>* out) {
  std::unique_ptr<KafkaCaptureSource> source(new KafkaCaptureSource());
  PT_RETURN_IF_ERROR(ParseKafkaUrl(text, &source->url_));
  source->options_ = options;
  source->handler_ = handler;
  source->on_info_ = std::move(on_info);
  rd_kafka_conf_t* conf = nullptr;
  PT_RETURN_IF_ERROR(
      NewKafkaConf(source->url_, ConsumerDefaults(), properties, source.get(), &conf));
  char errstr[512];
  source->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (source->rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument(std::string("kafka: ") + errstr,
                           "check the -X properties (librdkafka's CONFIGURATION.md)");
  }
  std::vector<int32_t> partitions;
  PT_RETURN_IF_ERROR(WaitForKafkaTopic(source->rk_, source->url_, options.connect_timeout_ms,
                                       &source->errors(), &partitions));
  rd_kafka_poll_set_consumer(source->rk_);
  PT_RETURN_IF_ERROR(source->Assign(partitions));
  *out = std::move(source);
  return Status::Ok();
}

KafkaCaptureSource::~KafkaCaptureSource() {
  if (rk_ == nullptr) return;
  rd_kafka_assign(rk_, nullptr);
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

Status KafkaCaptureSource::Assign(const std::vector<int32_t>& partitions) {
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  const KafkaStart& start = options_.start;
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(list, url_.topic.c_str(), p);
    switch (start.kind) {
      case KafkaStart::Kind::kBeginning:
        tp->offset = RD_KAFKA_OFFSET_BEGINNING;
        break;
      case KafkaStart::Kind::kEnd:
        tp->offset = RD_KAFKA_OFFSET_END;
        break;
      case KafkaStart::Kind::kOffset: {
        // A partition that does not reach the offset yet is read from its
        // end: the fetch would be refused.
        int64_t low = 0, high = 0;
        tp->offset = start.value;
        if (rd_kafka_query_watermark_offsets(rk_, url_.topic.c_str(), p, &low, &high,
                                             options_.connect_timeout_ms) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            start.value > high) {
          tp->offset = RD_KAFKA_OFFSET_END;
        }
        break;
      }
      case KafkaStart::Kind::kTail:
        tp->offset = RD_KAFKA_OFFSET_TAIL(start.value);
        break;
      case KafkaStart::Kind::kTime:
        tp->offset = start.value;  // looked up below
        break;
    }
    at_end_[p] = false;
  }
  if (start.kind == KafkaStart::Kind::kTime) {
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk_, list, options_.connect_timeout_ms);
    for (int i = 0; i < list->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = list->elems[i];
      // No offset (no message that late, or a cluster that cannot say):
      // read from the beginning and skip what is older, below.
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR || tp.err != RD_KAFKA_RESP_ERR_NO_ERROR ||
          tp.offset < 0) {
        tp.offset = RD_KAFKA_OFFSET_BEGINNING;
      }
    }
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return IoError("kafka: cannot read topic " + url_.topic + ": " + rd_kafka_err2str(err));
  }
  return Status::Ok();
}

std::string KafkaCaptureSource::Where(const rd_kafka_message_t& m) const {
  return url_.ToString() + " partition " + std::to_string(m.partition) + " offset " +
         std::to_string(m.offset);
}

void KafkaCaptureSource::NoteErrors() {
  for (const KafkaErrors::Error& e : errors().Take()) {
    if (e.code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      if (!brokers_down_) {
        warnings_.push_back("kafka: all brokers of " + url_.Bootstrap() + " are down (" + e.text +
                            "); waiting for them");
      }
      brokers_down_ = true;
    } else if (IsKafkaConfigurationError(e.code)) {
      warnings_.push_back("kafka: " + e.text);
    }
  }
}

std::vector<std::string> KafkaCaptureSource::TakeWarnings() {
  NoteErrors();
  std::vector<std::string> out;
  out.swap(warnings_);
  return out;
}

Status KafkaCaptureSource::OnConsumerError(const rd_kafka_message_t& m) {
  std::string text = rd_kafka_message_errstr(&m);
  switch (m.err) {
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
      at_end_[m.partition] = true;
      return Status::Ok();
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
      return InvalidArgument("kafka: " + Where(m) + ": " + text,
                             "that offset is not in the partition (past its end, or removed by "
                             "the cluster's retention): see --from-offset");
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return IoError("kafka: topic " + url_.topic + " is gone: " + text);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return Status(StatusCode::kPermissionDenied, "kafka: " + text);
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      if (!brokers_down_) {
        warnings_.push_back("kafka: all brokers of " + url_.Bootstrap() + " are down (" + text +
                            "); waiting for them");
      }
      brokers_down_ = true;
      return Status::Ok();
    default:
      warnings_.push_back("kafka: " + text);
      return Status::Ok();
  }
}

Status KafkaCaptureSource::Deliver(const rd_kafka_message_t& m) {
  ++messages_;
  if (brokers_down_) {
    brokers_down_ = false;
    warnings_.push_back("kafka: " + url_.Bootstrap() + " is reachable again");
  }
  std::string key(static_cast<const char*>(m.key), m.key_len);
  const char* value = static_cast<const char*>(m.payload);
  const std::string not_ours =
      "the topic's messages must be raw records, written with -w kafka://... (-o kafka:// "
      "writes a format for other consumers)";
  if (IsCaptureHeader(m)) {
    // A capture starts: its header, for the blocks that follow.
    NoRecords none;
    std::unique_ptr<CaptureReader> header;
    Status s = CaptureReader::FromBytes(std::string(value, m.len), &none, &header);
    if (!s.ok()) return Status(StatusCode::kDataLoss, Where(m) + ": " + s.cause(), s.hint());
    headers_[{m.partition, key}] = std::string(value, m.len);
    return Status::Ok();
  }
  if (options_.start.kind == KafkaStart::Kind::kTime) {
    rd_kafka_timestamp_type_t type;
    int64_t ms = rd_kafka_message_timestamp(&m, &type);
    if (ms >= 0 && ms < options_.start.value) {
      ++messages_before_start_;
      return Status::Ok();
    }
  }
  std::string bytes;
  rd_kafka_headers_t* headers = nullptr;
  const void* header = nullptr;
  size_t header_size = 0;
  if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      rd_kafka_header_get_last(headers, kKafkaCaptureHeaderName, &header, &header_size) ==
          RD_KAFKA_RESP_ERR_NO_ERROR &&
      header != nullptr) {
    bytes.assign(static_cast<const char*>(header), header_size);
  } else {
    auto it = headers_.find({m.partition, key});
    if (it == headers_.end()) {
      return Status(StatusCode::kDataLoss,
                    Where(m) + " is not a provtrace capture message (no capture header)", not_ours);
    }
    bytes = it->second;
  }
  if (m.len < sizeof(BlockPrefix)) {
    return Status(StatusCode::kDataLoss,
                  Where(m) + " is not a provtrace capture message (too short)", not_ours);
  }
  bytes.append(value, m.len);
  std::unique_ptr<CaptureReader> reader;
  Status s = CaptureReader::FromBytes(std::move(bytes), handler_, &reader);
  if (!s.ok()) return Status(StatusCode::kDataLoss, Where(m) + ": " + s.cause(), not_ours);
  if (!has_info_ || !SameCapture(info_, reader->info())) {
    info_ = reader->info();
    has_info_ = true;
    if (on_info_) PT_RETURN_IF_ERROR(on_info_(info_));
  }
  s = reader->Drain();
  if (!s.ok()) return Status(StatusCode::kDataLoss, Where(m) + ": " + s.cause(), s.hint());
  return Status::Ok();
}

Status KafkaCaptureSource::Poll(int timeout_ms) {
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout_ms);
  Status status;
  for (int n = 0; m != nullptr; ++n) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = OnConsumerError(*m);
    } else {
      at_end_[m->partition] = false;
      status = Deliver(*m);
    }
    rd_kafka_message_destroy(m);
    if (!status.ok() || n + 1 >= kMessagesPerPoll) break;
    m = rd_kafka_consumer_poll(rk_, 0);
  }
  NoteErrors();
  return status;
}

Status KafkaCaptureSource::Drain() {
  uint64_t before;
  do {
    before = messages_;
    PT_RETURN_IF_ERROR(Poll(0));
  } while (messages_ != before);
  return Status::Ok();
}

bool KafkaCaptureSource::done() const {
  if (!options_.stop_at_end) return false;
  for (const auto& [partition, end] : at_end_) {
    if (!end) return false;
  }
  return true;
}

}  // namespace provtrace::formats
