// The provenance graph of the scenario suite (scenarios.sh), captured once
// by provtrace and checked scenario by scenario: the exact relations each
// workload must produce, with the right versions, and a well-formed graph.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

class ScenariosTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!IsRoot()) return;
    // A canonical directory: paths in the graph are canonical.
    const char* tmp = getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/provtrace-scenarios-XXXXXX";
    if (mkdtemp(&dir[0]) == nullptr) abort();
    char* real = realpath(dir.c_str(), nullptr);
    dir_ = real;
    free(real);
    std::string out = dir_ + "/../" + dir_.substr(dir_.rfind('/') + 1) + ".jsonl";
    // The VM tier runs this suite once per backend (tests/vm).
    std::vector<std::string> argv = {ProvtracePath(), "-v", "-o", out, "--stats"};
    const char* backend = getenv("PROVTRACE_TEST_BACKEND");
    if (backend != nullptr && *backend != '\0') {
      argv.push_back("--backend");
      argv.push_back(backend);
    }
    for (const std::string& arg :
         {std::string("--"), std::string("/bin/sh"), Runfile("tests/scenarios/scenarios.sh"), dir_,
          Runfile("tests/workload/workload")}) {
      argv.push_back(arg);
    }
    Background provtrace(argv);
    provtrace_pid_ = provtrace.pid();
    run_ = new RunResult(provtrace.Wait());
    capture_ = new Capture();
    std::string error;
    if (!capture_->Parse(ReadFile(out), &error)) parse_error_ = new std::string(error);
    unlink(out.c_str());
  }

  static void TearDownTestSuite() {
    delete capture_;
    delete run_;
    delete parse_error_;
    if (!dir_.empty()) RunProgram({"/bin/rm", "-rf", dir_});
  }

  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    ASSERT_EQ(run_->exit_code, 0) << run_->err;
    ASSERT_EQ(parse_error_, nullptr) << *parse_error_;
  }

  const Capture& c() const { return *capture_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The one inode named `name` in the scenario directory.
  uint64_t Inode(const std::string& name) const {
    std::vector<uint64_t> ids = c().NamedIds(Path(name));
    EXPECT_EQ(ids.size(), 1u) << name;
    return ids.empty() ? 0 : ids[0];
  }

  std::string Comm(const Record& relation, const char* end) const {
    const Record* n = c().Node(EndpointId(relation, end), EndpointVersion(relation, end));
    return n ? Str(*n, "comm") : "";
  }

  // The process_memory the task wrote to first at or after `version`. (A
  // security hook backend sees exec read its file before the new memory
  // exists, so a task's first memory may be the one exec replaced.)
  uint64_t MemoryAfter(uint64_t task, uint32_t version) const {
    for (const Record* w : c().RelationsFrom("memory_write", task)) {
      if (EndpointVersion(*w, "from") >= version) return EndpointId(*w, "to");
    }
    return 0;
  }

  static std::string dir_;
  static pid_t provtrace_pid_;
  static RunResult* run_;
  static Capture* capture_;
  static std::string* parse_error_;
};

std::string ScenariosTest::dir_;
pid_t ScenariosTest::provtrace_pid_ = 0;
RunResult* ScenariosTest::run_ = nullptr;
Capture* ScenariosTest::capture_ = nullptr;
std::string* ScenariosTest::parse_error_ = nullptr;

// The backend that ran: the one asked for, or the one `auto` must pick on
// this kernel (PROVTRACE_TEST_EXPECT_BACKEND, set by the VM tier).
TEST_F(ScenariosTest, RanOnTheExpectedBackend) {
  const char* expected = getenv("PROVTRACE_TEST_EXPECT_BACKEND");
  if (expected == nullptr || *expected == '\0') expected = getenv("PROVTRACE_TEST_BACKEND");
  std::string line = "provtrace: backend ";
  size_t at = run_->err.find(line);
  ASSERT_NE(at, std::string::npos) << run_->err;
  std::string chosen = run_->err.substr(at + line.size());
  chosen = chosen.substr(0, chosen.find_first_of(" \n"));
  std::cout << "backend: " << chosen << "\n";
  if (expected != nullptr && *expected != '\0') {
    EXPECT_EQ(chosen, expected) << run_->err;
  }
}

TEST_F(ScenariosTest, WrittenFileFlowsToItsReader) {
  uint64_t file = Inode("wr.txt");
  auto writes = c().RelationsTo("write", file);
  ASSERT_EQ(writes.size(), 2u);  // write, then append
  auto reads = c().RelationsFrom("read", file);
  ASSERT_EQ(reads.size(), 1u);
  const Record& write = *writes[0];
  const Record& read = *reads[0];
  EXPECT_EQ(Comm(write, "from"), "workload");
  EXPECT_EQ(Comm(read, "to"), "workload");
  EXPECT_NE(EndpointId(write, "from"), EndpointId(read, "to"));
  // The reader read the version the writer wrote.
  EXPECT_EQ(EndpointVersion(read, "from"), EndpointVersion(write, "to"));
  // It had passed information on, so the append made a new version.
  const Record& append = *writes[1];
  uint32_t before = EndpointVersion(write, "to");
  EXPECT_EQ(EndpointVersion(append, "to"), before + 1);
  bool versioned = false;
  for (const Record* v : c().RelationsBetween("version_entity", file, file)) {
    versioned |= EndpointVersion(*v, "from") == before && EndpointVersion(*v, "to") == before + 1;
  }
  EXPECT_TRUE(versioned);
  // writer's memory -> writer -> file -> reader -> reader's memory: from
  // the memory the writer read last before it wrote.
  uint64_t writer = EndpointId(write, "from");
  const Record* fed = nullptr;
  for (const Record* m : c().RelationsTo("memory_read", writer)) {
    if (EndpointVersion(*m, "to") <= EndpointVersion(write, "from")) fed = m;
  }
  ASSERT_NE(fed, nullptr) << "the writer read no memory before it wrote";
  uint64_t reader_memory = MemoryAfter(EndpointId(read, "to"), EndpointVersion(read, "to"));
  ASSERT_NE(reader_memory, 0u);
  EXPECT_TRUE(
      c().Reachable(EndpointId(*fed, "from"), EndpointVersion(*fed, "from"), reader_memory));
}

TEST_F(ScenariosTest, CopyReadsOneFileAndCreatesAnother) {
  uint64_t a = Inode("a");
  uint64_t b = Inode("b");
  auto reads = c().RelationsFrom("read", a);
  auto writes = c().RelationsTo("write", b);
  // Once per write(2) on a system call backend; a security hook backend
  // sees each permission check, and copy_file_range checks more than once.
  ASSERT_GE(writes.size(), 1u);
  bool cp_read = false;
  for (const Record* r : reads) cp_read |= Comm(*r, "to") == "cp";
  EXPECT_TRUE(cp_read);
  std::set<uint64_t> writers;
  for (const Record* w : writes) {
    EXPECT_EQ(Comm(*w, "from"), "cp");
    writers.insert(EndpointId(*w, "from"));
  }
  EXPECT_EQ(writers.size(), 1u);
  EXPECT_TRUE(c().Reachable(a, 0, b));
  // b was created in the scenario directory.
  uint64_t dir = c().NamedIds(dir_, "directory").empty() ? 0 : c().NamedIds(dir_)[0];
  bool created = false;
  for (const Record* r : c().RelationsTo("inode_create", dir)) {
    created |= Comm(*r, "from") == "cp" && (U64(*r, "flags") & 0170000) == 0100000;
  }
  EXPECT_TRUE(created);
}

TEST_F(ScenariosTest, MoveRenamesTheInodeAndNamesItAgain) {
  uint64_t b = Inode("b");
  auto renames = c().RelationsTo("rename", b);
  ASSERT_EQ(renames.size(), 1u);
  EXPECT_EQ(Comm(*renames[0], "from"), "mv");
  EXPECT_EQ(Inode("c"), b);  // the same inode, now also named c
}

TEST_F(ScenariosTest, RemoveUnlinksAndFreesTheInode) {
  uint64_t a = Inode("a");
  auto unlinks = c().RelationsTo("unlink", a);
  ASSERT_EQ(unlinks.size(), 1u);
  EXPECT_EQ(Comm(*unlinks[0], "from"), "rm");
  auto frees = c().RelationsBetween("free", a, a);
  ASSERT_EQ(frees.size(), 1u);
  EXPECT_EQ(EndpointVersion(*frees[0], "from"), EndpointVersion(*unlinks[0], "to"));
}

TEST_F(ScenariosTest, LinkNamesTheInodeAgain) {
  uint64_t c_inode = Inode("c");
  auto links = c().RelationsTo("link", c_inode);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(Comm(*links[0], "from"), "ln");
  EXPECT_EQ(Inode("c2"), c_inode);
}

TEST_F(ScenariosTest, PipelineFlowsThroughThePipe) {
  uint64_t out = Inode("pipe_out");
  std::set<uint64_t> pipes;
  for (const Record* n : c().Nodes("pipe")) pipes.insert(U64(*n, "id"));
  bool flowed = false;
  for (uint64_t pipe : pipes) {
    bool written = !c().RelationsTo("write", pipe).empty();
    bool read_by_cat = false;
    for (const Record* r : c().RelationsFrom("read", pipe)) read_by_cat |= Comm(*r, "to") == "cat";
    if (written && read_by_cat && c().Reachable(pipe, 0, out)) flowed = true;
  }
  EXPECT_TRUE(flowed) << "no pipe written by the shell, read by cat, flowing to pipe_out";
  auto writes = c().RelationsTo("write", out);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(Comm(*writes[0], "from"), "cat");
}

TEST_F(ScenariosTest, ScriptExecRecordsItsArguments) {
  const Record* argv = nullptr;
  for (const Record* n : c().Nodes("argv")) {
    const auto& args = (*n)["args"];
    if (args.Size() == 4 && std::string(args[1].GetString()) == "./script.sh") argv = n;
  }
  ASSERT_NE(argv, nullptr) << "no argv [interpreter, ./script.sh, out, two]";
  const auto& args = (*argv)["args"];
  EXPECT_EQ(std::string(args[0].GetString()), "/bin/sh");
  EXPECT_EQ(std::string(args[2].GetString()), Path("script_out"));
  EXPECT_EQ(std::string(args[3].GetString()), "two");
  EXPECT_EQ(U64(*argv, "count"), 4u);
  auto arg = c().RelationsFrom("arg", U64(*argv, "id"));
  ASSERT_EQ(arg.size(), 1u);
  uint64_t memory = EndpointId(*arg[0], "to");
  // That process memory came from an exec, and its task wrote the output.
  EXPECT_EQ(c().RelationsTo("exec", memory).size(), 1u);
  auto exec_task = c().RelationsTo("exec_task", memory);
  ASSERT_EQ(exec_task.size(), 1u);
  uint64_t task = EndpointId(*exec_task[0], "from");
  uint64_t out = Inode("script_out");
  bool wrote = false;
  for (const Record* w : c().RelationsTo("write", out)) wrote |= EndpointId(*w, "from") == task;
  EXPECT_TRUE(wrote);
}

TEST_F(ScenariosTest, ThreadsAreTasksSharingProcessMemory) {
  uint64_t file = Inode("threads.txt");
  auto writes = c().RelationsTo("write", file);
  ASSERT_EQ(writes.size(), 3u);
  std::set<uint64_t> writers, memories;
  for (const Record* w : writes) {
    uint64_t task = EndpointId(*w, "from");
    writers.insert(task);
    for (const Record* m : c().RelationsTo("memory_read", task)) {
      memories.insert(EndpointId(*m, "from"));
    }
    auto clones = c().RelationsTo("clone", task);
    ASSERT_EQ(clones.size(), 1u);
    EXPECT_EQ(U64(*clones[0], "flags") & 0x10f00, 0x10f00u);  // a thread: VM, FS, FILES, ...
  }
  EXPECT_EQ(writers.size(), 3u);
  EXPECT_EQ(memories.size(), 1u);  // one process memory for the thread group
}

TEST_F(ScenariosTest, SetuidAndSetgidMakeNewProcessMemory) {
  for (const char* type : {"setuid", "setgid"}) {
    auto changes = c().Relations(type);
    ASSERT_EQ(changes.size(), 1u) << type;
    const Record* memory =
        c().Node(EndpointId(*changes[0], "to"), EndpointVersion(*changes[0], "to"));
    ASSERT_NE(memory, nullptr);
    EXPECT_EQ(Str(*memory, "type"), "process_memory");
    EXPECT_EQ(U64(*memory, std::string(type) == "setuid" ? "uid" : "gid"), 65534u);
    uint64_t task = EndpointId(*changes[0], "from");
    bool from_old = false;
    for (const Record* m : c().RelationsTo("memory_read", task)) {
      const Record* old = c().Node(EndpointId(*m, "from"), EndpointVersion(*m, "from"));
      from_old |= old && U64(*old, "uid") == 0 && U64(*old, "gid") == 0;
    }
    EXPECT_TRUE(from_old) << type;
  }
}

TEST_F(ScenariosTest, AttributesAccessChecksAndMaps) {
  uint64_t file = Inode("c");
  auto setattr = c().RelationsTo("setattr", file);
  ASSERT_EQ(setattr.size(), 1u);
  EXPECT_EQ(Comm(*setattr[0], "from"), "workload");
  auto perm = c().RelationsFrom("perm_check", file);
  ASSERT_EQ(perm.size(), 1u);
  EXPECT_EQ(U64(*perm[0], "flags"), 4u);  // R_OK
  auto shared = c().RelationsFrom("mmap", file);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(U64(*shared[0], "flags"), 3u);  // PROT_READ | PROT_WRITE
  auto mapped = c().RelationsFrom("mmap_private", file);
  ASSERT_EQ(mapped.size(), 1u);
  EXPECT_EQ(U64(*mapped[0], "flags"), 1u);  // PROT_READ
}

TEST_F(ScenariosTest, EveryRelationTypeAppears) {
  for (const char* type : {"clone",
                           "clone_mem",
                           "exec",
                           "exec_task",
                           "terminate_task",
                           "terminate_proc",
                           "open",
                           "read",
                           "write",
                           "mmap",
                           "mmap_private",
                           "inode_create",
                           "link",
                           "unlink",
                           "rename",
                           "setattr",
                           "setuid",
                           "setgid",
                           "perm_check",
                           "named",
                           "arg",
                           "version_entity",
                           "version_activity",
                           "memory_read",
                           "memory_write",
                           "free"}) {
    EXPECT_FALSE(c().Relations(type).empty()) << type;
  }
}

TEST_F(ScenariosTest, GraphIsWellFormedAndLeavesOutProvtrace) {
  EXPECT_TRUE(c().Acyclic());
  EXPECT_EQ(c().Nodes("machine").size(), 1u);  // the agent, once per capture
  std::vector<std::string> dangling = c().DanglingEndpoints();
  EXPECT_TRUE(dangling.empty()) << dangling.size() << " endpoints without nodes, e.g. "
                                << (dangling.empty() ? "" : dangling[0]);
  std::set<uint64_t> ids;
  for (const Record* r : c().Relations()) EXPECT_TRUE(ids.insert(U64(*r, "id")).second);
  for (const Record* n : c().Nodes("task")) {
    EXPECT_NE(U64(*n, "pid"), static_cast<uint64_t>(provtrace_pid_)) << Str(*n, "comm");
  }
  // Nothing provtrace did before the command exec'd (its held child reads
  // a pipe) is in the graph: the first task node is the command's. First
  // by time: the per-CPU buffers are read a batch at a time, so the stream
  // is in time order only per CPU.
  const Record* first = nullptr;
  for (const Record* n : c().Nodes("task")) {
    if (!first || U64(*n, "time") < U64(*first, "time")) first = n;
  }
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(Str(*first, "comm"), "sh");
  EXPECT_NE(run_->err.find("lost, output refused:    0"), std::string::npos) << run_->err;
}

}  // namespace
}  // namespace provtrace::testing
