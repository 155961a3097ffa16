// provtrace as root against a cache someone tampered with (issue 14): each
// plant is refused or rebuilt and never loaded. The plants bite when they
// are trusted (the two "Bait" tests show it): a planted program image has
// an exec handler that does nothing, so a capture of `/bin/true` loaded
// from it lacks the exec of /usr/bin/true; a planted kernel header stops
// any compile that reads it. Each case plants into a private copy of one
// warm cache under a fresh root-owned temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "probes/cache_dir.h"
#include "tests/security/planting.h"
#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

constexpr uid_t kNobody = 65534;

#define REQUIRE_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs and to chown plants"

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int Lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// Whether the capture records the exec of path.
bool SawExecOf(const std::string& jsonl, const std::string& path) {
  Capture c;
  std::string error;
  if (!c.Parse(jsonl, &error)) return false;
  for (const Record* exec : c.Relations("exec")) {
    for (const Record* named : c.RelationsTo("named", EndpointId(*exec, "from"))) {
      const Record* node = c.Node(EndpointId(*named, "from"), EndpointVersion(*named, "from"));
      if (node != nullptr && Str(*node, "path") == path) return true;
    }
  }
  return false;
}

struct Outcome {
  int exit_code = -1;
  std::string err;
  bool saw_exec = false;
  bool image_reused = false;
  bool tree_reused = false;
};

Outcome RunProvtrace(const std::string& cache, bool verbose = true) {
  std::string out = MakeTempDir() + "/out.jsonl";
  std::vector<std::string> argv = {ProvtracePath(), "--cache-dir", cache, "-o", out, "--",
                                   "/bin/true"};
  if (verbose) argv.insert(argv.begin() + 1, "-v");
  RunResult r = RunProgram(argv);
  Outcome o;
  o.exit_code = r.exit_code;
  o.err = r.err;
  o.saw_exec = SawExecOf(ReadFile(out), "/usr/bin/true");
  o.image_reused = Has(r.err, "compiled program reused");
  o.tree_reused = Has(r.err, "kernel headers reused from");
  return o;
}

// One cache filled by a clean run, copied for each case.
struct WarmCache {
  std::string dir;
  std::string image;  // image-<key>
  std::string tree;   // kernel-<key>
  std::string problem;
};

const WarmCache& Warm() {
  static const WarmCache* warm = [] {
    auto* w = new WarmCache;
    w->dir = MakeTempDir() + "/warm";
    Outcome o = RunProvtrace(w->dir);
    std::vector<std::string> images = EntriesStartingWith(w->dir, "image-");
    std::vector<std::string> trees = EntriesStartingWith(w->dir, "kernel-");
    if (o.exit_code != 0 || !o.saw_exec || images.size() != 1 || trees.size() != 1) {
      w->problem = "a clean run did not fill the cache with one image and one tree:\n" + o.err;
    } else {
      w->image = images[0];
      w->tree = trees[0];
    }
    return w;
  }();
  return *warm;
}

class CacheRefusalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    REQUIRE_ROOT();
    ASSERT_EQ(Warm().problem, "");
    cache_ = MakeTempDir() + "/cache";
    ASSERT_TRUE(CopyTree(Warm().dir, cache_));
    image_ = cache_ + "/" + Warm().image;
    tree_ = cache_ + "/" + Warm().tree;
    header_ = tree_ + "/include/provtrace/vmlinux.h";
  }

  std::string Disarmed(bool reseal) {
    return DisarmedImage(Warm().image, ReadBytes(image_), kExecHandler, reseal);
  }

  // The run loaded the real program: the exec is there, the image was
  // compiled again, and what now has the image's name is a private regular
  // file of root's that unseals.
  void ExpectRebuiltAndCaptured(const Outcome& o) {
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_TRUE(o.saw_exec) << "the capture lacks the exec of /usr/bin/true\n" << o.err;
    EXPECT_FALSE(o.image_reused) << o.err;
    // One line names the refused entry.
    EXPECT_TRUE(Has(o.err, "warning: ignoring cached program image: " + image_)) << o.err;
    struct stat st;
    ASSERT_EQ(lstat(image_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    std::string rebuilt = ReadBytes(image_);
    std::string_view body;
    EXPECT_TRUE(probes::Unseal(Warm().image, rebuilt, &body));
  }

  // The run compiled against a tree of its own: the plant never reached
  // the compiler, and the name now holds a private directory.
  void ExpectTreeRebuiltAndCaptured(const Outcome& o) {
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_TRUE(o.saw_exec) << o.err;
    EXPECT_FALSE(o.tree_reused) << o.err;
    EXPECT_TRUE(Has(o.err, "warning: ignoring cached kernel headers: " + tree_)) << o.err;
    EXPECT_FALSE(Has(o.err, kPlantedError)) << o.err;
    struct stat st;
    ASSERT_EQ(lstat(tree_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(ReadBytes(header_).find(kPlantedError), std::string::npos);
  }

  std::string cache_, image_, tree_, header_;
};

TEST_F(CacheRefusalTest, BaitAPlantedImageThatNothingGivesAwayIsLoaded) {
  // Root's own file, private, sealed: indistinguishable from provtrace's,
  // as anything root writes is. The other image cases differ from this one
  // only in what gives the plant away.
  WriteBytes(image_, Disarmed(/*reseal=*/true));
  Outcome o = RunProvtrace(cache_);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(o.image_reused) << o.err;
  EXPECT_FALSE(o.saw_exec) << "the disarmed exec handler recorded an exec";
}

TEST_F(CacheRefusalTest, ASymlinkedImageIsRefusedAndRebuilt) {
  std::string planted = MakeTempDir() + "/planted";
  WriteBytes(planted, Disarmed(/*reseal=*/true), 0666, kNobody);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ASSERT_EQ(symlink(planted.c_str(), image_.c_str()), 0);
  std::string before = ReadBytes(planted);
  ExpectRebuiltAndCaptured(RunProvtrace(cache_));
  EXPECT_EQ(ReadBytes(planted), before) << "written through the link";
}

TEST_F(CacheRefusalTest, AnImageOwnedByAnotherUserIsRefusedAndRebuilt) {
  WriteBytes(image_, Disarmed(/*reseal=*/true), 0600, kNobody);
  ExpectRebuiltAndCaptured(RunProvtrace(cache_));
}

TEST_F(CacheRefusalTest, AGroupWritableImageIsRefusedAndRebuilt) {
  WriteBytes(image_, Disarmed(/*reseal=*/true), 0620);
  ExpectRebuiltAndCaptured(RunProvtrace(cache_));
}

TEST_F(CacheRefusalTest, AModifiedImageWithAValidStructureIsRefusedAndRebuilt) {
  // Root's, private, parses: only its seal no longer matches.
  WriteBytes(image_, Disarmed(/*reseal=*/false));
  ExpectRebuiltAndCaptured(RunProvtrace(cache_));
}

TEST_F(CacheRefusalTest, BaitAPlantedHeaderThatNothingGivesAwayStopsTheCompile) {
  ASSERT_EQ(unlink(image_.c_str()), 0);
  WriteBytes(header_, PlantedHeader(ReadBytes(header_)));
  ResealTree(tree_);
  Outcome o = RunProvtrace(cache_);
  EXPECT_NE(o.exit_code, 0) << o.err;
  // The compiler read the planted header: its #error is in the log.
  size_t at = o.err.find("compiler output in ");
  ASSERT_NE(at, std::string::npos) << o.err;
  std::string log = o.err.substr(at + 19, o.err.find_first_of("; \n", at + 19) - (at + 19));
  EXPECT_TRUE(Has(ReadFile(log), kPlantedError)) << log;
}

TEST_F(CacheRefusalTest, ASymlinkedKernelTreeIsRefusedAndRebuilt) {
  // The tree moved elsewhere, planted and resealed, and linked back.
  std::string elsewhere = MakeTempDir() + "/tree";
  ASSERT_EQ(rename(tree_.c_str(), elsewhere.c_str()), 0);
  ASSERT_EQ(symlink(elsewhere.c_str(), tree_.c_str()), 0);
  std::string planted_header = elsewhere + "/include/provtrace/vmlinux.h";
  WriteBytes(planted_header, PlantedHeader(ReadBytes(planted_header)));
  ResealTree(elsewhere);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectTreeRebuiltAndCaptured(RunProvtrace(cache_));
  EXPECT_TRUE(Has(ReadBytes(planted_header), kPlantedError)) << "the plant was modified";
}

TEST_F(CacheRefusalTest, AKernelTreeWithASymlinkedHeaderIsRefusedAndRebuilt) {
  std::string planted = MakeTempDir() + "/vmlinux.h";
  WriteBytes(planted, PlantedHeader(ReadBytes(header_)), 0666, kNobody);
  ASSERT_EQ(unlink(header_.c_str()), 0);
  ASSERT_EQ(symlink(planted.c_str(), header_.c_str()), 0);
  ResealTree(tree_);
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectTreeRebuiltAndCaptured(RunProvtrace(cache_));
}

TEST_F(CacheRefusalTest, AModifiedKernelHeaderIsRefusedAndRebuilt) {
  WriteBytes(header_, PlantedHeader(ReadBytes(header_)));  // root's, private, KEY unchanged
  ASSERT_EQ(unlink(image_.c_str()), 0);
  ExpectTreeRebuiltAndCaptured(RunProvtrace(cache_));
}

// A cache whose parent someone else controls: they could swap the cache
// for another directory at any time, so it is refused whole, before any
// entry of it is read (a plant that would otherwise load waits in it).
void ExpectParentRefused(const std::string& parent, const std::string& why) {
  std::string cache = parent + "/cache";
  std::string image = cache + "/" + Warm().image;
  std::string plant = DisarmedImage(Warm().image, ReadBytes(image), kExecHandler, true);
  WriteBytes(image, plant);
  Outcome o = RunProvtrace(cache, /*verbose=*/false);
  EXPECT_EQ(o.exit_code, 2) << o.err;
  EXPECT_TRUE(Has(o.err, "cache directory " + cache + " is not safe: " + parent + " " + why))
      << o.err;
  EXPECT_EQ(Lines(o.err), 1) << o.err;
  EXPECT_FALSE(o.saw_exec);
  EXPECT_EQ(ReadBytes(image), plant) << "the refused cache was written to";
}

TEST_F(CacheRefusalTest, ACacheWhoseParentAnotherUserOwnsIsRefused) {
  std::string parent = MakeTempDir() + "/parent";
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  ASSERT_TRUE(CopyTree(Warm().dir, parent + "/cache"));
  ASSERT_EQ(chown(parent.c_str(), kNobody, kNobody), 0);
  ExpectParentRefused(parent, "is owned by uid 65534");
}

TEST_F(CacheRefusalTest, ACacheWhoseParentEveryoneMayWriteIsRefused) {
  std::string parent = MakeTempDir() + "/parent";
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  ASSERT_TRUE(CopyTree(Warm().dir, parent + "/cache"));
  ASSERT_EQ(chmod(parent.c_str(), 0777), 0);
  ExpectParentRefused(parent, "is writable by group or others (mode 0777)");
}

TEST_F(CacheRefusalTest, ACacheInARootOwnedStickyDirectoryIsUsed) {
  // As in /tmp: others may create names there but not remove or replace
  // root's, and what they create is theirs (refused as another user's).
  std::string parent = MakeTempDir() + "/tmp";
  ASSERT_EQ(mkdir(parent.c_str(), 0755), 0);
  ASSERT_EQ(chmod(parent.c_str(), 01777), 0);
  Outcome o = RunProvtrace(parent + "/cache");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(o.saw_exec) << o.err;
}

}  // namespace
}  // namespace provtrace::testing
