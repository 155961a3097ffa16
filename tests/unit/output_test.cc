// Byte sinks and outputs: zstd streams that stay readable after every
// flush, files created safely, rotation.
#include "formats/output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "formats/zstd_sink.h"
#include "tests/unit/records_for_test.h"
#include "tests/unit/string_sink.h"

namespace provtrace::formats {
namespace {

std::string TempDir() {
  std::string t =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/out-XXXXXX";
  EXPECT_NE(mkdtemp(&t[0]), nullptr);
  return t;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Decompresses every frame of `data`; false if it is not complete frames.
bool Decompress(const std::string& data, std::string* out) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_initDStream(ds);
  ZSTD_inBuffer in = {data.data(), data.size(), 0};
  std::string buf(1 << 16, '\0');
  size_t last = 0;
  while (in.pos < in.size) {
    ZSTD_outBuffer o = {&buf[0], buf.size(), 0};
    last = ZSTD_decompressStream(ds, &o, &in);
    if (ZSTD_isError(last)) {
      ZSTD_freeDStream(ds);
      return false;
    }
    out->append(buf.data(), o.pos);
  }
  ZSTD_freeDStream(ds);
  return last == 0;  // 0: the last frame is complete
}

// A sink that keeps what reached it, shared with the test after the zstd
// sink owning it is gone.
class SharedSink : public ByteSink {
 public:
  explicit SharedSink(std::string* data) : data_(data) {}
  Status Write(std::string_view bytes) override {
    data_->append(bytes);
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  uint64_t bytes_written() const override { return data_->size(); }

 private:
  std::string* data_;
};

TEST(ZstdSinkTest, EveryFlushLeavesCompleteFrames) {
  std::string compressed;
  std::unique_ptr<ByteSink> zstd;
  ASSERT_TRUE(NewZstdSink(std::make_unique<SharedSink>(&compressed), 3, &zstd).ok());
  std::string expected;
  for (int i = 0; i < 3; ++i) {
    std::string chunk = "{\"record\":" + std::to_string(i) + "}\n";
    for (int j = 0; j < 1000; ++j) ASSERT_TRUE(zstd->Write(chunk).ok());
    for (int j = 0; j < 1000; ++j) expected += chunk;
    ASSERT_TRUE(zstd->Flush().ok());
    std::string plain;
    ASSERT_TRUE(Decompress(compressed, &plain)) << "after flush " << i;
    EXPECT_EQ(plain, expected);
  }
  EXPECT_LT(compressed.size() * 10, expected.size());  // it does compress
  ASSERT_TRUE(zstd->Close().ok());
}

// A live file's reader (zstdcat) must find whole frames at any time, not
// only after a flush: nothing of a frame reaches the file before its end.
TEST(ZstdSinkTest, OnlyWholeFramesReachTheInnerSinkBetweenFlushes) {
  std::string compressed;
  std::unique_ptr<ByteSink> zstd;
  ASSERT_TRUE(NewZstdSink(std::make_unique<SharedSink>(&compressed), 1, &zstd).ok());
  std::string expected;
  std::string decompressed;
  int frames_seen = 0;
  size_t last_size = 0;
  for (int i = 0; i < 200000; ++i) {
    // Varied records, so that zstd's blocks (128 KiB of input) fill up
    // several times over, and a frame or two reaches its size bound.
    std::string record = "{\"seq\":" + std::to_string(i) +
                         ",\"n\":" + std::to_string((i * 2654435761u) % 1000003) + "}\n";
    expected += record;
    ASSERT_TRUE(zstd->Write(record).ok());
    if (compressed.size() != last_size) {
      last_size = compressed.size();
      ++frames_seen;
      decompressed.clear();
      ASSERT_TRUE(Decompress(compressed, &decompressed)) << "after record " << i;
      EXPECT_EQ(decompressed, expected.substr(0, decompressed.size()));
      EXPECT_EQ(decompressed.back(), '\n');
    }
  }
  EXPECT_GT(frames_seen, 0) << "no frame ended at its size bound: the test tests nothing";
  ASSERT_TRUE(zstd->Flush().ok());
  decompressed.clear();
  ASSERT_TRUE(Decompress(compressed, &decompressed));
  EXPECT_EQ(decompressed, expected);
}

TEST(ZstdSinkTest, RejectsLevelsOutOfRange) {
  std::string sink;
  std::unique_ptr<ByteSink> zstd;
  EXPECT_FALSE(NewZstdSink(std::make_unique<SharedSink>(&sink), 0, &zstd).ok());
  EXPECT_FALSE(NewZstdSink(std::make_unique<SharedSink>(&sink), 99, &zstd).ok());
}

TEST(FileSinkTest, CreatesPrivateFilesAndNeverClobbersOrFollowsLinks) {
  std::string dir = TempDir();
  std::unique_ptr<ByteSink> sink;
  ASSERT_TRUE(OpenFileSink(dir + "/out", false, false, &sink).ok());
  ASSERT_TRUE(sink->Write("x").ok());
  ASSERT_TRUE(sink->Close().ok());
  struct stat st;
  ASSERT_EQ(stat((dir + "/out").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Status exists = OpenFileSink(dir + "/out", false, false, &sink);
  EXPECT_FALSE(exists.ok());
  EXPECT_NE(exists.cause().find("exists"), std::string::npos);
  EXPECT_NE(exists.hint().find("--force"), std::string::npos);
  EXPECT_TRUE(OpenFileSink(dir + "/out", true, false, &sink).ok());

  ASSERT_EQ(symlink((dir + "/target").c_str(), (dir + "/link").c_str()), 0);
  Status link = OpenFileSink(dir + "/link", false, false, &sink);
  EXPECT_FALSE(link.ok());
  EXPECT_NE(link.cause().find("symbolic link"), std::string::npos);
  // --force replaces the link itself (tests/output_files has the rest).
  EXPECT_TRUE(OpenFileSink(dir + "/link", true, false, &sink).ok());
  ASSERT_EQ(lstat((dir + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(access((dir + "/target").c_str(), F_OK), 0);  // nothing written through it
}

TEST(SizeTest, ParsesUnits) {
  EXPECT_EQ(ParseSize("100"), 100u);
  EXPECT_EQ(ParseSize("4k"), 4096u);
  EXPECT_EQ(ParseSize("10M"), 10u << 20);
  EXPECT_EQ(ParseSize("2G"), 2ULL << 30);
  EXPECT_FALSE(ParseSize("").has_value());
  EXPECT_FALSE(ParseSize("M").has_value());
  EXPECT_FALSE(ParseSize("10X").has_value());
  EXPECT_FALSE(ParseSize("-1").has_value());
}

TEST(OutputTest, RotatesIntoCompleteFilesKeepingTheNewest) {
  std::string dir = TempDir();
  OutputSpec spec;
  spec.format = Format::kJson;
  spec.path = dir + "/cap.json";
  spec.rotate_size = 2000;
  spec.rotate_count = 3;
  std::unique_ptr<Output> out;
  ASSERT_TRUE(Output::Open(spec, &out).ok());
  ASSERT_TRUE(out->Begin(CaptureInfo()).ok());
  int records = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 10; ++i) {
      Node node;
      node.type = NodeType::kPath;
      node.id = static_cast<uint64_t>(++records);
      node.path = "/some/path/of/a/decent/length";
      ASSERT_TRUE(out->OnNode(node).ok());
    }
    ASSERT_TRUE(out->Flush().ok());
  }
  ASSERT_TRUE(out->End(Stats()).ok());
  // cap.json, cap.1.json, cap.2.json and no more; each whole JSON lines.
  EXPECT_EQ(access((dir + "/cap.3.json").c_str(), F_OK), -1);
  int lines = 0;
  for (const std::string& name : {"cap.json", "cap.1.json", "cap.2.json"}) {
    std::string text = Slurp(dir + "/" + name);
    ASSERT_FALSE(text.empty()) << name;
    EXPECT_EQ(text.back(), '\n') << name;
    EXPECT_EQ(text.find("{\"kind\":\"node\""), 0u) << name;
    lines += static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }
  EXPECT_LT(lines, records);  // older files were dropped
  // The newest record is in the current file.
  EXPECT_NE(Slurp(dir + "/cap.json").find("\"id\":" + std::to_string(records) + ","),
            std::string::npos);
}

TEST(OutputTest, RotatedNamesKeepTheFormatsSuffixLast) {
  EXPECT_EQ(RotatedName("l.jsonl.zst", 1), "l.1.jsonl.zst");
  EXPECT_EQ(RotatedName("/var/log/prov.jsonl", 2), "/var/log/prov.2.jsonl");
  EXPECT_EQ(RotatedName("cap.prov.json", 1), "cap.1.prov.json");
  EXPECT_EQ(RotatedName("cap.spade.json.zst", 3), "cap.3.spade.json.zst");
  EXPECT_EQ(RotatedName("capture.raw", 1), "capture.1.raw");
  EXPECT_EQ(RotatedName("x.zst", 1), "x.1.zst");
  EXPECT_EQ(RotatedName("out", 1), "out.1");
  EXPECT_EQ(RotatedName("/tmp/a.b/out", 1), "/tmp/a.b/out.1");
  EXPECT_EQ(RotatedName(".hidden", 1), ".hidden.1");
}

// Records of some variety, so that zstd compresses them about as well as
// real ones.
Node PathNode(int i, std::string* storage) {
  *storage =
      "/some/dir/" + std::to_string((i * 2654435761u) % 100003) + "/file" + std::to_string(i);
  Node node;
  node.type = NodeType::kPath;
  node.id = static_cast<uint64_t>(i);
  node.path = *storage;
  return node;
}

// Rotation counts the bytes that reach the disk, compressed ones behind
// zstd, between any two records (a replay flushes only at its end).
TEST(OutputTest, RotationCountsCompressedBytesAndEndsFilesWithFrames) {
  std::string dir = TempDir();
  OutputSpec spec;
  spec.format = Format::kJson;
  spec.path = dir + "/cap.jsonl.zst";
  spec.zstd_level = 1;
  constexpr uint64_t kSize = 64 << 10;
  spec.rotate_size = kSize;
  std::unique_ptr<Output> out;
  ASSERT_TRUE(Output::Open(spec, &out).ok());
  ASSERT_TRUE(out->Begin(CaptureInfo()).ok());
  constexpr int kRecords = 200000;
  std::string storage;
  for (int i = 1; i <= kRecords; ++i) ASSERT_TRUE(out->OnNode(PathNode(i, &storage)).ok());
  ASSERT_TRUE(out->End(Stats()).ok());
  int files = 0;
  size_t lines = 0;
  for (int n = 0;; ++n) {
    std::string name = n == 0 ? spec.path : RotatedName(spec.path, n);
    if (access(name.c_str(), F_OK) != 0) break;
    ++files;
    std::string data = Slurp(name);
    std::string plain;
    ASSERT_TRUE(Decompress(data, &plain)) << name << " is not whole zstd frames";
    ASSERT_FALSE(plain.empty());
    EXPECT_EQ(plain.back(), '\n') << name;
    lines += static_cast<size_t>(std::count(plain.begin(), plain.end(), '\n'));
    if (n > 0) {
      // A full file ends at the first record after SIZE: past it by at most
      // what zstd still held (up to a 128 KiB block of input) compressed.
      EXPECT_GE(data.size(), kSize) << name;
      EXPECT_LE(data.size(), kSize + ZSTD_compressBound(128 << 10)) << name;
    }
  }
  EXPECT_GT(files, 2);
  EXPECT_EQ(lines, static_cast<size_t>(kRecords));
}

TEST(OutputTest, RotationOfPlainFilesEndsAtTheFirstRecordPastTheSize) {
  std::string dir = TempDir();
  OutputSpec spec;
  spec.format = Format::kJson;
  spec.path = dir + "/cap.jsonl";
  constexpr uint64_t kSize = 16 << 10;
  spec.rotate_size = kSize;
  std::unique_ptr<Output> out;
  ASSERT_TRUE(Output::Open(spec, &out).ok());
  ASSERT_TRUE(out->Begin(CaptureInfo()).ok());
  std::string storage;
  for (int i = 1; i <= 2000; ++i) ASSERT_TRUE(out->OnNode(PathNode(i, &storage)).ok());
  ASSERT_TRUE(out->End(Stats()).ok());
  int files = 0;
  for (int n = 1; access(RotatedName(spec.path, n).c_str(), F_OK) == 0; ++n) {
    std::string data = Slurp(RotatedName(spec.path, n));
    ++files;
    EXPECT_GE(data.size(), kSize);
    // Past SIZE by less than its last record (a line).
    size_t last_line = data.size() - 1 - data.rfind('\n', data.size() - 2);
    EXPECT_LT(data.size() - last_line, kSize);
  }
  EXPECT_GT(files, 2);
}

// Records that share standard output's terminal with a status line are
// written only between BeforeRecords and AfterRecords.
class RecordingTerminal : public SharedTerminal {
 public:
  explicit RecordingTerminal(int fd) : fd_(fd) {}
  void BeforeRecords() override {
    EXPECT_FALSE(inside_);
    EXPECT_EQ(Size(), size_after_) << "records were written outside BeforeRecords/AfterRecords";
    inside_ = true;
    ++writes;
  }
  void AfterRecords() override {
    EXPECT_TRUE(inside_);
    inside_ = false;
    size_after_ = Size();
    char last = 0;
    EXPECT_EQ(pread(fd_, &last, 1, size_after_ - 1), 1);
    EXPECT_EQ(last, '\n') << "records did not end a line";
  }
  int writes = 0;

 private:
  off_t Size() const {
    struct stat st;
    return fstat(fd_, &st) == 0 ? st.st_size : -1;
  }
  int fd_;
  bool inside_ = false;
  off_t size_after_ = 0;
};

TEST(OutputTest, RecordsOnASharedTerminalAreBracketedForTheStatusLine) {
  std::string file = TempDir() + "/stdout";
  int fd = open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  int saved = dup(STDOUT_FILENO);
  fflush(stdout);
  ASSERT_EQ(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
  {
    RecordingTerminal terminal(STDOUT_FILENO);
    for (bool unbuffered : {false, true}) {
      OutputSpec spec;
      spec.format = Format::kJson;
      spec.unbuffered = unbuffered;
      spec.terminal = &terminal;
      std::unique_ptr<Output> out;
      ASSERT_TRUE(Output::Open(spec, &out).ok());
      ASSERT_TRUE(out->Begin(CaptureInfo()).ok());
      std::string storage;
      for (int i = 1; i <= 5000; ++i) {
        ASSERT_TRUE(out->OnNode(PathNode(i, &storage)).ok());
        if (i % 1000 == 0) ASSERT_TRUE(out->Flush().ok());
      }
      ASSERT_TRUE(out->End(Stats()).ok());
    }
    EXPECT_GT(terminal.writes, 5000);  // -u: one write per record
  }
  dup2(saved, STDOUT_FILENO);
  close(saved);
  close(fd);
  std::string data = Slurp(file);
  EXPECT_EQ(std::count(data.begin(), data.end(), '\n'), 10000);
}

}  // namespace
}  // namespace provtrace::formats
