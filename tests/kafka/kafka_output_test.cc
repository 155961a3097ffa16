// -o kafka:// and -w kafka:// at the library level: a stream through a
// Pipeline into a KafkaOutput and, in the same run, into a file; read back
// with kcat (an independent consumer) and with KafkaCaptureSource. Against
// librdkafka's mock cluster (tests/kafka:mock_cluster), with brokers taken
// down and brought back.
#include "formats/kafka_output.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>
#include <tuple>

#include "core/pipeline.h"
#include "formats/capture_format.h"
#include "formats/capture_reader.h"
#include "formats/kafka_source.h"
#include "formats/output.h"
#include "tests/kafka/mock_cluster.h"
#include "tests/kafka/stream.h"
#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace {
namespace {

using formats::KafkaDeliveryStats;
using formats::KafkaOutput;
using formats::KafkaProducerOptions;
using formats::KafkaProperties;
using formats::OutputSpec;
using testing::KcatConsume;
using testing::KcatMessage;
using testing::MockCluster;

constexpr uint32_t kMachine = 1292352604;

std::unique_ptr<KafkaOutput> OpenKafka(const std::string& url, formats::Format format,
                                       const KafkaProperties& properties = {},
                                       KafkaProducerOptions options = {}) {
  OutputSpec spec;
  spec.format = format;
  std::unique_ptr<KafkaOutput> out;
  Status s = formats::OpenKafkaOutput(url, properties, spec, options, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::unique_ptr<formats::Output> OpenFile(const std::string& path, formats::Format format) {
  OutputSpec spec;
  spec.format = format;
  spec.path = path;
  std::unique_ptr<formats::Output> out;
  Status s = formats::Output::Open(spec, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

// The graph is whole: every relation's endpoints are nodes, no node
// (id, version) and no relation id twice.
void ExpectCompleteGraph(const std::string& jsonl, size_t expected_records) {
  testing::Capture capture;
  std::string error;
  ASSERT_TRUE(capture.Parse(jsonl, &error)) << error;
  EXPECT_EQ(capture.records().size(), expected_records);
  EXPECT_TRUE(capture.DanglingEndpoints().empty());
  std::set<std::pair<uint64_t, uint64_t>> nodes;
  std::set<uint64_t> relations;
  for (const testing::Record* n : capture.Nodes()) {
    EXPECT_TRUE(nodes.insert({testing::U64(*n, "id"), testing::U64(*n, "version")}).second)
        << "node twice: " << testing::U64(*n, "id");
  }
  for (const testing::Record* r : capture.Relations()) {
    EXPECT_TRUE(relations.insert(testing::U64(*r, "id")).second)
        << "relation twice: " << testing::U64(*r, "id");
  }
  EXPECT_FALSE(nodes.empty());
  EXPECT_FALSE(relations.empty());
}

// Serves delivery reports until nothing is queued, at most `seconds`.
void WaitDelivered(KafkaOutput* out, int seconds) {
  for (int i = 0; i < seconds * 20 && out->queued_messages() > 0; ++i) {
    out->Flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  out->Flush();
}

void ExpectAccounted(const KafkaDeliveryStats& d) {
  EXPECT_EQ(d.records_sent, d.records_delivered + d.lost() + d.records_without_message)
      << "delivered " << d.records_delivered << " queue full " << d.records_queue_full
      << " refused " << d.records_refused << " failed " << d.records_failed << " unflushed "
      << d.records_unflushed;
}

class KafkaOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cluster_.bootstraps().empty()) << "the mock cluster did not start";
    dir_ = testing::MakeTempDir();
  }
  MockCluster cluster_{3, {"prov:3", "raw:3", "outage:3", "down:3", "stop:3"}};
  std::string dir_;
};

// One run, two outputs: JSON Lines into a file and into the topic. kcat's
// messages are the file's lines, in order, one record each, keyed by the
// machine id, all in one partition; the graph is complete.
TEST_F(KafkaOutputTest, JsonLinesInTopicEqualFile) {
  testing::Stream stream = testing::MakeStream(3000);
  auto kafka = OpenKafka(cluster_.Url("prov"), formats::Format::kJson);
  auto file = OpenFile(dir_ + "/out.jsonl", formats::Format::kJson);
  ASSERT_TRUE(kafka && file);
  Pipeline pipeline({kafka.get(), file.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(kMachine)).ok());
  testing::Feed(pipeline, stream, 0, stream.size());
  ASSERT_TRUE(pipeline.End().ok()) << pipeline.status().ToString();

  const KafkaDeliveryStats& d = kafka->delivery();
  EXPECT_EQ(d.records_sent, pipeline.stats().records_out);
  EXPECT_EQ(d.records_delivered, d.records_sent);
  EXPECT_EQ(d.lost(), 0u);

  std::string error;
  std::vector<KcatMessage> messages = KcatConsume(cluster_.bootstraps(), "prov", &error);
  ASSERT_TRUE(error.empty()) << error;
  std::vector<std::string> file_lines = Lines(testing::ReadFile(dir_ + "/out.jsonl"));
  ASSERT_EQ(messages.size(), file_lines.size());
  std::set<int> partitions;
  std::string topic_text;
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].key, std::to_string(kMachine));
    EXPECT_EQ(messages[i].value, file_lines[i]) << "message " << i;
    partitions.insert(messages[i].partition);
    topic_text += messages[i].value + "\n";
  }
  EXPECT_EQ(partitions.size(), 1u) << "one machine's records belong in one partition";
  ExpectCompleteGraph(topic_text, pipeline.stats().records_out);
}

// -w kafka://: the topic holds the header, then the same blocks as the
// file, so the partition's messages end to end are the file byte for
// byte; KafkaCaptureSource replays it to the same JSON Lines as the file.
TEST_F(KafkaOutputTest, RawTopicIsTheCaptureFile) {
  testing::Stream stream = testing::MakeStream(5000);
  auto kafka = OpenKafka(cluster_.Url("raw"), formats::Format::kRaw);
  auto file = OpenFile(dir_ + "/cap.ptc", formats::Format::kRaw);
  ASSERT_TRUE(kafka && file);
  Pipeline pipeline({kafka.get(), file.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(kMachine)).ok());
  testing::Feed(pipeline, stream, 0, stream.size());
  ASSERT_TRUE(pipeline.End().ok()) << pipeline.status().ToString();
  EXPECT_EQ(kafka->delivery().records_sent, stream.size());
  EXPECT_EQ(kafka->delivery().records_delivered, stream.size());

  std::string error;
  std::vector<KcatMessage> messages = KcatConsume(cluster_.bootstraps(), "raw", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_GT(messages.size(), 2u);
  std::string joined;
  for (const KcatMessage& m : messages) {
    EXPECT_EQ(m.partition, messages[0].partition);
    joined += m.value;
  }
  EXPECT_EQ(messages[0].value.size(), sizeof(formats::CaptureHeader));
  EXPECT_TRUE(joined == testing::ReadFile(dir_ + "/cap.ptc"))
      << "the topic's messages are not the capture file";

  // Replayed from the topic and from the file: the same JSON Lines.
  auto replay = [&](bool from_kafka, const std::string& path) {
    auto out = OpenFile(path, formats::Format::kJson);
    Pipeline replayed({out.get()});
    bool begun = false;
    auto begin = [&](const CaptureInfo& info) {
      if (begun) return Status::Ok();
      begun = true;
      return replayed.Begin(info);
    };
    if (from_kafka) {
      formats::KafkaSourceOptions options;
      options.stop_at_end = true;
      std::unique_ptr<formats::KafkaCaptureSource> source;
      Status s = formats::KafkaCaptureSource::Open(cluster_.Url("raw"), {}, options, &replayed,
                                                   begin, &source);
      ASSERT_TRUE(s.ok()) << s.ToString();
      while (s.ok() && !source->done()) s = source->Poll(100);
      ASSERT_TRUE(s.ok()) << s.ToString();
    } else {
      std::unique_ptr<formats::CaptureReader> reader;
      Status s = formats::CaptureReader::Open(dir_ + "/cap.ptc", &replayed, &reader);
      ASSERT_TRUE(s.ok()) << s.ToString();
      ASSERT_TRUE(begin(reader->info()).ok());
      ASSERT_TRUE(reader->Drain().ok());
    }
    ASSERT_TRUE(replayed.End().ok());
  };
  replay(true, dir_ + "/from_kafka.jsonl");
  replay(false, dir_ + "/from_file.jsonl");
  std::string from_kafka = testing::ReadFile(dir_ + "/from_kafka.jsonl");
  EXPECT_FALSE(from_kafka.empty());
  EXPECT_TRUE(from_kafka == testing::ReadFile(dir_ + "/from_file.jsonl"));
  ExpectCompleteGraph(from_kafka, stream.size());
}

// The leader of the machine's partition goes down mid-capture and comes
// back: its messages wait (the outage is real: they stay queued while it
// is down), then arrive, each once, in order; nothing is counted lost.
TEST_F(KafkaOutputTest, BrokerDownAndBackLosesAndDuplicatesNothing) {
  testing::Stream stream = testing::MakeStream(4000);
  auto kafka = OpenKafka(cluster_.Url("outage"), formats::Format::kJson);
  ASSERT_TRUE(kafka);
  Pipeline pipeline({kafka.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(kMachine)).ok());
  testing::Feed(pipeline, stream, 0, 1000);
  WaitDelivered(kafka.get(), 30);
  ASSERT_EQ(kafka->delivery().records_delivered, 1000u);

  std::string error;
  std::vector<KcatMessage> first = KcatConsume(cluster_.bootstraps(), "outage", &error);
  ASSERT_TRUE(error.empty() && !first.empty()) << error;
  int leader = cluster_.Leader("outage", first[0].partition);
  ASSERT_GT(leader, 0);
  ASSERT_EQ(cluster_.Down(leader), "");
  testing::Feed(pipeline, stream, 1000, 3000);
  for (int i = 0; i < 20; ++i) {
    pipeline.Flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(kafka->queued_messages(), 0) << "the broker's outage held nothing back";
  EXPECT_LT(kafka->delivery().records_delivered, 3000u);
  ASSERT_EQ(cluster_.Up(leader), "");
  testing::Feed(pipeline, stream, 3000, stream.size());
  ASSERT_TRUE(pipeline.End().ok());

  const KafkaDeliveryStats& d = kafka->delivery();
  EXPECT_EQ(d.records_sent, stream.size());
  EXPECT_EQ(d.records_delivered, stream.size());
  EXPECT_EQ(d.lost(), 0u);
  std::vector<KcatMessage> all = KcatConsume(cluster_.bootstraps(), "outage", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(all.size(), stream.size());
  std::string text;
  for (const KcatMessage& m : all) text += m.value + "\n";
  testing::Capture capture;
  ASSERT_TRUE(capture.Parse(text, &error)) << error;
  // In order, each once: seq counts 0, 1, 2, ...
  uint64_t expected_seq = 0;
  for (const testing::Record* r : capture.records()) {
    EXPECT_EQ(testing::U64(*r, "seq"), expected_seq++);
  }
  ExpectCompleteGraph(text, stream.size());
}

// Every broker down while far more records come than the queue holds:
// writing never waits (the loop ends with the brokers still down), the
// records that did not fit are counted lost (queue full), and once the
// brokers are back the queued ones arrive. sent = delivered + lost, and
// the topic holds exactly the records counted delivered.
TEST_F(KafkaOutputTest, AllBrokersDownLossesCountedExactly) {
  testing::Stream stream = testing::MakeStream(3000);
  auto kafka = OpenKafka(cluster_.Url("down"), formats::Format::kJson,
                         {{"queue.buffering.max.messages", "200"}});
  ASSERT_TRUE(kafka);
  Pipeline pipeline({kafka.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(kMachine)).ok());
  testing::Feed(pipeline, stream, 0, 100);
  WaitDelivered(kafka.get(), 30);
  for (int b = 1; b <= cluster_.brokers(); ++b) ASSERT_EQ(cluster_.Down(b), "");
  testing::Feed(pipeline, stream, 100, stream.size());
  const KafkaDeliveryStats during = kafka->delivery();
  EXPECT_GE(during.records_queue_full, stream.size() - 100 - 200);
  // The user is told the cluster went away, and when it is back.
  std::string warnings;
  for (int i = 0; i < 100 && warnings.find("are down") == std::string::npos; ++i) {
    pipeline.Flush();
    for (const std::string& w : kafka->TakeWarnings()) warnings += w + "\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(warnings.find("kafka: all brokers of " + cluster_.bootstraps() + " are down"),
            std::string::npos)
      << warnings;
  for (int b = 1; b <= cluster_.brokers(); ++b) ASSERT_EQ(cluster_.Up(b), "");
  ASSERT_TRUE(pipeline.End().ok());
  for (const std::string& w : kafka->TakeWarnings()) warnings += w + "\n";
  EXPECT_NE(warnings.find("is reachable again"), std::string::npos) << warnings;

  const KafkaDeliveryStats& d = kafka->delivery();
  EXPECT_EQ(d.records_sent, stream.size());
  ExpectAccounted(d);
  EXPECT_GT(d.records_queue_full, 0u);
  EXPECT_GT(d.records_delivered, 100u) << "the queued records did not arrive";
  std::string error;
  std::vector<KcatMessage> all = KcatConsume(cluster_.bootstraps(), "down", &error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(all.size(), d.records_delivered);
}

// The brokers stay down through the stop: the flush waits its bounded
// time, then what is still queued is counted lost (unflushed), never
// delivered.
TEST_F(KafkaOutputTest, StopWithBrokersDownCountsTheUndelivered) {
  testing::Stream stream = testing::MakeStream(500);
  KafkaProducerOptions options;
  options.flush_timeout_ms = 1000;
  auto kafka = OpenKafka(cluster_.Url("stop"), formats::Format::kJson, {}, options);
  ASSERT_TRUE(kafka);
  Pipeline pipeline({kafka.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(kMachine)).ok());
  testing::Feed(pipeline, stream, 0, 50);
  WaitDelivered(kafka.get(), 30);
  for (int b = 1; b <= cluster_.brokers(); ++b) ASSERT_EQ(cluster_.Down(b), "");
  testing::Feed(pipeline, stream, 50, stream.size());
  ASSERT_TRUE(pipeline.End().ok());
  const KafkaDeliveryStats& d = kafka->delivery();
  ExpectAccounted(d);
  EXPECT_EQ(d.records_delivered, 50u);
  EXPECT_EQ(d.records_unflushed, stream.size() - 50);
  bool warned = false;
  for (const std::string& w : kafka->TakeWarnings()) {
    warned |= w.find("not delivered") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  for (int b = 1; b <= cluster_.brokers(); ++b) ASSERT_EQ(cluster_.Up(b), "");
  std::string error;
  EXPECT_EQ(KcatConsume(cluster_.bootstraps(), "stop", &error).size(), 50u) << error;
}

}  // namespace
}  // namespace provtrace
