// The state files (machine_id, boot_id, lock under /var/lib/provtrace) are
// trusted like the cache: a state directory someone else could redirect is
// an error naming the directory at fault; a state file that is a link,
// another user's or writable by others is refused, named in a warning, and
// made anew, never read (and never written through).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "core/identity.h"

namespace provtrace {
namespace {

constexpr uid_t kNobody = 65534;

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give files to another user"

std::string TempDir() {
  std::string t =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/state-XXXXXX";
  EXPECT_NE(mkdtemp(&t[0]), nullptr);
  return t;
}

void Put(const std::string& path, const std::string& content, mode_t mode = 0644) {
  std::ofstream(path) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

std::string Get(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

// A state directory used once (so that the ids exist), for a test to
// tamper with.
std::string UsedStateDir(Identity* first) {
  std::string dir = TempDir() + "/state";
  Status s = LoadIdentity(dir, "boot-a", first);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(first->warnings.empty()) << Joined(first->warnings);
  return dir;
}

TEST(StateFilesTest, UntouchedStateGivesTheSameIdsAndNoWarning) {
  Identity first, again;
  std::string dir = UsedStateDir(&first);
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &again).ok());
  EXPECT_EQ(again.machine_id, first.machine_id);
  EXPECT_EQ(again.boot_id, first.boot_id);
  EXPECT_TRUE(again.warnings.empty()) << Joined(again.warnings);
}

TEST(StateFilesTest, ASymlinkedMachineIdIsRefusedAndReplacedNotFollowed) {
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  std::string chosen = TempDir() + "/chosen";
  Put(chosen, "12345\n");
  ASSERT_EQ(unlink((dir + "/machine_id").c_str()), 0);
  ASSERT_EQ(symlink(chosen.c_str(), (dir + "/machine_id").c_str()), 0);
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &next).ok());
  EXPECT_NE(next.machine_id, 12345u);
  EXPECT_NE(Joined(next.warnings)
                .find("ignoring state file: " + dir +
                      "/machine_id is a symbolic link; making a new machine id"),
            std::string::npos)
      << Joined(next.warnings);
  EXPECT_EQ(Get(chosen), "12345\n") << "written through the link";
  struct stat st;
  ASSERT_EQ(lstat((dir + "/machine_id").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Get(dir + "/machine_id"), std::to_string(next.machine_id) + "\n");
}

TEST(StateFilesTest, AGroupWritableBootIdIsRefusedAndCountingStartsAgain) {
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  Put(dir + "/boot_id", "41 boot-a\n", 0664);
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &next).ok());
  EXPECT_EQ(next.boot_id, 1u);  // not 41
  EXPECT_EQ(next.machine_id, first.machine_id);
  EXPECT_NE(Joined(next.warnings)
                .find(dir + "/boot_id is writable by group or others (mode 0664); counting boots"),
            std::string::npos)
      << Joined(next.warnings);
  struct stat st;
  ASSERT_EQ(stat((dir + "/boot_id").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
}

TEST(StateFilesTest, AMachineIdOfAnotherUserIsRefused) {
  REQUIRE_ROOT();
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  Put(dir + "/machine_id", "12345\n");
  ASSERT_EQ(chown((dir + "/machine_id").c_str(), kNobody, kNobody), 0);
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &next).ok());
  EXPECT_NE(next.machine_id, 12345u);
  EXPECT_NE(Joined(next.warnings).find(dir + "/machine_id is owned by uid 65534, not root"),
            std::string::npos)
      << Joined(next.warnings);
  struct stat st;
  ASSERT_EQ(stat((dir + "/machine_id").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST(StateFilesTest, ALockOfAnotherUserIsReplaced) {
  REQUIRE_ROOT();
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  ASSERT_EQ(chown((dir + "/lock").c_str(), kNobody, kNobody), 0);
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &next).ok());
  EXPECT_NE(Joined(next.warnings).find(dir + "/lock is owned by uid 65534, not root; replacing it"),
            std::string::npos)
      << Joined(next.warnings);
  struct stat st;
  ASSERT_EQ(stat((dir + "/lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST(StateFilesTest, GarbageInAnIdFileIsNamedAndReplaced) {
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  Put(dir + "/machine_id", "not a number\n");
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &next).ok());
  EXPECT_NE(Joined(next.warnings).find(dir + "/machine_id holds no machine id"), std::string::npos)
      << Joined(next.warnings);
}

TEST(StateFilesTest, AStateDirectoryOthersCanWriteIsAnError) {
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  Status s = LoadIdentity(dir, "boot-a", &next);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.cause().find("state directory " + dir + " is not safe: " + dir +
                           " is writable by group or others (mode 0777)"),
            std::string::npos)
      << s.cause();
}

TEST(StateFilesTest, AStateDirectoryUnderAWorldWritableParentIsAnError) {
  std::string parent = TempDir() + "/parent";
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  ASSERT_EQ(chmod(parent.c_str(), 0777), 0);
  Identity id;
  Status s = LoadIdentity(parent + "/state", "boot-a", &id);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.cause().find(parent + " is writable by group or others (mode 0777)"),
            std::string::npos)
      << s.cause();
  struct stat st;
  EXPECT_NE(stat((parent + "/state").c_str(), &st), 0) << "created under the unsafe parent";
}

TEST(StateFilesTest, AStateDirectoryUnderAnotherUsersParentIsAnError) {
  REQUIRE_ROOT();
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  std::string parent = dir.substr(0, dir.rfind('/'));
  ASSERT_EQ(chown(parent.c_str(), kNobody, kNobody), 0);
  Status s = LoadIdentity(dir, "boot-a", &next);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.cause().find(parent + " is owned by uid 65534"), std::string::npos) << s.cause();
}

TEST(StateFilesTest, ASymlinkedStateDirectoryIsAnError) {
  Identity first, next;
  std::string dir = UsedStateDir(&first);
  std::string link = dir + "-link";
  ASSERT_EQ(symlink(dir.c_str(), link.c_str()), 0);
  Status s = LoadIdentity(link, "boot-a", &next);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.cause().find(link + " is a symbolic link"), std::string::npos) << s.cause();
}

}  // namespace
}  // namespace provtrace
