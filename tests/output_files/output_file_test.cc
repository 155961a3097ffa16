// OpenOutputFile (formats/output_file.h) on files of the test's own user:
// what it creates, what it refuses, and what --force replaces, leaving the
// old file or a link's target as it was.
#include "formats/output_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>

#include "tests/testing/subprocess.h"

namespace provtrace::formats {
namespace {

using testing::MakeTempDir;
using testing::ReadFile;

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, mode);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ASSERT_EQ(fchmod(fd, mode), 0);
  close(fd);
}

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  closedir(d);
  return names;
}

// Opens, writes `text` and closes; the status of the open.
Status OpenAndWrite(const std::string& path, bool force, const std::string& text) {
  int fd = -1;
  Status s = OpenOutputFile(path, force, &fd);
  if (!s.ok()) return s;
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return s;
}

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    // A umask that would open the file up to the group: provtrace's files
    // are 0600 whatever it is.
    old_umask_ = umask(0);
  }
  void TearDown() override { umask(old_umask_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
  mode_t old_umask_ = 0;
};

TEST_F(OutputFileTest, NewFileIsPrivate) {
  ASSERT_TRUE(OpenAndWrite(Path("out"), false, "x").ok());
  struct stat st;
  ASSERT_EQ(lstat(Path("out").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, geteuid());
}

TEST_F(OutputFileTest, WithoutForceAnExistingFileOrLinkIsAUsageError) {
  WriteFile(Path("out"), "theirs\n", 0644);
  int fd = -1;
  Status exists = OpenOutputFile(Path("out"), false, &fd);
  EXPECT_EQ(exists.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(exists.cause().find("exists"), std::string::npos) << exists.cause();
  EXPECT_NE(exists.hint().find("--force"), std::string::npos);
  EXPECT_EQ(ReadFile(Path("out")), "theirs\n");

  ASSERT_EQ(symlink(Path("target").c_str(), Path("link").c_str()), 0);
  Status link = OpenOutputFile(Path("link"), false, &fd);
  EXPECT_EQ(link.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(link.cause().find("symbolic link"), std::string::npos) << link.cause();
  EXPECT_NE(access(Path("target").c_str(), F_OK), 0);  // nothing made through it
}

TEST_F(OutputFileTest, ForceReplacesAFileAndLeavesTheOldOneAsItWas) {
  WriteFile(Path("out"), "theirs\n", 0666);
  ASSERT_EQ(link(Path("out").c_str(), Path("old").c_str()), 0);  // the old inode, kept
  struct stat before;
  ASSERT_EQ(stat(Path("old").c_str(), &before), 0);
  ASSERT_TRUE(OpenAndWrite(Path("out"), true, "mine\n").ok());
  struct stat after;
  ASSERT_EQ(lstat(Path("out").c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino);
  EXPECT_TRUE(S_ISREG(after.st_mode));
  EXPECT_EQ(after.st_mode & 07777, 0600u);
  EXPECT_EQ(ReadFile(Path("out")), "mine\n");
  EXPECT_EQ(ReadFile(Path("old")), "theirs\n");
  struct stat old_now;
  ASSERT_EQ(stat(Path("old").c_str(), &old_now), 0);
  EXPECT_EQ(old_now.st_mode & 07777, 0666u);
  EXPECT_EQ(Names(dir_), (std::set<std::string>{"out", "old"}));  // no temporary left
}

TEST_F(OutputFileTest, ForceReplacesALinkNotItsTarget) {
  WriteFile(Path("target"), "victim\n", 0666);
  ASSERT_EQ(symlink(Path("target").c_str(), Path("link").c_str()), 0);
  ASSERT_EQ(symlink(Path("nowhere").c_str(), Path("dangling").c_str()), 0);
  ASSERT_TRUE(OpenAndWrite(Path("link"), true, "mine\n").ok());
  ASSERT_TRUE(OpenAndWrite(Path("dangling"), true, "mine\n").ok());
  for (const char* name : {"link", "dangling"}) {
    struct stat st;
    ASSERT_EQ(lstat(Path(name).c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
    EXPECT_EQ(ReadFile(Path(name)), "mine\n") << name;
  }
  EXPECT_EQ(ReadFile(Path("target")), "victim\n");
  EXPECT_NE(access(Path("nowhere").c_str(), F_OK), 0);
  EXPECT_EQ(Names(dir_), (std::set<std::string>{"link", "dangling", "target"}));
}

TEST_F(OutputFileTest, DevicesAreWrittenAsTheyAreButNotThroughALink) {
  EXPECT_TRUE(OpenAndWrite("/dev/null", false, "x").ok());
  EXPECT_TRUE(OpenAndWrite("/dev/null", true, "x").ok());
  struct stat st;
  ASSERT_EQ(lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // --force -o /dev/stdout must not replace /dev/stdout.
  ASSERT_EQ(symlink("/dev/null", Path("null").c_str()), 0);
  int fd = -1;
  Status s = OpenOutputFile(Path("null"), true, &fd);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(lstat(Path("null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST_F(OutputFileTest, ADirectoryIsRefused) {
  ASSERT_EQ(mkdir(Path("d").c_str(), 0700), 0);
  int fd = -1;
  EXPECT_EQ(OpenOutputFile(Path("d"), true, &fd).code(), StatusCode::kInvalidArgument);
  struct stat st;
  ASSERT_EQ(lstat(Path("d").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

// The temporary name beside the longest name a directory takes still fits.
TEST_F(OutputFileTest, ForceWorksForTheLongestName) {
  std::string name(255, 'n');
  WriteFile(Path(name), "theirs\n", 0644);
  ASSERT_TRUE(OpenAndWrite(Path(name), true, "mine\n").ok());
  EXPECT_EQ(ReadFile(Path(name)), "mine\n");
  EXPECT_EQ(Names(dir_), (std::set<std::string>{name}));
}

// A relative name: the directory is the working one.
TEST_F(OutputFileTest, ARelativeNameIsReplacedInTheWorkingDirectory) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  WriteFile("rel", "theirs\n", 0644);
  Status s = OpenAndWrite("rel", true, "mine\n");
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(s.ok()) << s.cause();
  EXPECT_EQ(ReadFile(Path("rel")), "mine\n");
}

}  // namespace
}  // namespace provtrace::formats
