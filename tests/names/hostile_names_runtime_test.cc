// Hostile names from a live capture, read by each format's real consumer:
// a shell whose comm holds a terminal escape creates, reads and renames
// files named with newlines, tabs, quotes, backslashes, escape sequences,
// invalid UTF-8 and 255-byte components, and runs programs so named with
// the names as arguments; provtrace traces it in every format and jq,
// python3-prov, dot and Python's json read the results. The text output
// must hold no control byte, no invalid UTF-8 and no line a name split.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/names/hostile_names.h"
#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

// $1: the directory; the rest: the names. The shell first renames itself
// (what prctl(PR_SET_NAME) does) to a comm holding an OSC sequence.
constexpr char kWorkload[] = R"(
dir=$1; shift
cd "$dir" || exit 1
printf 'pc\033]0;T\007x' > /proc/self/comm
mkdir bin
for n in "$@"; do
  echo hi > "$n"
  cat "$n" > /dev/null
  cp /bin/true "bin/$n"
  "./bin/$n" "$n"
done
long=$(printf '%0255d' 0)
mkdir -p "$long/$long/$long"
echo hi > "$long/$long/$long/$long"
)";
constexpr char kShellComm[] = "pc\x1b]0;T\x07x";
constexpr char kShellCommEscaped[] = "pc\\x1b]0;T\\ax";

// Every string value of a JSON value, recursively.
void Strings(const rapidjson::Value& v, std::set<std::string>* out) {
  if (v.IsString()) out->insert(std::string(v.GetString(), v.GetStringLength()));
  if (v.IsObject()) {
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) Strings(m->value, out);
  }
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) Strings(e, out);
  }
}

// A JSON array of strings (what the Python checkers print, ASCII-escaped).
std::set<std::string> StringList(const std::string& json) {
  std::set<std::string> strings;
  rapidjson::Document d;
  d.Parse(json.c_str());
  EXPECT_FALSE(d.HasParseError()) << json.substr(0, 2000);
  if (!d.HasParseError()) Strings(d, &strings);
  return strings;
}

// Loads every PROV-JSON document (one per line, the file read as strict
// UTF-8) with the W3C prov library; prints the pathname attributes.
constexpr char kProvPaths[] = R"(
import sys, json, prov.model
paths = []
for line in open(sys.argv[1], encoding='utf-8'):
    if line.strip():
        doc = prov.model.ProvDocument.deserialize(content=line, format='json')
        for record in doc.get_records():
            for key, value in record.attributes:
                if str(key) == 'cf:pathname':
                    paths.append(str(value))
print(json.dumps(paths))
)";

// SPADE JSON: one object per line, strict UTF-8; prints the pathnames.
constexpr char kSpadePaths[] = R"(
import sys, json
paths = []
for line in open(sys.argv[1], encoding='utf-8'):
    o = json.loads(line)
    assert o['type'] in ('Activity', 'Entity', 'Used', 'WasGeneratedBy', 'WasInformedBy',
                         'WasDerivedFrom'), line
    if 'pathname' in o['annotations']:
        paths.append(o['annotations']['pathname'])
print(json.dumps(paths))
)";

// The text of an SVG (every <text> element), as XML parses it.
constexpr char kSvgTexts[] = R"(
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(json.dumps([t.text or '' for t in root.iter('{http://www.w3.org/2000/svg}text')]))
)";

class HostileNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    dir_ = CanonicalTempDir();
    work_ = dir_ + "/work";
    ASSERT_EQ(RunProgram({"/bin/mkdir", work_}).exit_code, 0);
  }

  // provtrace in `format` to dir_/name over the workload.
  std::string Trace(const std::string& format, const std::string& name) {
    std::string out = dir_ + "/" + name;
    std::vector<std::string> args = {ProvtracePath(), "-F", format,    "-o", out,  "--",
                                     "/bin/sh",       "-c", kWorkload, "sh", work_};
    for (const HostileName& n : HostileNames()) args.push_back(n.raw);
    // In a UTF-8 locale, set as a user's is, by LANG in the environment
    // (nothing overriding it): the text format escapes every byte above
    // 0x7f in the C locale (as ls does), and the expected names assume
    // UTF-8.
    RunResult r = RunProgram(args, [] {
      unsetenv("LC_ALL");
      unsetenv("LC_CTYPE");
      setenv("LANG", "C.UTF-8", 1);
    });
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  RunResult Python(const char* script, const std::string& file) {
    RunResult r = RunProgram({"/usr/bin/python3", "-c", script, file});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  std::string dir_, work_;
};

TEST_F(HostileNamesTest, JsonLinesReadByJq) {
  std::string file = Trace("json", "trace.jsonl");
  RunResult jq = RunProgram({"/usr/bin/jq", "-e", "-s", "--arg", "dir", work_ + "/",
                             "map(select(.type == \"path\" and (.path | startswith($dir))))"
                             " | length > 0",
                             file});
  EXPECT_EQ(jq.exit_code, 0) << jq.err << jq.out;
  Capture capture;
  std::string error;
  ASSERT_TRUE(capture.Parse(ReadFile(file), &error)) << error;
  std::set<std::string> paths, comms, args;
  for (const Record* n : capture.Nodes("path")) paths.insert(Str(*n, "path"));
  for (const Record* n : capture.Nodes("task")) comms.insert(Str(*n, "comm"));
  for (const Record* n : capture.Nodes("argv")) Strings((*n)["args"], &args);
  for (const HostileName& name : HostileNames()) {
    EXPECT_TRUE(paths.count(work_ + "/" + name.json)) << name.escaped;
    EXPECT_TRUE(args.count(name.json)) << name.escaped;
  }
  EXPECT_TRUE(comms.count(kShellComm));
  EXPECT_TRUE(comms.count("osc\x1b]0;TITLE\x07x"));  // a program so named
}

TEST_F(HostileNamesTest, ProvJsonReadByW3cProvLibrary) {
  std::set<std::string> paths = StringList(Python(kProvPaths, Trace("prov-json", "t.prov")).out);
  for (const HostileName& name : HostileNames()) {
    EXPECT_TRUE(paths.count(work_ + "/" + name.json)) << name.escaped;
  }
}

TEST_F(HostileNamesTest, SpadeJsonReadByPythonJson) {
  std::set<std::string> paths = StringList(Python(kSpadePaths, Trace("spade-json", "t.spade")).out);
  for (const HostileName& name : HostileNames()) {
    EXPECT_TRUE(paths.count(work_ + "/" + name.json)) << name.escaped;
  }
}

TEST_F(HostileNamesTest, DotRenderedByGraphviz) {
  std::string file = Trace("dot", "trace.dot");
  // dot's own layout of a graph this size (a few thousand edges: each
  // process maps its libraries) takes minutes; the layout engine is all
  // -K changes: the program, its DOT parser and its label escapes are the
  // same. (tests/runtime/outputs_test lays out a small capture with dot.)
  RunResult svg =
      RunProgram({"/usr/bin/dot", "-Kpatchwork", "-Tsvg", "-o", dir_ + "/trace.svg", file});
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_EQ(svg.err, "");  // not even a warning (invalid UTF-8 would give one)
  std::set<std::string> texts = StringList(Python(kSvgTexts, dir_ + "/trace.svg").out);
  for (const HostileName& name : HostileNames()) {
    EXPECT_TRUE(texts.count(work_ + "/" + name.escaped)) << name.escaped;
  }
  // The shell's task nodes, labelled comm[tid].
  EXPECT_TRUE(std::any_of(texts.begin(), texts.end(), [](const std::string& t) {
    return t.rfind(std::string(kShellCommEscaped) + "[", 0) == 0;
  }));
}

TEST_F(HostileNamesTest, TextHoldsNoControlByteAndOneLinePerEvent) {
  std::string text = ReadFile(Trace("text", "trace.txt"));
  EXPECT_EQ(UnsafeForTerminal(text), "") << text.substr(0, 4000);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("TIME ", 0), 0u) << line;
  std::vector<std::string> all;
  std::regex event(R"(^\d\d:\d\d:\d\d\.\d{6} )");
  while (std::getline(lines, line)) {
    EXPECT_TRUE(std::regex_search(line, event)) << "a line split: " << line;
    all.push_back(line);
  }
  // A line of the comm (or any) with `what` in it, ending there or
  // followed by two spaces and details.
  auto has = [&](const std::string& comm, const std::string& what) {
    return std::any_of(all.begin(), all.end(), [&](const std::string& l) {
      size_t at = l.find(what);
      if (at == std::string::npos) return false;
      size_t end = at + what.size();
      if (end != l.size() && l.compare(end, 2, "  ") != 0) return false;
      return comm.empty() || l.compare(16, comm.size() + 1, comm + " ") == 0;
    });
  };
  for (const HostileName& name : HostileNames()) {
    std::string path = TextField(name.raw, work_ + "/" + name.escaped);
    // The shell's open of it (echo hi > name), under its escaped comm.
    EXPECT_TRUE(has(kShellCommEscaped, " open         " + path + "  O_WRONLY|O_CREAT|O_TRUNC"))
        << path;
    // cat's read of it.
    EXPECT_TRUE(has("cat", " read         " + path)) << path;
    // The exec of the program so named, with its argv.
    std::string program = TextField(name.raw, work_ + "/bin/" + name.escaped);
    std::string argv = TextField("./bin/" + name.raw, "./bin/" + name.escaped) + " " +
                       TextField(name.raw, name.escaped);
    EXPECT_TRUE(has("", " exec         " + program + "  " + argv)) << program << "  " << argv;
  }
}

}  // namespace
}  // namespace provtrace::testing
