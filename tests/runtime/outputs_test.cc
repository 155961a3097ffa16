// Every output format, from a live capture and from a replayed one, read
// back by its real consumer: jq, python3-prov (W3C PROV), graphviz, zstd.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

// Loads every PROV-JSON document (one per line) with the W3C prov library
// and prints the number of records it holds.
constexpr char kProvCount[] = R"(
import sys, prov.model
total = 0
for line in open(sys.argv[1]):
    if line.strip():
        doc = prov.model.ProvDocument.deserialize(content=line, format='json')
        total += len(doc.get_records())
print(total)
)";

// Checks SPADE JSON: every line an object, every edge after its vertices.
constexpr char kSpadeCheck[] = R"(
import sys, json
seen, vertices, edges = set(), 0, 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if 'from' in o:
        assert o['from'] in seen and o['to'] in seen, line
        assert o['type'] in ('Used', 'WasGeneratedBy', 'WasInformedBy', 'WasDerivedFrom'), line
        edges += 1
    else:
        assert o['type'] in ('Activity', 'Entity'), line
        seen.add(o['id'])
        vertices += 1
print(vertices + edges)
)";

class OutputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    char* real = realpath(MakeTempDir().c_str(), nullptr);
    dir_ = real;
    free(real);
  }

  // A live capture of a small workload in `extra` output options, with a
  // raw capture of the same run alongside.
  RunResult Live(const std::vector<std::string>& extra, const std::string& raw) {
    std::vector<std::string> args = {ProvtracePath(), "-w", dir_ + "/" + raw};
    args.insert(args.end(), extra.begin(), extra.end());
    for (const char* a : {"--", "/bin/sh", "-c"}) args.push_back(a);
    args.push_back("cd " + dir_ + " && echo hi > f && cat f > /dev/null");
    RunResult r = RunProgram(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  RunResult Replay(const std::string& raw, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {ProvtracePath(), "-r", dir_ + "/" + raw};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = RunProgram(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  // Nodes plus relations in a raw capture, counted from its JSON Lines.
  size_t Elements(const std::string& raw) {
    Capture c;
    std::string error;
    EXPECT_TRUE(c.Parse(Replay(raw, {"-F", "json"}).out, &error)) << error;
    return c.Nodes().size() + c.Relations().size();
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

TEST_F(OutputsTest, JsonLinesLiveAndReplayedAreIdenticalAndJqReadsThem) {
  Live({"-o", Path("live.jsonl")}, "cap.raw");
  RunResult replayed = Replay("cap.raw", {"-F", "json"});
  EXPECT_EQ(replayed.out, ReadFile(Path("live.jsonl")));
  RunResult jq =
      RunProgram({"/usr/bin/jq", "-e", "-s",
                  "map(select(.kind == \"relation\" and .type == \"write\")) | length > 0",
                  Path("live.jsonl")});
  EXPECT_EQ(jq.exit_code, 0) << jq.err << jq.out;
  EXPECT_EQ(jq.out, "true\n");
}

TEST_F(OutputsTest, RawCaptureRoundTripsByteForByte) {
  Live({}, "cap.raw");
  Replay("cap.raw", {"-w", Path("again.raw")});
  EXPECT_EQ(ReadFile(Path("again.raw")), ReadFile(Path("cap.raw")));
  EXPECT_GT(ReadFile(Path("cap.raw")).size(), 1000u);
}

TEST_F(OutputsTest, ProvJsonLoadsInTheW3cProvLibrary) {
  Live({"-F", "prov-json", "-o", Path("live.prov.json")}, "cap.raw");
  size_t elements = Elements("cap.raw");
  RunResult live = RunProgram({"/usr/bin/python3", "-c", kProvCount, Path("live.prov.json")});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  EXPECT_EQ(std::stoul(live.out), elements);
  std::string replayed_path = Path("replayed.prov.json");
  Replay("cap.raw", {"-F", "prov-json", "-o", replayed_path});
  RunResult replayed = RunProgram({"/usr/bin/python3", "-c", kProvCount, replayed_path});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_EQ(std::stoul(replayed.out), elements);
}

TEST_F(OutputsTest, SpadeJsonIsVerticesThenTheirEdges) {
  Live({"-F", "spade-json", "-o", Path("live.spade.json")}, "cap.raw");
  size_t elements = Elements("cap.raw");
  for (const std::string& file : {std::string("live.spade.json"), std::string("replayed")}) {
    if (file == "replayed") Replay("cap.raw", {"-F", "spade-json", "-o", Path(file)});
    RunResult check = RunProgram({"/usr/bin/python3", "-c", kSpadeCheck, Path(file)});
    ASSERT_EQ(check.exit_code, 0) << check.err;
    EXPECT_EQ(std::stoul(check.out), elements) << file;
  }
}

TEST_F(OutputsTest, DotRendersWithGraphviz) {
  Live({"-F", "dot", "-o", Path("live.dot")}, "cap.raw");
  Replay("cap.raw", {"-F", "dot", "-o", Path("replayed.dot")});
  EXPECT_EQ(ReadFile(Path("live.dot")), ReadFile(Path("replayed.dot")));
  RunResult svg = RunProgram({"/usr/bin/dot", "-Tsvg", Path("live.dot")});
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_NE(svg.out.find("<svg"), std::string::npos);
  EXPECT_NE(svg.out.find("/usr/bin/cat"), std::string::npos);  // a named node
}

TEST_F(OutputsTest, TextHasAHeaderAndOneLinePerEvent) {
  Live({"-F", "text", "-o", Path("live.txt")}, "cap.raw");
  Capture c;
  std::string error;
  ASSERT_TRUE(c.Parse(Replay("cap.raw", {"-F", "json"}).out, &error)) << error;
  std::string text = ReadFile(Path("live.txt"));
  // The relations that only keep the graph's shape are folded into the
  // line of their event (formats/text.h, TextFolds); every other relation
  // is a line of its own.
  static const std::set<std::string> kFolded = {"version_activity",
                                                "version_entity",
                                                "memory_read",
                                                "memory_write",
                                                "named",
                                                "exec_task",
                                                "arg",
                                                "clone_mem",
                                                "terminate_proc",
                                                "free"};
  size_t events = 0;
  for (const Record* r : c.Relations()) events += kFolded.count(Str(*r, "type")) == 0;
  EXPECT_EQ(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')), 1 + events);
  EXPECT_EQ(text.rfind("TIME ", 0), 0u) << text.substr(0, 200);
  EXPECT_TRUE(std::regex_search(
      text, std::regex(R"(\n\d\d:\d\d:\d\d\.\d{6} cat +\d+ +read +)" + dir_ + "/f")))
      << text.substr(0, 2000);
  EXPECT_EQ(Replay("cap.raw", {"-F", "text"}).out, text);
}

TEST_F(OutputsTest, ZstdOutputIsReadableByZstdcat) {
  Live({"-o", Path("live.jsonl.zst")}, "cap.raw.zst");
  RunResult plain = RunProgram({"/usr/bin/zstdcat", Path("live.jsonl.zst")});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  // The compressed raw capture replays too, to the same records.
  EXPECT_EQ(Replay("cap.raw.zst", {"-F", "json"}).out, plain.out);
  EXPECT_LT(ReadFile(Path("live.jsonl.zst")).size() * 5, plain.out.size());
}

TEST_F(OutputsTest, ZstdFramesAreCompleteAfterCtrlC) {
  Background provtrace({ProvtracePath(), "-v", "-z", "-F", "prov-json", "-o", Path("all.zst")});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
  ASSERT_EQ(RunProgram({"/bin/true"}).exit_code, 0);
  usleep(300 * 1000);
  provtrace.Signal(SIGINT);
  RunResult r = provtrace.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  RunResult plain = RunProgram({"/usr/bin/zstd", "-dc", Path("all.zst")});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("\"activity\""), std::string::npos);
}

TEST_F(OutputsTest, RotationMakesCompleteFiles) {
  RunResult run =
      RunProgram({ProvtracePath(), "--stats", "-o", Path("rot.jsonl"), "--rotate-size", "4k", "--",
                  "/bin/sh", "-c", "cd " + dir_ + " && echo hi > f && cat f > /dev/null"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::smatch received;
  ASSERT_TRUE(std::regex_search(run.err, received, std::regex(R"(records received: +(\d+))")));
  size_t lines = 0, files = 0;
  for (int i = 0; i < 100; ++i) {
    // Rotated names keep the suffix last: rot.1.jsonl, rot.2.jsonl ...
    std::string name = i == 0 ? "rot.jsonl" : "rot." + std::to_string(i) + ".jsonl";
    if (access(Path(name).c_str(), F_OK) != 0) break;
    std::string text = ReadFile(Path(name));
    Capture c;
    std::string error;
    EXPECT_TRUE(c.Parse(text, &error)) << name << ": " << error;
    lines += c.records().size();
    ++files;
  }
  EXPECT_GT(files, 1u);
  EXPECT_EQ(access(Path("rot.jsonl.1").c_str(), F_OK), -1) << "the old name, suffix first";
  EXPECT_EQ(lines, std::stoul(received[1].str()));  // nothing lost across files
}

}  // namespace
}  // namespace provtrace::testing
