// The raw capture: written, read back, written again byte for byte; and a
// clear error at the first bad frame of a damaged one, with everything
// before it delivered.
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "core/pipeline.h"
#include "formats/capture_format.h"
#include "formats/capture_reader.h"
#include "formats/capture_writer.h"
#include "formats/json_lines.h"
#include "tests/unit/records_for_test.h"
#include "tests/unit/string_sink.h"

namespace provtrace::formats {
namespace {

using testing::PathRecord;
using testing::Ref;
using testing::RelationRecord;
using testing::TaskRecord;

CaptureInfo Info() {
  CaptureInfo info;
  info.boot_id = 7;
  info.machine_id = 99;
  info.realtime_offset_ns = 123456789;
  info.backend = "tracepoint";
  return info;
}

// A capture of a few records and a lost event.
std::string MakeCapture() {
  StringSink sink;
  auto writer = NewCaptureWriter(&sink);
  Pipeline pipeline({writer.get()});
  EXPECT_TRUE(pipeline.Begin(Info()).ok());
  for (const auto& r :
       {TaskRecord(17, 0, 1, 1, "init"), PathRecord(18, "/etc/passwd"),
        RelationRecord(PT_REL_READ, 19, Ref(18, 0, PT_NODE_PATH), Ref(17, 0, PT_NODE_TASK))}) {
    pipeline.OnRawRecord(r.data(), r.size());
  }
  Lost lost;
  lost.count = 5;
  lost.cpu = 1;
  lost.time_ns = 1000;
  pipeline.OnLost(lost);
  EXPECT_TRUE(pipeline.End().ok());
  return sink.data;
}

// Replays `capture` into a capture writer and a JSON writer.
struct Replay {
  Status status;
  std::string capture;
  std::string json;
  CaptureInfo info;
};

Replay ReplayOf(const std::string& capture) {
  Replay out;
  StringSink raw, json;
  auto raw_writer = NewCaptureWriter(&raw);
  auto json_writer = NewJsonLinesWriter(&json);
  Pipeline pipeline({raw_writer.get(), json_writer.get()});
  std::unique_ptr<CaptureReader> reader;
  out.status = CaptureReader::FromBytes(capture, &pipeline, &reader);
  if (!out.status.ok()) return out;
  out.info = reader->info();
  EXPECT_TRUE(pipeline.Begin(reader->info()).ok());
  out.status = reader->Drain();
  EXPECT_TRUE(pipeline.End().ok());
  out.capture = raw.data;
  out.json = json.data;
  return out;
}

TEST(CaptureTest, RoundTripIsByteForByte) {
  std::string capture = MakeCapture();
  Replay replay = ReplayOf(capture);
  ASSERT_TRUE(replay.status.ok()) << replay.status.ToString();
  EXPECT_EQ(replay.capture, capture);
  EXPECT_EQ(replay.info.boot_id, 7u);
  EXPECT_EQ(replay.info.machine_id, 99u);
  EXPECT_EQ(replay.info.realtime_offset_ns, 123456789);
  EXPECT_EQ(replay.info.backend, "tracepoint");
  EXPECT_EQ(std::count(replay.json.begin(), replay.json.end(), '\n'), 4);  // 3 records + lost
  EXPECT_NE(replay.json.find("\"kind\":\"lost\""), std::string::npos);
}

TEST(CaptureTest, CompressedCaptureReadsTheSame) {
  std::string capture = MakeCapture();
  std::string compressed(ZSTD_compressBound(capture.size()), '\0');
  size_t n = ZSTD_compress(&compressed[0], compressed.size(), capture.data(), capture.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  compressed.resize(n);
  Replay replay = ReplayOf(compressed);
  ASSERT_TRUE(replay.status.ok()) << replay.status.ToString();
  EXPECT_EQ(replay.capture, capture);
}

// A capture of two blocks: the first with the task node, the second with
// the path and the relation (a flush closes a block).
std::string TwoBlockCapture(size_t* second_block) {
  StringSink sink;
  auto writer = NewCaptureWriter(&sink);
  Pipeline pipeline({writer.get()});
  EXPECT_TRUE(pipeline.Begin(Info()).ok());
  auto task = TaskRecord(17, 0, 1, 1, "init");
  pipeline.OnRawRecord(task.data(), task.size());
  EXPECT_TRUE(pipeline.Flush().ok());
  *second_block = sink.data.size();
  for (const auto& r :
       {PathRecord(18, "/etc/passwd"),
        RelationRecord(PT_REL_READ, 19, Ref(18, 0, PT_NODE_PATH), Ref(17, 0, PT_NODE_TASK))}) {
    pipeline.OnRawRecord(r.data(), r.size());
  }
  EXPECT_TRUE(pipeline.End().ok());
  return sink.data;
}

TEST(CaptureTest, TruncationIsAnErrorAfterTheBlocksBeforeIt) {
  size_t second = 0;
  std::string capture = TwoBlockCapture(&second);
  capture.resize(capture.size() - 10);  // cut into the last block
  Replay replay = ReplayOf(capture);
  EXPECT_EQ(replay.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(replay.status.cause().find("truncated"), std::string::npos) << replay.status.cause();
  EXPECT_NE(replay.status.cause().find("byte " + std::to_string(second)), std::string::npos)
      << replay.status.cause();
  EXPECT_EQ(std::count(replay.json.begin(), replay.json.end(), '\n'), 1);  // the first block's
}

TEST(CaptureTest, CorruptionIsAnErrorAtItsBlockAndNothingOfItIsReplayed) {
  size_t second = 0;
  std::string capture = TwoBlockCapture(&second);
  // A bit of the relation's `to` id: the record still decodes, so only
  // the checksum can tell.
  capture[capture.size() - 30] ^= 0x04;
  Replay replay = ReplayOf(capture);
  EXPECT_EQ(replay.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(replay.status.cause().find("byte " + std::to_string(second)), std::string::npos)
      << replay.status.cause();
  EXPECT_NE(replay.status.cause().find("checksum mismatch"), std::string::npos)
      << replay.status.cause();
  EXPECT_EQ(std::count(replay.json.begin(), replay.json.end(), '\n'), 1);
}

// Every single-bit flip anywhere in a capture, header included, is found:
// a capture never replays as if it were sound when it is not.
TEST(CaptureTest, EveryBitFlipIsFound) {
  size_t second = 0;
  std::string capture = TwoBlockCapture(&second);
  for (size_t byte = 0; byte < capture.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = capture;
      damaged[byte] ^= static_cast<char>(1 << bit);
      Replay replay = ReplayOf(damaged);
      EXPECT_EQ(replay.status.code(), StatusCode::kDataLoss)
          << "byte " << byte << " bit " << bit << " replayed: " << replay.status.ToString();
    }
  }
}

// Captures of format 1 (before checksums: frames with no blocks) replay.
TEST(CaptureTest, FormatOneCapturesStillReplay) {
  CaptureHeader header;
  memset(&header, 0, sizeof(header));
  memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
  header.format_version = 1;
  header.schema_version = 1;
  header.header_size = sizeof(header);
  header.boot_id = 7;
  header.machine_id = 99;
  std::string capture(reinterpret_cast<const char*>(&header), sizeof(header));
  for (const auto& r : {TaskRecord(17, 0, 1, 1, "init"), PathRecord(18, "/etc/passwd")}) {
    uint32_t prefix[2] = {static_cast<uint32_t>(r.size()), 1};
    capture.append(reinterpret_cast<const char*>(prefix), sizeof(prefix));
    capture.append(reinterpret_cast<const char*>(r.data()), r.size());
  }
  Replay replay = ReplayOf(capture);
  ASSERT_TRUE(replay.status.ok()) << replay.status.ToString();
  EXPECT_EQ(replay.info.machine_id, 99u);
  EXPECT_EQ(std::count(replay.json.begin(), replay.json.end(), '\n'), 2);
  EXPECT_NE(replay.json.find("/etc/passwd"), std::string::npos);
}

TEST(CaptureTest, NotACaptureIsRejected) {
  Replay replay = ReplayOf(std::string(100, 'x'));
  EXPECT_EQ(replay.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(replay.status.cause().find("not a provtrace capture"), std::string::npos);
  Replay empty = ReplayOf("");
  EXPECT_EQ(empty.status.code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace provtrace::formats
