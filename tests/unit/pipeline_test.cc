#include "core/pipeline.h"

#include <gtest/gtest.h>

#include <map>

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
