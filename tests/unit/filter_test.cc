#include "core/filter.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/decoder.h"
#include "tests/unit/records_for_test.h"

namespace provtrace {
namespace {

using testing::PathRecord;
using testing::Ref;
using testing::RelationRecord;
using testing::TaskRecord;

// Feeds wire records through the filter; returns what it kept, as
// "n<id>" for nodes and the relation type name for relations.
std::vector<std::string> Kept(Filter& filter, const std::vector<std::vector<uint8_t>>& records) {
  std::vector<std::string> kept;
  for (const auto& r : records) {
    DecodedRecord rec;
    EXPECT_EQ(DecodeRecord(r.data(), r.size(), &rec), DecodeError::kNone);
    if (rec.kind == DecodedRecord::Kind::kNode) {
      if (filter.KeepNode(rec.node)) kept.push_back("n" + std::to_string(rec.node.id));
    } else if (filter.KeepRelation(rec.relation)) {
      kept.push_back(std::string(RelationTypeName(rec.relation.type)) + "#" +
                     std::to_string(rec.relation.id));
    }
  }
  return kept;
}

// Task 1 reads /etc/passwd (inode 3), writes /tmp/out (inode 5), and
// clones task 8; task 8 reads /tmp/out.
std::vector<std::vector<uint8_t>> Stream() {
  return {
      TaskRecord(1, 0, 100, 100, "sh"),
      testing::InodeRecord(3, 0, PT_NODE_FILE, 30, 0100644),
      PathRecord(2, "/etc/passwd"),
      RelationRecord(PT_REL_NAMED, 10, Ref(2, 0, PT_NODE_PATH), Ref(3, 0, PT_NODE_FILE)),
      RelationRecord(PT_REL_READ, 11, Ref(3, 0, PT_NODE_FILE), Ref(1, 0, PT_NODE_TASK)),
      testing::InodeRecord(5, 0, PT_NODE_FILE, 50, 0100644),
      PathRecord(4, "/tmp/out"),
      RelationRecord(PT_REL_NAMED, 12, Ref(4, 0, PT_NODE_PATH), Ref(5, 0, PT_NODE_FILE)),
      RelationRecord(PT_REL_WRITE, 13, Ref(1, 0, PT_NODE_TASK), Ref(5, 0, PT_NODE_FILE)),
      TaskRecord(8, 0, 101, 101, "cat"),
      RelationRecord(PT_REL_CLONE, 14, Ref(1, 0, PT_NODE_TASK), Ref(8, 0, PT_NODE_TASK)),
      RelationRecord(PT_REL_READ, 15, Ref(5, 0, PT_NODE_FILE), Ref(8, 0, PT_NODE_TASK)),
  };
}

using Strings = std::vector<std::string>;

TEST(FilterTest, RelationFilterAndOnly) {
  FilterSpec spec;
  ASSERT_TRUE(ParseRelationTypes("named,clone", &spec.exclude_relations).ok());
  Filter without(spec);
  EXPECT_EQ(Kept(without, Stream()),
            (Strings{"n1", "n3", "n2", "read#11", "n5", "n4", "write#13", "n8", "read#15"}));
  FilterSpec only;
  ASSERT_TRUE(ParseRelationTypes("write", &only.only_relations).ok());
  Filter filter(only);
  Strings kept = Kept(filter, Stream());
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "write#13"), 1);
  EXPECT_EQ(std::count_if(kept.begin(), kept.end(), [](auto& k) { return k[0] != 'n'; }), 1);
}

TEST(FilterTest, NodeFilterDropsTheNodesAndTheirRelations) {
  FilterSpec spec;
  ASSERT_TRUE(ParseNodeTypes("path", &spec.exclude_nodes).ok());
  Filter filter(spec);
  EXPECT_EQ(Kept(filter, Stream()),
            (Strings{"n1", "n3", "read#11", "n5", "write#13", "n8", "clone#14", "read#15"}));
}

TEST(FilterTest, PathPrefixes) {
  FilterSpec exclude;
  exclude.exclude_paths = {"/etc"};
  Filter no_etc(exclude);
  Strings kept = Kept(no_etc, Stream());
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#11"), 0);  // /etc/passwd
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "n2"), 0);       // its path node
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "write#13"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "clone#14"), 1);  // no file: kept

  FilterSpec include;
  include.include_paths = {"/tmp"};
  Filter only_tmp(include);
  kept = Kept(only_tmp, Stream());
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#11"), 0);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#15"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "clone#14"), 1);

  EXPECT_TRUE(PathUnder("/tmp/x", "/tmp"));
  EXPECT_TRUE(PathUnder("/tmp", "/tmp"));
  EXPECT_FALSE(PathUnder("/tmpx", "/tmp"));
  EXPECT_TRUE(PathUnder("/anything", "/"));
}

TEST(FilterTest, TrackingAndPropagation) {
  FilterSpec track;
  track.track_paths = {"/etc/passwd"};
  Filter tracked(track);
  Strings kept = Kept(tracked, Stream());
  // Only what touches /etc/passwd (tracked from its named relation on).
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#11"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "write#13"), 0);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#15"), 0);

  track.propagate = true;
  Filter propagating(track);
  kept = Kept(propagating, Stream());
  // sh read it, so sh is tracked; what sh wrote and whom it cloned too,
  // and so cat's read of /tmp/out.
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#11"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "write#13"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "clone#14"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#15"), 1);

  FilterSpec by_pid;
  by_pid.track_pids = {101};
  Filter pid(by_pid);
  kept = Kept(pid, Stream());
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#15"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "clone#14"), 1);
  EXPECT_EQ(std::count(kept.begin(), kept.end(), "read#11"), 0);
}

TEST(HeldNodesTest, HoldsUntilTakenAndDropsTheOldestWhenFull) {
  HeldNodes held(/*max_nodes=*/2, /*max_bytes=*/1 << 20);
  auto a = TaskRecord(1, 0, 100, 100, "a");
  auto b = TaskRecord(2, 0, 100, 100, "b");
  auto c = TaskRecord(3, 0, 100, 100, "c");
  held.Hold(1, 0, a.data(), a.size());
  held.Hold(2, 0, b.data(), b.size());
  std::vector<uint8_t> out;
  EXPECT_TRUE(held.Take(1, 0, &out));
  EXPECT_EQ(out, a);
  EXPECT_FALSE(held.Take(1, 0, &out));  // once
  held.Hold(1, 1, a.data(), a.size());
  held.Hold(3, 0, c.data(), c.size());  // full: 2 (the oldest) goes
  EXPECT_EQ(held.size(), 2u);
  EXPECT_EQ(held.dropped(), 1u);
  EXPECT_FALSE(held.Holds(2, 0));
  EXPECT_TRUE(held.Holds(1, 1));
  EXPECT_TRUE(held.Holds(3, 0));
}

TEST(HeldNodesTest, BoundedByBytesToo) {
  auto big = PathRecord(1, std::string(1000, 'x'));
  HeldNodes held(/*max_nodes=*/100, /*max_bytes=*/3 * big.size());
  for (uint64_t id = 1; id <= 10; ++id) held.Hold(id, 0, big.data(), big.size());
  EXPECT_EQ(held.size(), 3u);
  EXPECT_EQ(held.dropped(), 7u);
  EXPECT_TRUE(held.Holds(10, 0));
  EXPECT_FALSE(held.Holds(7, 0));
  // Holding and taking many in turn: room for the first was made by
  // dropping one more; the others are taken, and drop nothing.
  for (uint64_t id = 100; id < 100000; ++id) {
    held.Hold(id, 0, big.data(), 10);
    std::vector<uint8_t> out;
    ASSERT_TRUE(held.Take(id, 0, &out));
  }
  EXPECT_EQ(held.size(), 2u);
  EXPECT_EQ(held.dropped(), 8u);
}

TEST(FilterTest, UnknownTypeNamesAreErrors) {
  std::set<NodeType> nodes;
  std::set<RelationType> relations;
  EXPECT_FALSE(ParseNodeTypes("task,bogus", &nodes).ok());
  EXPECT_FALSE(ParseRelationTypes("readx", &relations).ok());
  EXPECT_TRUE(ParseRelationTypes("read,write,", &relations).ok());
  EXPECT_EQ(relations.size(), 2u);
}

}  // namespace
}  // namespace provtrace
