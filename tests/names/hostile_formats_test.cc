// Hostile names through every writer, without a kernel: whatever a file, a
// task or an argument is named, every format stays parseable and the text
// format and DOT labels stay free of control bytes.
#include <graphviz/cgraph.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "formats/dot.h"
#include "formats/json_lines.h"
#include "formats/kernel_string.h"
#include "formats/prov_json.h"
#include "formats/spade_json.h"
#include "formats/text.h"
#include "tests/names/hostile_names.h"
#include "tests/unit/records_for_test.h"
#include "tests/unit/string_sink.h"

namespace provtrace::formats {
namespace {

using testing::HostileName;
using testing::HostileNames;
using testing::PathRecord;
using testing::Ref;
using testing::RelationRecord;
using testing::TaskRecord;
using testing::TextField;
using testing::UnsafeForTerminal;

using Records = std::vector<std::vector<uint8_t>>;
using MakeWriter = std::function<std::unique_ptr<RecordSink>(ByteSink*)>;

// The names as files: the components, and one path of the longest
// components nested.
struct HostilePath {
  std::string raw, escaped, json;
};

std::vector<HostilePath> HostilePaths() {
  std::vector<HostilePath> paths;
  for (const HostileName& name : HostileNames()) {
    paths.push_back({"/d/" + name.raw, "/d/" + name.escaped, "/d/" + name.json});
  }
  std::string nested = "/d/" + std::string(255, 'n') + "/" + std::string(255, 'm');
  paths.push_back({nested, nested, nested});
  return paths;
}

// For each path: a file it names that a task opens, reads and writes, the
// task's comm being the name (cut to 15 bytes, as the kernel does), after
// an exec whose argv holds the name.
constexpr uint64_t kFirstId = 100;
constexpr uint64_t kIdsPerPath = 13;

Records HostileStream() {
  Records records;
  uint64_t id = kFirstId;
  for (const HostilePath& name : HostilePaths()) {
    std::string base = name.raw.substr(name.raw.rfind('/') + 1);
    uint64_t task = id++, memory = id++, file = id++, path = id++, argv = id++;
    records.push_back(TaskRecord(task, 0, 700, 700, base.substr(0, 15).c_str(), 0, 10));
    records.push_back(testing::ProcRecord(memory, 0, 700, 0, 11));
    records.push_back(RelationRecord(PT_REL_EXEC_TASK, id++, Ref(task, 0, PT_NODE_TASK),
                                     Ref(memory, 0, PT_NODE_PROCESS_MEMORY), 0, -1, 11));
    records.push_back(testing::InodeRecord(file, 0, PT_NODE_FILE, file, 0100644, 0, 12));
    records.push_back(PathRecord(path, name.raw, 12));
    records.push_back(RelationRecord(PT_REL_NAMED, id++, Ref(path, 0, PT_NODE_PATH),
                                     Ref(file, 0, PT_NODE_FILE), 0, -1, 12));
    records.push_back(RelationRecord(PT_REL_EXEC, id++, Ref(file, 0, PT_NODE_FILE),
                                     Ref(memory, 0, PT_NODE_PROCESS_MEMORY), 0, -1, 13));
    records.push_back(testing::StringsRecord(argv, PT_NODE_ARGV, {"prog", name.raw}, 13));
    records.push_back(RelationRecord(PT_REL_ARG, id++, Ref(argv, 0, PT_NODE_ARGV),
                                     Ref(memory, 0, PT_NODE_PROCESS_MEMORY), 0, -1, 13));
    records.push_back(RelationRecord(PT_REL_OPEN, id++, Ref(file, 0, PT_NODE_FILE),
                                     Ref(task, 0, PT_NODE_TASK), 0, -1, 14));
    records.push_back(RelationRecord(PT_REL_READ, id++, Ref(file, 0, PT_NODE_FILE),
                                     Ref(task, 0, PT_NODE_TASK), 0, 0, 15));
    records.push_back(testing::InodeRecord(file, 1, PT_NODE_FILE, file, 0100644, 0, 16));
    records.push_back(RelationRecord(PT_REL_VERSION_ENTITY, id++, Ref(file, 0, PT_NODE_FILE),
                                     Ref(file, 1, PT_NODE_FILE), 0, -1, 16));
    records.push_back(RelationRecord(PT_REL_WRITE, id++, Ref(task, 0, PT_NODE_TASK),
                                     Ref(file, 1, PT_NODE_FILE), 0, 0, 16));
  }
  return records;
}

std::string Render(const MakeWriter& make, const Records& records = HostileStream()) {
  StringSink sink;
  auto writer = make(&sink);
  Pipeline pipeline({writer.get()});
  CaptureInfo info;
  info.boot_id = 3;
  info.machine_id = 42;
  info.realtime_offset_ns = 1764000000LL * 1000000000LL;
  EXPECT_TRUE(pipeline.Begin(info).ok());
  for (const auto& r : records) pipeline.OnRawRecord(r.data(), r.size());
  EXPECT_TRUE(pipeline.End().ok());
  return sink.data;
}

MakeWriter Text(TextOptions options) {
  return [options](ByteSink* out) { return NewTextWriter(out, options); };
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Whether every backslash in text starts a whole escape as AppendEscaped
// writes them (a cut never leaves half of one).
bool EscapesAreWhole(const std::string& text) {
  auto hex = [&](size_t from, size_t n) {
    if (from + n > text.size()) return false;
    for (size_t k = from; k < from + n; ++k) {
      if (!isxdigit(static_cast<unsigned char>(text[k]))) return false;
    }
    return true;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') continue;
    if (i + 1 == text.size()) return false;
    char c = text[++i];
    if (c == 'x') {
      if (!hex(i + 1, 2)) return false;
      i += 2;
    } else if (c == 'u') {
      if (!hex(i + 1, 4)) return false;
      i += 4;
    } else if (std::string_view("\\abtnvfr\"").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

class HostileFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(HostileFormatsTest, EscapingIsByteExact) {
  for (const HostileName& name : HostileNames()) {
    std::string escaped;
    AppendEscaped(&escaped, name.raw);
    EXPECT_EQ(escaped, name.escaped);
    std::string field;
    AppendEscapedField(&field, name.raw);
    EXPECT_EQ(field, TextField(name.raw, name.escaped));
  }
  std::string field;
  AppendEscapedField(&field, "");
  EXPECT_EQ(field, "\"\"");  // an empty name is still a field
}

TEST_F(HostileFormatsTest, EveryByteValueComesOutPrintable) {
  std::string all;
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string escaped;
  AppendEscaped(&escaped, all);
  EXPECT_EQ(UnsafeForTerminal(escaped), "");
  std::string ascii;
  AppendEscaped(&ascii, all + "\xc3\xa9", /*utf8=*/false);
  for (unsigned char c : ascii) EXPECT_LT(c, 0x80);
  EXPECT_NE(ascii.find("\\xc3\\xa9"), std::string::npos);
}

TEST_F(HostileFormatsTest, TextShowsNamesEscapedOneLinePerEvent) {
  std::string text = Render(Text(TextOptions()));
  EXPECT_EQ(UnsafeForTerminal(text), "") << text;
  std::vector<std::string> lines = Lines(text);
  std::vector<HostilePath> paths = HostilePaths();
  // A header, then exec, open, read and write for each name: a newline in
  // a name never splits a line.
  ASSERT_EQ(lines.size(), 1 + 4 * paths.size()) << text;
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string field = TextField(paths[i].raw, paths[i].escaped);
    const std::string& exec = lines[1 + 4 * i];
    EXPECT_NE(exec.find(" exec "), std::string::npos) << exec;
    EXPECT_NE(exec.find(field + "  prog " + field), std::string::npos) << exec;  // and its argv
    for (int k = 1; k < 4; ++k) {
      const std::string& line = lines[1 + 4 * i + k];
      EXPECT_NE(line.find(field), std::string::npos) << line << "\nwanted: " << field;
    }
  }
  // The comm: "osc\x1b]0;TITLE\x07x" is short enough to be kept whole.
  EXPECT_NE(lines[1 + 4 * 7].find(" osc\\x1b]0;TITLE\\ax "), std::string::npos) << lines[29];
}

TEST_F(HostileFormatsTest, TextFitsTheTerminalWidth) {
  TextOptions narrow;
  narrow.width = 72;
  std::string text = Render(Text(narrow));
  EXPECT_EQ(UnsafeForTerminal(text), "");
  for (const std::string& line : Lines(text)) {
    size_t columns = 0;  // one per character, but two for the CJK one
    for (unsigned char c : line) columns += (c & 0xc0) != 0x80;
    if (line.find("\xe6\x97\xa5") != std::string::npos) ++columns;
    EXPECT_LE(columns, 72u) << line;
    EXPECT_TRUE(EscapesAreWhole(line)) << line;
  }
  // The long path keeps its head and its end, cut in the middle.
  EXPECT_TRUE(std::regex_search(text, std::regex("/d/n*\u2026m+(  |\n)"))) << text;
}

TEST_F(HostileFormatsTest, TextColoursAreTheOnlyEscapeSequences) {
  std::string plain = Render(Text(TextOptions()));
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  TextOptions colour;
  colour.color = true;
  std::string coloured = Render(Text(colour));
  EXPECT_NE(coloured.find("\x1b[1;36mexec"), std::string::npos);  // exec stands out
  EXPECT_NE(coloured.find("\x1b[33mwrite"), std::string::npos);   // so do changes
  std::string stripped = std::regex_replace(coloured, std::regex("\x1b\\[[0-9;]*m"), "");
  EXPECT_EQ(stripped, plain);
}

TEST_F(HostileFormatsTest, TextEscapesEveryNonAsciiByteForANonUtf8Terminal) {
  TextOptions ascii;
  ascii.utf8 = false;
  std::string text = Render(Text(ascii));
  for (unsigned char c : text) ASSERT_LT(c, 0x80) << text;
  EXPECT_NE(text.find("\"/d/utf8 \\xc3\\xa9\\xe6\\x97\\xa5\""), std::string::npos) << text;
}

TEST_F(HostileFormatsTest, TextWithoutFoldingStaysSafe) {
  TextOptions all;
  all.fold = false;
  std::string text = Render(Text(all));
  EXPECT_EQ(UnsafeForTerminal(text), "");
  // Every relation on a line of its own, the header first.
  EXPECT_EQ(Lines(text).size(), 1 + 8 * HostilePaths().size());
}

// As Graphviz reads a label: \\ is a backslash, \n a line break (none
// after the last line), \x an x.
std::string DotLabelText(const std::string& value) {
  std::string text;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\' || i + 1 == value.size()) {
      text.push_back(value[i]);
    } else if (value[++i] == 'n') {
      text.push_back('\n');
    } else {
      text.push_back(value[i]);
    }
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST_F(HostileFormatsTest, DotParsesAndLabelsShowNamesEscaped) {
  std::string dot = Render(NewDotWriter);
  EXPECT_EQ(UnsafeForTerminal(dot, /*tabs=*/true), "") << dot;  // agwrite indents with tabs
  // Parsed by Graphviz's own reader, the one dot(1) uses.
  Agraph_t* graph = agmemread(dot.c_str());
  ASSERT_NE(graph, nullptr) << dot;
  std::map<std::string, std::string> labels;  // node name -> label as shown
  for (Agnode_t* n = agfstnode(graph); n != nullptr; n = agnxtnode(graph, n)) {
    labels[agnameof(n)] = DotLabelText(agget(n, const_cast<char*>("label")));
  }
  agclose(graph);
  uint64_t id = kFirstId;
  for (const HostilePath& name : HostilePaths()) {
    uint64_t task = id, file = id + 2, path = id + 3;
    id += kIdsPerPath;
    EXPECT_EQ(labels[std::to_string(path) + ".0"], name.escaped);
    EXPECT_EQ(labels[std::to_string(file) + ".1"], "file\n" + name.escaped + "\nv1");
    EXPECT_EQ(labels[std::to_string(task) + ".0"].find("task\n"), 0u);
  }
}

// Every string value of a JSON document, recursively.
void Strings(const rapidjson::Value& v, std::vector<std::string>* out) {
  if (v.IsString()) out->push_back(std::string(v.GetString(), v.GetStringLength()));
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) Strings(m->value, out);
  }
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) Strings(e, out);
  }
}

TEST_F(HostileFormatsTest, JsonFormatsStayValidAndKeepNames) {
  const std::pair<const char*, MakeWriter> writers[] = {
      {"json", NewJsonLinesWriter},
      {"prov-json", NewProvJsonWriter},
      {"spade-json", NewSpadeJsonWriter},
  };
  for (const auto& [format, make] : writers) {
    std::string out = Render(make);
    std::vector<std::string> strings;
    for (const std::string& line : Lines(out)) {
      rapidjson::Document d;
      d.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str());
      ASSERT_FALSE(d.HasParseError()) << format << " at " << d.GetErrorOffset() << ": " << line;
      Strings(d, &strings);
    }
    // Each path, byte for byte as a value of its own (path, pathname);
    // invalid bytes read back as U+FFFD.
    for (const HostilePath& name : HostilePaths()) {
      EXPECT_NE(std::find(strings.begin(), strings.end(), name.json), strings.end())
          << format << ": " << name.escaped;
    }
  }
}

}  // namespace
}  // namespace provtrace::formats
