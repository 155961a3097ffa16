// kafka:// end to end: the real provtrace (//cli:provtrace) capturing
// scripted commands into the mock cluster, and replaying topics. A
// provtrace whose --help has no kafka:// fails every test here.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "tests/kafka/mock_cluster.h"
#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace {
namespace {

using testing::KcatConsume;
using testing::KcatMessage;
using testing::MockCluster;
using testing::RunProgram;
using testing::RunResult;

bool ProvtraceHasKafka() {
  static const bool has =
      RunProgram({testing::ProvtracePath(), "--help"}).out.find("kafka://") != std::string::npos;
  return has;
}

#define REQUIRE_KAFKA_CLI()                                                                \
  do {                                                                                     \
    ASSERT_TRUE(ProvtraceHasKafka()) << "//cli:provtrace has no kafka:// (not in --help)"; \
    if (!testing::IsRoot()) GTEST_SKIP() << "captures need root";                          \
  } while (0)

std::string JoinValues(const std::vector<KcatMessage>& messages) {
  std::string text;
  for (const KcatMessage& m : messages) text += m.value + "\n";
  return text;
}

void ExpectCompleteGraph(const std::string& jsonl) {
  testing::Capture capture;
  std::string error;
  ASSERT_TRUE(capture.Parse(jsonl, &error)) << error;
  EXPECT_TRUE(capture.DanglingEndpoints().empty());
  std::set<std::tuple<uint64_t, uint64_t, uint64_t, uint64_t>> nodes;
  for (const testing::Record* n : capture.Nodes()) {
    EXPECT_TRUE(nodes
                    .insert({testing::U64(*n, "machine_id"), testing::U64(*n, "boot_id"),
                             testing::U64(*n, "id"), testing::U64(*n, "version")})
                    .second)
        << "node twice: " << testing::U64(*n, "id");
  }
  EXPECT_FALSE(nodes.empty());
}

const char kScript[] =
    "for i in 1 2 3 4 5 6 7 8; do echo $i > $D/f$i; cat $D/f$i > /dev/null; done; "
    "mv $D/f1 $D/g1; rm $D/f2";

class KafkaCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_KAFKA_CLI();
    ASSERT_FALSE(cluster_.bootstraps().empty()) << "the mock cluster did not start";
    dir_ = testing::CanonicalTempDir();
  }
  std::vector<std::string> Script() const {
    return {"/bin/sh", "-c", "D=" + dir_ + "; " + kScript};
  }
  MockCluster cluster_{3, {"prov:3", "fleet:3", "slow:3", "times:1"}};
  std::string dir_;
};

// A scripted command captured into the topic (-o kafka://) and, in the
// same run, into a raw file (-w): kcat's messages are exactly the file
// replayed to JSON Lines, and the graph is whole.
TEST_F(KafkaCliTest, CaptureIntoTopicEqualsFile) {
  std::vector<std::string> argv = {testing::ProvtracePath(), "-q", "-o", cluster_.Url("prov"), "-w",
                                   dir_ + "/cap.ptc",        "--"};
  for (const std::string& a : Script()) argv.push_back(a);
  RunResult run = RunProgram(argv);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  RunResult replay = RunProgram({testing::ProvtracePath(), "-r", dir_ + "/cap.ptc", "-F", "json"});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  std::string error;
  std::vector<KcatMessage> messages = KcatConsume(cluster_.bootstraps(), "prov", &error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(JoinValues(messages), replay.out);
  ExpectCompleteGraph(JoinValues(messages));
}

// All brokers down while the command runs: provtrace keeps reading the
// kernel's buffers (BPF lost nothing), counts what the queue could not
// hold, says so, and --on-loss=exit makes that exit 3; what the topic has
// is what was counted delivered.
TEST_F(KafkaCliTest, AllBrokersDownCountedNotStalled) {
  std::string script = "D=" + dir_ + "; sleep 2; for i in $(seq 1 300); do echo $i > $D/f$i; done";
  testing::Background provtrace({testing::ProvtracePath(), "-v", "--stats", "--on-loss=exit", "-o",
                                 cluster_.Url("slow"), "-X", "queue.buffering.max.messages=20",
                                 "--", "/bin/sh", "-c", script});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 120));
  for (int b = 1; b <= cluster_.brokers(); ++b) ASSERT_EQ(cluster_.Down(b), "");
  RunResult run = provtrace.Wait();
  for (int b = 1; b <= cluster_.brokers(); ++b) ASSERT_EQ(cluster_.Up(b), "");
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("lost, output refused:    0 (BPF count)"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("lost, kafka queue full:"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("records not delivered"), std::string::npos) << run.err;
}

// Two machines (the second with a state directory of its own, so another
// machine id) into one topic, replayed with -r kafka:// into JSON Lines
// and PROV-JSON: one graph, every node of each machine distinct.
TEST_F(KafkaCliTest, TwoMachinesReplayedAsOneGraph) {
  for (int machine = 0; machine < 2; ++machine) {
    std::string command = testing::ProvtracePath() + " -q -w " + cluster_.Url("fleet") +
                          " -- /bin/sh -c 'D=" + dir_ + "; " + kScript + "; true'";
    if (machine == 1) {
      command = "mount -t tmpfs -o mode=0755 none /var/lib/provtrace && " + command;
    }
    RunResult run = RunProgram({"/usr/bin/unshare", "-m", "/bin/sh", "-c", command});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }
  RunResult jsonl =
      RunProgram({testing::ProvtracePath(), "-r", cluster_.Url("fleet"), "-d", "5", "-F", "json"});
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  testing::Capture capture;
  std::string error;
  ASSERT_TRUE(capture.Parse(jsonl.out, &error)) << error;
  std::set<uint64_t> machines;
  for (const testing::Record* n : capture.Nodes()) machines.insert(testing::U64(*n, "machine_id"));
  EXPECT_EQ(machines.size(), 2u);
  ExpectCompleteGraph(jsonl.out);

  RunResult prov = RunProgram(
      {testing::ProvtracePath(), "-r", cluster_.Url("fleet"), "-d", "5", "-F", "prov-json"});
  ASSERT_EQ(prov.exit_code, 0) << prov.err;
  // PROV-JSON documents (one per flush): no element id twice.
  std::set<std::string> ids;
  size_t elements = 0;
  size_t at = 0;
  while (at < prov.out.size()) {
    size_t end = prov.out.find("\n{", at);
    std::string doc_text = prov.out.substr(at, end == std::string::npos ? end : end + 1 - at);
    at = end == std::string::npos ? prov.out.size() : end + 1;
    rapidjson::Document doc;
    doc.Parse(doc_text.c_str());
    ASSERT_FALSE(doc.HasParseError()) << doc_text.substr(0, 200);
    for (auto& section : doc.GetObject()) {
      if (std::string(section.name.GetString()) == "prefix") continue;
      for (auto& m : section.value.GetObject()) {
        ids.insert(m.name.GetString());
        ++elements;
      }
    }
  }
  EXPECT_EQ(ids.size(), elements);
  EXPECT_EQ(elements, capture.records().size());
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// --from-offset and --from-time on the command line choose where -r
// kafka:// starts: two captures go into a one-partition topic, one after
// the other, each writing a file of its own name; a replay shows a
// capture's file when it started early enough to read that capture.
TEST_F(KafkaCliTest, FromOffsetAndFromTimeChooseTheStart) {
  auto capture = [&](const std::string& name) {
    RunResult run = RunProgram({testing::ProvtracePath(), "-q", "-w", cluster_.Url("times"), "--",
                                "/bin/sh", "-c", "echo x > " + dir_ + "/" + name});
    EXPECT_EQ(run.exit_code, 0) << run.err;
  };
  capture("first");
  // Message times are milliseconds: a new millisecond on each side of the
  // time chosen between the captures (an order, not a threshold).
  int64_t between = NowMs() + 1;
  while (NowMs() <= between) usleep(1000);
  capture("second");
  auto replay = [&](std::vector<std::string> start) {
    std::vector<std::string> argv = {
        testing::ProvtracePath(), "-r", cluster_.Url("times"), "-d", "3", "-F", "json"};
    argv.insert(argv.end(), start.begin(), start.end());
    RunResult run = RunProgram(argv);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    return run.out;
  };
  auto names = [&](const std::string& jsonl, const std::string& name) {
    return jsonl.find("\"path\":\"" + dir_ + "/" + name + "\"") != std::string::npos;
  };
  std::string all = replay({});
  EXPECT_TRUE(names(all, "first"));
  EXPECT_TRUE(names(all, "second"));
  std::string beginning = replay({"--from-offset", "beginning"});
  EXPECT_EQ(beginning, all);
  std::string later = replay({"--from-time", std::to_string(between)});
  EXPECT_FALSE(names(later, "first"));
  EXPECT_TRUE(names(later, "second"));
  EXPECT_EQ(replay({"--from-offset", "end"}).size(), 0u);  // nothing came since
  std::string last = replay({"--from-offset", "-1"});      // the last message only
  EXPECT_FALSE(last.empty());
  EXPECT_FALSE(names(last, "first"));
  EXPECT_LT(last.size(), all.size());
}

// Start-up errors: one line, exit 2.
TEST_F(KafkaCliTest, StartErrorsExitTwo) {
  std::vector<std::vector<std::string>> cases = {
      {"-o", "kafka://127.0.0.1:1/prov", "--", "/bin/true"},
      {"-o", cluster_.Url("no-such-topic"), "--", "/bin/true"},
      {"-r", cluster_.Url("no-such-topic")},
      {"-o", cluster_.Url("prov"), "-X", "security.protocol=sasl_plaintext", "-X",
       "sasl.mechanisms=PLAIN", "-X", "sasl.username=u", "-X", "sasl.password=p", "--",
       "/bin/true"},
      {"-o", "kafka://h/bad topic", "--", "/bin/true"},
      {"-o", cluster_.Url("prov"), "-X", "no.such=1", "--", "/bin/true"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {testing::ProvtracePath()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult run = RunProgram(argv);
    EXPECT_EQ(run.exit_code, 2) << args[1] << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

}  // namespace
}  // namespace provtrace
