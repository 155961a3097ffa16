// CompileImage (what provtrace's session calls) against a tampered cache,
// with a small program: every refusal is one warning line naming the path
// and why, the image comes from a fresh compile, and the cache holds a good
// entry again afterwards. (cache_refusal_test runs the same plants through
// the provtrace binary.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "probes/cache_dir.h"
#include "probes/program_image.h"
#include "tests/security/planting.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

constexpr uid_t kNobody = 65534;

// Includes the tree's headers (every BCC compile does) and has the
// function the image plant disarms.
constexpr char kProgram[] = R"(
RAW_TRACEPOINT_PROBE(sched_process_exec) {
  struct task_struct *task = (struct task_struct *)ctx->args[0];
  return task != 0;
}
)";

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

class CompileImageRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root to chown plants (and BCC to create maps)";
    options_.cache_root = MakeTempDir() + "/cache";
    options_.what = "test program";
    probes::CompileTimings timings;
    Status s = probes::CompileImage(kProgram, options_, &fresh_, &timings);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(timings.warnings.empty()) << Joined(timings.warnings);
    image_ = timings.image_path;
    tree_ = timings.tree_path;
    image_name_ = image_.substr(image_.rfind('/') + 1);
    header_ = tree_ + "/include/provtrace/vmlinux.h";
  }

  // Compiles again; expects one warning holding every part, a fresh
  // compile, and the same image as a clean compile gives.
  void ExpectRefused(const std::vector<std::string>& parts) {
    probes::ProgramImage image;
    probes::CompileTimings timings;
    Status s = probes::CompileImage(kProgram, options_, &image, &timings);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(timings.image_from_cache);
    ASSERT_EQ(timings.warnings.size(), 1u) << Joined(timings.warnings);
    for (const std::string& part : parts) {
      EXPECT_NE(timings.warnings[0].find(part), std::string::npos)
          << "[" << part << "] not in: " << timings.warnings[0];
    }
    EXPECT_EQ(timings.warnings[0].find('\n'), std::string::npos);
    ASSERT_NE(image.Function(kExecHandler), nullptr);
    EXPECT_EQ(image.Function(kExecHandler)->insns, fresh_.Function(kExecHandler)->insns);
    // The cache was repaired: the next compile takes it, quietly.
    probes::CompileTimings again;
    ASSERT_TRUE(probes::CompileImage(kProgram, options_, &image, &again).ok());
    EXPECT_TRUE(again.image_from_cache);
    EXPECT_TRUE(again.warnings.empty()) << Joined(again.warnings);
  }

  std::string Disarmed(bool reseal) {
    return DisarmedImage(image_name_, ReadBytes(image_), kExecHandler, reseal);
  }

  probes::CompileOptions options_;
  probes::ProgramImage fresh_;
  std::string image_, image_name_, tree_, header_;
};

TEST_F(CompileImageRefusalTest, ACleanCacheIsTakenWithoutWarnings) {
  probes::ProgramImage image;
  probes::CompileTimings timings;
  ASSERT_TRUE(probes::CompileImage(kProgram, options_, &image, &timings).ok());
  EXPECT_TRUE(timings.image_from_cache);
  EXPECT_TRUE(timings.tree_from_cache);
  EXPECT_TRUE(timings.warnings.empty()) << Joined(timings.warnings);
}

TEST_F(CompileImageRefusalTest, ASymlinkedImage) {
  std::string planted = MakeTempDir() + "/planted";
  WriteBytes(planted, Disarmed(true), 0666, kNobody);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ASSERT_EQ(symlink(planted.c_str(), image_.c_str()), 0);
  ExpectRefused(
      {"ignoring cached program image: " + image_ + " is a symbolic link", "compiling it again"});
}

TEST_F(CompileImageRefusalTest, AnImageOwnedByAnotherUser) {
  WriteBytes(image_, Disarmed(true), 0600, kNobody);
  ExpectRefused({image_ + " is owned by uid 65534, not root"});
}

TEST_F(CompileImageRefusalTest, AGroupWritableImage) {
  WriteBytes(image_, Disarmed(true), 0620);
  ExpectRefused({image_ + " is writable by group or others (mode 0620)"});
}

TEST_F(CompileImageRefusalTest, AModifiedImage) {
  WriteBytes(image_, Disarmed(false));
  ExpectRefused({image_ + " does not match its seal"});
}

TEST_F(CompileImageRefusalTest, AnImageUnderAnotherKeysName) {
  // A genuine sealed image, but sealed for another key's name.
  std::string genuine = ReadBytes(image_);
  std::string_view body;
  ASSERT_TRUE(probes::Unseal(image_name_, genuine, &body));
  WriteBytes(image_, probes::Seal("image-0000000000000000", body));
  ExpectRefused({image_ + " does not match its seal"});
}

TEST_F(CompileImageRefusalTest, ASymlinkedKernelTree) {
  std::string elsewhere = MakeTempDir() + "/tree";
  ASSERT_EQ(rename(tree_.c_str(), elsewhere.c_str()), 0);
  ASSERT_EQ(symlink(elsewhere.c_str(), tree_.c_str()), 0);
  std::string planted_header = elsewhere + "/include/provtrace/vmlinux.h";
  WriteBytes(planted_header, PlantedHeader(ReadBytes(planted_header)));
  ResealTree(elsewhere);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectRefused(
      {"ignoring cached kernel headers: " + tree_ + " is a symbolic link", "building them again"});
}

TEST_F(CompileImageRefusalTest, AKernelTreeWithASymlinkedHeader) {
  std::string planted = MakeTempDir() + "/vmlinux.h";
  WriteBytes(planted, PlantedHeader(ReadBytes(header_)), 0666, kNobody);
  ASSERT_EQ(unlink(header_.c_str()), 0);
  ASSERT_EQ(symlink(planted.c_str(), header_.c_str()), 0);
  ResealTree(tree_);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectRefused({header_ + " is a symbolic link"});
}

TEST_F(CompileImageRefusalTest, AKernelTreeOfAnotherUser) {
  ASSERT_EQ(chown(tree_.c_str(), kNobody, kNobody), 0);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectRefused({tree_ + " is owned by uid 65534, not root"});
}

TEST_F(CompileImageRefusalTest, AModifiedKernelHeader) {
  WriteBytes(header_, PlantedHeader(ReadBytes(header_)));
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectRefused({tree_ + " does not match its KEY"});
}

TEST_F(CompileImageRefusalTest, AnExtraFileInTheKernelTree) {
  // clang searches the tree for headers: a file added to it is refused too.
  WriteBytes(tree_ + "/include/linux/sched.h", "#error planted header used\n");
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectRefused({tree_ + " does not match its KEY"});
}

}  // namespace
}  // namespace provtrace::testing
