#include "formats/kafka_client.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace provtrace::formats {
namespace {

void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<KafkaCallbacks*>(opaque)->errors().Add(static_cast<rd_kafka_resp_err_t>(err), reason);
}

void OnDeliveryReport(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  static_cast<KafkaCallbacks*>(opaque)->OnDelivery(*message);
}

void DropLog(const rd_kafka_t*, int, const char*, const char*) {}

Status SetProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value,
                   bool from_user) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) ==
      RD_KAFKA_CONF_OK) {
    return Status::Ok();
  }
  if (!from_user) return InternalError("librdkafka refused " + key + "=" + value + ": " + errstr);
  return InvalidArgument("-X " + key + "=" + value + ": " + errstr,
                         "the properties are librdkafka's (its CONFIGURATION.md)");
}

std::string Broker(const KafkaUrl& url) {
  return url.brokers.size() == 1 ? "Kafka broker " + url.Bootstrap()
                                 : "any Kafka broker of " + url.Bootstrap();
}

}  // namespace

void KafkaErrors::Add(rd_kafka_resp_err_t code, const char* text) {
  std::lock_guard<std::mutex> lock(mutex_);
  errors_.push_back({code, text != nullptr ? text : rd_kafka_err2str(code)});
  last_ = errors_.back().text;
}

std::vector<KafkaErrors::Error> KafkaErrors::Take() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Error> out;
  out.swap(errors_);
  return out;
}

std::string KafkaErrors::last() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_;
}

Status NewKafkaConf(const KafkaUrl& url, const KafkaProperties& defaults,
                    const KafkaProperties& user, KafkaCallbacks* callbacks, rd_kafka_conf_t** out) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Status status;
  for (const auto& [key, value] : defaults) {
    if (status.ok()) status = SetProperty(conf, key, value, false);
  }
  if (status.ok()) status = SetProperty(conf, "bootstrap.servers", url.Bootstrap(), false);
  bool debug = false;
  for (const auto& [key, value] : user) {
    if (status.ok()) status = SetProperty(conf, key, value, true);
    if (key == "debug" && !value.empty()) debug = true;
  }
  if (!status.ok()) {
    rd_kafka_conf_destroy(conf);
    return status;
  }
  rd_kafka_conf_set_opaque(conf, callbacks);
  rd_kafka_conf_set_error_cb(conf, OnError);
  rd_kafka_conf_set_dr_msg_cb(conf, OnDeliveryReport);
  if (!debug) rd_kafka_conf_set_log_cb(conf, DropLog);
  *out = conf;
  return Status::Ok();
}

bool IsKafkaConfigurationError(rd_kafka_resp_err_t code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__FATAL:
      return true;
    default:
      return false;
  }
}

Status WaitForKafkaTopic(rd_kafka_t* rk, const KafkaUrl& url, int timeout_ms, KafkaErrors* errors,
                         std::vector<int32_t>* partitions) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last = "no answer";
  Status result;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      result = Unsupported("no answer from " + Broker(url) + " within " +
                               std::to_string(timeout_ms / 1000) + " s: " + last,
                           "is the broker running and its address right? (-X properties "
                           "for TLS or SASL)");
      break;
    }
    // The whole cluster's metadata: a request naming the topic would let
    // the cluster create it.
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(std::min<int64_t>(left, 1000)));
    rd_kafka_poll(rk, 0);  // serves the error callback
    bool refused = false;
    for (const KafkaErrors::Error& e : errors->Take()) {
      last = e.text;
      if (e.code == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
          e.code == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED) {
        result = Status(StatusCode::kPermissionDenied, "kafka: authentication failed: " + e.text,
                        "check the -X sasl.* and security.protocol properties");
      } else if (e.code == RD_KAFKA_RESP_ERR__SSL) {
        result = Status(StatusCode::kPermissionDenied, "kafka: TLS failed: " + e.text,
                        "check the -X ssl.* and security.protocol properties");
      } else if (IsKafkaConfigurationError(e.code)) {
        result = InvalidArgument("kafka: " + e.text);
      } else if (e.code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        refused = true;
      }
      if (!result.ok()) break;
    }
    if (!result.ok()) {
      if (md != nullptr) rd_kafka_metadata_destroy(md);
      break;
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
      std::vector<int32_t> ids;
      for (int t = 0; t < md->topic_cnt; ++t) {
        if (url.topic != md->topics[t].topic) continue;
        topic_err = md->topics[t].err;
        for (int p = 0; p < md->topics[t].partition_cnt; ++p) {
          ids.push_back(md->topics[t].partitions[p].id);
        }
      }
      rd_kafka_metadata_destroy(md);
      if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR && !ids.empty()) {
        std::sort(ids.begin(), ids.end());
        *partitions = std::move(ids);
        break;
      }
      if (topic_err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
          topic_err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
        result =
            InvalidArgument("kafka topic " + url.topic + " does not exist on " + url.Bootstrap(),
                            "create it, or check that the cluster's ACLs let this client "
                            "see it");
        break;
      }
      if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
        result =
            Status(StatusCode::kPermissionDenied, "kafka: not authorized to use topic " + url.topic,
                   "the cluster's ACLs refuse this client");
        break;
      }
      last = std::string("topic ") + url.topic + ": " + rd_kafka_err2str(topic_err);
    } else {
      if (md != nullptr) rd_kafka_metadata_destroy(md);
      if (err != RD_KAFKA_RESP_ERR__TIMED_OUT || last == "no answer") {
        last = rd_kafka_err2str(err);
      }
    }
    if (refused) {
      result = Unsupported("cannot reach " + Broker(url) + ": " + last,
                           "is the broker running and its address right?");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return result;
}

}  // namespace provtrace::formats
