#include "core/decoder.h"

#include <gtest/gtest.h>

#include "tests/unit/records_for_test.h"

namespace provtrace {
namespace {

using testing::PathRecord;
using testing::Ref;
using testing::RelationRecord;
using testing::TaskRecord;

TEST(DecoderTest, DecodesTaskNode) {
  auto bytes = TaskRecord(7, 2, 100, 101, "bash", PT_NODE_HISTORY_UNKNOWN, 555);
  DecodedRecord rec;
  ASSERT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kNone);
  ASSERT_EQ(rec.kind, DecodedRecord::Kind::kNode);
  EXPECT_EQ(rec.node.type, NodeType::kTask);
  EXPECT_EQ(rec.node.id, 7u);
  EXPECT_EQ(rec.node.version, 2u);
  EXPECT_EQ(rec.node.time_ns, 555u);
  EXPECT_TRUE(rec.node.history_unknown());
  EXPECT_EQ(rec.node.task.pid, 100u);
  EXPECT_EQ(rec.node.task.tid, 101u);
  EXPECT_STREQ(rec.node.task.comm, "bash");
  EXPECT_EQ(rec.size, bytes.size());
}

TEST(DecoderTest, DecodesPathNode) {
  auto bytes = PathRecord(9, "/usr/bin/ls");
  DecodedRecord rec;
  ASSERT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.node.type, NodeType::kPath);
  EXPECT_EQ(rec.node.path, "/usr/bin/ls");
}

TEST(DecoderTest, DecodesRelation) {
  auto bytes = RelationRecord(PT_REL_CLONE, 11, Ref(1, 3, PT_NODE_TASK), Ref(2, 0, PT_NODE_TASK),
                              0x10000, -1, 777);
  DecodedRecord rec;
  ASSERT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kNone);
  ASSERT_EQ(rec.kind, DecodedRecord::Kind::kRelation);
  EXPECT_EQ(rec.relation.type, RelationType::kClone);
  EXPECT_EQ(rec.relation.id, 11u);
  EXPECT_EQ(rec.relation.from.id, 1u);
  EXPECT_EQ(rec.relation.from.version, 3u);
  EXPECT_EQ(rec.relation.to.id, 2u);
  EXPECT_EQ(rec.relation.flags, 0x10000u);
  EXPECT_EQ(rec.relation.offset, -1);
  EXPECT_EQ(rec.relation.time_ns, 777u);
}

TEST(DecoderTest, DecodesATaskRecordOfTheFirstPublishedSize) {
  auto bytes = TaskRecord(7, 0, 100, 101, "sh");
  bytes.resize(PT_TASK_NODE_MIN_SIZE);
  uint16_t size = PT_TASK_NODE_MIN_SIZE;
  memcpy(bytes.data() + 2, &size, 2);
  DecodedRecord rec;
  ASSERT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.node.task.tid, 101u);
  EXPECT_STREQ(rec.node.task.comm, "sh");
  EXPECT_EQ(rec.node.task.vpid, 0u);  // appended later: absent, so zero
  EXPECT_EQ(rec.node.task.netns, 0u);
}

TEST(DecoderTest, DecodesProcessMemoryInodeAndArgv) {
  DecodedRecord rec;
  auto proc = testing::ProcRecord(3, 1, 500, 1000);
  ASSERT_EQ(DecodeRecord(proc.data(), proc.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.node.type, NodeType::kProcessMemory);
  EXPECT_EQ(rec.node.proc.tgid, 500u);
  EXPECT_EQ(rec.node.proc.uid, 1000u);

  auto inode = testing::InodeRecord(4, 2, PT_NODE_DIRECTORY, 77, 040755);
  ASSERT_EQ(DecodeRecord(inode.data(), inode.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.node.type, NodeType::kDirectory);
  EXPECT_TRUE(IsInodeType(rec.node.type));
  EXPECT_EQ(rec.node.inode.ino, 77u);
  EXPECT_EQ(rec.node.inode.mode, 040755u);

  auto argv = testing::StringsRecord(5, PT_NODE_ARGV, {"ls", "-l", ""});
  ASSERT_EQ(DecodeRecord(argv.data(), argv.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.node.type, NodeType::kArgv);
  EXPECT_EQ(rec.node.string_count, 3u);
  EXPECT_EQ(rec.node.strings, std::string_view("ls\0-l\0\0", 7));
}

TEST(DecoderTest, RejectsStringsLongerThanTheirRecord) {
  auto argv = testing::StringsRecord(5, PT_NODE_ARGV, {"ls"});
  uint32_t len = 100;
  memcpy(argv.data() + offsetof(pt_strings_node, len), &len, 4);
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(argv.data(), argv.size(), &rec), DecodeError::kBadString);
}

TEST(DecoderTest, IgnoresTransportPaddingAfterTheRecord) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  size_t size = bytes.size();
  bytes.resize(size + 4, 0xAA);  // perf pads raw samples to 8 bytes
  DecodedRecord rec;
  ASSERT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.size, size);
}

TEST(DecoderTest, AcceptsALargerBodyFromANewerSchema) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  bytes.resize(bytes.size() + 16, 0);
  pt_record_header hdr;
  memcpy(&hdr, bytes.data(), sizeof(hdr));
  hdr.size = static_cast<uint16_t>(bytes.size());
  memcpy(bytes.data(), &hdr, sizeof(hdr));
  DecodedRecord rec;
  ASSERT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kNone);
  EXPECT_EQ(rec.node.task.pid, 1u);
}

TEST(DecoderTest, RejectsTruncatedHeader) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(bytes.data(), 8, &rec), DecodeError::kTruncated);
}

TEST(DecoderTest, RejectsRecordLongerThanTheBytesAvailable) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size() - 1, &rec), DecodeError::kTruncated);
}

TEST(DecoderTest, RejectsSizeSmallerThanHeader) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  bytes[2] = 4;  // size field
  bytes[3] = 0;
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kBadSize);
}

TEST(DecoderTest, RejectsUnknownKindAndType) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  DecodedRecord rec;
  auto unknown_kind = bytes;
  unknown_kind[0] = 99;
  EXPECT_EQ(DecodeRecord(unknown_kind.data(), unknown_kind.size(), &rec),
            DecodeError::kUnknownKind);
  auto unknown_type = bytes;
  unknown_type[4] = 250;
  EXPECT_EQ(DecodeRecord(unknown_type.data(), unknown_type.size(), &rec),
            DecodeError::kUnknownType);
}

TEST(DecoderTest, RejectsTaskBodyTooShort) {
  auto bytes = TaskRecord(1, 0, 1, 1, "init");
  uint16_t short_size = sizeof(pt_node_common) + 4;
  memcpy(bytes.data() + 2, &short_size, 2);
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kBodyTooShort);
}

TEST(DecoderTest, RejectsPathLongerThanItsRecord) {
  auto bytes = PathRecord(9, "/etc/passwd");
  uint32_t bad_len = 4000;
  memcpy(bytes.data() + offsetof(pt_path_node, path_len), &bad_len, 4);
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kBadString);
}

TEST(DecoderTest, RejectsRelationWithUnknownEndpointType) {
  auto bytes = RelationRecord(PT_REL_CLONE, 1, Ref(1, 0, 77), Ref(2, 0, PT_NODE_TASK));
  DecodedRecord rec;
  EXPECT_EQ(DecodeRecord(bytes.data(), bytes.size(), &rec), DecodeError::kUnknownType);
}

TEST(ModelTest, TypeNamesAreCamFlows) {
  EXPECT_EQ(NodeTypeName(NodeType::kTask), "task");
  EXPECT_EQ(NodeTypeName(NodeType::kProcessMemory), "process_memory");
  EXPECT_EQ(RelationTypeName(RelationType::kVersionActivity), "version_activity");
  EXPECT_EQ(RelationTypeName(RelationType::kTerminateTask), "terminate_task");
  for (uint16_t t = 1; t < PT_NODE_TYPE_MAX; ++t) {
    EXPECT_NE(NodeTypeName(static_cast<NodeType>(t)), "unknown") << t;
  }
  for (uint16_t t = 1; t < PT_RELATION_TYPE_MAX; ++t) {
    EXPECT_NE(RelationTypeName(static_cast<RelationType>(t)), "unknown") << t;
  }
}

// The wire layout is a promise to existing captures: these numbers change
// only with PT_RECORD_SCHEMA_VERSION.
TEST(RecordLayoutTest, SizesAndOffsetsAreStable) {
  EXPECT_EQ(sizeof(pt_record_header), 16u);
  EXPECT_EQ(sizeof(pt_node_ref), 16u);
  EXPECT_EQ(sizeof(pt_node_common), 32u);
  EXPECT_EQ(sizeof(pt_task_node), 120u);
  EXPECT_EQ(offsetof(pt_task_node, vpid), PT_TASK_NODE_MIN_SIZE);
  EXPECT_EQ(sizeof(pt_proc_node), 48u);
  EXPECT_EQ(sizeof(pt_inode_node), 72u);
  EXPECT_EQ(sizeof(pt_strings_node), 40u);
  EXPECT_EQ(sizeof(pt_machine_node), 360u);
  EXPECT_EQ(sizeof(pt_path_node), 40u);
  EXPECT_EQ(sizeof(pt_relation), 72u);
  EXPECT_EQ(offsetof(pt_relation, from), 24u);
  EXPECT_EQ(offsetof(pt_relation, to), 40u);
  EXPECT_EQ(offsetof(pt_task_node, comm), 56u);
}

}  // namespace
}  // namespace provtrace
