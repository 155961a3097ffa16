// Whole-system coverage: information moved from a source file to a sink
// file through one kernel mechanism each (tests/workload/flows.c), between
// two processes that nothing else links, captured by provtrace in one run
// (coverage.sh) and checked mechanism by mechanism:
//  - the graph has a path from the source file to the sink file that uses
//    no `open` (opening a file moves nothing of its content, and every
//    process opens its files: a path through opens and the workload's own
//    signalling would exist without the mechanism);
//  - the relation that is the mechanism's own (a send_unix between two
//    sockets, an sh_read from shared memory, ...) lies on such a path;
//  - for the controls, no path at all.
// A mechanism this kernel or file system lacks (flows exits 77) is skipped
// with flows' reason.
#include <errno.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

struct Mechanism {
  const char* name;
  // The mechanism's own relation on the path, as "FROM_TYPE RELATION
  // TO_TYPE" (node types); nullptr for a control, which must leave no path.
  const char* carried_by;
};

void PrintTo(const Mechanism& m, std::ostream* os) { *os << m.name; }

constexpr Mechanism kMechanisms[] = {
    {"pipe", "task write pipe"},
    {"socketpair-read-write", "socket send_unix socket"},
    {"socketpair-send-recv", "socket send_unix socket"},
    {"socketpair-dgram", "socket send_unix socket"},
    {"sendfile", "socket send_unix socket"},
    {"vmsplice", "task write pipe"},
    {"splice", "pipe read task"},
    {"tee", "pipe read task"},
    {"copy_file_range", "file read task"},
    {"unix-stream", "socket send_unix socket"},
    {"unix-abstract", "socket send_unix socket"},
    {"unix-dgram", "socket send_unix socket"},
    {"tcp", "socket send_packet socket"},
    {"tcp6", "socket send_packet socket"},
    {"udp", "socket send_packet socket"},
    {"udp-connected", "socket send_packet socket"},
    {"sysv-shm", "shm sh_read process_memory"},
    {"posix-shm", "file sh_read process_memory"},
    {"shared-anonymous", "shm sh_read process_memory"},
    {"shared-file-store", "process_memory sh_write file"},
    {"sysv-msg", "msg_queue receive_msg_queue task"},
    {"posix-mq", "task send_msg_queue file"},
    {"process_vm_writev", "task ptrace_attach process_memory"},
    {"proc-mem-write", "task ptrace_attach process_memory"},
    {"ptrace-poke", "task ptrace_attach process_memory"},
    {"process_vm_readv", "process_memory ptrace_read task"},
    {"proc-mem-read", "process_memory ptrace_read task"},
    {"ptrace-peek", "process_memory ptrace_read task"},
    {"xattr", "task setxattr file"},
    {"symlink", "task symlink link"},
    // io_uring: each operation submitted through a ring (no system call of
    // its own), run inline and, "-async", in an io-wq worker.
    {"io_uring-read", "file read task"},
    {"io_uring-read-async", "file read task"},
    {"io_uring-write", "task write pipe"},
    {"io_uring-write-async", "task write pipe"},
    {"io_uring-openat", "file open task"},
    {"io_uring-splice", "file read task"},
    {"io_uring-splice-async", "file read task"},
    {"io_uring-send", "task send socket"},
    {"io_uring-send-async", "task send socket"},
    // Controls: two pairs with an eventfd each (the kernel's one anonymous
    // inode behind every eventfd must not join them), and no mechanism.
    {"eventfd", nullptr},
    {"none", nullptr},
};

using Key = std::pair<uint64_t, uint32_t>;

// The one capture every test reads, and what it says.
class CoverageRun {
 public:
  static void Make() {
    if (!IsRoot()) return;
    const char* tmp = getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/provtrace-coverage-XXXXXX";
    if (mkdtemp(&dir[0]) == nullptr) abort();
    char* real = realpath(dir.c_str(), nullptr);
    dir_ = real;
    free(real);
    // The sources exist before the capture starts: their making (an open
    // that creates) is not part of any flow the test looks for.
    std::vector<std::string> argv = {ProvtracePath(), "-q", "-o", dir_ + "/capture.jsonl"};
    const char* backend = getenv("PROVTRACE_TEST_BACKEND");
    if (backend != nullptr && *backend != '\0') {
      argv.push_back("--backend");
      argv.push_back(backend);
    }
    for (const std::string& arg :
         {std::string("--"), std::string("/bin/sh"), Runfile("tests/coverage/coverage.sh"),
          dir_ + "/m", Runfile("tests/workload/flows")}) {
      argv.push_back(arg);
    }
    mkdir((dir_ + "/m").c_str(), 0700);
    for (const Mechanism& m : kMechanisms) {
      std::string where = dir_ + "/m/" + m.name;
      mkdir(where.c_str(), 0700);
      std::ofstream(where + "/source") << "MARKER-" << m.name << "\n";
      argv.push_back(m.name);
    }
    // What provtrace says it cannot record on this kernel.
    RunResult info = RunProgram({ProvtracePath(), "--info"});
    std::istringstream lines(info.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("io_uring: no", 0) == 0) io_uring_missing_ = new std::string(line);
    }
    Background provtrace(argv);
    run_ = new RunResult(provtrace.Wait());
    capture_ = new Capture();
    std::string error;
    if (!capture_->Parse(ReadFile(dir_ + "/capture.jsonl"), &error))
      parse_error_ = new std::string(error);
    std::istringstream status(ReadFile(dir_ + "/m/status"));
    std::string name;
    int code;
    while (status >> name >> code) status_[name] = code;
    IndexRelations();
  }

  static void Clear() {
    delete capture_;
    delete run_;
    delete parse_error_;
    delete io_uring_missing_;
    // PROVTRACE_TEST_KEEP=1 keeps the capture and the workload's files to
    // look at.
    const char* keep = getenv("PROVTRACE_TEST_KEEP");
    if (keep != nullptr && *keep == '1') {
      std::cerr << "kept " << dir_ << "\n";
    } else if (!dir_.empty()) {
      RunProgram({"/bin/rm", "-rf", dir_});
    }
  }

 protected:
  // Relations that move information (all but open and named), keyed both
  // ways, and every relation but named with its type as "FROM_TYPE
  // RELATION TO_TYPE".
  static void IndexRelations() {
    for (const Record* r : capture_->Relations()) {
      std::string type = Str(*r, "type");
      if (type == "named") continue;
      Key from = {EndpointId(*r, "from"), EndpointVersion(*r, "from")};
      Key to = {EndpointId(*r, "to"), EndpointVersion(*r, "to")};
      // An open is on a path when what it opened reaches the sink by
      // other means; it makes no path itself.
      if (type != "open") {
        forward_[from].push_back(to);
        backward_[to].push_back(from);
      }
      const Record* f = capture_->Node(from.first, from.second);
      const Record* t = capture_->Node(to.first, to.second);
      typed_.push_back(
          {from, to, (f ? Str(*f, "type") : "?") + " " + type + " " + (t ? Str(*t, "type") : "?")});
    }
  }

  // Every version of the nodes `path` names, each a start or end of paths.
  static std::set<Key> Versions(const std::string& path) {
    std::set<Key> out;
    for (uint64_t id : capture_->NamedIds(path)) {
      for (const Record* n : capture_->Nodes()) {
        if (U64(*n, "id") == id) out.insert({id, static_cast<uint32_t>(U64(*n, "version"))});
      }
    }
    return out;
  }

  static std::set<Key> Closure(std::set<Key> from, std::map<Key, std::vector<Key>>& edges) {
    std::vector<Key> todo(from.begin(), from.end());
    while (!todo.empty()) {
      Key k = todo.back();
      todo.pop_back();
      for (const Key& next : edges[k]) {
        if (from.insert(next).second) todo.push_back(next);
      }
    }
    return from;
  }

  static std::string dir_;
  static RunResult* run_;
  static Capture* capture_;
  static std::string* parse_error_;
  static std::string* io_uring_missing_;  // --info's line, when it says no
  static std::map<std::string, int> status_;
  static std::map<Key, std::vector<Key>> forward_, backward_;
  struct Typed {
    Key from, to;
    std::string what;
  };
  static std::vector<Typed> typed_;
};

class CoverageTest : public ::testing::TestWithParam<Mechanism>, protected CoverageRun {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    ASSERT_EQ(run_->exit_code, 0) << run_->err;
    ASSERT_EQ(parse_error_, nullptr) << *parse_error_;
  }
};

class CoverageGraphTest : public ::testing::Test, protected CoverageRun {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    ASSERT_EQ(run_->exit_code, 0) << run_->err;
  }
};

// Made before the first test runs, once for all.
class CoverageEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { CoverageRun::Make(); }
  void TearDown() override { CoverageRun::Clear(); }
};

::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new CoverageEnvironment);

std::string CoverageRun::dir_;
RunResult* CoverageRun::run_ = nullptr;
Capture* CoverageRun::capture_ = nullptr;
std::string* CoverageRun::parse_error_ = nullptr;
std::string* CoverageRun::io_uring_missing_ = nullptr;
std::map<std::string, int> CoverageRun::status_;
std::map<Key, std::vector<Key>> CoverageRun::forward_, CoverageRun::backward_;
std::vector<CoverageRun::Typed> CoverageRun::typed_;

TEST_P(CoverageTest, SourceReachesSinkThroughTheMechanism) {
  const Mechanism& m = GetParam();
  std::string where = dir_ + "/m/" + m.name;
  ASSERT_EQ(status_.count(m.name), 1u) << "the workload did not run " << m.name;
  if (status_[m.name] == 77) GTEST_SKIP() << m.name << ": " << ReadFile(where + "/err");
  if (io_uring_missing_ != nullptr && std::string(m.name).rfind("io_uring-", 0) == 0)
    GTEST_SKIP() << "provtrace --info says " << *io_uring_missing_;
  ASSERT_EQ(status_[m.name], 0) << ReadFile(where + "/err");
  // The workload did move the marker (a link target keeps no newline).
  if (m.carried_by != nullptr)
    ASSERT_EQ(ReadFile(where + "/sink").rfind(std::string("MARKER-") + m.name, 0), 0u)
        << ReadFile(where + "/sink");

  std::set<Key> sources = Versions(where + "/source");
  std::set<Key> sinks = Versions(where + "/sink");
  ASSERT_FALSE(sources.empty()) << "no node named " << where << "/source";
  ASSERT_FALSE(sinks.empty()) << "no node named " << where << "/sink";
  std::set<Key> downstream = Closure(sources, forward_);
  std::set<Key> upstream = Closure(sinks, backward_);
  std::set<std::string> on_path;
  for (const Typed& t : typed_) {
    if (downstream.count(t.from) && upstream.count(t.to)) on_path.insert(t.what);
  }
  bool reached = false;
  for (const Key& k : sinks) reached = reached || downstream.count(k);
  std::string seen;
  for (const std::string& s : on_path) seen += "\n  " + s;
  if (m.carried_by == nullptr) {
    EXPECT_FALSE(reached) << m.name << " is a control, but the graph has a path:" << seen;
    return;
  }
  EXPECT_TRUE(reached) << "no path from source to sink through " << m.name;
  EXPECT_EQ(on_path.count(m.carried_by), 1u)
      << "no " << m.carried_by << " on a path; relations on paths:" << seen;
}

// No relation names a node the stream lacks, and the graph is acyclic but
// through channels: pipes, sockets, message queues (SysV's and POSIX's)
// and anonymous inodes have one version (provtrace(8), Nodes), so a
// channel used both ways, or a connection joined by both of its ends,
// closes a cycle through its node.
TEST_F(CoverageGraphTest, IsWhole) {
  ASSERT_EQ(parse_error_, nullptr) << *parse_error_;
  EXPECT_TRUE(capture_->DanglingEndpoints().empty());
  const uint32_t mqueue_dev = MqueueDevice();
  ASSERT_NE(mqueue_dev, 0u) << "cannot make a POSIX message queue: " << strerror(errno);
  std::string cycle = capture_->CycleOutsideChannels(mqueue_dev);
  EXPECT_EQ(cycle, "") << "a cycle through no channel, at node " << cycle;
}

INSTANTIATE_TEST_SUITE_P(Mechanisms, CoverageTest, ::testing::ValuesIn(kMechanisms),
                         [](const ::testing::TestParamInfo<Mechanism>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace provtrace::testing
