#include "formats/json_lines.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/machine.h"
#include "core/pipeline.h"
#include "tests/unit/records_for_test.h"
#include "tests/unit/string_sink.h"

namespace provtrace::formats {
namespace {

using testing::InodeRecord;
using testing::PathRecord;
using testing::ProcRecord;
using testing::Ref;
using testing::RelationRecord;
using testing::StringsRecord;
using testing::TaskRecord;

std::string Render(const std::vector<std::vector<uint8_t>>& records) {
  StringSink sink;
  auto writer = NewJsonLinesWriter(&sink);
  Pipeline pipeline({writer.get()});
  CaptureInfo info;
  info.boot_id = 3;
  info.machine_id = 42;
  info.realtime_offset_ns = 1000000000;
  EXPECT_TRUE(pipeline.Begin(info).ok());
  for (const auto& r : records) pipeline.OnRawRecord(r.data(), r.size());
  EXPECT_TRUE(pipeline.End().ok());
  return sink.data;
}

std::string Golden(const std::string& name) {
  const char* srcdir = getenv("TEST_SRCDIR");
  std::string path = std::string(srcdir ? srcdir : ".") + "/provtrace/tests/testdata/" + name;
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The skeleton's records: a task seen mid-life, its exec, its exit.
std::vector<std::vector<uint8_t>> SkeletonStream() {
  return {
      TaskRecord(1, 0, 500, 500, "sh", PT_NODE_HISTORY_UNKNOWN, 10),
      TaskRecord(1, 1, 500, 500, "ls", 0, 20),
      RelationRecord(PT_REL_VERSION_ACTIVITY, 2, Ref(1, 0, PT_NODE_TASK), Ref(1, 1, PT_NODE_TASK),
                     0, -1, 20),
      PathRecord(3, "/usr/bin/ls", 21),
      RelationRecord(PT_REL_EXEC, 4, Ref(3, 0, PT_NODE_PATH), Ref(1, 1, PT_NODE_TASK), 0, -1, 21),
      TaskRecord(5, 0, 500, 501, "ls", 0, 30),
      RelationRecord(PT_REL_CLONE, 6, Ref(1, 1, PT_NODE_TASK), Ref(5, 0, PT_NODE_TASK), 0x10f00, -1,
                     30),
      TaskRecord(1, 2, 500, 500, "ls", 0, 40),
      RelationRecord(PT_REL_TERMINATE_TASK, 7, Ref(1, 1, PT_NODE_TASK), Ref(1, 2, PT_NODE_TASK), 0,
                     -1, 40),
  };
}

TEST(JsonLinesTest, MatchesGoldenFile) {
  EXPECT_EQ(Render(SkeletonStream()), Golden("skeleton.jsonl"));
}

// The graph's other node kinds.
std::vector<std::vector<uint8_t>> EntityStream() {
  return {
      testing::ProcRecord(10, 0, 500, 0, 50),
      testing::InodeRecord(11, 0, PT_NODE_FILE, 1234, 0100644, PT_NODE_HISTORY_UNKNOWN, 51),
      PathRecord(12, "/etc/hostname", 52),
      RelationRecord(PT_REL_NAMED, 13, Ref(12, 0, PT_NODE_PATH), Ref(11, 0, PT_NODE_FILE), 0, -1,
                     52),
      RelationRecord(PT_REL_READ, 14, Ref(11, 0, PT_NODE_FILE), Ref(1, 1, PT_NODE_TASK), 0, 4096,
                     53),
      testing::StringsRecord(15, PT_NODE_ARGV, {"cat", "/etc/hostname"}, 54),
      RelationRecord(PT_REL_ARG, 16, Ref(15, 0, PT_NODE_ARGV), Ref(10, 0, PT_NODE_PROCESS_MEMORY),
                     0, -1, 54),
  };
}

TEST(JsonLinesTest, EntitiesMatchGoldenFile) {
  EXPECT_EQ(Render(EntityStream()), Golden("entities.jsonl"));
}

TEST(JsonLinesTest, EveryLineIsAnObjectWithKindAndType) {
  std::istringstream lines(Render(SkeletonStream()));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    ASSERT_FALSE(doc.HasParseError()) << line;
    ASSERT_TRUE(doc.IsObject());
    EXPECT_TRUE(doc.HasMember("kind"));
    EXPECT_TRUE(doc.HasMember("type"));
    EXPECT_TRUE(doc.HasMember("boot_id"));
    EXPECT_TRUE(doc.HasMember("machine_id"));
    ++count;
  }
  EXPECT_EQ(count, 9);
}

TEST(JsonLinesTest, EscapesAndRepairsKernelStrings) {
  std::string weird = std::string("/tmp/a\"b\\c\nd\x01") + "\xff\xfe" + "\xc3\xa9";
  std::string out = Render({PathRecord(1, weird)});
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << out;
  // Invalid bytes become U+FFFD; valid UTF-8 (é) and escapes survive.
  EXPECT_EQ(std::string(doc["path"].GetString()),
            std::string("/tmp/a\"b\\c\nd\x01") + "\xEF\xBF\xBD\xEF\xBF\xBD" + "\xc3\xa9");
}

TEST(JsonLinesTest, SequencesCutShortAtTheEndAreReplaced) {
  // A 4-byte lead with its continuation bytes missing (the fuzzer found an
  // overread here).
  for (std::string tail : {"\xf0", "\xf0\x9f", "\xf0\x9f\x98", "\xe2\x82"}) {
    std::string out = Render({PathRecord(1, "/x" + tail)});
    rapidjson::Document doc;
    doc.Parse(out.c_str());
    ASSERT_FALSE(doc.HasParseError()) << out;
    EXPECT_EQ(std::string(doc["path"].GetString()).substr(0, 2), "/x");
  }
}

TEST(JsonLinesTest, LostRecordsCarryCountAndCpu) {
  StringSink sink;
  auto writer = NewJsonLinesWriter(&sink);
  CaptureInfo info;
  ASSERT_TRUE(writer->Begin(info).ok());
  Lost lost;
  lost.source = LostSource::kPerfBuffer;
  lost.count = 17;
  lost.cpu = 1;
  ASSERT_TRUE(writer->OnLost(lost).ok());
  rapidjson::Document doc;
  doc.Parse(sink.data.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["kind"].GetString(), "lost");
  EXPECT_EQ(doc["count"].GetUint64(), 17u);
  EXPECT_EQ(doc["cpu"].GetInt(), 1);
}

// No record names a key twice (jq and Python keep only the last of two):
// one of every node type, a relation and a loss, checked key by key.
TEST(JsonLinesTest, NoRecordOfAnyTypeRepeatsAKey) {
  std::vector<std::vector<uint8_t>> records = {
      TaskRecord(16, 0, 500, 500, "sh", PT_NODE_HISTORY_UNKNOWN, 10),
      ProcRecord(17, 0, 500, 0, 11),
      PathRecord(18, "/usr/bin/ls", 12),
      StringsRecord(19, PT_NODE_ARGV, {"ls", "-l"}, 13),
      StringsRecord(20, PT_NODE_ENVP, {"HOME=/root"}, 14),
      RelationRecord(PT_REL_READ, 21, Ref(22, 0, PT_NODE_FILE), Ref(16, 0, PT_NODE_TASK), 0, 7, 15),
  };
  for (uint16_t type = PT_NODE_FILE; type <= PT_NODE_SOCKET; ++type) {
    records.push_back(InodeRecord(100 + type, 0, type, 1234, 0100644, 0, 16));
  }
  records.push_back(MachineRecord());
  StringSink sink;
  auto writer = NewJsonLinesWriter(&sink);
  Pipeline pipeline({writer.get()});
  ASSERT_TRUE(pipeline.Begin(CaptureInfo()).ok());
  for (const auto& r : records) pipeline.OnRawRecord(r.data(), r.size());
  Lost lost;
  lost.count = 3;
  lost.cpu = 1;
  pipeline.OnLost(lost);
  ASSERT_TRUE(pipeline.End().ok());
  std::istringstream lines(sink.data);
  std::string line;
  std::set<std::string> types_seen;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    ASSERT_FALSE(doc.HasParseError()) << line;
    std::set<std::string> keys;
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      EXPECT_TRUE(keys.insert(it->name.GetString()).second)
          << "key " << it->name.GetString() << " twice in " << line;
    }
    types_seen.insert(std::string(doc["kind"].GetString()) + ":" +
                      (doc.HasMember("type") ? doc["type"].GetString() : ""));
  }
  EXPECT_EQ(count, static_cast<int>(records.size()) + 1);
  EXPECT_TRUE(types_seen.count("node:machine"));
  EXPECT_TRUE(types_seen.count("lost:"));
  EXPECT_EQ(types_seen.size(), records.size() + 1);  // every type once
}

// Lines count their place in the stream from 0, in every reader exact.
TEST(JsonLinesTest, SeqCountsTheLines) {
  std::string out = Render(SkeletonStream());
  std::istringstream lines(out);
  std::string line;
  uint64_t expected = 0;
  while (std::getline(lines, line)) {
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    ASSERT_TRUE(doc.HasMember("seq")) << line;
    EXPECT_EQ(doc["seq"].GetUint64(), expected++) << line;
  }
  EXPECT_EQ(expected, SkeletonStream().size());
}

}  // namespace
}  // namespace provtrace::formats
