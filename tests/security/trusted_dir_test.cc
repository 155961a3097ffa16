// The cache's trust checks, one by one (probes/cache_dir.h): SHA-256 and
// the seal that binds content to its name, the walk from "/" that refuses a
// directory someone else could redirect, and the checks on each entry's own
// descriptor. Cases that need another user's files need root (to chown);
// they say so when skipped.
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "probes/cache_dir.h"

namespace provtrace::probes {
namespace {

constexpr uid_t kNobody = 65534;

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give files to another user"

std::string TempDir() {
  std::string t =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/trusted-XXXXXX";
  EXPECT_NE(mkdtemp(&t[0]), nullptr);
  return t;
}

void Put(const std::string& path, const std::string& content, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
}

std::string Get(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Sha256Test, MatchesTheStandardsVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, MatchesCoreutilsAroundBlockAndPaddingBoundaries) {
  // sha256sum of that many 'x': the lengths where the padding spills into
  // a second block, or the message fills one exactly.
  const std::pair<size_t, const char*> kCases[] = {
      {55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
      {56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
      {63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
      {64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
      {65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
      {119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
      {120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
      {127, "70156a14adbabf98cff3a71c7084b417abf057a8efd27329ca36b7202c87d81f"},
      {128, "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464"},
  };
  for (const auto& [length, hex] : kCases) {
    EXPECT_EQ(Sha256Hex(std::string(length, 'x')), hex) << length;
  }
}

TEST(SealTest, OpensOnlyUnderItsOwnNameAndUnchanged) {
  std::string content = "a program image\n" + std::string(300, '\x07');
  std::string sealed = Seal("image-0123", content);
  std::string_view out;
  ASSERT_TRUE(Unseal("image-0123", sealed, &out));
  EXPECT_EQ(out, content);
  // Moved to another key's name.
  EXPECT_FALSE(Unseal("image-4567", sealed, &out));
  // Any one byte changed, content or digest.
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string changed = sealed;
    changed[i] ^= 0x01;
    EXPECT_FALSE(Unseal("image-0123", changed, &out)) << i;
  }
  // Cut short or grown.
  for (size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_FALSE(Unseal("image-0123", sealed.substr(0, n), &out)) << n;
  }
  EXPECT_FALSE(Unseal("image-0123", sealed + "x", &out));
}

struct stat Dir(uid_t uid, mode_t mode) {
  struct stat st = {};
  st.st_mode = S_IFDIR | mode;
  st.st_uid = uid;
  return st;
}

TEST(AncestorProblemTest, OnlyRootsOrOursAndWritableByNobodyElseUnlessRootsAndSticky) {
  EXPECT_EQ(AncestorProblem(Dir(0, 0755)), "");
  EXPECT_EQ(AncestorProblem(Dir(geteuid(), 0700)), "");
  EXPECT_EQ(AncestorProblem(Dir(0, 01777)), "");  // /tmp
  EXPECT_EQ(AncestorProblem(Dir(0, 0777)), "is writable by group or others (mode 0777)");
  EXPECT_EQ(AncestorProblem(Dir(0, 0775)), "is writable by group or others (mode 0775)");
  if (geteuid() != kNobody) {
    EXPECT_EQ(AncestorProblem(Dir(kNobody, 0755)), "is owned by uid 65534");
    // Sticky protects only when root owns it: the owner may rename anything.
    EXPECT_EQ(AncestorProblem(Dir(kNobody, 01777)), "is owned by uid 65534");
  }
  struct stat link = {};
  link.st_mode = S_IFLNK | 0777;
  EXPECT_EQ(AncestorProblem(link), "is a symbolic link");
  struct stat file = {};
  file.st_mode = S_IFREG | 0644;
  EXPECT_EQ(AncestorProblem(file), "is not a directory");
}

TEST(TrustedDirTest, CreatesAPrivateCacheAndTakesItAgain) {
  std::string cache = TempDir() + "/a/b/cache";
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(cache, &dir);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(dir.path(), cache);
  struct stat st;
  ASSERT_EQ(stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, geteuid());
  ASSERT_TRUE(dir.WriteFile("entry", "content").ok());
  TrustedDir again;
  ASSERT_TRUE(TrustedDir::OpenPrivate(cache, &again).ok());
  std::string content;
  ASSERT_TRUE(again.ReadFile("entry", &content).ok());
  EXPECT_EQ(content, "content");
}

TEST(TrustedDirTest, RefusesACacheOthersCanEnter) {
  std::string cache = TempDir() + "/cache";
  ASSERT_EQ(mkdir(cache.c_str(), 0755), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(cache, &dir);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.cause(), "cache directory " + cache +
                                      " is not a private directory: it "
                                      "is open to group or others "
                                      "(mode 0755)"))
      << s.cause();
}

TEST(TrustedDirTest, RefusesASymlinkedCache) {
  std::string base = TempDir();
  ASSERT_EQ(mkdir((base + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink("real", (base + "/cache").c_str()), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(base + "/cache", &dir);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.cause(), "is a symbolic link")) << s.cause();
}

TEST(TrustedDirTest, RefusesASymlinkAnywhereOnTheWay) {
  std::string base = TempDir();
  ASSERT_EQ(mkdir((base + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink("real", (base + "/link").c_str()), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(base + "/link/cache", &dir);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.cause(), "is not safe: " + base + "/link is a symbolic link"))
      << s.cause();
  // Nothing was made through the link.
  struct stat st;
  EXPECT_NE(stat((base + "/real/cache").c_str(), &st), 0);
}

TEST(TrustedDirTest, RefusesACacheUnderAWorldWritableParent) {
  std::string parent = TempDir() + "/parent";
  ASSERT_EQ(mkdir(parent.c_str(), 0700), 0);
  ASSERT_EQ(chmod(parent.c_str(), 0777), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(parent + "/cache", &dir);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      Contains(s.cause(), "is not safe: " + parent + " is writable by group or others (mode 0777)"))
      << s.cause();
  struct stat st;
  EXPECT_NE(stat((parent + "/cache").c_str(), &st), 0) << "created under the unsafe parent";
}

TEST(TrustedDirTest, AcceptsACacheMadeInARootOwnedStickyDirectory) {
  REQUIRE_ROOT();
  std::string parent = TempDir() + "/tmp";
  ASSERT_EQ(mkdir(parent.c_str(), 0700), 0);
  ASSERT_EQ(chmod(parent.c_str(), 01777), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(parent + "/cache", &dir);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(TrustedDirTest, RefusesAStickyDirectoryEntryMadeBySomeoneElse) {
  REQUIRE_ROOT();
  std::string parent = TempDir() + "/tmp";
  ASSERT_EQ(mkdir(parent.c_str(), 01777), 0);
  ASSERT_EQ(chmod(parent.c_str(), 01777), 0);
  // What another user made in /tmp before provtrace ran.
  std::string theirs = parent + "/theirs";
  ASSERT_EQ(mkdir(theirs.c_str(), 0755), 0);
  ASSERT_EQ(chown(theirs.c_str(), kNobody, kNobody), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(theirs + "/cache", &dir);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.cause(), theirs + " is owned by uid 65534")) << s.cause();
}

TEST(TrustedDirTest, RefusesACacheUnderAnotherUsersParent) {
  REQUIRE_ROOT();
  std::string parent = TempDir() + "/parent";
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((parent + "/cache").c_str(), 0700), 0);  // root's, private
  ASSERT_EQ(chown(parent.c_str(), kNobody, kNobody), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate(parent + "/cache", &dir);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.cause(), "is not safe: " + parent + " is owned by uid 65534"))
      << s.cause();
}

TEST(TrustedDirTest, RelativePathsAreWalkedFromTheRootToo) {
  std::string base = TempDir();
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(chdir(base.c_str()), 0);
  TrustedDir dir;
  Status s = TrustedDir::OpenPrivate("rel/cache", &dir);
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(dir.path(), base + "/rel/cache");
  EXPECT_EQ(TrustedDir::OpenPrivate(base + "/x/../cache", &dir).code(),
            StatusCode::kInvalidArgument);
}

class EntryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = TempDir();
    ASSERT_TRUE(TrustedDir::OpenPrivate(base_ + "/cache", &cache_).ok());
  }
  std::string At(const std::string& name) { return base_ + "/cache/" + name; }
  // The cause ReadFile refuses name with.
  std::string Refusal(const std::string& name) {
    std::string content;
    Status s = cache_.ReadFile(name, &content);
    EXPECT_FALSE(s.ok()) << name << " was read: " << content;
    EXPECT_TRUE(content.empty());
    return s.cause();
  }

  std::string base_;
  TrustedDir cache_;
};

TEST_F(EntryTest, ReadsAPrivateFileAndTellsAMissingOne) {
  Put(At("good"), "good content");
  std::string content;
  bool missing = true;
  ASSERT_TRUE(cache_.ReadFile("good", &content, &missing).ok());
  EXPECT_FALSE(missing);
  EXPECT_EQ(content, "good content");
  EXPECT_FALSE(cache_.ReadFile("absent", &content, &missing).ok());
  EXPECT_TRUE(missing);
}

TEST_F(EntryTest, RefusesASymbolicLinkEvenToAGoodFile) {
  Put(base_ + "/elsewhere", "planted");
  ASSERT_EQ(symlink((base_ + "/elsewhere").c_str(), At("image").c_str()), 0);
  EXPECT_EQ(Refusal("image"), At("image") + " is a symbolic link");
}

TEST_F(EntryTest, RefusesAGroupOrOtherWritableFile) {
  Put(At("group"), "x", 0620);
  EXPECT_EQ(Refusal("group"), At("group") + " is writable by group or others (mode 0620)");
  Put(At("other"), "x", 0602);
  EXPECT_EQ(Refusal("other"), At("other") + " is writable by group or others (mode 0602)");
}

TEST_F(EntryTest, RefusesAFileOfAnotherUser) {
  REQUIRE_ROOT();
  Put(At("theirs"), "x");
  ASSERT_EQ(chown(At("theirs").c_str(), kNobody, kNobody), 0);
  EXPECT_EQ(Refusal("theirs"), At("theirs") + " is owned by uid 65534, not root");
}

TEST_F(EntryTest, RefusesAHardLinkedFile) {
  Put(base_ + "/elsewhere", "x");
  ASSERT_EQ(link((base_ + "/elsewhere").c_str(), At("linked").c_str()), 0);
  EXPECT_EQ(Refusal("linked"), At("linked") + " has 2 hard links");
}

TEST_F(EntryTest, RefusesAFifoWithoutWaitingForAWriter) {
  ASSERT_EQ(mkfifo(At("fifo").c_str(), 0600), 0);
  EXPECT_EQ(Refusal("fifo"), At("fifo") + " is not a regular file");
}

TEST_F(EntryTest, RefusesADirectoryOfAnotherShapeAsASubdirectory) {
  ASSERT_EQ(mkdir(At("open").c_str(), 0755), 0);
  TrustedDir sub;
  Status s = cache_.OpenSubdir("open", &sub);
  EXPECT_EQ(s.cause(), At("open") + " is open to group or others (mode 0755)");
  ASSERT_EQ(mkdir((base_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(symlink((base_ + "/real").c_str(), At("kernel-1").c_str()), 0);
  s = cache_.OpenSubdir("kernel-1", &sub);
  EXPECT_EQ(s.cause(), At("kernel-1") + " is a symbolic link");
}

TEST_F(EntryTest, WriteFileReplacesASymlinkWithoutWritingThroughIt) {
  Put(base_ + "/target", "theirs");
  ASSERT_EQ(symlink((base_ + "/target").c_str(), At("image").c_str()), 0);
  ASSERT_TRUE(cache_.WriteFile("image", "ours").ok());
  EXPECT_EQ(Get(base_ + "/target"), "theirs");
  struct stat st;
  ASSERT_EQ(lstat(At("image").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(Get(At("image")), "ours");
}

TEST_F(EntryTest, WriteFileReplacesADirectoryUnderTheName) {
  ASSERT_EQ(mkdir(At("image").c_str(), 0700), 0);
  Put(At("image") + "/inside", "x");
  ASSERT_TRUE(cache_.WriteFile("image", "ours").ok());
  EXPECT_EQ(Get(At("image")), "ours");
}

TEST_F(EntryTest, RemoveDeletesATreeButNotWhatItsLinksPointAt) {
  Put(base_ + "/outside", "keep me");
  ASSERT_EQ(mkdir(At("tree").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(At("tree/sub").c_str(), 0700), 0);
  Put(At("tree/sub/file"), "x");
  ASSERT_EQ(symlink((base_ + "/outside").c_str(), At("tree/sub/link").c_str()), 0);
  ASSERT_EQ(symlink(base_.c_str(), At("tree/dirlink").c_str()), 0);
  ASSERT_TRUE(cache_.Remove("tree").ok());
  struct stat st;
  EXPECT_NE(lstat(At("tree").c_str(), &st), 0);
  EXPECT_EQ(Get(base_ + "/outside"), "keep me");
}

TEST_F(EntryTest, ReadTreeTakesEveryFileAndRefusesALinkInside) {
  TrustedDir tree;
  std::string name;
  ASSERT_TRUE(cache_.MakeTempSubdir(&tree, &name).ok());
  ASSERT_TRUE(tree.CreateFile("include/linux/a.h", "a").ok());
  ASSERT_TRUE(tree.CreateFile("include/b.h", "b").ok());
  ASSERT_TRUE(tree.CreateFile("KEY", "k").ok());
  std::map<std::string, std::string> files;
  ASSERT_TRUE(tree.ReadTree(&files).ok());
  std::map<std::string, std::string> expected = {
      {"KEY", "k"}, {"include/b.h", "b"}, {"include/linux/a.h", "a"}};
  EXPECT_EQ(files, expected);

  Put(base_ + "/planted.h", "#error planted");
  ASSERT_EQ(symlink((base_ + "/planted.h").c_str(), At(name + "/include/linux/c.h").c_str()), 0);
  Status s = tree.ReadTree(&files);
  EXPECT_EQ(s.cause(), At(name + "/include/linux/c.h") + " is a symbolic link");
}

TEST_F(EntryTest, APinnedPathStillReachesTheCheckedDirectoryAfterItIsSwapped) {
  TrustedDir tree;
  std::string name;
  ASSERT_TRUE(cache_.MakeTempSubdir(&tree, &name).ok());
  ASSERT_TRUE(tree.CreateFile("include/header.h", "checked").ok());
  std::string pinned = tree.PinnedPath();
  EXPECT_EQ(pinned.rfind("/proc/self/fd/", 0), 0u) << pinned;
  // Someone renames the checked tree away and puts their own in its place.
  ASSERT_EQ(rename(At(name).c_str(), At("moved").c_str()), 0);
  ASSERT_EQ(mkdir(At(name).c_str(), 0700), 0);
  ASSERT_EQ(mkdir(At(name + "/include").c_str(), 0700), 0);
  Put(At(name + "/include/header.h"), "planted");
  EXPECT_EQ(Get(pinned + "/include/header.h"), "checked");
}

TEST(ReadTrustedFileTest, ReadsTheKernelsBtf) {
  struct stat st;
  if (stat("/sys/kernel/btf/vmlinux", &st) != 0) GTEST_SKIP() << "this kernel has no BTF";
  std::string btf;
  Status s = ReadTrustedFile("/sys/kernel/btf/vmlinux", &btf);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(btf.size(), static_cast<size_t>(st.st_size));
}

TEST(ReadTrustedFileTest, RefusesAFileInADirectoryOthersCanWrite) {
  std::string dir = TempDir() + "/open";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  Put(dir + "/vmlinux", "btf");
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  std::string content;
  Status s = ReadTrustedFile(dir + "/vmlinux", &content);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Contains(s.cause(), dir + " is writable by group or others")) << s.cause();
  ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
  EXPECT_TRUE(ReadTrustedFile(dir + "/vmlinux", &content).ok());
  EXPECT_EQ(content, "btf");
}

}  // namespace
}  // namespace provtrace::probes
