// Byte sinks and outputs: zstd streams that stay readable after every
// flush, files created safely, rotation.
#include "formats/output.h"

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

TEST(ZstdSinkTest, RejectsLevelsOutOfRange) {
  std::string sink;
  std::unique_ptr<ByteSink> zstd;
  EXPECT_FALSE(NewZstdSink(std::make_unique<SharedSink>(&sink), 0, &zstd).ok());
  EXPECT_FALSE(NewZstdSink(std::make_unique<SharedSink>(&sink), 99, &zstd).ok());
}

TEST(FileSinkTest, CreatesPrivateFilesAndRefusesToClobberOrFollowLinks) {
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
  Status link = OpenFileSink(dir + "/link", true, false, &sink);
  EXPECT_FALSE(link.ok());
  EXPECT_NE(link.cause().find("symbolic link"), std::string::npos);
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
  // cap.json, cap.json.1, cap.json.2 and no more; each whole JSON lines.
  EXPECT_EQ(access((dir + "/cap.json.3").c_str(), F_OK), -1);
  int lines = 0;
  for (const std::string& name : {"cap.json", "cap.json.1", "cap.json.2"}) {
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

}  // namespace
}  // namespace provtrace::formats
