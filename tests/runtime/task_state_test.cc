// Per-task state is freed with the task: after 1,000 short-lived processes
// the task map is back where it started, and none of their entries remain.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

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
  uint64_t lost = 0;
};

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

TEST(TaskStateTest, StateIsFreedWithTheTask) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  SessionOptions options;
  options.scope_roots = {static_cast<uint32_t>(getpid())};  // this test's children only
  options.cache_root = testing::MakeTempDir() + "/cache";
  std::unique_ptr<ProbeSession> session;
  Status opened = ProbeSession::Open(options, &session);
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  CountingHandler handler;
  std::unique_ptr<PerfTransport> transport;
  ASSERT_TRUE(PerfTransport::Open(session->events_map_fd(), 256, &handler, &transport).ok());
  int tasks = session->MapFd("pt_tasks");
  ASSERT_GE(tasks, 0);

  // A reader thread keeps the buffers drained while the processes run.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) transport->Poll(50);
  });

  size_t before = 0;
  ASSERT_TRUE(session->CountEntries("pt_tasks", &before).ok());
  constexpr int kProcesses = 1000;
  std::set<uint32_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", nullptr);
      _exit(127);
    }
    ASSERT_GT(pid, 0);
    children.insert(static_cast<uint32_t>(pid));
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  // Tasks are freed after an RCU grace period; give them time.
  std::set<uint32_t> leftover;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    leftover.clear();
    for (uint32_t tid : TidsWithState(tasks)) {
      if (children.count(tid)) leftover.insert(tid);
    }
  } while (!leftover.empty() && std::chrono::steady_clock::now() < deadline);
  size_t after = 0;
  ASSERT_TRUE(session->CountEntries("pt_tasks", &after).ok());
  done = true;
  reader.join();
  transport->Drain();

  EXPECT_TRUE(leftover.empty()) << leftover.size() << " exited children still have state";
  // Other processes on the machine come and go too (they get state even
  // outside the scope), so allow a little churn; a leak would be 1,000.
  EXPECT_LE(after, before + 50) << "before " << before << ", after " << after;
  Counters counters{};
  ASSERT_TRUE(session->ReadCounters(&counters).ok());
  EXPECT_EQ(counters[PT_COUNTER_STATE_FULL], 0u);
  EXPECT_EQ(counters[PT_COUNTER_OUTPUT_FAILED], 0u);
  EXPECT_EQ(handler.lost, 0u);
  EXPECT_EQ(handler.bad, 0);
  // Every process, and the reader thread (a task of this traced process).
  EXPECT_EQ(handler.clones, kProcesses);
  EXPECT_EQ(handler.thread_clones, 1);
  EXPECT_EQ(handler.execs, kProcesses);
  EXPECT_EQ(handler.terminates, kProcesses + 1);
}

}  // namespace
}  // namespace provtrace::probes
