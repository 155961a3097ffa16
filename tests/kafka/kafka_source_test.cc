// -r kafka:// at the library level: topics of raw capture messages read
// back through KafkaCaptureSource: many machines in one topic, a consumer
// starting late (--from-offset, --from-time), and messages that are not
// provtrace's or are damaged.
#include "formats/kafka_source.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "core/pipeline.h"
#include "formats/capture_format.h"
#include "formats/capture_writer.h"
#include "formats/json_lines.h"
#include "formats/kafka_output.h"
#include "formats/output.h"
#include "formats/prov_json.h"
#include "tests/kafka/mock_cluster.h"
#include "tests/kafka/stream.h"
#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"
#include "tests/unit/string_sink.h"

namespace provtrace {
namespace {

using formats::KafkaCaptureSource;
using formats::KafkaSourceOptions;
using testing::MockCluster;

// Produces `stream` as machine `machine`'s raw capture into `url`.
void ProduceCapture(const std::string& url, uint32_t machine, const testing::Stream& stream,
                    formats::Format format = formats::Format::kRaw) {
  formats::OutputSpec spec;
  spec.format = format;
  std::unique_ptr<formats::KafkaOutput> out;
  Status s = formats::OpenKafkaOutput(url, {}, spec, {}, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Pipeline pipeline({out.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(machine)).ok());
  testing::Feed(pipeline, stream, 0, stream.size());
  ASSERT_TRUE(pipeline.End().ok());
  ASSERT_EQ(out->delivery().records_delivered, out->delivery().records_sent);
}

// What a source delivered: each record with the capture it came in.
struct Delivered : public RecordHandler {
  void OnRawRecord(const void* data, size_t size) override {
    const auto* p = static_cast<const uint8_t*>(data);
    by_machine[current.machine_id].emplace_back(p, p + size);
  }
  void OnLost(const Lost&) override {}
  std::map<uint32_t, testing::Stream> by_machine;
  CaptureInfo current;
  int changes = 0;
};

// Reads the topic to its end into `handler`.
Status ReadTopic(const std::string& url, const KafkaSourceOptions& given, RecordHandler* handler,
                 const KafkaCaptureSource::InfoHandler& on_info) {
  KafkaSourceOptions options = given;
  options.stop_at_end = true;
  std::unique_ptr<KafkaCaptureSource> source;
  PT_RETURN_IF_ERROR(KafkaCaptureSource::Open(url, {}, options, handler, on_info, &source));
  Status s;
  while (s.ok() && !source->done()) s = source->Poll(100);
  return s;
}

// A writer whose records change capture as the source says. Until
// RecordSink has a hook of its own for that (see the report), it is Begin
// again: for JSON Lines and PROV-JSON Begin only takes the capture's
// identity.
class CaptureSwitch : public RecordSink {
 public:
  explicit CaptureSwitch(RecordSink* inner) : inner_(inner) {}
  Status Switch(const CaptureInfo& info) { return inner_->Begin(info); }
  Status Begin(const CaptureInfo& info) override { return inner_->Begin(info); }
  Status OnNode(const Node& n) override { return inner_->OnNode(n); }
  Status OnRelation(const Relation& r) override { return inner_->OnRelation(r); }
  Status OnLost(const Lost& l) override { return inner_->OnLost(l); }
  Status Flush() override { return inner_->Flush(); }
  Status End(const Stats& s) override { return inner_->End(s); }

 private:
  RecordSink* inner_;
};

class KafkaSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(cluster_.bootstraps().empty()) << "the mock cluster did not start";
  }
  MockCluster cluster_{3, {"fleet:3", "late:3", "json:1", "bad:1", "empty:2"}};
};

// Two machines whose captures are the same stream (every node id collides)
// in one topic: each machine's records come back whole and in order,
// attributed to their machine; merged into JSON Lines and PROV-JSON, the
// graph has both machines' nodes, none merged with the other's.
TEST_F(KafkaSourceTest, TwoMachinesOneTopicKeepTheirIdentities) {
  testing::Stream stream = testing::MakeStream(2000);
  ProduceCapture(cluster_.Url("fleet"), 111, stream);
  ProduceCapture(cluster_.Url("fleet"), 222, stream);

  Delivered delivered;
  Status s = ReadTopic(cluster_.Url("fleet"), {}, &delivered, [&](const CaptureInfo& info) {
    delivered.current = info;
    ++delivered.changes;
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(delivered.by_machine.size(), 2u);
  EXPECT_TRUE(delivered.by_machine[111] == stream);
  EXPECT_TRUE(delivered.by_machine[222] == stream);
  EXPECT_GE(delivered.changes, 2);

  // The same, through a pipeline into JSON Lines and PROV-JSON.
  formats::StringSink jsonl_bytes, prov_bytes;
  auto jsonl_writer = formats::NewJsonLinesWriter(&jsonl_bytes);
  auto prov_writer = formats::NewProvJsonWriter(&prov_bytes);
  CaptureSwitch jsonl_switch(jsonl_writer.get()), prov_switch(prov_writer.get());
  Pipeline pipeline({&jsonl_switch, &prov_switch});
  bool begun = false;
  s = ReadTopic(cluster_.Url("fleet"), {}, &pipeline, [&](const CaptureInfo& info) {
    if (!begun) {
      begun = true;
      return pipeline.Begin(info);
    }
    PT_RETURN_IF_ERROR(jsonl_switch.Switch(info));
    return prov_switch.Switch(info);
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(pipeline.End().ok());
  EXPECT_EQ(pipeline.stats().records_out, 2 * stream.size());

  testing::Capture capture;
  std::string error;
  ASSERT_TRUE(capture.Parse(jsonl_bytes.data, &error)) << error;
  std::set<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>> nodes;
  std::map<uint64_t, size_t> per_machine;
  for (const testing::Record* n : capture.Nodes()) {
    uint64_t machine = testing::U64(*n, "machine_id");
    ++per_machine[machine];
    EXPECT_TRUE(nodes
                    .insert({machine, testing::U64(*n, "boot_id"), testing::U64(*n, "id"),
                             testing::U64(*n, "version")})
                    .second);
  }
  EXPECT_EQ(per_machine.size(), 2u);
  EXPECT_EQ(per_machine[111], per_machine[222]);

  // PROV-JSON: one document, every element's id distinct, as many as
  // both machines' records, and each relation's ends among them.
  rapidjson::Document doc;
  doc.Parse(prov_bytes.data.c_str(), prov_bytes.data.size());
  ASSERT_FALSE(doc.HasParseError());
  std::set<std::string> ids, node_ids;
  size_t elements = 0;
  for (const char* section : {"activity", "agent", "entity"}) {
    if (!doc.HasMember(section)) continue;
    for (auto& m : doc[section].GetObject()) {
      node_ids.insert(m.name.GetString());
      ids.insert(m.name.GetString());
      ++elements;
    }
  }
  size_t relations = 0;
  for (auto& section : doc.GetObject()) {
    std::string name = section.name.GetString();
    if (name == "prefix" || name == "activity" || name == "agent" || name == "entity") continue;
    for (auto& m : section.value.GetObject()) {
      ids.insert(m.name.GetString());
      ++elements;
      ++relations;
      for (auto& attr : m.value.GetObject()) {
        std::string key = attr.name.GetString();
        if (key.rfind("prov:", 0) == 0 && key != "prov:type" && key != "prov:label") {
          EXPECT_TRUE(node_ids.count(attr.value.GetString())) << key << " " << m.name.GetString();
        }
      }
    }
  }
  EXPECT_EQ(elements, 2 * stream.size());
  EXPECT_EQ(ids.size(), elements) << "two machines' records share PROV-JSON ids";
  EXPECT_GT(relations, 0u);
}

// A consumer that starts after the capture's header message (and after
// its first block) still decodes every later message: each carries the
// capture header.
TEST_F(KafkaSourceTest, FromOffsetDecodesWithoutTheHeaderMessage) {
  testing::Stream stream = testing::MakeStream(6000);
  ProduceCapture(cluster_.Url("late"), 333, stream);
  std::string error;
  std::vector<testing::KcatMessage> messages =
      testing::KcatConsume(cluster_.bootstraps(), "late", &error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_GT(messages.size(), 3u);
  ASSERT_EQ(messages[1].offset, 1);
  // Frames in the first block: its prefix says.
  formats::BlockPrefix first;
  memcpy(&first, messages[1].value.data(), sizeof(first));

  KafkaSourceOptions options;
  ASSERT_TRUE(formats::ParseKafkaFromOffset("2", &options.start).ok());
  Delivered delivered;
  Status s = ReadTopic(cluster_.Url("late"), options, &delivered, [&](const CaptureInfo& info) {
    delivered.current = info;
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(delivered.by_machine.size(), 1u);
  const testing::Stream& got = delivered.by_machine[333];
  ASSERT_EQ(got.size(), stream.size() - first.frames);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), stream.begin() + first.frames));

  ASSERT_TRUE(formats::ParseKafkaFromOffset("end", &options.start).ok());
  Delivered none;
  s = ReadTopic(cluster_.Url("late"), options, &none, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(none.by_machine.empty());
}

// --from-time: only the messages produced at or after the time.
TEST_F(KafkaSourceTest, FromTimeSkipsOlderMessages) {
  testing::Stream stream = testing::MakeStream(1500);
  ProduceCapture(cluster_.Url("fleet"), 444, stream);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ProduceCapture(cluster_.Url("fleet"), 555, stream);
  KafkaSourceOptions options;
  ASSERT_TRUE(formats::ParseKafkaFromTime(std::to_string(now_ms), &options.start).ok());
  Delivered delivered;
  Status s = ReadTopic(cluster_.Url("fleet"), options, &delivered, [&](const CaptureInfo& info) {
    delivered.current = info;
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(delivered.by_machine.size(), 1u);
  EXPECT_TRUE(delivered.by_machine[555] == stream);
}

// A topic of JSON Lines (-o kafka://) is no capture: the error names the
// partition and offset and says what -r reads.
TEST_F(KafkaSourceTest, FormattedTopicIsRefused) {
  ProduceCapture(cluster_.Url("json"), 666, testing::MakeStream(50), formats::Format::kJson);
  Delivered delivered;
  Status s = ReadTopic(cluster_.Url("json"), {}, &delivered, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.cause().find("partition 0 offset 0"), std::string::npos) << s.ToString();
  EXPECT_NE(s.hint().find("-w kafka://"), std::string::npos) << s.ToString();
  EXPECT_TRUE(delivered.by_machine.empty());
}

// A damaged block is found by its checksum: an error naming where, and
// none of its records delivered; the messages before it were.
TEST_F(KafkaSourceTest, DamagedBlockIsAnErrorNamingItsOffset) {
  testing::Stream stream = testing::MakeStream(100);
  // A capture of two blocks (a flush after 50 records), as bytes.
  formats::StringSink bytes;
  std::unique_ptr<RecordSink> writer = formats::NewCaptureWriter(&bytes);
  Pipeline pipeline({writer.get()});
  ASSERT_TRUE(pipeline.Begin(testing::InfoFor(777)).ok());
  testing::Feed(pipeline, stream, 0, 50, 50);
  testing::Feed(pipeline, stream, 50, stream.size(), 1000000);
  ASSERT_TRUE(pipeline.End().ok());
  std::vector<std::string> units = {bytes.data.substr(0, sizeof(formats::CaptureHeader))};
  for (size_t at = units[0].size(); at < bytes.data.size();) {
    formats::BlockPrefix prefix;
    memcpy(&prefix, bytes.data.data() + at, sizeof(prefix));
    units.push_back(bytes.data.substr(at, sizeof(prefix) + prefix.length));
    at += sizeof(prefix) + prefix.length;
  }
  ASSERT_EQ(units.size(), 3u);
  units[2][sizeof(formats::BlockPrefix) + 40] ^= 0x10;  // one bit of a record

  formats::KafkaUrl url;
  ASSERT_TRUE(formats::ParseKafkaUrl(cluster_.Url("bad"), &url).ok());
  formats::KafkaProducerOptions options;
  options.capture = true;
  std::unique_ptr<formats::KafkaProducer> producer;
  Status s = formats::KafkaProducer::Open(url, {}, options, &producer);
  ASSERT_TRUE(s.ok()) << s.ToString();
  producer->set_key("777");
  for (const std::string& unit : units) ASSERT_TRUE(producer->Write(unit).ok());
  ASSERT_TRUE(producer->Close().ok());
  ASSERT_EQ(producer->delivery().messages_delivered, 3u);

  Delivered delivered;
  s = ReadTopic(cluster_.Url("bad"), {}, &delivered, [&](const CaptureInfo& info) {
    delivered.current = info;
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.cause().find("partition 0 offset 2"), std::string::npos) << s.ToString();
  EXPECT_NE(s.cause().find("checksum mismatch"), std::string::npos) << s.ToString();
  ASSERT_EQ(delivered.by_machine[777].size(), 50u);
  EXPECT_TRUE(std::equal(stream.begin(), stream.begin() + 50, delivered.by_machine[777].begin()));
}

// An empty topic read to its end: nothing, and done.
TEST_F(KafkaSourceTest, EmptyTopicEndsAtOnce) {
  Delivered delivered;
  bool told = false;
  Status s = ReadTopic(cluster_.Url("empty"), {}, &delivered, [&](const CaptureInfo&) {
    told = true;
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(told);
  EXPECT_TRUE(delivered.by_machine.empty());
}

}  // namespace
}  // namespace provtrace
