// The state the tracepoint backend keeps for files and their names stays
// bounded: a tree extracted, copied, renamed (a directory with children,
// and a RENAME_EXCHANGE of two directories) and removed on a tmpfs leaves
// no inode or name state behind, and every path-based call on it resolves
// to its real inode (no inode_unknown path node), even for the children of
// a renamed directory.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
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

class Recorder : public RecordHandler {
 public:
  void OnRawRecord(const void* data, size_t size) override {
    DecodedRecord rec;
    if (DecodeRecord(data, size, &rec) != DecodeError::kNone) {
      ++bad;
      return;
    }
    if (rec.kind == DecodedRecord::Kind::kNode &&
        (rec.node.type == NodeType::kSocket || rec.node.type == NodeType::kPipe)) {
      channel_ids[rec.node.inode.ino].insert(rec.node.id);
    }
    if (rec.kind == DecodedRecord::Kind::kNode && rec.node.type == NodeType::kPath &&
        rec.node.inode_unknown()) {
      unknown_paths.push_back(std::string(rec.node.path));
    }
    if (rec.kind == DecodedRecord::Kind::kRelation) {
      if (rec.relation.type == RelationType::kUnlink) ++unlinks;
      if (rec.relation.type == RelationType::kRename) ++renames;
      if (rec.relation.type == RelationType::kFree) ++frees;
    }
  }
  void OnLost(const Lost& lost) override { this->lost += lost.count; }
  std::vector<std::string> unknown_paths;
  std::map<uint64_t, std::set<uint64_t>> channel_ids;  // socket and pipe node ids by inode number
  int bad = 0, unlinks = 0, renames = 0, frees = 0;
  uint64_t lost = 0;
};

// pt_inodes entries of inodes on the file system with device `dev`, other
// than `except` (its root, which still exists).
std::vector<uint64_t> InodesOn(int map_fd, uint32_t dev, uint64_t except, uint64_t* sb) {
  std::vector<uint64_t> found;
  uint64_t key = 0, next = 0;
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
    pt_inode_state state;
    if (bpf_map_lookup_elem(map_fd, &next, &state) == 0 && state.dev == dev) {
      if (state.ino == except) {
        *sb = state.sb;
      } else {
        found.push_back(state.ino);
      }
    }
    key = next;
    previous = &key;
  }
  return found;
}

// pt_names entries naming inodes of superblock `sb`, other than `except`.
size_t NamesOn(int map_fd, uint64_t sb, uint64_t except) {
  size_t count = 0;
  uint64_t key = 0, next = 0;
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
    pt_name_entry entry;
    if (bpf_map_lookup_elem(map_fd, &next, &entry) == 0 && entry.sb == sb && entry.ino != except) {
      ++count;
    }
    key = next;
    previous = &key;
  }
  return count;
}

// Every pt_inodes entry, by key: what a round added is named when the
// count grows (device, inode number, file type), so a failure says where.
std::map<uint64_t, pt_inode_state> InodeStates(int map_fd) {
  std::map<uint64_t, pt_inode_state> states;
  uint64_t key = 0, next = 0;
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map_fd, previous, &next) == 0) {
    pt_inode_state state;
    if (bpf_map_lookup_elem(map_fd, &next, &state) == 0) states[next] = state;
    key = next;
    previous = &key;
  }
  return states;
}

std::string Added(const std::map<uint64_t, pt_inode_state>& before,
                  const std::map<uint64_t, pt_inode_state>& after) {
  std::string text;
  int shown = 0;
  for (const auto& [key, state] : after) {
    if (before.count(key) || ++shown > 10) continue;
    char line[128];
    snprintf(line, sizeof(line), "\n  dev %u:%u ino %llu mode %o", state.dev >> 20,
             state.dev & 0xfffff, static_cast<unsigned long long>(state.ino), state.mode);
    text += line;
  }
  return text;
}

class NameStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
    dir_ = testing::CanonicalTempDir() + "/tmpfs";
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
    ASSERT_EQ(mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=16m"), 0) << strerror(errno);
  }
  void TearDown() override {
    if (!dir_.empty()) umount2(dir_.c_str(), MNT_DETACH);
  }

  // One round of churn in dir_, as a shell script.
  std::vector<std::string> Churn() const {
    std::string w = testing::Workload();
    std::string script = "set -e; cd " + dir_ +
                         "; mkdir -p src/a/b/c src/d"
                         "; for i in 1 2 3 4 5; do echo $i > src/a/f$i; echo $i > src/a/b/g$i;"
                         " echo $i > src/a/b/c/h$i; echo $i > src/d/k$i; done"
                         "; tar cf t.tar src; rm -rf src; mkdir x; tar xf t.tar -C x"
                         "; cp -r x y; mv y z; mv z/src/a z/src/renamed"
                         "; " +
                         w +
                         " exchange z/src/d z/src/renamed"
                         "; chmod 600 z/src/d/f1; ln z/src/d/f2 z/src/d/f2.link"
                         "; rm -rf x z t.tar";
    return {"/bin/sh", "-c", script};
  }

  // Opens a session recording the held commands (their records go to
  // recorder_) and attaches it.
  void Record(const std::vector<uint32_t>& held) {
    SessionOptions options;
    options.self_tgid = static_cast<uint32_t>(getpid());
    options.held_commands = held;
    options.cache_root = testing::MakeTempDir() + "/cache";
    Status opened = ProbeSession::Open(options, &session_);
    ASSERT_TRUE(opened.ok()) << opened.ToString();
    ASSERT_TRUE(
        PerfTransport::Open(session_->events_map_fd(), 256, 1, &recorder_, &transport_).ok());
    ASSERT_TRUE(session_->Attach().ok());
  }

  std::string dir_;
  std::unique_ptr<ProbeSession> session_;
  Recorder recorder_;
  std::unique_ptr<PerfTransport> transport_;
};

TEST_F(NameStateTest, ChurnOnATmpfsLeavesNoStateAndResolvesEveryName) {
  struct stat root;
  ASSERT_EQ(stat(dir_.c_str(), &root), 0);
  // Two rounds, each a command of its own: the first also makes state for
  // the programs it runs (they stay: they exist), the second must add none.
  std::optional<cli::HeldCommand> first, second;
  ASSERT_TRUE(cli::HeldCommand::Spawn(Churn(), &first).ok());
  ASSERT_TRUE(cli::HeldCommand::Spawn(Churn(), &second).ok());
  ASSERT_NO_FATAL_FAILURE(
      Record({static_cast<uint32_t>(first->pid()), static_cast<uint32_t>(second->pid())}));
  ProbeSession* session = session_.get();
  PerfTransport* transport = transport_.get();
  Recorder& recorder = recorder_;
  int inodes = session->MapFd("pt_inodes");
  int names = session->MapFd("pt_names");
  ASSERT_GE(inodes, 0);
  ASSERT_GE(names, 0);

  size_t inodes_after[2] = {0, 0}, names_after[2] = {0, 0};
  std::map<uint64_t, pt_inode_state> states_after[2];
  std::optional<cli::HeldCommand>* rounds[2] = {&first, &second};
  for (int round = 0; round < 2; ++round) {
    cli::HeldCommand& command = **rounds[round];
    command.Release();
    int status = -1;
    std::string how;
    while (!command.Exited(&status, &how)) transport->Poll(50);
    ASSERT_EQ(status, 0) << "round " << round << ": " << how;
    transport->Drain();
    uint64_t sb = 0;
    std::vector<uint64_t> left =
        InodesOn(inodes, static_cast<uint32_t>(root.st_dev), root.st_ino, &sb);
    EXPECT_TRUE(left.empty()) << "round " << round << ": " << left.size()
                              << " removed inodes still have state, e.g. ino " << left[0];
    ASSERT_NE(sb, 0u) << "the tmpfs root has no state: the churn was not recorded";
    EXPECT_EQ(NamesOn(names, sb, root.st_ino), 0u)
        << "round " << round << ": names of removed files remain";
    ASSERT_TRUE(session->CountEntries("pt_inodes", &inodes_after[round]).ok());
    states_after[round] = InodeStates(inodes);
    ASSERT_TRUE(session->CountEntries("pt_names", &names_after[round]).ok());
  }
  EXPECT_EQ(inodes_after[1], inodes_after[0])
      << "inode state grew with a second round; new entries:"
      << Added(states_after[0], states_after[1]);
  EXPECT_EQ(names_after[1], names_after[0]) << "name state grew with a second round";
  EXPECT_TRUE(recorder.unknown_paths.empty())
      << recorder.unknown_paths.size() << " path-based calls did not resolve, e.g. "
      << recorder.unknown_paths[0];
  Counters counters{};
  ASSERT_TRUE(session->ReadCounters(&counters).ok());
  EXPECT_EQ(counters[PT_COUNTER_UNRESOLVED], 0u);
  EXPECT_EQ(counters[PT_COUNTER_OUTPUT_FAILED], 0u);
  EXPECT_EQ(counters[PT_COUNTER_STATE_FULL], 0u);
  EXPECT_EQ(recorder.lost, 0u);
  EXPECT_EQ(recorder.bad, 0);
  // Per round: 5 x 4 files and 4 directories (src, a, b, c / d) unlinked
  // twice (src, then x and z), the tarball, the link: all resolved.
  EXPECT_GE(recorder.unlinks, 2 * 2 * 26);
  EXPECT_GE(recorder.renames, 2 * 4);  // mv y z, mv a renamed, the exchange's two
}

// Sockets and pipes, which this backend sees no inode free for, leave no
// state once closed (the churn above makes some too: a lookup of a user
// name tries nscd's socket), and a close that drops one of several
// references to a channel keeps its state: one node for its whole life.
TEST_F(NameStateTest, ClosedSocketsAndPipesLeaveNoState) {
  std::string list = dir_ + "/channels";
  std::optional<cli::HeldCommand> command;
  ASSERT_TRUE(
      cli::HeldCommand::Spawn({testing::Workload(), "channels", "20", list}, &command).ok());
  ASSERT_NO_FATAL_FAILURE(Record({static_cast<uint32_t>(command->pid())}));
  ProbeSession* session = session_.get();
  PerfTransport* transport = transport_.get();
  Recorder& recorder = recorder_;
  command->Release();
  int status = -1;
  std::string how;
  while (!command->Exited(&status, &how)) transport->Poll(50);
  ASSERT_EQ(status, 0) << how;
  transport->Drain();

  std::ifstream ends(list);
  std::vector<std::pair<uint32_t, uint64_t>> listed;  // (the kernel's dev, ino)
  unsigned long dev = 0, ino = 0;
  while (ends >> dev >> ino) {
    listed.push_back({static_cast<uint32_t>(major(dev) << 20 | minor(dev)), ino});
  }
  ASSERT_EQ(listed.size(), 21u * 3);
  std::map<uint64_t, pt_inode_state> states = InodeStates(session->MapFd("pt_inodes"));
  int left = 0;
  std::string which;
  for (const auto& [key, state] : states) {
    for (const auto& [end_dev, end_ino] : listed) {
      if (state.dev == end_dev && state.ino == end_ino) {
        ++left;
        which += " " + std::to_string(end_ino);
      }
    }
  }
  EXPECT_EQ(left, 0) << "closed channels whose state remains (inode numbers):" << which;
  // The last three ends are the shared socketpair's and pipe's: recorded,
  // and under one node each although the child closed its copies first.
  for (size_t i = listed.size() - 3; i < listed.size(); ++i) {
    uint64_t end_ino = listed[i].second;
    ASSERT_TRUE(recorder.channel_ids.count(end_ino)) << "no node for inode " << end_ino;
    EXPECT_EQ(recorder.channel_ids[end_ino].size(), 1u)
        << "inode " << end_ino << " was freed while its file was still open";
  }
  EXPECT_EQ(recorder.lost, 0u);
}

}  // namespace
}  // namespace provtrace::probes
