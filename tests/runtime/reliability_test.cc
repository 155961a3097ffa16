// provtrace under stress and failure: scoping to a process or a cgroup,
// losses counted exactly, signals, closed pipes, full disks, and nothing
// of its BPF left behind.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

// A --stats counter from provtrace's stderr.
uint64_t Stat(const std::string& err, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(err, m, std::regex(name + R"(: +(\d+))"))) return ~0ULL;
  return std::stoull(m[1].str());
}

Capture ParseOrDie(const std::string& jsonl) {
  Capture c;
  std::string error;
  EXPECT_TRUE(c.Parse(jsonl, &error)) << error;
  return c;
}

#define REQUIRE_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs"

TEST(ScopeTest, PidTracesARunningProcessAndNothingElse) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  Background target({Workload(), "spin-writes", dir + "/spin", "20"});
  RunResult run = RunProgram(
      {ProvtracePath(), "-p", std::to_string(target.pid()), "-d", "2", "-o", dir + "/out.jsonl"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  target.Signal(SIGKILL);
  Capture c = ParseOrDie(ReadFile(dir + "/out.jsonl"));
  std::set<uint64_t> pids;
  for (const Record* n : c.Nodes("task")) pids.insert(U64(*n, "pid"));
  EXPECT_EQ(pids, (std::set<uint64_t>{static_cast<uint64_t>(target.pid())}));
  EXPECT_EQ(c.NamedIds(dir + "/spin", "file").size(), 1u);
  EXPECT_GE(c.Relations("write").size(), 1u);
  // It existed before: its first node says so.
  EXPECT_TRUE((*c.Nodes("task").front())["history_unknown"].GetBool());
}

// A cgroup v2 hierarchy of the test's own (this machine mounts only v1).
class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    root_ = CanonicalTempDir() + "/cgroup2";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mount("none", root_.c_str(), "cgroup2", 0, nullptr), 0) << strerror(errno);
    group_ = root_ + "/box";
    ASSERT_EQ(mkdir(group_.c_str(), 0755), 0);
  }
  void TearDown() override {
    if (root_.empty()) return;
    rmdir(group_.c_str());
    umount2(root_.c_str(), MNT_DETACH);
  }
  std::string root_, group_;
};

TEST_F(CgroupTest, TracesTheTasksOfACgroupAndThoseThatExecInIt) {
  std::string dir = CanonicalTempDir();
  // Already in the cgroup when the capture starts.
  std::string inside = "echo $$ > " + group_ + "/cgroup.procs && exec " + Workload() +
                       " spin-writes " + dir + "/inside 20";
  Background in_box({"/bin/sh", "-c", inside});
  // Outside, and never in it.
  Background outside({Workload(), "spin-writes", dir + "/outside", "20"});
  Background provtrace({ProvtracePath(), "-v", "--cgroup", group_, "-o", dir + "/out.jsonl"});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
  // Moves itself in and then execs, as a container runtime does.
  RunResult joined = RunProgram({"/bin/sh", "-c",
                                 "echo $$ > " + group_ + "/cgroup.procs && exec " + Workload() +
                                     " write " + dir + "/joined hello"});
  ASSERT_EQ(joined.exit_code, 0) << joined.err;
  usleep(500 * 1000);
  provtrace.Signal(SIGINT);
  RunResult run = provtrace.Wait();
  in_box.Signal(SIGKILL);
  outside.Signal(SIGKILL);
  in_box.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Capture c = ParseOrDie(ReadFile(dir + "/out.jsonl"));
  EXPECT_EQ(c.NamedIds(dir + "/inside", "file").size(), 1u);
  EXPECT_EQ(c.NamedIds(dir + "/joined", "file").size(), 1u);
  EXPECT_TRUE(c.NamedIds(dir + "/outside", "file").empty());
  for (const Record* n : c.Nodes("task")) {
    EXPECT_NE(U64(*n, "pid"), static_cast<uint64_t>(outside.pid()));
  }
}

// Floods a tiny buffer while provtrace cannot read: its standard output
// is a pipe whose reader waits until provtrace is ready and then stalls
// for two seconds, so provtrace blocks in write() while the held command
// runs. The loss does not depend on how fast this machine is.
RunResult RunFlood(const std::string& dir, const std::vector<std::string>& extra_flags) {
  std::string flags;
  for (const std::string& f : extra_flags) flags += " " + f;
  std::string script = "set -o pipefail; " + ProvtracePath() + " -v --stats --buffer-pages 1" +
                       flags + " -- " + Workload() + " create-files " + dir + " 3000 2>" + dir +
                       "/err | (until grep -q ready " + dir +
                       "/err; do sleep 0.05; done; sleep 2; cat > " + dir + "/out.jsonl)";
  RunResult run = RunProgram({"/bin/bash", "-c", script});
  run.err = ReadFile(dir + "/err");
  return run;
}

// Every lost record is accounted for: sent = received + lost, exactly, on
// both transports.
void ExpectExactAccounting(const std::string& transport) {
  std::string dir = CanonicalTempDir();
  RunResult run = RunFlood(dir, {"--transport", transport});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  uint64_t received = Stat(run.err, "records received");
  uint64_t emitted = Stat(run.err, "records emitted \\(BPF\\)");
  uint64_t refused = Stat(run.err, "lost, output refused");
  uint64_t notified = Stat(run.err, "lost, perf notified");
  ASSERT_NE(received, ~0ULL) << run.err;
  EXPECT_GT(refused, 0u) << "the flood lost nothing; it tests nothing\n" << run.err;
  // Every record the BPF side handed over arrived (+1: the machine node
  // user space adds).
  EXPECT_EQ(received, emitted + 1) << run.err;
  // The losses are in the stream too, with their CPUs.
  Capture c = ParseOrDie(ReadFile(dir + "/out.jsonl"));
  uint64_t in_stream = 0;
  for (const Record* r : c.records()) {
    if (Str(*r, "kind") == "lost") {
      in_stream += U64(*r, "count");
      EXPECT_NE(U64(*r, "cpu"), ~0ULL);
    }
  }
  if (transport == "perf") {
    // The kernel reports a CPU's losses only at its next successful write,
    // which may never come once the scoped command has exited; so its count
    // can lag BPF's, never exceed it.
    EXPECT_LE(notified, refused) << run.err;
  }
  EXPECT_EQ(in_stream, refused);
  EXPECT_EQ(Stat(run.err, "lost, in the stream"), refused) << run.err;
  EXPECT_NE(run.err.find("records lost"), std::string::npos) << run.err;
  // A loss leaves no hole: every node a relation names is in the stream
  // (described again after its first emission was lost), and before it.
  std::vector<std::string> dangling = c.DanglingEndpoints();
  EXPECT_TRUE(dangling.empty()) << dangling.size() << " endpoints without nodes, e.g. "
                                << dangling[0];
  EXPECT_GT(Stat(run.err, "nodes described again"), 0u) << run.err;
}

TEST(LossTest, FloodIsAccountedForExactlyWithPerfBuffers) {
  REQUIRE_ROOT();
  ExpectExactAccounting("perf");
}

TEST(LossTest, FloodIsAccountedForExactlyWithARingBuffer) {
  REQUIRE_ROOT();
  ExpectExactAccounting("ring");
}

TEST(LossTest, OnLossExitStopsWithStatus3) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  RunResult run = RunFlood(dir, {"--on-loss", "exit"});
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("--on-loss=exit"), std::string::npos) << run.err;
}

TEST(SignalTest, SighupDrainsAndExits0) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  Background provtrace({ProvtracePath(), "-v", "-F", "prov-json", "-o", dir + "/out.json"});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
  ASSERT_EQ(RunProgram({"/bin/true"}).exit_code, 0);
  provtrace.Signal(SIGHUP);
  RunResult run = provtrace.Wait();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  std::string out = ReadFile(dir + "/out.json");
  ASSERT_FALSE(out.empty());
  // Every line a complete PROV-JSON document.
  RunResult parse = RunProgram({"/usr/bin/jq", "-e", "-c", ".prefix.cf", dir + "/out.json"});
  EXPECT_EQ(parse.exit_code, 0) << parse.err;
}

TEST(SignalTest, ASecondCtrlCExitsAtOnce) {
  REQUIRE_ROOT();
  Background provtrace({ProvtracePath(), "-v", "-o", "/dev/null"});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
  auto start = std::chrono::steady_clock::now();
  provtrace.Signal(SIGINT);
  provtrace.Signal(SIGINT);
  RunResult run = provtrace.Wait();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Either the first drained already or the second cut it short.
  EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 128 + SIGINT) << run.exit_code;
  EXPECT_LT(seconds, 30);
}

TEST(PipeTest, ReaderGoingAwayIsAQuietSuccess) {
  REQUIRE_ROOT();
  // provtrace | head -1: the first line, then a closed pipe.
  std::string script = "set -o pipefail; " + ProvtracePath() + " -F json -- " + Workload() +
                       " create-files " + CanonicalTempDir() + " 200 2>" + CanonicalTempDir() +
                       "/err | head -1 > /dev/null; echo status=$?";
  RunResult run = RunProgram({"/bin/bash", "-c", script});
  EXPECT_NE(run.out.find("status=0"), std::string::npos) << run.out << run.err;
}

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    dir_ = CanonicalTempDir() + "/small";
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
    ASSERT_EQ(mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=512k"), 0) << strerror(errno);
  }
  void TearDown() override {
    if (!dir_.empty()) umount2(dir_.c_str(), MNT_DETACH);
  }
  std::string dir_;
};

// The one line that names the full file.
void ExpectOneLineNaming(const RunResult& run, const std::string& file) {
  EXPECT_EQ(run.exit_code, 1) << run.err;
  std::regex line("provtrace: cannot write " + file + ": No space left on device\n");
  auto found = std::sregex_iterator(run.err.begin(), run.err.end(), line);
  EXPECT_EQ(std::distance(found, std::sregex_iterator()), 1) << run.err;
}

TEST_F(FullDiskTest, IsAClearErrorWithEveryLineWrittenWhole) {
  std::string work = CanonicalTempDir();
  RunResult run = RunProgram(
      {ProvtracePath(), "-o", dir_ + "/out.jsonl", "--", Workload(), "create-files", work, "5000"});
  ExpectOneLineNaming(run, dir_ + "/out.jsonl");
  std::string out = ReadFile(dir_ + "/out.jsonl");
  ASSERT_GT(out.size(), 1000u);
  EXPECT_EQ(out.back(), '\n') << "the last line was cut";
  Capture c;
  std::string error;
  EXPECT_TRUE(c.Parse(out, &error)) << error;
}

TEST_F(FullDiskTest, ACompressedOutputEndsWithAWholeFrame) {
  std::string work = CanonicalTempDir();
  // -u: a frame per flush (every poll), so frames end all along the file;
  // the disk (see SetUp) must hold a few of them before it is full.
  RunResult run = RunProgram({ProvtracePath(), "-u", "-o", dir_ + "/out.jsonl.zst", "--",
                              Workload(), "create-files", work, "20000"});
  ExpectOneLineNaming(run, dir_ + "/out.jsonl.zst");
  RunResult test = RunProgram({"/usr/bin/zstd", "-q", "-t", dir_ + "/out.jsonl.zst"});
  EXPECT_EQ(test.exit_code, 0) << test.err;
  RunResult text = RunProgram({"/usr/bin/zstd", "-q", "-d", "-c", dir_ + "/out.jsonl.zst"});
  ASSERT_GT(text.out.size(), 1000u);
  Capture c;
  std::string error;
  EXPECT_TRUE(c.Parse(text.out, &error)) << error;
}

TEST(OutputErrorTest, UnwritableOutputIsAClearError) {
  REQUIRE_ROOT();
  RunResult run =
      RunProgram({ProvtracePath(), "-o", "/proc/provtrace-cannot-write", "--", "/bin/true"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.err.find("/proc/provtrace-cannot-write"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
}

// BPF objects in the kernel, by id.
std::set<uint32_t> BpfIds(int (*next)(uint32_t, uint32_t*)) {
  std::set<uint32_t> ids;
  uint32_t id = 0;
  while (next(id, &id) == 0) ids.insert(id);
  return ids;
}

struct BpfObjects {
  std::set<uint32_t> progs, maps, links;
  static BpfObjects Now() {
    return {BpfIds(bpf_prog_get_next_id), BpfIds(bpf_map_get_next_id),
            BpfIds(bpf_link_get_next_id)};
  }
};

std::set<uint32_t> Added(const std::set<uint32_t>& before, const std::set<uint32_t>& after) {
  std::set<uint32_t> added;
  for (uint32_t id : after) {
    if (!before.count(id)) added.insert(id);
  }
  return added;
}

// The kernel frees what provtrace loaded after its last fd closes, which
// for links and programs can take an RCU grace period.
bool NoneLeft(const BpfObjects& before) {
  for (int i = 0; i < 50; ++i) {
    BpfObjects now = BpfObjects::Now();
    if (Added(before.progs, now.progs).empty() && Added(before.maps, now.maps).empty() &&
        Added(before.links, now.links).empty()) {
      return true;
    }
    usleep(100 * 1000);
  }
  return false;
}

TEST(CleanupTest, NothingOfProvtracesBpfRemainsAfterExitOrKill9) {
  REQUIRE_ROOT();
  for (int sig : {SIGTERM, SIGKILL}) {
    BpfObjects before = BpfObjects::Now();
    Background provtrace({ProvtracePath(), "-v", "-o", "/dev/null"});
    ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
    BpfObjects running = BpfObjects::Now();
    EXPECT_GE(Added(before.progs, running.progs).size(), 5u);  // it did load programs
    EXPECT_GE(Added(before.links, running.links).size(), 5u);
    provtrace.Signal(sig);
    provtrace.Wait();
    EXPECT_TRUE(NoneLeft(before)) << "after signal " << sig;
  }
}

TEST(StressTest, ForkStormAndTenThousandFilesKeepUpOrCountAndStayBounded) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  std::string script =
      Workload() + " fork-storm 3000 && " + Workload() + " create-files " + dir + " 10000";
  pid_t pid = fork();
  if (pid == 0) {
    int out = open((dir + "/../stress.jsonl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open((dir + "/../stress.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::string path = ProvtracePath();
    execl(path.c_str(), path.c_str(), "--stats", "-c", script.c_str(), nullptr);
    _exit(127);
  }
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  std::string err = ReadFile(dir + "/../stress.err");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err;
  uint64_t received = Stat(err, "records received");
  uint64_t emitted = Stat(err, "records emitted \\(BPF\\)");
  uint64_t refused = Stat(err, "lost, output refused");
  EXPECT_EQ(received, emitted + 1) << err;  // nothing vanished silently
  EXPECT_GT(received, 30000u) << err;
  EXPECT_EQ(Stat(err, "state inserts failed"), 0u) << err;
  // Memory stays bounded (BCC and LLVM are most of it): no more than
  // twice what an idle capture needs.
  uint64_t peak = Stat(err, "peak RSS \\(KiB\\)");
  RunResult idle = RunProgram({ProvtracePath(), "--stats", "-o", "/dev/null", "--", "/bin/true"});
  uint64_t idle_peak = Stat(idle.err, "peak RSS \\(KiB\\)");
  ASSERT_NE(peak, ~0ULL) << err;
  EXPECT_LT(peak, 2 * idle_peak) << "peak RSS " << peak << " KiB; idle " << idle_peak << " KiB";
  RecordProperty("lost", std::to_string(refused));
  RecordProperty("peak_rss_kib", std::to_string(peak));
}

TEST(StatusLineTest, ShownOnATerminalOnlyAndNotWithQuiet) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  // script(1) gives provtrace a terminal.
  std::string cmd = ProvtracePath() + " -d 2.5 -o /dev/null";
  RunResult tty = RunProgram({"/usr/bin/script", "-qefc", cmd, dir + "/typescript"});
  ASSERT_EQ(tty.exit_code, 0) << tty.err;
  std::string shown = ReadFile(dir + "/typescript");
  EXPECT_TRUE(std::regex_search(shown, std::regex(R"(\d+ records +\d+/s +lost 0)"))) << shown;
  RunResult quiet = RunProgram({"/usr/bin/script", "-qefc", cmd + " -q", dir + "/quiet"});
  EXPECT_EQ(ReadFile(dir + "/quiet").find("records"), std::string::npos);
  RunResult pipe = RunProgram({ProvtracePath(), "-d", "1.5", "-o", "/dev/null"});
  EXPECT_FALSE(std::regex_search(pipe.err, std::regex(R"(\d+ records +\d+/s)"))) << pipe.err;
}

}  // namespace
}  // namespace provtrace::testing
