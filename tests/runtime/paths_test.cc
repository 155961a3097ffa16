// Paths in the graph are the ones the process itself uses: in a chroot (or
// a container's root) they end at the process's root, as d_path's do, so
// that they match the absolute paths it passes to system calls.
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

TEST(PathsTest, AChrootedProcessNamesFilesFromItsOwnRoot) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs and to chroot";
  std::string dir = CanonicalTempDir();
  std::string root = dir + "/root";
  ASSERT_EQ(RunProgram({"/bin/mkdir", root}).exit_code, 0);
  // The host's root again at `root`, in a mount namespace of the command's
  // own (gone when it exits); inside the chroot the file is dir/x, as seen
  // from its root, and root/dir/x from the host's.
  std::string script = "mount --make-rprivate / && mount --rbind / " + root + " && exec chroot " +
                       root + " " + Workload() + " write " + dir + "/x hello";
  RunResult run = RunProgram({ProvtracePath(), "-o", dir + "/out.jsonl", "--", "/usr/bin/unshare",
                              "-m", "/bin/sh", "-c", script});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Capture c;
  std::string error;
  ASSERT_TRUE(c.Parse(ReadFile(dir + "/out.jsonl"), &error)) << error;
  std::vector<uint64_t> file = c.NamedIds(dir + "/x", "file");
  ASSERT_EQ(file.size(), 1u) << "no file named " << dir << "/x";
  EXPECT_EQ(c.RelationsTo("write", file[0]).size(), 1u);
  EXPECT_TRUE(c.NamedIds(root + dir + "/x").empty()) << "named from the host's root";
}

}  // namespace
}  // namespace provtrace::testing
