// Per-object state is freed with its object: after 1,000 short-lived
// processes the task and process-memory maps are back where they started,
// and none of their entries remain.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "core/decoder.h"
#include "core/source.h"
#include "probes/bpf/state.h"
#include "probes/perf_transport.h"
#include "probes/probe_session.h"
#include "tests/testing/subprocess.h"

namespace provtrace::probes {
namespace {

class CountingHandler : public RecordHandler {
 public:
  void OnRawRecord(const void* data, size_t size) override {
    DecodedRecord rec;
    if (DecodeRecord(data, size, &rec) != DecodeError::kNone) {
      ++bad;
      return;
    }
    if (rec.kind == DecodedRecord::Kind::kNode && rec.node.type == NodeType::kTask) {
      tids.insert(rec.node.task.tid);
      tgids.insert(rec.node.task.pid);
    }
    if (rec.kind == DecodedRecord::Kind::kRelation) {
      switch (rec.relation.type) {
        case RelationType::kClone:
          ++(rec.relation.flags & 0x00010000 /* CLONE_THREAD */ ? thread_clones : clones);
          break;
        case RelationType::kExec:
          ++execs;
          break;
        case RelationType::kTerminateTask:
          ++terminates;
          break;
        default:
          break;
      }
    }
  }
  void OnLost(const Lost& lost) override { this->lost += lost.count; }
  int clones = 0, thread_clones = 0, execs = 0, terminates = 0, bad = 0;
  std::set<uint32_t> tids, tgids;
  uint64_t lost = 0;
};

// Whether a task with this id runs now: the shell's ids are reused by
// other tasks on a busy machine, and those have state of their own.
bool Alive(uint32_t tid) { return access(("/proc/" + std::to_string(tid)).c_str(), F_OK) == 0; }

// tids of every task that has state in pt_tasks.
std::set<uint32_t> TidsWithState(int map_fd) {
  std::set<uint32_t> tids;
  uint64_t key = 0, next = 0;
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
    pt_task_state state;
    if (bpf_map_lookup_elem(map_fd, &next, &state) == 0) tids.insert(state.tid);
    key = next;
    previous = &key;
  }
  return tids;
}

// Thread group ids owning process-memory state in pt_creds.
std::set<uint32_t> TgidsWithCredState(int map_fd) {
  std::set<uint32_t> tgids;
  uint64_t key = 0, next = 0;
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
    pt_cred_state state;
    if (bpf_map_lookup_elem(map_fd, &next, &state) == 0) tgids.insert(state.tgid);
    key = next;
    previous = &key;
  }
  return tgids;
}

TEST(TaskStateTest, StateIsFreedWithItsObject) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  constexpr int kProcesses = 1000;
  // A shell that runs /bin/true 1,000 times, held until the probes are in
  // place and scoped to, as `provtrace -- COMMAND` does.
  std::optional<cli::HeldCommand> shell;
  ASSERT_TRUE(cli::HeldCommand::Spawn({"/bin/sh", "-c",
                                       "i=0; while [ $i -lt " + std::to_string(kProcesses) +
                                           " ]; do /bin/true; i=$((i+1)); done"},
                                      &shell)
                  .ok());
  SessionOptions options;
  options.self_tgid = static_cast<uint32_t>(getpid());
  options.held_commands = {static_cast<uint32_t>(shell->pid())};
  options.cache_root = testing::MakeTempDir() + "/cache";
  std::unique_ptr<ProbeSession> session;
  Status opened = ProbeSession::Open(options, &session);
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  CountingHandler handler;
  std::unique_ptr<PerfTransport> transport;
  ASSERT_TRUE(PerfTransport::Open(session->events_map_fd(), 256, 1, &handler, &transport).ok());
  ASSERT_TRUE(session->Attach().ok());
  int tasks = session->MapFd("pt_tasks");
  int creds = session->MapFd("pt_creds");
  ASSERT_GE(tasks, 0);
  ASSERT_GE(creds, 0);
  size_t tasks_before = 0, creds_before = 0;
  ASSERT_TRUE(session->CountEntries("pt_tasks", &tasks_before).ok());
  ASSERT_TRUE(session->CountEntries("pt_creds", &creds_before).ok());

  shell->Release();
  int status = -1;
  std::string how;
  while (!shell->Exited(&status, &how)) transport->Poll(50);
  ASSERT_EQ(status, 0) << how;

  // Tasks are freed after an RCU grace period; give them time.
  std::set<uint32_t> leftover_tasks, leftover_creds;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    transport->Poll(100);
    leftover_tasks.clear();
    for (uint32_t tid : TidsWithState(tasks)) {
      if (handler.tids.count(tid) && !Alive(tid)) leftover_tasks.insert(tid);
    }
    leftover_creds.clear();
    for (uint32_t tgid : TgidsWithCredState(creds)) {
      if (handler.tgids.count(tgid) && !Alive(tgid)) leftover_creds.insert(tgid);
    }
  } while ((!leftover_tasks.empty() || !leftover_creds.empty()) &&
           std::chrono::steady_clock::now() < deadline);
  transport->Drain();
  size_t tasks_after = 0, creds_after = 0;
  ASSERT_TRUE(session->CountEntries("pt_tasks", &tasks_after).ok());
  ASSERT_TRUE(session->CountEntries("pt_creds", &creds_after).ok());

  EXPECT_GE(handler.tids.size(), static_cast<size_t>(kProcesses + 1));
  EXPECT_TRUE(leftover_tasks.empty()) << leftover_tasks.size() << " exited tasks still have state";
  EXPECT_TRUE(leftover_creds.empty())
      << leftover_creds.size() << " exited processes still have process-memory state";
  // Other processes on the machine come and go too (tasks get state even
  // outside the scope), so allow a little churn; a leak would be 1,000.
  EXPECT_LE(tasks_after, tasks_before + 50) << "before " << tasks_before;
  EXPECT_LE(creds_after, creds_before + 50) << "before " << creds_before;
  Counters counters{};
  ASSERT_TRUE(session->ReadCounters(&counters).ok());
  EXPECT_EQ(counters[PT_COUNTER_STATE_FULL], 0u);
  EXPECT_EQ(counters[PT_COUNTER_OUTPUT_FAILED], 0u);
  EXPECT_EQ(handler.lost, 0u);
  EXPECT_EQ(handler.bad, 0);
  // The shell's forks, its exec and theirs, and every exit.
  EXPECT_EQ(handler.clones, kProcesses);
  EXPECT_EQ(handler.thread_clones, 0);
  EXPECT_EQ(handler.execs, kProcesses + 1);
  EXPECT_EQ(handler.terminates, kProcesses + 1);
}

}  // namespace
}  // namespace provtrace::probes
