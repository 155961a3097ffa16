// provtrace as users run it: exit statuses, one-line errors, signals, the
// feature report and the kernel header cache.
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>

#include "tests/testing/capture.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

int Lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

#define REQUIRE_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs"

TEST(CliRuntimeTest, InfoReportsTheKernelAndTheBackendAutoPicks) {
  REQUIRE_ROOT();
  RunResult r = RunProgram({ProvtracePath(), "--info"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"btf: yes", "active lsms: ", "  lsm: ", "  fentry: ", "  kprobe: ",
                           "  raw_tracepoint: ", "ring buffer: ", "chosen backend (auto): "}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  // auto picks the first usable backend in the order lsm, fentry, kprobe,
  // tracepoint, and names why it passed over the others.
  std::smatch chosen;
  ASSERT_TRUE(std::regex_search(r.out, chosen, std::regex("chosen backend \\(auto\\): (\\w+)")));
  std::string backends = r.out.substr(r.out.find("backends:\n"));
  for (const char* b : {"lsm", "fentry", "kprobe", "tracepoint"}) {
    bool usable = backends.find(std::string("  ") + b + ": yes") != std::string::npos;
    if (usable) {
      EXPECT_EQ(chosen[1].str(), b);
      break;
    }
    EXPECT_NE(r.out.find(std::string("passed over ") + b + ": "), std::string::npos) << b;
  }
}

TEST(CliRuntimeTest, VerboseSaysWhichBackendAndWhy) {
  REQUIRE_ROOT();
  RunResult info = RunProgram({ProvtracePath(), "--info"});
  RunResult r = RunProgram({ProvtracePath(), "-v", "--", "/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch chosen;
  ASSERT_TRUE(std::regex_search(info.out, chosen, std::regex("chosen backend \\(auto\\): (\\w+)")));
  EXPECT_NE(r.err.find("backend " + chosen[1].str() + " (auto)"), std::string::npos) << r.err;
  if (chosen[1].str() == "tracepoint") {
    EXPECT_NE(r.err.find("not lsm: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("not fentry: "), std::string::npos) << r.err;
  }
}

TEST(CliRuntimeTest, CommandExitStatusIsProvtracesExitStatus) {
  REQUIRE_ROOT();
  EXPECT_EQ(RunProgram({ProvtracePath(), "--", "sh", "-c", "exit 7"}).exit_code, 7);

  RunResult killed = RunProgram({ProvtracePath(), "--", "sh", "-c", "kill -9 $$"});
  EXPECT_EQ(killed.exit_code, 128 + 9);
  EXPECT_NE(killed.err.find("killed by signal 9"), std::string::npos) << killed.err;

  RunResult missing = RunProgram({ProvtracePath(), "--", "/no/such/command"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("cannot run '/no/such/command'"), std::string::npos) << missing.err;
  EXPECT_EQ(Lines(missing.err), 1) << missing.err;
}

TEST(CliRuntimeTest, NotRootIsOneLineAndStatus2) {
  REQUIRE_ROOT();
  // A copy nobody can reach (the runfiles live under root's home).
  char dir[] = "/tmp/provtrace-nobody-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(chmod(dir, 0755), 0);
  std::string copy = std::string(dir) + "/provtrace";
  ASSERT_EQ(RunProgram({"/bin/cp", ProvtracePath(), copy}).exit_code, 0);
  ASSERT_EQ(chmod(copy.c_str(), 0755), 0);
  RunResult r = RunProgram({copy, "--", "/bin/true"}, [] {
    setgroups(0, nullptr);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(99);
  });
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("root"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  unlink(copy.c_str());
  rmdir(dir);
}

TEST(CliRuntimeTest, MissingBtfIsOneLineAndStatus2) {
  REQUIRE_ROOT();
  RunResult r = RunProgram({ProvtracePath(), "--btf", "/no/such/btf", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("BTF"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CONFIG_DEBUG_INFO_BTF"), std::string::npos) << r.err;
}

TEST(CliRuntimeTest, UnusableBackendIsOneLineAndStatus2) {
  REQUIRE_ROOT();
  RunResult info = RunProgram({ProvtracePath(), "--info"});
  if (info.out.find("  lsm: yes") != std::string::npos) {
    GTEST_SKIP() << "the lsm backend is usable on this kernel, so it cannot be refused";
  }
  RunResult r = RunProgram({ProvtracePath(), "--backend", "lsm", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(Lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("backend lsm is not usable"), std::string::npos) << r.err;
}

TEST(CliRuntimeTest, BadOptionsAreOneLineAndStatus2) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--bogus"},
                                             {"-d", "soon"},
                                             {"-d", "-1"},
                                             {"--backend", "ebpf"},
                                             {"--buffer-pages", "3"}}) {
    args.insert(args.begin(), ProvtracePath());
    RunResult r = RunProgram(args);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_EQ(Lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("provtrace: ", 0), 0u) << r.err;
  }
}

TEST(CliRuntimeTest, SigtermDrainsFlushesAndExits0) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  Background provtrace({ProvtracePath(), "-v", "-o", dir + "/out.jsonl"});
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 60)) << provtrace.Wait().err;
  ASSERT_EQ(RunProgram({"/bin/true"}).exit_code, 0);
  provtrace.Signal(SIGTERM);
  RunResult r = provtrace.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = ReadFile(dir + "/out.jsonl");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  Capture c;
  std::string error;
  EXPECT_TRUE(c.Parse(out, &error)) << error;
  struct stat st;
  ASSERT_EQ(stat((dir + "/out.jsonl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// The kernel wakes the reader once per batch of records; a few records of
// a quiet traced command must still reach the output while it runs (the
// reader's own drain, then the once-a-second flush). The command makes
// far fewer records than a batch: only builtins, then it blocks on a fifo.
void ExpectRecordsArriveWhileTheCommandRuns(const std::string& transport) {
  std::string dir = CanonicalTempDir();
  std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Background provtrace({ProvtracePath(), "-q", "-v", "--transport=" + transport, "-o",
                        dir + "/out.jsonl", "--", "/bin/sh", "-c",
                        ": > " + dir + "/marker; read line < " + fifo});
  // Startup (a first compile for this transport) is not what is measured.
  ASSERT_TRUE(provtrace.WaitForStderr("ready", 120)) << provtrace.Wait().err;
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {  // 10 s: a liveness bound
    usleep(100000);
    seen = ReadFile(dir + "/out.jsonl").find(dir + "/marker") != std::string::npos;
  }
  // Ends the command, and with it the capture.
  FILE* writer = fopen(fifo.c_str(), "w");
  ASSERT_NE(writer, nullptr);
  fputs("done\n", writer);
  fclose(writer);
  RunResult r = provtrace.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(seen) << "the marker's record reached the output only at exit";
  EXPECT_NE(ReadFile(dir + "/out.jsonl").find(dir + "/marker"), std::string::npos);
}

TEST(CliRuntimeTest, RecordsArriveWhileTheCommandRunsPerf) {
  REQUIRE_ROOT();
  ExpectRecordsArriveWhileTheCommandRuns("perf");
}

TEST(CliRuntimeTest, RecordsArriveWhileTheCommandRunsRing) {
  REQUIRE_ROOT();
  ExpectRecordsArriveWhileTheCommandRuns("ring");
}

TEST(CliRuntimeTest, KernelHeadersAreBuiltOnceIntoAPrivateCache) {
  REQUIRE_ROOT();
  std::string cache = MakeTempDir() + "/cache";
  RunResult first = RunProgram({ProvtracePath(), "-v", "--cache-dir", cache, "--", "/bin/true"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("kernel headers built in " + cache + "/kernel-"), std::string::npos)
      << first.err;
  RunResult second = RunProgram({ProvtracePath(), "-v", "--cache-dir", cache, "--", "/bin/true"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("kernel headers reused from " + cache + "/kernel-"), std::string::npos)
      << second.err;
  struct stat st;
  ASSERT_EQ(stat(cache.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(st.st_uid, 0u);

  // A cache someone else could write to is refused, not used.
  ASSERT_EQ(chmod(cache.c_str(), 0777), 0);
  RunResult unsafe = RunProgram({ProvtracePath(), "--cache-dir", cache, "--", "/bin/true"});
  EXPECT_EQ(unsafe.exit_code, 2) << unsafe.err;
  EXPECT_NE(unsafe.err.find("not a private directory"), std::string::npos) << unsafe.err;
}

}  // namespace
}  // namespace provtrace::testing
