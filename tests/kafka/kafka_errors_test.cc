// What a user gets wrong or cannot help: an unreachable or silent broker,
// an unknown topic, a refused login, a bad -X property. Each is one Status
// at start, within the bounded wait, of a code cli/ turns into exit 2
// (kUnsupported, kInvalidArgument, kPermissionDenied), for the producer
// (-o, -w) and the consumer (-r) alike.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "formats/kafka_output.h"
#include "formats/kafka_source.h"
#include "tests/kafka/mock_cluster.h"

namespace provtrace {
namespace {

using formats::KafkaProperties;

// A local port: listening (and never answering) or, closed, refusing.
class LocalPort {
 public:
  explicit LocalPort(bool listen_on_it) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listen_on_it) {
      listen(fd_, 16);
    } else {
      close(fd_);
      fd_ = -1;
    }
  }
  ~LocalPort() {
    if (fd_ >= 0) close(fd_);
  }
  std::string Url(const std::string& topic) const {
    return "kafka://127.0.0.1:" + std::to_string(port_) + "/" + topic;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

Status OpenProducer(const std::string& url, const KafkaProperties& properties = {},
                    int timeout_ms = formats::kKafkaConnectTimeoutMs) {
  formats::OutputSpec spec;
  formats::KafkaProducerOptions options;
  options.connect_timeout_ms = timeout_ms;
  std::unique_ptr<formats::KafkaOutput> out;
  return formats::OpenKafkaOutput(url, properties, spec, options, &out);
}

class NoRecords : public RecordHandler {
 public:
  void OnRawRecord(const void*, size_t) override {}
  void OnLost(const Lost&) override {}
};

Status OpenConsumer(const std::string& url, const KafkaProperties& properties = {},
                    int timeout_ms = formats::kKafkaConnectTimeoutMs) {
  NoRecords handler;
  formats::KafkaSourceOptions options;
  options.connect_timeout_ms = timeout_ms;
  std::unique_ptr<formats::KafkaCaptureSource> source;
  return formats::KafkaCaptureSource::Open(url, properties, options, &handler, nullptr, &source);
}

TEST(KafkaErrorsTest, RefusedConnection) {
  LocalPort closed(false);
  for (bool producer : {true, false}) {
    Status s = producer ? OpenProducer(closed.Url("prov")) : OpenConsumer(closed.Url("prov"));
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.ToString();
    EXPECT_NE(s.cause().find("cannot reach Kafka broker 127.0.0.1:"), std::string::npos)
        << s.ToString();
    EXPECT_EQ(s.ToString().find('\n'), std::string::npos);
  }
}

TEST(KafkaErrorsTest, SilentBrokerTimesOut) {
  LocalPort silent(true);
  for (bool producer : {true, false}) {
    Status s = producer ? OpenProducer(silent.Url("prov"), {}, 1500)
                        : OpenConsumer(silent.Url("prov"), {}, 1500);
    EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.ToString();
    EXPECT_NE(s.cause().find("no answer from Kafka broker 127.0.0.1:"), std::string::npos)
        << s.ToString();
  }
}

class KafkaClusterErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(cluster_.bootstraps().empty()); }
  testing::MockCluster cluster_{1, {"prov:1"}};
};

TEST_F(KafkaClusterErrorsTest, UnknownTopic) {
  for (bool producer : {true, false}) {
    std::string url = cluster_.Url("no-such-topic");
    Status s = producer ? OpenProducer(url) : OpenConsumer(url);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.cause().find("kafka topic no-such-topic does not exist"), std::string::npos)
        << s.ToString();
  }
}

TEST_F(KafkaClusterErrorsTest, AuthenticationFailure) {
  // The mock cluster speaks no SASL: the client's login fails, as a
  // refused password does on a real cluster.
  KafkaProperties sasl = {{"security.protocol", "sasl_plaintext"},
                          {"sasl.mechanisms", "PLAIN"},
                          {"sasl.username", "provtrace"},
                          {"sasl.password", "wrong"}};
  for (bool producer : {true, false}) {
    std::string url = cluster_.Url("prov");
    Status s = producer ? OpenProducer(url, sasl) : OpenConsumer(url, sasl);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
    EXPECT_NE(s.cause().find("kafka: authentication failed"), std::string::npos) << s.ToString();
  }
}

TEST_F(KafkaClusterErrorsTest, BadProperties) {
  std::string url = cluster_.Url("prov");
  Status s = OpenProducer(url, {{"no.such.property", "1"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.cause().find("-X no.such.property=1"), std::string::npos) << s.ToString();
  s = OpenProducer(url, {{"acks", "several"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  s = OpenConsumer(url, {{"security.protocol", "carrier-pigeon"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  // A property that names no URL: the URL's own errors come first.
  s = OpenProducer("kafka://" + cluster_.bootstraps());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
}

// Files' options do not apply to a topic.
TEST_F(KafkaClusterErrorsTest, FileOptionsRefused) {
  formats::OutputSpec spec;
  spec.zstd_level = 3;
  std::unique_ptr<formats::KafkaOutput> out;
  EXPECT_EQ(formats::OpenKafkaOutput(cluster_.Url("prov"), {}, spec, {}, &out).code(),
            StatusCode::kInvalidArgument);
  spec.zstd_level = 0;
  spec.rotate_size = 1 << 20;
  EXPECT_EQ(formats::OpenKafkaOutput(cluster_.Url("prov"), {}, spec, {}, &out).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace provtrace
