#include "core/pipeline.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/unit/records_for_test.h"

namespace provtrace {
namespace {

class CountingSink : public RecordSink {
 public:
  Status Begin(const CaptureInfo&) override { return Status::Ok(); }
  Status OnNode(const Node&) override {
    ++nodes;
    return fail_after >= 0 && nodes > fail_after ? IoError("disk full") : Status::Ok();
  }
  Status OnRelation(const Relation&) override {
    ++relations;
    return Status::Ok();
  }
  Status OnLost(const Lost& lost) override {
    lost_count += lost.count;
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  Status End(const Stats&) override { return Status::Ok(); }
  int nodes = 0, relations = 0, fail_after = -1;
  uint64_t lost_count = 0;
};

TEST(PipelineTest, CountsBadRecordsAndKeepsGoing) {
  CountingSink sink;
  Pipeline pipeline({&sink});
  auto good = testing::TaskRecord(1, 0, 1, 1, "a");
  std::vector<uint8_t> garbage(5, 0xff);
  pipeline.OnRawRecord(garbage.data(), garbage.size());
  pipeline.OnRawRecord(good.data(), good.size());
  EXPECT_EQ(pipeline.stats().records_received, 2u);
  EXPECT_EQ(pipeline.stats().records_bad, 1u);
  EXPECT_EQ(pipeline.stats().nodes, 1u);
  EXPECT_EQ(sink.nodes, 1);
  EXPECT_TRUE(pipeline.status().ok());
}

TEST(PipelineTest, StopsPassingRecordsAfterASinkError) {
  CountingSink sink;
  sink.fail_after = 1;
  Pipeline pipeline({&sink});
  auto rec = testing::TaskRecord(1, 0, 1, 1, "a");
  for (int i = 0; i < 5; ++i) pipeline.OnRawRecord(rec.data(), rec.size());
  EXPECT_EQ(sink.nodes, 2);
  EXPECT_FALSE(pipeline.status().ok());
  EXPECT_EQ(pipeline.status().code(), StatusCode::kIoError);
  EXPECT_EQ(pipeline.stats().records_received, 5u);
}

TEST(PipelineTest, PassesLostCountsOn) {
  CountingSink sink;
  Pipeline pipeline({&sink});
  Lost lost;
  lost.count = 3;
  pipeline.OnLost(lost);
  pipeline.OnLost(lost);
  EXPECT_EQ(sink.lost_count, 6u);
  EXPECT_EQ(pipeline.stats().lost_reported, 6u);
}

TEST(PipelineTest, CountsThePerfBuffersOwnNotificationsByCpu) {
  CountingSink sink;
  Pipeline pipeline({&sink});
  Lost perf;
  perf.source = LostSource::kPerfBuffer;
  perf.count = 4;
  perf.cpu = 1;
  Lost bpf;
  bpf.source = LostSource::kBpfOutput;
  bpf.count = 7;
  bpf.cpu = 0;
  pipeline.OnLost(perf);
  pipeline.OnLost(bpf);
  EXPECT_EQ(pipeline.stats().lost_reported, 11u);
  EXPECT_EQ(pipeline.stats().lost_perf_notified, 4u);
  EXPECT_EQ(pipeline.stats().lost_perf_notified_by_cpu, (std::map<int, uint64_t>{{1, 4}}));
}

// What reached a sink, in order: "n<id>.<version>" for nodes, the
// relation type name for relations; and what it only learned from.
class OrderSink : public RecordSink {
 public:
  Status Begin(const CaptureInfo&) override { return Status::Ok(); }
  Status OnCaptureInfo(const CaptureInfo&) override { return Status::Ok(); }
  Status OnNode(const Node& node) override {
    out.push_back("n" + std::to_string(node.id) + "." + std::to_string(node.version));
    return Status::Ok();
  }
  Status OnRelation(const Relation& rel) override {
    out.push_back(std::string(RelationTypeName(rel.type)));
    return Status::Ok();
  }
  Status OnLost(const Lost&) override { return Status::Ok(); }
  void OnFilteredNode(const Node& node) override { learned.push_back(node.id); }
  Status Flush() override { return Status::Ok(); }
  Status End(const Stats&) override { return Status::Ok(); }
  std::vector<std::string> out;
  std::vector<uint64_t> learned;
};

std::vector<uint8_t> MachineRecord(uint64_t id) {
  pt_machine_node n;
  memset(&n, 0, sizeof(n));
  n.node.hdr = {PT_KIND_NODE, sizeof(n), PT_NODE_MACHINE, 0, 500};
  n.node.id = id;
  strcpy(n.nodename, "host");
  return testing::Bytes(n);
}

// The machine; task 1 (versions 0 and 1) opens and reads /etc/passwd
// (inode 3, path 2) and writes /tmp/out (inode 5, path 4); task 8 is
// cloned and exits.
std::vector<std::vector<uint8_t>> Stream() {
  using testing::Ref;
  using testing::RelationRecord;
  return {
      MachineRecord(99),
      testing::TaskRecord(1, 0, 100, 100, "sh"),
      testing::TaskRecord(1, 1, 100, 100, "sh"),
      RelationRecord(PT_REL_VERSION_ACTIVITY, 20, Ref(1, 0, PT_NODE_TASK), Ref(1, 1, PT_NODE_TASK)),
      testing::PathRecord(2, "/etc/passwd"),
      testing::InodeRecord(3, 0, PT_NODE_FILE, 30, 0100644),
      RelationRecord(PT_REL_NAMED, 10, Ref(2, 0, PT_NODE_PATH), Ref(3, 0, PT_NODE_FILE)),
      RelationRecord(PT_REL_OPEN, 11, Ref(3, 0, PT_NODE_FILE), Ref(1, 1, PT_NODE_TASK)),
      RelationRecord(PT_REL_READ, 12, Ref(3, 0, PT_NODE_FILE), Ref(1, 1, PT_NODE_TASK)),
      testing::PathRecord(4, "/tmp/out"),
      testing::InodeRecord(5, 0, PT_NODE_FILE, 50, 0100644),
      RelationRecord(PT_REL_NAMED, 13, Ref(4, 0, PT_NODE_PATH), Ref(5, 0, PT_NODE_FILE)),
      RelationRecord(PT_REL_WRITE, 14, Ref(1, 1, PT_NODE_TASK), Ref(5, 0, PT_NODE_FILE)),
      testing::TaskRecord(8, 0, 101, 101, "sh"),
      RelationRecord(PT_REL_CLONE, 15, Ref(1, 1, PT_NODE_TASK), Ref(8, 0, PT_NODE_TASK)),
      testing::TaskRecord(8, 1, 101, 101, "sh"),
      RelationRecord(PT_REL_TERMINATE_TASK, 16, Ref(8, 0, PT_NODE_TASK), Ref(8, 1, PT_NODE_TASK)),
  };
}

using Strings = std::vector<std::string>;

Strings RunFiltered(const FilterSpec& spec, uint64_t max_records, OrderSink* sink, Stats* stats) {
  Filter filter(spec);
  Pipeline pipeline({sink});
  pipeline.set_filter(&filter);
  pipeline.set_max_records(max_records);
  for (const auto& r : Stream()) {
    if (pipeline.done()) break;
    pipeline.OnRawRecord(r.data(), r.size());
  }
  EXPECT_TRUE(pipeline.End().ok());
  *stats = pipeline.stats();
  return sink->out;
}

TEST(PipelineFilterTest, OnlyTheNodesKeptRelationsNameGoOutJustBeforeThem) {
  FilterSpec only_write;
  ASSERT_TRUE(ParseRelationTypes("write", &only_write.only_relations).ok());
  OrderSink sink;
  Stats stats;
  EXPECT_EQ(RunFiltered(only_write, 0, &sink, &stats), (Strings{"n99.0", "n1.1", "n5.0", "write"}));
  // The rest was left out, and counted so; sinks learned from every node.
  EXPECT_EQ(stats.records_out, 4u);
  EXPECT_EQ(stats.records_filtered, stats.nodes + stats.relations - stats.records_out);
  EXPECT_EQ(sink.learned.size(), 8u);  // every node but the machine's
}

TEST(PipelineFilterTest, ANodeNamedTwiceGoesOutOnce) {
  FilterSpec only;
  ASSERT_TRUE(ParseRelationTypes("open,read,clone", &only.only_relations).ok());
  OrderSink sink;
  Stats stats;
  EXPECT_EQ(RunFiltered(only, 0, &sink, &stats),
            (Strings{"n99.0", "n3.0", "n1.1", "open", "read", "n8.0", "clone"}));
}

TEST(PipelineFilterTest, TrackingAPidKeepsItsRelationsNodes) {
  FilterSpec by_pid;
  by_pid.track_pids = {101};
  OrderSink sink;
  Stats stats;
  EXPECT_EQ(RunFiltered(by_pid, 0, &sink, &stats),
            (Strings{"n99.0", "n1.1", "n8.0", "clone", "n8.1", "terminate_task"}));
}

TEST(PipelineFilterTest, NoFilterPassesEveryNodeAtOnce) {
  OrderSink sink;
  Pipeline pipeline({&sink});
  for (const auto& r : Stream()) pipeline.OnRawRecord(r.data(), r.size());
  EXPECT_EQ(sink.out.size(), Stream().size());
  EXPECT_EQ(sink.out[1], "n1.0");
}

TEST(PipelineFilterTest, MaxRecordsCountsWhatIsWrittenExactly) {
  FilterSpec none;
  Stats stats;
  // Without a filter: exactly N, whatever they are.
  for (uint64_t n : {1, 2, 5, 9}) {
    OrderSink sink;
    Pipeline pipeline({&sink});
    pipeline.set_max_records(n);
    for (const auto& r : Stream()) pipeline.OnRawRecord(r.data(), r.size());
    EXPECT_EQ(sink.out.size(), n);
    EXPECT_EQ(pipeline.stats().records_out, n);
    EXPECT_TRUE(pipeline.done());
  }
  // With one: a relation goes out with its nodes or not at all, so the
  // output holds N or stops short of a group that would pass N.
  FilterSpec only;
  ASSERT_TRUE(ParseRelationTypes("open,read,clone", &only.only_relations).ok());
  OrderSink four;
  EXPECT_EQ(RunFiltered(only, 4, &four, &stats), (Strings{"n99.0", "n3.0", "n1.1", "open"}));
  EXPECT_EQ(stats.records_out, 4u);
  OrderSink six;  // the clone and its node would make 7
  EXPECT_EQ(RunFiltered(only, 6, &six, &stats), (Strings{"n99.0", "n3.0", "n1.1", "open", "read"}));
  EXPECT_EQ(stats.records_out, 5u);
  OrderSink three;  // open and its two nodes would make 4: the machine alone
  EXPECT_EQ(RunFiltered(only, 3, &three, &stats), (Strings{"n99.0"}));
}

// More nodes held than HeldNodes keeps: the oldest are dropped, and
// --stats says how many, next to the records written.
TEST(PipelineFilterTest, HeldNodesDroppedAreCountedAndShownByStats) {
  FilterSpec only_write;
  ASSERT_TRUE(ParseRelationTypes("write", &only_write.only_relations).ok());
  Filter filter(only_write);
  OrderSink sink;
  Pipeline pipeline({&sink});
  pipeline.set_filter(&filter);
  constexpr uint64_t kOver = 5;
  for (uint64_t id = 1; id <= HeldNodes::kMaxNodes + kOver; ++id) {
    auto task = testing::TaskRecord(id, 0, 100, 100, "sh");
    pipeline.OnRawRecord(task.data(), task.size());
  }
  // The last task writes a file: the relation and its two nodes go out.
  uint64_t last = HeldNodes::kMaxNodes + kOver;
  auto inode = testing::InodeRecord(last + 1, 0, PT_NODE_FILE, 50, 0100644);
  pipeline.OnRawRecord(inode.data(), inode.size());
  auto write = testing::RelationRecord(PT_REL_WRITE, 14, testing::Ref(last, 0, PT_NODE_TASK),
                                       testing::Ref(last + 1, 0, PT_NODE_FILE));
  pipeline.OnRawRecord(write.data(), write.size());
  ASSERT_TRUE(pipeline.End().ok());
  const Stats& stats = pipeline.stats();
  // The inode was held too, so kOver + 1 of the oldest went.
  EXPECT_EQ(stats.held_nodes_dropped, kOver + 1);
  EXPECT_EQ(stats.records_out, 3u);
  std::string summary = stats.Summary();
  EXPECT_NE(summary.find("held nodes dropped:    " + std::to_string(kOver + 1) + "\n"),
            std::string::npos)
      << summary;
  EXPECT_NE(summary.find("records written:         3\n"), std::string::npos) << summary;
}

// -r kafka:// merges captures whose node ids overlap: a node held for one
// machine goes out only for a relation of that machine.
TEST(PipelineFilterTest, HeldNodesBelongToTheirCapture) {
  FilterSpec only_write;
  ASSERT_TRUE(ParseRelationTypes("write", &only_write.only_relations).ok());
  Filter filter(only_write);
  OrderSink sink;
  Pipeline pipeline({&sink});
  pipeline.set_filter(&filter);
  CaptureInfo a, b;
  a.machine_id = 1;
  b.machine_id = 2;
  auto feed = [&](const std::vector<uint8_t>& r) { pipeline.OnRawRecord(r.data(), r.size()); };
  ASSERT_TRUE(pipeline.Begin(a).ok());
  feed(testing::TaskRecord(1, 0, 100, 100, "a"));
  feed(testing::InodeRecord(5, 0, PT_NODE_FILE, 50, 0100644));
  ASSERT_TRUE(pipeline.OnCaptureInfo(b).ok());
  // Machine 2 writes from its task 1 to its file 5, neither of which it
  // described (they came before the capture, or were lost).
  feed(testing::RelationRecord(PT_REL_WRITE, 14, testing::Ref(1, 0, PT_NODE_TASK),
                               testing::Ref(5, 0, PT_NODE_FILE)));
  ASSERT_TRUE(pipeline.OnCaptureInfo(a).ok());
  feed(testing::RelationRecord(PT_REL_WRITE, 15, testing::Ref(1, 0, PT_NODE_TASK),
                               testing::Ref(5, 0, PT_NODE_FILE)));
  EXPECT_EQ(sink.out, (Strings{"write", "n1.0", "n5.0", "write"}));
}

TEST(StatsTest, LostTakesTheBpfCountWhichPerfReportsAgain) {
  Stats s;
  s.bpf_output_failed = 10;
  s.lost_reported = 10;
  EXPECT_EQ(s.lost(), 10u);
  s.lost_reported = 12;  // a transport that drops more than BPF saw
  EXPECT_EQ(s.lost(), 12u);
}

}  // namespace
}  // namespace provtrace
