// Every format from one fixed synthetic stream, against golden files.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <functional>
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

using Records = std::vector<std::vector<uint8_t>>;
using MakeWriter = std::function<std::unique_ptr<RecordSink>(ByteSink*)>;

std::string Render(const MakeWriter& make, const Records& records = Stream()) {
  StringSink sink;
  auto writer = make(&sink);
  Pipeline pipeline({writer.get()});
  CaptureInfo info;
  info.boot_id = 3;
  info.machine_id = 42;
  info.realtime_offset_ns = 1764000000LL * 1000000000LL;  // 2025-11-24T16:00:00Z
  EXPECT_TRUE(pipeline.Begin(info).ok());
  for (const auto& r : records) pipeline.OnRawRecord(r.data(), r.size());
  EXPECT_TRUE(pipeline.End().ok());
  return sink.data;
}

MakeWriter Text(TextOptions options) {
  return [options](ByteSink* out) { return NewTextWriter(out, options); };
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

TEST_F(FormatsTest, Text) { EXPECT_EQ(Render(Text(TextOptions())), Golden("stream.txt")); }
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

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The text format's line per event (tests/names has it with hostile names).
TEST_F(FormatsTest, TextFoldsEachEventIntoOneLine) {
  TextOptions no_header;
  no_header.header = false;
  std::string text =
      Render(Text(no_header),
             {
                 TaskRecord(1, 0, 50, 50, "mv", 0, 10),
                 testing::ProcRecord(2, 0, 50, 0, 10),
                 testing::InodeRecord(3, 0, PT_NODE_FILE, 77, 0100644, 0, 11),
                 PathRecord(4, "/tmp/old", 11),
                 RelationRecord(PT_REL_NAMED, 5, Ref(4, 0, PT_NODE_PATH), Ref(3, 0, PT_NODE_FILE),
                                0, -1, 11),
                 RelationRecord(PT_REL_RENAME, 6, Ref(1, 0, PT_NODE_TASK), Ref(3, 0, PT_NODE_FILE),
                                0, -1, 12),
                 testing::InodeRecord(3, 1, PT_NODE_FILE, 77, 0100644, 0, 12),
                 RelationRecord(PT_REL_VERSION_ENTITY, 7, Ref(3, 0, PT_NODE_FILE),
                                Ref(3, 1, PT_NODE_FILE), 0, -1, 12),
                 PathRecord(8, "/tmp/new name", 12),
                 RelationRecord(PT_REL_NAMED, 9, Ref(8, 0, PT_NODE_PATH), Ref(3, 1, PT_NODE_FILE),
                                0, -1, 12),
                 // After an exec the same pid has a second
                 // process memory; setuid names the new one.
                 testing::ProcRecord(10, 0, 50, 1000, 13),
                 RelationRecord(PT_REL_SETUID, 11, Ref(1, 0, PT_NODE_TASK),
                                Ref(10, 0, PT_NODE_PROCESS_MEMORY), 0, -1, 13),
                 TaskRecord(1, 1, 50, 50, "mv", 0, 14),
                 RelationRecord(PT_REL_TERMINATE_TASK, 12, Ref(1, 0, PT_NODE_TASK),
                                Ref(1, 1, PT_NODE_TASK), 0, -1, 14),
                 testing::ProcRecord(2, 1, 50, 0, 14),
                 RelationRecord(PT_REL_TERMINATE_PROC, 13, Ref(2, 0, PT_NODE_PROCESS_MEMORY),
                                Ref(2, 1, PT_NODE_PROCESS_MEMORY), 0, -1, 14),
             });
  EXPECT_EQ(text,
            "16:00:00.000000 mv              50      rename       /tmp/old -> \"/tmp/new name\"\n"
            "16:00:00.000000 mv              50      setuid       memory[50]#10  uid 1000 gid "
            "1000\n"
            "16:00:00.000000 mv              50      exit\n");
}

TEST_F(FormatsTest, TextWithoutFoldingHasOneLinePerRelation) {
  TextOptions all;
  all.fold = false;
  std::string text = Render(Text(all));
  EXPECT_EQ(Lines(text).size(), 1u + 7u) << text;  // header, 7 relations
  EXPECT_NE(text.find("memory_write"), std::string::npos) << text;
  EXPECT_NE(text.find("named        "), std::string::npos) << text;
}

TEST_F(FormatsTest, TextHeaderCanBeLeftOut) {
  TextOptions options;
  EXPECT_EQ(Lines(Render(Text(options)))[0].rfind("TIME ", 0), 0u);
  options.header = false;
  EXPECT_EQ(Lines(Render(Text(options)))[0].rfind("16:00:00", 0), 0u);
}

TEST_F(FormatsTest, DistinctProcessMemoriesHaveDistinctLabels) {
  // One pid, two memories (before and after an exec), both terminated.
  Records records = {
      testing::ProcRecord(2, 0, 50, 0, 10),
      testing::ProcRecord(3, 0, 50, 0, 11),
      testing::ProcRecord(2, 1, 50, 0, 12),
      RelationRecord(PT_REL_TERMINATE_PROC, 4, Ref(2, 0, PT_NODE_PROCESS_MEMORY),
                     Ref(2, 1, PT_NODE_PROCESS_MEMORY), 0, -1, 12),
      testing::ProcRecord(3, 1, 50, 0, 13),
      RelationRecord(PT_REL_TERMINATE_PROC, 5, Ref(3, 0, PT_NODE_PROCESS_MEMORY),
                     Ref(3, 1, PT_NODE_PROCESS_MEMORY), 0, -1, 13),
  };
  TextOptions all;
  all.fold = false;
  all.header = false;
  std::vector<std::string> lines = Lines(Render(Text(all), records));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].substr(16), lines[1].substr(16));
  EXPECT_NE(lines[0].find("memory[50]#2 v0 -> v1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("memory[50]#3 v0 -> v1"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace provtrace::formats
