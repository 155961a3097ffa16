// The reorder window: lanes in time order merged into one stream in time
// order, released only up to what the transport vouches for.
#include "core/reorder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/unit/records_for_test.h"

namespace provtrace {
namespace {

using testing::ProcRecord;
using testing::RelationRecord;

// What came out, in order: "n<id>@<time>" for nodes, "r<id>@<time>" for
// relations, "lost<count>@<time>" for losses.
class Collector : public RecordHandler {
 public:
  void OnRawRecord(const void* data, size_t size) override {
    pt_record_header hdr;
    memcpy(&hdr, data, sizeof(hdr));
    uint64_t id = 0;
    memcpy(&id, static_cast<const char*>(data) + sizeof(hdr), sizeof(id));
    out.push_back(std::string(hdr.kind == PT_KIND_NODE ? "n" : "r") + std::to_string(id) + "@" +
                  std::to_string(hdr.time_ns));
  }
  void OnLost(const Lost& lost) override {
    out.push_back("lost" + std::to_string(lost.count) + "@" + std::to_string(lost.time_ns));
  }
  std::vector<std::string> out;
};

void Feed(Reorderer& r, int lane, const std::vector<uint8_t>& bytes) {
  r.OnLaneRecord(lane, bytes.data(), bytes.size());
}

TEST(ReorderTest, LanesAreMergedInTimeOrderUpToTheWatermark) {
  Collector c;
  Reorderer r(&c);
  Feed(r, 0, ProcRecord(1, 0, 10, 0, 100));
  Feed(r, 0, ProcRecord(2, 0, 10, 0, 300));
  Feed(r, 1, ProcRecord(3, 0, 10, 0, 200));
  Feed(r, 1, ProcRecord(4, 0, 10, 0, 400));
  EXPECT_TRUE(c.out.empty());  // nothing vouched for yet
  r.OnDrained(350);
  EXPECT_EQ(c.out, (std::vector<std::string>{"n1@100", "n3@200", "n2@300"}));
  EXPECT_EQ(r.held(), 1u);
  r.Flush();
  EXPECT_EQ(c.out.back(), "n4@400");
  EXPECT_EQ(r.late(), 0u);
}

TEST(ReorderTest, ANodeGoesBeforeARelationStampedAtTheSameTime) {
  Collector c;
  Reorderer r(&c);
  Feed(
      r, 0,
      RelationRecord(PT_REL_READ, 9, {1, 0, PT_NODE_FILE, 0}, {2, 0, PT_NODE_TASK, 0}, 0, -1, 500));
  Feed(r, 1, ProcRecord(1, 0, 10, 0, 500));
  r.Flush();
  EXPECT_EQ(c.out, (std::vector<std::string>{"n1@500", "r9@500"}));
}

TEST(ReorderTest, ARecordOlderThanItsLaneIsPutInPlace) {
  // A program that interrupted another on the same CPU handed over first.
  Collector c;
  Reorderer r(&c);
  Feed(r, 0, ProcRecord(1, 0, 10, 0, 100));
  Feed(r, 0, ProcRecord(2, 0, 10, 0, 300));
  Feed(r, 0, ProcRecord(3, 0, 10, 0, 200));
  r.Flush();
  EXPECT_EQ(c.out, (std::vector<std::string>{"n1@100", "n3@200", "n2@300"}));
}

TEST(ReorderTest, ALossKeepsItsPlaceInItsLane) {
  Collector c;
  Reorderer r(&c);
  Feed(r, 0, ProcRecord(1, 0, 10, 0, 100));
  Feed(r, 1, ProcRecord(2, 0, 10, 0, 150));
  Lost lost;
  lost.count = 7;
  lost.cpu = 0;
  lost.time_ns = 999;  // when user space heard of it
  r.OnLost(lost);
  Feed(r, 0, ProcRecord(3, 0, 10, 0, 200));
  r.Flush();
  // After the record before the gap, before those after it.
  EXPECT_EQ(c.out, (std::vector<std::string>{"n1@100", "lost7@100", "n2@150", "n3@200"}));
}

TEST(ReorderTest, ALateRecordGoesOutAtOnceAndIsCounted) {
  Collector c;
  Reorderer r(&c);
  Feed(r, 0, ProcRecord(1, 0, 10, 0, 100));
  r.OnDrained(500);
  Feed(r, 1, ProcRecord(2, 0, 10, 0, 400));  // stamped before the watermark
  EXPECT_EQ(c.out, (std::vector<std::string>{"n1@100", "n2@400"}));
  EXPECT_EQ(r.late(), 1u);
}

TEST(ReorderTest, ManyRecordsStayInOrderAndTheArenaIsReused) {
  Collector c;
  Reorderer r(&c);
  uint64_t t = 1;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 100; ++i) {
      Feed(r, i % 3, ProcRecord(static_cast<uint64_t>(round * 100 + i), 0, 10, 0, t));
      t += 1 + static_cast<uint64_t>(i % 3);
    }
    r.OnDrained(t - 50);
  }
  r.Flush();
  ASSERT_EQ(c.out.size(), 20000u);
  uint64_t last = 0;
  for (const std::string& s : c.out) {
    uint64_t time = std::stoull(s.substr(s.find('@') + 1));
    EXPECT_GE(time, last) << s;
    last = time;
  }
  EXPECT_LT(r.peak_held(), 200u);
  EXPECT_EQ(r.late(), 0u);
}

}  // namespace
}  // namespace provtrace
