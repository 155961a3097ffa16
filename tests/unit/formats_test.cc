// Every format from one fixed synthetic stream, against golden files.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "core/pipeline.h"
#include "formats/dot.h"
#include "formats/json_lines.h"
#include "formats/prov_json.h"
#include "formats/spade_json.h"
#include "formats/text.h"
#include "tests/unit/records_for_test.h"
#include "tests/unit/string_sink.h"

namespace provtrace::formats {
namespace {

using testing::PathRecord;
using testing::Ref;
using testing::RelationRecord;
using testing::TaskRecord;

// A small graph with every kind of node the formats treat differently.
std::vector<std::vector<uint8_t>> Stream() {
  return {
      TaskRecord(17, 0, 500, 500, "sh", PT_NODE_HISTORY_UNKNOWN, 10),
      testing::ProcRecord(18, 0, 500, 0, 11),
      RelationRecord(PT_REL_EXEC_TASK, 19, Ref(17, 0, PT_NODE_TASK),
                     Ref(18, 0, PT_NODE_PROCESS_MEMORY), 0, -1, 11),
      testing::InodeRecord(20, 0, PT_NODE_FILE, 1234, 0100644, PT_NODE_HISTORY_UNKNOWN, 12),
      PathRecord(21, "/tmp/a \"quoted\" name", 12),
      RelationRecord(PT_REL_NAMED, 22, Ref(21, 0, PT_NODE_PATH), Ref(20, 0, PT_NODE_FILE), 0, -1,
                     12),
      RelationRecord(PT_REL_READ, 23, Ref(20, 0, PT_NODE_FILE), Ref(17, 0, PT_NODE_TASK), 0, 4096,
                     13),
      RelationRecord(PT_REL_MEMORY_WRITE, 24, Ref(17, 0, PT_NODE_TASK),
                     Ref(18, 0, PT_NODE_PROCESS_MEMORY), 0, -1, 13),
      TaskRecord(25, 0, 500, 501, "sh", 0, 14),
      RelationRecord(PT_REL_CLONE, 26, Ref(17, 0, PT_NODE_TASK), Ref(25, 0, PT_NODE_TASK), 0x10f00,
                     -1, 14),
      TaskRecord(17, 1, 500, 500, "sh", 0, 15),
      RelationRecord(PT_REL_VERSION_ACTIVITY, 27, Ref(17, 0, PT_NODE_TASK),
                     Ref(17, 1, PT_NODE_TASK), 0, -1, 15),
      testing::StringsRecord(28, PT_NODE_ARGV, {"cat", "/tmp/a"}, 16),
      RelationRecord(PT_REL_ARG, 29, Ref(28, 0, PT_NODE_ARGV), Ref(18, 0, PT_NODE_PROCESS_MEMORY),
                     0, -1, 16),
  };
}

std::string Render(std::unique_ptr<RecordSink> (*make)(ByteSink*)) {
  StringSink sink;
  auto writer = make(&sink);
  Pipeline pipeline({writer.get()});
  CaptureInfo info;
  info.boot_id = 3;
  info.machine_id = 42;
  info.realtime_offset_ns = 1764000000LL * 1000000000LL;  // 2025-11-24T16:00:00Z
  EXPECT_TRUE(pipeline.Begin(info).ok());
  for (const auto& r : Stream()) pipeline.OnRawRecord(r.data(), r.size());
  EXPECT_TRUE(pipeline.End().ok());
  return sink.data;
}

std::string Golden(const std::string& name) {
  const char* srcdir = getenv("TEST_SRCDIR");
  std::ifstream in(std::string(srcdir ? srcdir : ".") + "/provtrace/tests/testdata/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class FormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);  // the text format prints local time
    tzset();
  }
};

TEST_F(FormatsTest, Text) { EXPECT_EQ(Render(NewTextWriter), Golden("stream.txt")); }
TEST_F(FormatsTest, ProvJson) { EXPECT_EQ(Render(NewProvJsonWriter), Golden("stream.prov.json")); }
TEST_F(FormatsTest, SpadeJson) {
  EXPECT_EQ(Render(NewSpadeJsonWriter), Golden("stream.spade.json"));
}
TEST_F(FormatsTest, Dot) { EXPECT_EQ(Render(NewDotWriter), Golden("stream.dot")); }

TEST_F(FormatsTest, ProvJsonSortsRelationsIntoProvSections) {
  rapidjson::Document doc;
  std::string out = Render(NewProvJsonWriter);
  ASSERT_EQ(std::count(out.begin(), out.end(), '\n'), 1);  // one flush, one document
  doc.Parse(out.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_EQ(doc["activity"].MemberCount(), 3u);        // two tasks, one in two versions
  EXPECT_EQ(doc["entity"].MemberCount(), 4u);          // memory, file, path, argv
  EXPECT_EQ(doc["used"].MemberCount(), 1u);            // read
  EXPECT_EQ(doc["wasGeneratedBy"].MemberCount(), 2u);  // exec_task, memory_write
  EXPECT_EQ(doc["wasInformedBy"].MemberCount(), 2u);   // clone, version_activity
  EXPECT_EQ(doc["wasDerivedFrom"].MemberCount(), 2u);  // named, arg
  const auto& read = doc["used"].MemberBegin()->value;
  EXPECT_STREQ(read["prov:type"].GetString(), "read");
  // The entity read is the file node's element id.
  std::string file_id = read["prov:entity"].GetString();
  EXPECT_TRUE(doc["entity"].HasMember(file_id.c_str())) << file_id;
}

TEST_F(FormatsTest, SpadeEdgesPointFromEffectToCause) {
  std::string out = Render(NewSpadeJsonWriter);
  std::istringstream lines(out);
  std::string line;
  std::map<std::string, std::string> types;
  bool checked = false;
  while (std::getline(lines, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    ASSERT_FALSE(d.HasParseError()) << line;
    if (d.HasMember("id")) types[d["id"].GetString()] = d["annotations"]["object_type"].GetString();
    if (d.HasMember("from") && std::string(d["type"].GetString()) == "Used") {
      // read: the task (effect) used the file (cause)
      EXPECT_EQ(types[d["from"].GetString()], "task");
      EXPECT_EQ(types[d["to"].GetString()], "file");
      checked = true;
    }
  }
  EXPECT_TRUE(checked);
}

}  // namespace
}  // namespace provtrace::formats
