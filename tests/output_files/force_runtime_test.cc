// provtrace --force as root over files another user owns and over
// symbolic links, and rotation over names that exist: afterwards every
// name provtrace wrote is a new file of root's, mode 0600, and the files
// that were there (kept by a hard link), and a link's target, are as they
// were.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

// A file of `uid`, mode `mode`, holding `text`.
void Plant(const std::string& path, const std::string& text, uid_t uid, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ASSERT_EQ(fchown(fd, uid, uid), 0);
  ASSERT_EQ(fchmod(fd, mode), 0);
  close(fd);
}

struct Kept {
  std::string link;  // a hard link to the planted inode, outside provtrace's names
  std::string text;
  ino_t ino;
  uid_t uid;
  mode_t mode;
};

class ForceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root (files of another user, BPF programs)";
    struct passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr) << "no user nobody";
    nobody_ = nobody->pw_uid;
    dir_ = CanonicalTempDir();
    ASSERT_EQ(mkdir((dir_ + "/kept").c_str(), 0700), 0);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Plants a file of nobody's, mode 0666, at `name`, and keeps it.
  void PlantTheirs(const std::string& name, const std::string& text) {
    Plant(Path(name), text, nobody_, 0666);
    Kept k{dir_ + "/kept/" + std::to_string(kept_.size()), text, 0, nobody_, 0666};
    ASSERT_EQ(link(Path(name).c_str(), k.link.c_str()), 0);
    struct stat st;
    ASSERT_EQ(stat(k.link.c_str(), &st), 0);
    k.ino = st.st_ino;
    kept_.push_back(k);
  }

  RunResult Provtrace(std::vector<std::string> options, const std::string& script) {
    std::vector<std::string> argv = {ProvtracePath(), "-q"};
    argv.insert(argv.end(), options.begin(), options.end());
    for (const char* a : {"--", "/bin/sh", "-c"}) argv.push_back(a);
    argv.push_back(script);
    return RunProgram(argv);
  }

  // `name` is a file provtrace made: regular, root's, 0600, none of the
  // planted inodes.
  void ExpectOurs(const std::string& name) {
    struct stat st;
    ASSERT_EQ(lstat(Path(name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name << " is not a regular file";
    EXPECT_EQ(st.st_uid, 0u) << name;
    EXPECT_EQ(st.st_mode & 07777, 0600u) << name;
    for (const Kept& k : kept_) EXPECT_NE(st.st_ino, k.ino) << name << " is a planted file";
    EXPECT_GT(st.st_size, 0) << name;
  }

  // Every planted file as it was: its content, owner and mode.
  void ExpectPlantedUntouched() {
    for (const Kept& k : kept_) {
      EXPECT_TRUE(ReadFile(k.link) == k.text) << k.link << " was written into";
      struct stat st;
      ASSERT_EQ(stat(k.link.c_str(), &st), 0);
      EXPECT_EQ(st.st_uid, k.uid) << k.link;
      EXPECT_EQ(st.st_mode & 07777, k.mode) << k.link;
    }
  }

  // No temporary file of provtrace's left beside the outputs.
  void ExpectNoTemporaries() {
    RunResult ls = RunProgram({"/bin/ls", "-A", dir_});
    EXPECT_EQ(ls.out.find(".provtrace-"), std::string::npos) << ls.out;
  }

  uid_t nobody_ = 0;
  std::string dir_;
  std::vector<Kept> kept_;
};

TEST_F(ForceTest, ReplacesAnotherUsersFile) {
  PlantTheirs("out.jsonl", "theirs: out\n");
  PlantTheirs("cap.ptc", "theirs: cap\n");
  RunResult run =
      Provtrace({"--force", "-o", Path("out.jsonl"), "-w", Path("cap.ptc")}, "echo hi > /dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectOurs("out.jsonl");
  ExpectOurs("cap.ptc");
  EXPECT_EQ(ReadFile(Path("out.jsonl")).rfind("{\"kind\":", 0), 0u);
  ExpectPlantedUntouched();
  ExpectNoTemporaries();
}

TEST_F(ForceTest, ReplacesASymlinkNotItsTarget) {
  PlantTheirs("victim", "victim\n");
  ASSERT_EQ(symlink(Path("victim").c_str(), Path("out.jsonl").c_str()), 0);
  ASSERT_EQ(symlink(Path("nowhere").c_str(), Path("dangling.jsonl").c_str()), 0);
  RunResult run = Provtrace({"--force", "-o", Path("out.jsonl")}, "true");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectOurs("out.jsonl");
  run = Provtrace({"--force", "-o", Path("dangling.jsonl")}, "true");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectOurs("dangling.jsonl");
  EXPECT_NE(access(Path("nowhere").c_str(), F_OK), 0) << "created through the dangling link";
  ExpectPlantedUntouched();
  ExpectNoTemporaries();
}

// Without --force an existing file or link is a usage error, one line, and
// stays as it was.
TEST_F(ForceTest, WithoutForceAnExistingNameIsAUsageError) {
  PlantTheirs("out.jsonl", "theirs\n");
  ASSERT_EQ(symlink(Path("nowhere").c_str(), Path("link.jsonl").c_str()), 0);
  for (const char* name : {"out.jsonl", "link.jsonl"}) {
    RunResult run = Provtrace({"-o", Path(name)}, "true");
    EXPECT_EQ(run.exit_code, 2) << name << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_NE(run.err.find("--force"), std::string::npos) << run.err;
  }
  struct stat st;
  ASSERT_EQ(lstat(Path("link.jsonl").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_NE(access(Path("nowhere").c_str(), F_OK), 0);
  ExpectPlantedUntouched();
}

// Rotation over names that exist: another user's file at the name and at
// the first rotated name, a link at the second. Three files are kept and
// the workload fills more than three, so each kept name was rotated over
// at least once: afterwards all three are provtrace's own, and nothing it
// found there was written into or through.
TEST_F(ForceTest, RotationOverExistingNames) {
  PlantTheirs("rot.jsonl", "theirs: rot\n");
  PlantTheirs("rot.1.jsonl", "theirs: rot.1\n");
  PlantTheirs("victim", "victim\n");
  ASSERT_EQ(symlink(Path("victim").c_str(), Path("rot.2.jsonl").c_str()), 0);
  RunResult run = Provtrace(
      {"--force", "--stats", "-o", Path("rot.jsonl"), "--rotate-size", "4k", "--rotate-count", "3"},
      "cd " + dir_ + " && for i in 1 2 3 4 5 6; do echo $i > f$i; done");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ExpectOurs("rot.jsonl");
  ExpectOurs("rot.1.jsonl");
  ExpectOurs("rot.2.jsonl");
  EXPECT_NE(access(Path("rot.3.jsonl").c_str(), F_OK), 0) << "more than --rotate-count kept";
  ExpectPlantedUntouched();
  ExpectNoTemporaries();
}

// A device is written as it is, and a link to one is not replaced.
TEST_F(ForceTest, DevicesStayDevices) {
  RunResult run = Provtrace({"--force", "-o", "/dev/null"}, "true");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  struct stat st;
  ASSERT_EQ(lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  ASSERT_EQ(symlink("/dev/null", Path("null").c_str()), 0);
  run = Provtrace({"--force", "-o", Path("null")}, "true");
  EXPECT_EQ(run.exit_code, 2) << run.err;
  ASSERT_EQ(lstat(Path("null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

}  // namespace
}  // namespace provtrace::testing
