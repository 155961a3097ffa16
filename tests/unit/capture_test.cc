// The raw capture: written, read back, written again byte for byte; and a
// clear error at the first bad frame of a damaged one, with everything
// before it delivered.
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>

#include "core/pipeline.h"
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

TEST(CaptureTest, TruncationIsAnErrorAfterTheRecordsBeforeIt) {
  std::string capture = MakeCapture();
  capture.resize(capture.size() - 10);  // cut into the last frame
  Replay replay = ReplayOf(capture);
  EXPECT_EQ(replay.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(replay.status.cause().find("truncated"), std::string::npos) << replay.status.cause();
  EXPECT_NE(replay.status.cause().find("frame 4"), std::string::npos) << replay.status.cause();
  EXPECT_EQ(std::count(replay.json.begin(), replay.json.end(), '\n'), 3);
}

TEST(CaptureTest, CorruptionIsAnErrorAtTheFirstBadFrame) {
  std::string capture = MakeCapture();
  // The second frame's record: break its kind.
  size_t second = 64 + 8 + sizeof(pt_task_node);
  capture[second + 8] = 99;
  Replay replay = ReplayOf(capture);
  EXPECT_EQ(replay.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(replay.status.cause().find("byte " + std::to_string(second)), std::string::npos)
      << replay.status.cause();
  EXPECT_NE(replay.status.cause().find("unknown record kind"), std::string::npos);
  EXPECT_EQ(std::count(replay.json.begin(), replay.json.end(), '\n'), 1);
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
