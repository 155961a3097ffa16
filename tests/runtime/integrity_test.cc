// The graph has no holes: a whole-system capture started and stopped in
// the middle of a burst of activity names every node before the relations
// that use it, loses nothing at default settings, and its time never goes
// backwards; under a flood that does lose records, every loss is counted
// and no relation is left without its nodes.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

uint64_t Stat(const std::string& err, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex(name + R"(: +(\d+))"))) return ~0ULL;
  return std::stoull(m[1].str());
}

// What is wrong with the order of a stream: relations that come before
// one of their nodes, and records whose time is smaller than the one before.
struct OrderReport {
  size_t relations = 0;
  size_t before_their_nodes = 0;
  size_t time_decreases = 0;
  std::string first_problem;
};

OrderReport CheckOrder(const Capture& c) {
  OrderReport report;
  std::set<std::pair<uint64_t, uint32_t>> seen;
  uint64_t last_time = 0;
  for (const Record* r : c.records()) {
    std::string kind = Str(*r, "kind");
    uint64_t time = U64(*r, "time");
    if (time < last_time) {
      if (report.first_problem.empty()) report.first_problem = "time decreases at " + kind;
      ++report.time_decreases;
    }
    last_time = std::max(last_time, time);
    if (kind == "node") {
      seen.insert({U64(*r, "id"), static_cast<uint32_t>(U64(*r, "version"))});
    } else if (kind == "relation") {
      ++report.relations;
      for (const char* end : {"from", "to"}) {
        if (!seen.count({EndpointId(*r, end), EndpointVersion(*r, end)})) {
          if (report.first_problem.empty()) {
            report.first_problem = Str(*r, "type") + " before its " + end + " node " +
                                   std::to_string(EndpointId(*r, end)) + ":" +
                                   std::to_string(EndpointVersion(*r, end));
          }
          ++report.before_their_nodes;
          break;
        }
      }
    }
  }
  return report;
}

// Many short-lived processes creating, reading, renaming and removing
// files, on every CPU, until stopped.
class Burst {
 public:
  explicit Burst(const std::string& dir) {
    std::string loop = "i=0; while :; do i=$((i+1)); f=" + dir +
                       "/f$$.$i; echo x > $f; cat $f > /dev/null; mv $f $f.m; rm $f.m; "
                       "sh -c ':' ; done";
    for (int i = 0; i < 2; ++i) loops_.emplace_back(new Background({"/bin/sh", "-c", loop}));
  }
  ~Burst() {
    for (auto& l : loops_) {
      l->Signal(SIGKILL);
      l->Wait();
    }
  }

 private:
  std::vector<std::unique_ptr<Background>> loops_;
};

TEST(IntegrityTest, WholeSystemCaptureInABurstHasNoHolesAndLosesNothing) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  std::string dir = CanonicalTempDir();
  Burst burst(dir);
  usleep(200 * 1000);  // the burst is running when the capture starts
  std::string out = dir + "/../integrity.jsonl";
  RunResult run = RunProgram({ProvtracePath(), "-d", "2", "--stats", "-o", out});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Capture c;
  std::string error;
  ASSERT_TRUE(c.Parse(ReadFile(out), &error)) << error;
  unlink(out.c_str());
  ASSERT_GT(c.Relations().size(), 1000u) << "the burst made too little activity to test anything";
  std::vector<std::string> dangling = c.DanglingEndpoints();
  EXPECT_TRUE(dangling.empty()) << dangling.size() << " of " << 2 * c.Relations().size()
                                << " endpoints have no node, e.g. " << dangling[0];
  OrderReport order = CheckOrder(c);
  EXPECT_EQ(order.before_their_nodes, 0u) << order.first_problem;
  EXPECT_EQ(order.time_decreases, 0u) << order.first_problem;
  EXPECT_EQ(Stat(run.err, "lost, output refused"), 0u) << run.err;
  EXPECT_EQ(Stat(run.err, "lost, in the stream"), 0u) << run.err;
  // Everything the kernel sent arrived (+1: the machine node user space adds).
  EXPECT_EQ(Stat(run.err, "records received"), Stat(run.err, "records emitted \\(BPF\\)") + 1)
      << run.err;
  std::cout << c.records().size() << " records, " << order.relations << " relations\n";
}

}  // namespace
}  // namespace provtrace::testing
