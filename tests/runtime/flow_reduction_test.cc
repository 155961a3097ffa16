// Flow reduction: data flows that bring their target nothing new are
// dropped in the kernel unless --all-flows; what another task reads is
// never dropped, and the graph keeps its paths.
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

constexpr int kRounds = 50;

struct Counts {
  size_t writes = 0, reads = 0, other_reads = 0;
  bool flows_to_reader = false;
};

// One task writes a byte to FILE and reads it back kRounds times; then
// another process reads FILE.
Counts CaptureRounds(const std::string& flag) {
  std::string dir = CanonicalTempDir();
  std::string file = dir + "/data";
  std::string script = Workload() + " write-read " + file + " " + std::to_string(kRounds) +
                       " && exec " + Workload() + " read " + file;
  std::vector<std::string> argv = {ProvtracePath(), "-q"};
  if (!flag.empty()) argv.push_back(flag);
  for (const char* a : {"--", "/bin/sh", "-c"}) argv.push_back(a);
  argv.push_back(script);
  RunResult r = RunProgram(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Capture c;
  std::string error;
  EXPECT_TRUE(c.Parse(r.out, &error)) << error;
  EXPECT_TRUE(c.Acyclic());
  EXPECT_TRUE(c.DanglingEndpoints().empty());
  Counts counts;
  std::vector<uint64_t> ids = c.NamedIds(file, "file");
  EXPECT_EQ(ids.size(), 1u);
  if (ids.size() != 1) return counts;
  uint64_t inode = ids[0];
  // The writer is the one task that wrote it; every other reader is the
  // second process.
  auto writes = c.RelationsTo("write", inode);
  counts.writes = writes.size();
  if (writes.empty()) return counts;
  uint64_t writer = EndpointId(*writes[0], "from");
  for (const Record* read : c.RelationsFrom("read", inode)) {
    uint64_t reader = EndpointId(*read, "to");
    if (reader == writer) {
      ++counts.reads;
    } else {
      ++counts.other_reads;
      // What the reader got holds the last thing written.
      const Record* last = writes.back();
      counts.flows_to_reader |=
          c.Reachable(EndpointId(*last, "from"), EndpointVersion(*last, "from"), reader);
    }
  }
  return counts;
}

TEST(FlowReductionTest, ReadingBackWhatATaskWroteIsRecordedOnce) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  Counts c = CaptureRounds("");
  // Round 1 writes and reads; round 2's write adds the task's new version
  // (which holds the file's first version) to the file; from then on the
  // task and the file hold each other and nothing flows.
  EXPECT_EQ(c.writes, 2u);
  EXPECT_EQ(c.reads, 1u);
  EXPECT_EQ(c.other_reads, 1u);
  EXPECT_TRUE(c.flows_to_reader);
}

TEST(FlowReductionTest, AllFlowsKeepsEveryRound) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  Counts c = CaptureRounds("--all-flows");
  EXPECT_EQ(c.writes, static_cast<size_t>(kRounds));
  EXPECT_EQ(c.reads, static_cast<size_t>(kRounds));
  EXPECT_EQ(c.other_reads, 1u);
  EXPECT_TRUE(c.flows_to_reader);
}

}  // namespace
}  // namespace provtrace::testing
