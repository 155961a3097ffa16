// Runs provtrace on real workloads and asserts the exact task records.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

Capture ParseOrDie(const std::string& jsonl) {
  Capture capture;
  std::string error;
  EXPECT_TRUE(capture.Parse(jsonl, &error)) << error;
  return capture;
}

// The path an exec relation's executable (its `from` inode) is named by.
std::string ExecPath(const Capture& c, const Record& exec) {
  uint64_t inode = EndpointId(exec, "from");
  for (const Record* named : c.RelationsTo("named", inode)) {
    const Record* path = c.Node(EndpointId(*named, "from"), EndpointVersion(*named, "from"));
    if (path) return Str(*path, "path");
  }
  return "<unnamed>";
}

// The task whose exec an exec relation belongs to: exec goes into the new
// process memory, which exec_task comes into from the task.
uint64_t ExecTask(const Capture& c, const Record& exec) {
  auto exec_task = c.RelationsTo("exec_task", EndpointId(exec, "to"));
  return exec_task.size() == 1 ? EndpointId(*exec_task[0], "from") : 0;
}

TEST(TaskProvenanceTest, ShellThatForksAndExecs) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  std::string dir = MakeTempDir();
  Background provtrace(
      {ProvtracePath(), "-o", dir + "/out.jsonl", "--", "sh", "-c", "true; /bin/true & wait"});
  RunResult run = provtrace.Wait();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Capture c = ParseOrDie(ReadFile(dir + "/out.jsonl"));

  // Two tasks: the shell and the child it forked for /bin/true (the `true`
  // builtin forks nothing).
  std::set<uint64_t> task_ids;
  for (const Record* n : c.Nodes("task")) task_ids.insert(U64(*n, "id"));
  ASSERT_EQ(task_ids.size(), 2u);

  auto clones = c.Relations("clone");
  ASSERT_EQ(clones.size(), 1u);
  uint64_t shell = EndpointId(*clones[0], "from");
  uint64_t child = EndpointId(*clones[0], "to");
  EXPECT_EQ(EndpointVersion(*clones[0], "to"), 0u);
  EXPECT_TRUE(task_ids.count(shell) && task_ids.count(child));

  // The shell existed before it exec'd (provtrace forked it first): its
  // first node says so, and its parent is provtrace.
  const Record* shell_v0 = c.Node(shell, 0);
  ASSERT_NE(shell_v0, nullptr);
  EXPECT_TRUE((*shell_v0)["history_unknown"].GetBool());
  uint64_t shell_pid = U64(*shell_v0, "pid");
  EXPECT_EQ(U64(*shell_v0, "ppid"), static_cast<uint64_t>(provtrace.pid()));
  EXPECT_EQ(U64(*shell_v0, "tid"), shell_pid);

  const Record* child_v0 = c.Node(child, 0);
  ASSERT_NE(child_v0, nullptr);
  EXPECT_FALSE(child_v0->HasMember("history_unknown"));
  EXPECT_EQ(U64(*child_v0, "ppid"), shell_pid);
  EXPECT_NE(U64(*child_v0, "pid"), shell_pid);
  EXPECT_EQ(U64(*child_v0, "tid"), U64(*child_v0, "pid"));
  EXPECT_EQ(U64(*clones[0], "flags"), 0u);  // fork shares nothing
  // A new process gets its own process memory, copied from the parent's.
  EXPECT_EQ(c.RelationsFrom("clone_mem", shell).size(), 1u);

  // Each exec: the executable, by its full path, into new process memory
  // the task made; and a new task version with the new name.
  auto execs = c.Relations("exec");
  ASSERT_EQ(execs.size(), 2u);
  std::map<uint64_t, std::string> exec_of;
  for (const Record* e : execs) exec_of[ExecTask(c, *e)] = ExecPath(c, *e);
  EXPECT_EQ(exec_of[shell], "/usr/bin/dash");  // /bin/sh on Debian
  EXPECT_EQ(exec_of[child], "/usr/bin/true");
  EXPECT_EQ(Str(*c.Node(child, 1), "comm"), "true");
  EXPECT_EQ(Str(*c.Node(shell, 1), "comm"), "sh");
  EXPECT_EQ(c.RelationsBetween("version_activity", child, child)
                .front()
                ->
                operator[]("to")["version"]
                .GetUint(),
            1u);

  // Both end: terminate_task from the last version to a final one, and
  // their process memories end with them.
  auto terminates = c.Relations("terminate_task");
  ASSERT_EQ(terminates.size(), 2u);
  std::set<uint64_t> terminated;
  for (const Record* t : terminates) {
    EXPECT_EQ(EndpointId(*t, "from"), EndpointId(*t, "to"));
    EXPECT_EQ(EndpointVersion(*t, "to"), EndpointVersion(*t, "from") + 1);
    terminated.insert(EndpointId(*t, "from"));
  }
  EXPECT_EQ(terminated, (std::set<uint64_t>{shell, child}));
  EXPECT_FALSE(c.Relations("terminate_proc").empty());

  // Nothing of provtrace's own, and a well-formed graph.
  for (const Record* n : c.Nodes("task")) {
    EXPECT_NE(U64(*n, "pid"), static_cast<uint64_t>(provtrace.pid()));
  }
  EXPECT_TRUE(c.DanglingEndpoints().empty());
  EXPECT_TRUE(c.Acyclic());
  std::set<uint64_t> ids;
  for (const Record* r : c.Relations()) EXPECT_TRUE(ids.insert(U64(*r, "id")).second);
}

TEST(TaskProvenanceTest, EveryRecordCarriesBootAndMachineIds) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  RunResult run = RunProgram({ProvtracePath(), "--", "/bin/true"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Capture c = ParseOrDie(run.out);
  ASSERT_FALSE(c.records().empty());
  uint64_t machine = U64(*c.records()[0], "machine_id");
  for (const Record* r : c.records()) {
    EXPECT_EQ(U64(*r, "machine_id"), machine);
    EXPECT_GE(U64(*r, "boot_id"), 1u);
    EXPECT_NE(U64(*r, "boot_id"), ~0ULL);
    EXPECT_NE(U64(*r, "time"), ~0ULL);
  }
}

// Whole-system capture: provtrace's own threads are never recorded, while
// other processes are.
TEST(TaskProvenanceTest, WholeSystemCaptureLeavesOutProvtraceItself) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  char* real = realpath(MakeTempDir().c_str(), nullptr);  // paths in the graph are canonical
  std::string dir = real;
  free(real);
  Background provtrace({ProvtracePath(), "-v", "-o", dir + "/out.jsonl"});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
  std::string marker = dir + "/marker";
  RunResult workload = RunProgram({"/bin/sh", "-c", "cp /bin/true " + marker + " && " + marker});
  ASSERT_EQ(workload.exit_code, 0);
  provtrace.Signal(SIGINT);
  RunResult run = provtrace.Wait();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  Capture c = ParseOrDie(ReadFile(dir + "/out.jsonl"));
  bool saw_marker = false;
  for (const Record* e : c.Relations("exec")) saw_marker |= ExecPath(c, *e) == marker;
  // provtrace writes its output file during the capture: none of that is
  // recorded, while the workload's copy in the same directory is.
  EXPECT_TRUE(c.NamedIds(dir + "/out.jsonl").empty());
  EXPECT_EQ(c.NamedIds(marker, "file").size(), 1u);
  EXPECT_TRUE(saw_marker) << "the workload's exec of " << marker << " is missing";
  for (const Record* n : c.Nodes("task")) {
    EXPECT_NE(U64(*n, "pid"), static_cast<uint64_t>(provtrace.pid())) << Str(*n, "comm");
  }
  EXPECT_TRUE(c.DanglingEndpoints().empty());
  // The whole system's channels are used both ways (a server's socket,
  // received from and sent on by one task): cycles through them are the
  // graph's (provtrace(8), Nodes), and none may pass elsewhere.
  EXPECT_EQ(c.CycleOutsideChannels(MqueueDevice()), "");
}

}  // namespace
}  // namespace provtrace::testing

namespace provtrace::testing {
namespace {

// envp is recorded only when asked for: environments hold secrets.
TEST(TaskProvenanceTest, EnvironmentOnlyWithEnvp) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  RunResult plain =
      RunProgram({ProvtracePath(), "--", "/usr/bin/env", "-i", "PT_SECRET=1", "/bin/true"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  Capture without = ParseOrDie(plain.out);
  EXPECT_TRUE(without.Nodes("envp").empty());

  RunResult envp = RunProgram(
      {ProvtracePath(), "--envp", "--", "/usr/bin/env", "-i", "PT_SECRET=1", "/bin/true"});
  ASSERT_EQ(envp.exit_code, 0) << envp.err;
  Capture with = ParseOrDie(envp.out);
  bool found = false;
  for (const Record* n : with.Nodes("envp")) {
    const auto& env = (*n)["env"];
    found |= env.Size() == 1 && std::string(env[0].GetString()) == "PT_SECRET=1";
    EXPECT_EQ(with.RelationsFrom("arg", U64(*n, "id")).size(), 1u);
  }
  EXPECT_TRUE(found) << "no envp node [PT_SECRET=1] for the exec of /bin/true";
}

}  // namespace
}  // namespace provtrace::testing
