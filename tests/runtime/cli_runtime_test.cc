// provtrace as users run it: exit statuses, one-line errors, signals, the
// feature report and the kernel header cache; stopping before the traced
// command ends; pipelines; live and rotated outputs; filtered graphs.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

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

// ---------------------------------------------------------------------
// Stopping before the command ends (provtrace(8), EXIT STATUS): the
// command, and what it started, is ended; the status says why.

// Whether pid is a live process (not gone, not a zombie).
bool Running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// The pid a command wrote to `file`, once it has (60 s: a liveness bound).
pid_t WaitForPid(const std::string& file) {
  for (int i = 0; i < 600; ++i) {
    std::string text = ReadFile(file);
    if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

// provtrace in a process group of its own, as a shell runs a job: a
// terminal's Ctrl-C is SIGINT to the whole group, command included.
class Job {
 public:
  explicit Job(const std::vector<std::string>& argv) : dir_(MakeTempDir()) {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int out = open((dir_ + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open((dir_ + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, STDOUT_FILENO);
      dup2(err, STDERR_FILENO);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    setpgid(pid_, pid_);
  }
  ~Job() {
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      Wait();
    }
  }
  bool WaitForStderr(const std::string& text) {
    for (int i = 0; i < 1200; ++i) {  // 120 s: a liveness bound
      if (ReadFile(dir_ + "/err").find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  void CtrlC() { kill(-pid_, SIGINT); }
  // To provtrace alone, as kill(1) sends it.
  void Signal(int sig) { kill(pid_, sig); }
  RunResult Wait() {
    int raw = 0;
    while (waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    RunResult r;
    r.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = ReadFile(dir_ + "/out");
    r.err = ReadFile(dir_ + "/err");
    return r;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

TEST(EarlyStopTest, CtrlCThatKillsTheCommandGives130) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  Job job({ProvtracePath(), "-q", "-v", "-o", dir + "/out.jsonl", "--", "/bin/sh", "-c",
           "echo $$ > " + dir + "/pid; exec sleep 600"});
  ASSERT_TRUE(job.WaitForStderr("ready"));
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  job.CtrlC();
  RunResult r = job.Wait();
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.err;
  EXPECT_FALSE(Running(sleep_pid));
  // Its end is in the graph: the probes stayed attached until it ended.
  Capture c;
  std::string error;
  ASSERT_TRUE(c.Parse(ReadFile(dir + "/out.jsonl"), &error)) << error;
  EXPECT_FALSE(c.Relations("terminate_task").empty());
}

TEST(EarlyStopTest, CtrlCWhileTheCommandIgnoresItEndsTheCommandAndGives130) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  Job job({ProvtracePath(), "-q", "-v", "-o", "/dev/null", "--", "/bin/sh", "-c",
           "trap '' INT; echo $$ > " + dir + "/pid; exec sleep 600"});
  ASSERT_TRUE(job.WaitForStderr("ready"));
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  job.CtrlC();
  RunResult r = job.Wait();
  EXPECT_EQ(r.exit_code, 128 + SIGINT) << r.err;
  EXPECT_FALSE(Running(sleep_pid)) << "the command goes on untraced";
  EXPECT_NE(r.err.find("stopping on SIGINT before the command ended: sending SIGTERM"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("command killed by signal 15"), std::string::npos) << r.err;
}

TEST(EarlyStopTest, SigtermEndsTheCommandAndGives143) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  Job job({ProvtracePath(), "-q", "-v", "-o", "/dev/null", "--", "/bin/sh", "-c",
           "echo $$ > " + dir + "/pid; exec sleep 600"});
  ASSERT_TRUE(job.WaitForStderr("ready"));
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  job.Signal(SIGTERM);
  RunResult r = job.Wait();
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  EXPECT_FALSE(Running(sleep_pid));
  EXPECT_NE(r.err.find("stopping on SIGTERM before the command ended"), std::string::npos) << r.err;
}

TEST(EarlyStopTest, DurationEndsTheCommandAndWhatItStartedAndGives124) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  // The command's child: SIGTERM reaches it too, not only the shell.
  RunResult r = RunProgram({ProvtracePath(), "-q", "-d", "1", "-o", "/dev/null", "--", "/bin/sh",
                            "-c", "sleep 600 & echo $! > " + dir + "/pid; wait"});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  EXPECT_FALSE(Running(sleep_pid)) << "the command's child goes on untraced";
  EXPECT_NE(r.err.find("-d 1 expired before the command ended: sending SIGTERM"), std::string::npos)
      << r.err;

  // Without a command, -d is the normal end: 0.
  EXPECT_EQ(RunProgram({ProvtracePath(), "-q", "-d", "0.5", "-o", "/dev/null"}).exit_code, 0);
}

TEST(EarlyStopTest, MaxRecordsEndsTheCommandAndGives124) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  RunResult r =
      RunProgram({ProvtracePath(), "-q", "--max-records", "10", "-o", dir + "/out.jsonl", "--",
                  "/bin/sh", "-c", "echo $$ > " + dir + "/pid; ls / > /dev/null; exec sleep 600"});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  EXPECT_FALSE(Running(sleep_pid));
  EXPECT_NE(r.err.find("--max-records 10 reached before the command ended"), std::string::npos)
      << r.err;
  // Exactly the records asked for.
  Capture c;
  std::string error;
  ASSERT_TRUE(c.Parse(ReadFile(dir + "/out.jsonl"), &error)) << error;
  EXPECT_EQ(c.records().size(), 10u);
}

TEST(EarlyStopTest, OnLossExitEndsTheCommandAndGives3) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  // A tiny buffer flooded while provtrace is blocked writing to a pipe
  // whose reader stalls (as LossTest's flood): the loss does not depend on
  // this machine's speed. Then the command sleeps, and provtrace stops on
  // the loss before it ends.
  std::string command = "echo $$ > " + dir + "/pid; i=0; while [ $i -lt 3000 ]; do echo x > " +
                        dir + "/f$i; i=$((i+1)); done; exec sleep 600";
  std::string script = ProvtracePath() + " -v --buffer-pages 1 --on-loss=exit -- /bin/sh -c '" +
                       command + "' 2>" + dir + "/err | (until grep -q ready " + dir +
                       "/err; do sleep 0.05; done; sleep 2; cat > /dev/null); echo status=$?";
  RunResult run = RunProgram({"/bin/bash", "-c", "set -o pipefail; " + script});
  std::string err = ReadFile(dir + "/err");
  EXPECT_NE(run.out.find("status=3"), std::string::npos) << run.out << err;
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  EXPECT_FALSE(Running(sleep_pid));
  EXPECT_NE(err.find("records were lost (--on-loss=exit) before the command ended"),
            std::string::npos)
      << err;
}

// The reader going away stops provtrace at once, even while nothing is
// written (a command that sleeps), and ends the command.
TEST(EarlyStopTest, TheReaderGoingAwayEndsTheCommand) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  // timeout: a liveness bound; without the fix provtrace waits for sleep.
  std::string script = "timeout 120 " + ProvtracePath() + " -- /bin/sh -c 'echo $$ > " + dir +
                       "/pid; ls / >/dev/null; exec sleep 600' 2>" + dir +
                       "/err | head -1 > /dev/null; echo status=${PIPESTATUS[0]}";
  RunResult run = RunProgram({"/bin/bash", "-c", script});
  EXPECT_NE(run.out.find("status=0"), std::string::npos) << run.out << ReadFile(dir + "/err");
  pid_t sleep_pid = WaitForPid(dir + "/pid");
  ASSERT_GT(sleep_pid, 0);
  EXPECT_FALSE(Running(sleep_pid));
}

// ---------------------------------------------------------------------
// Pipelines: the command's output never mixes with records on stdout.

TEST(PipelineTest, CommandOutputStaysOutOfTheRecordsForJq) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  RunResult run = RunProgram(
      {"/bin/bash", "-c",
       "set -o pipefail; " + ProvtracePath() + " -q -- ls /usr 2>" + dir + "/err | jq -c .kind"});
  ASSERT_EQ(run.exit_code, 0) << run.out << ReadFile(dir + "/err");
  std::istringstream lines(run.out);
  std::string line;
  int relations = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(line == "\"node\"" || line == "\"relation\"" || line == "\"lost\"") << line;
    relations += line == "\"relation\"";
  }
  EXPECT_GT(relations, 0);
  // ls's own output went to provtrace's standard error.
  EXPECT_NE(ReadFile(dir + "/err").find("bin\n"), std::string::npos);
}

TEST(PipelineTest, DotOutputOfACommandIsAGraphDotReads) {
  REQUIRE_ROOT();
  std::string dir = MakeTempDir();
  RunResult run = RunProgram({"/bin/bash", "-c",
                              ProvtracePath() + " -F dot -- ls /usr > " + dir + "/g.dot 2>" + dir +
                                  "/err && dot -Tsvg " + dir + "/g.dot > " + dir + "/g.svg"});
  ASSERT_EQ(run.exit_code, 0) << run.err << ReadFile(dir + "/err");
  EXPECT_NE(ReadFile(dir + "/g.svg").find("<svg"), std::string::npos);
  EXPECT_NE(ReadFile(dir + "/g.svg").find("/usr/bin/ls"), std::string::npos);
}

// ---------------------------------------------------------------------
// Outputs: a live .zst is readable; rotation by the bytes on disk.

// A shell loop that makes many records (files created and written) in
// bursts until `stop` exists.
std::string Bursts(const std::string& dir, const std::string& stop) {
  return "while [ ! -e " + stop + " ]; do i=0; while [ $i -lt 1500 ]; do echo x > " + dir +
         "/f$i; i=$((i+1)); done; sleep 0.2; done";
}

TEST(LiveOutputTest, ZstdcatReadsALiveCaptureToItsLastFlush) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  std::string out = dir + "/live.jsonl.zst";
  Background provtrace(
      {ProvtracePath(), "-q", "-o", out, "--", "/bin/sh", "-c", Bursts(dir, dir + "/stop")});
  // Wait for the first flush.
  for (int i = 0; i < 1200 && ReadFile(out).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(ReadFile(out).empty());
  size_t previous = 0;
  for (int round = 0; round < 6; ++round) {
    RunResult cat = RunProgram({"/usr/bin/zstdcat", out});
    EXPECT_EQ(cat.exit_code, 0) << "round " << round << ": " << cat.err;
    ASSERT_FALSE(cat.out.empty());
    EXPECT_EQ(cat.out.back(), '\n') << "round " << round;
    Capture c;
    std::string error;
    EXPECT_TRUE(c.Parse(cat.out, &error)) << "round " << round << ": " << error;
    EXPECT_GE(cat.out.size(), previous);
    previous = cat.out.size();
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  std::ofstream(dir + "/stop").put('\n');
  RunResult r = provtrace.Wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(RunProgram({"/usr/bin/zstd", "-t", "-q", out}).exit_code, 0);
}

// Files of a rotated output, oldest last: base, base.1, ... as RotatedName
// names them (the number before the format's suffix).
std::vector<std::string> RotatedFiles(const std::string& dir, const std::string& stem,
                                      const std::string& suffix) {
  std::vector<std::string> files;
  if (access((dir + "/" + stem + suffix).c_str(), F_OK) == 0) files.push_back(stem + suffix);
  for (int n = 1; access((dir + "/" + stem + "." + std::to_string(n) + suffix).c_str(), F_OK) == 0;
       ++n) {
    files.push_back(stem + "." + std::to_string(n) + suffix);
  }
  return files;
}

off_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Rotated sizes: a full file ends at the first record past SIZE (plain),
// or past it by at most zstd's block in progress (128 KiB of input,
// compressed: well under 64 KiB for JSON Lines).
void ExpectRotatedSizes(const std::string& dir, const std::vector<std::string>& files, off_t size,
                        off_t slack, bool zstd) {
  ASSERT_GT(files.size(), 2u) << "too few files to see rotation";
  size_t lines = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    std::string path = dir + "/" + files[i];
    if (i > 0) {  // a full one (the current file is the last, partial one)
      EXPECT_GE(FileSize(path), size) << files[i];
      EXPECT_LE(FileSize(path), size + slack) << files[i];
    }
    std::string text = zstd ? RunProgram({"/usr/bin/zstdcat", path}).out : ReadFile(path);
    Capture c;
    std::string error;
    EXPECT_TRUE(c.Parse(text, &error)) << files[i] << ": " << error;
    lines += c.records().size();
  }
  EXPECT_GT(lines, 0u);
}

TEST(RotationTest, LiveAndReplayedOutputsRotateByTheirSizeOnDisk) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  std::string loop = "i=0; while [ $i -lt 20000 ]; do echo x > " + dir + "/f$i; i=$((i+1)); done";
  // Live: the formatted output and the raw capture both rotate, by what
  // reaches the disk (compressed for .zst), and keep their suffixes last.
  RunResult live =
      RunProgram({ProvtracePath(), "-q", "--rotate-size", "200k", "-o", dir + "/l.jsonl.zst", "-w",
                  dir + "/c.raw", "--", "/bin/sh", "-c", loop});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  constexpr off_t kZstdSlack = 136 << 10;  // zstd's block in progress, compressed
  constexpr off_t kPlainSlack = 16 << 10;  // one record
  ExpectRotatedSizes(dir, RotatedFiles(dir, "l", ".jsonl.zst"), 200 << 10, kZstdSlack, true);
  EXPECT_EQ(access((dir + "/l.jsonl.zst.1").c_str(), F_OK), -1);
  std::vector<std::string> raw = RotatedFiles(dir, "c", ".raw");
  ASSERT_GT(raw.size(), 2u);
  for (const std::string& f : raw) {
    RunResult replay = RunProgram({ProvtracePath(), "-r", dir + "/" + f, "-o", "/dev/null"});
    EXPECT_EQ(replay.exit_code, 0) << f << ": " << replay.err;
  }
  // Replayed: a replay flushes only at its end, and rotates all the same.
  RunResult whole =
      RunProgram({ProvtracePath(), "-q", "-w", dir + "/whole.raw", "--", "/bin/sh", "-c", loop});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  RunResult zst = RunProgram({ProvtracePath(), "-r", dir + "/whole.raw", "--rotate-size", "64k",
                              "-o", dir + "/r.jsonl.zst"});
  ASSERT_EQ(zst.exit_code, 0) << zst.err;
  ExpectRotatedSizes(dir, RotatedFiles(dir, "r", ".jsonl.zst"), 64 << 10, kZstdSlack, true);
  RunResult plain = RunProgram(
      {ProvtracePath(), "-r", dir + "/whole.raw", "--rotate-size", "64k", "-o", dir + "/p.jsonl"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ExpectRotatedSizes(dir, RotatedFiles(dir, "p", ".jsonl"), 64 << 10, kPlainSlack, false);
}

// ---------------------------------------------------------------------
// Filters keep only the nodes the kept relations name (and the machine).

// Nodes of the capture no relation of it names, but the machine's.
std::vector<std::string> UnnamedNodes(const Capture& c) {
  std::set<std::pair<uint64_t, uint32_t>> named;
  for (const Record* r : c.Relations()) {
    named.insert({EndpointId(*r, "from"), EndpointVersion(*r, "from")});
    named.insert({EndpointId(*r, "to"), EndpointVersion(*r, "to")});
  }
  std::vector<std::string> unnamed;
  for (const Record* n : c.Nodes()) {
    if (Str(*n, "type") == "machine") continue;
    if (!named.count({U64(*n, "id"), static_cast<uint32_t>(U64(*n, "version"))})) {
      unnamed.push_back(Str(*n, "type") + ":" + std::to_string(U64(*n, "id")));
    }
  }
  return unnamed;
}

Capture ParseFile(const std::string& path) {
  Capture c;
  std::string error;
  EXPECT_TRUE(c.Parse(ReadFile(path), &error)) << path << ": " << error;
  return c;
}

TEST(FilteredGraphTest, OnlyWriteKeepsTheNodesOfItsWrites) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  RunResult r = RunProgram({ProvtracePath(), "-q", "--only", "write", "-o", dir + "/out.jsonl",
                            "--", "/bin/sh", "-c", "echo hi > " + dir + "/a; ls / > /dev/null"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Capture c = ParseFile(dir + "/out.jsonl");
  ASSERT_FALSE(c.Relations("write").empty());
  EXPECT_EQ(c.Relations().size(), c.Relations("write").size());
  EXPECT_EQ(UnnamedNodes(c), std::vector<std::string>());
  EXPECT_TRUE(c.DanglingEndpoints().empty());
  EXPECT_EQ(c.Nodes("machine").size(), 1u);
}

TEST(FilteredGraphTest, MaxRecordsWithOnlyExecKeepsExecsAndTheirNodes) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  RunResult r =
      RunProgram({ProvtracePath(), "-q", "--max-records", "50", "--only", "exec", "-o",
                  dir + "/out.jsonl", "--", "/bin/sh", "-c",
                  "i=0; while [ $i -lt 30 ]; do /bin/true; i=$((i+1)); done; exec sleep 600"});
  EXPECT_EQ(r.exit_code, 124) << r.err;
  Capture c = ParseFile(dir + "/out.jsonl");
  // At most 50; short of it only by a relation and its nodes that did not fit.
  EXPECT_LE(c.records().size(), 50u);
  EXPECT_GE(c.records().size(), 48u);
  EXPECT_GT(c.Relations("exec").size(), 10u);
  EXPECT_EQ(c.Relations().size(), c.Relations("exec").size());
  EXPECT_EQ(UnnamedNodes(c), std::vector<std::string>());
  EXPECT_TRUE(c.DanglingEndpoints().empty());
}

TEST(FilteredGraphTest, TrackingAPidKeepsOnlyItsRelationsNodes) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  Background target(
      {"/bin/sh", "-c",
       "i=0; while [ $i -lt 600 ]; do echo $i >> " + dir + "/log; sleep 0.05; i=$((i+1)); done"});
  std::string pid = std::to_string(target.pid());
  RunResult r = RunProgram({ProvtracePath(), "-q", "-p", pid, "--track", "pid:" + pid, "-d", "1.5",
                            "-o", dir + "/out.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Capture c = ParseFile(dir + "/out.jsonl");
  EXPECT_FALSE(c.Relations().empty());
  EXPECT_EQ(UnnamedNodes(c), std::vector<std::string>());
  EXPECT_TRUE(c.DanglingEndpoints().empty());
}

// The same in the other formats: the pipeline decides for every sink.
TEST(FilteredGraphTest, DotAndSpadeHoldOnlyNamedNodes) {
  REQUIRE_ROOT();
  std::string dir = CanonicalTempDir();
  std::string command = "echo hi > " + dir + "/a; ls / > /dev/null";
  RunResult dot = RunProgram({ProvtracePath(), "-q", "--only", "write", "-F", "dot", "-o",
                              dir + "/g.dot", "--", "/bin/sh", "-c", command});
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  // dot -Tplain: "node NAME ..." and "edge TAIL HEAD ..." lines.
  RunResult plain = RunProgram({"/usr/bin/dot", "-Tplain", dir + "/g.dot"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::set<std::string> nodes, ends;
  std::istringstream lines(plain.out);
  std::string kind, a, b;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    words >> kind >> a >> b;
    if (kind == "node" && line.find(" house ") == std::string::npos) nodes.insert(a);
    if (kind == "edge") ends.insert({a, b});
  }
  EXPECT_FALSE(ends.empty());
  EXPECT_EQ(nodes, ends);

  RunResult spade = RunProgram({ProvtracePath(), "-q", "--only", "write", "-F", "spade-json", "-o",
                                dir + "/g.spade.json", "--", "/bin/sh", "-c", command});
  ASSERT_EQ(spade.exit_code, 0) << spade.err;
  RunResult vertices = RunProgram({"/usr/bin/jq", "-r",
                                   "select((.type == \"Activity\" or .type == \"Entity\") and "
                                   ".annotations.object_type != \"machine\") | .id",
                                   dir + "/g.spade.json"});
  RunResult edge_ends =
      RunProgram({"/usr/bin/jq", "-r", "select(.from) | .from, .to", dir + "/g.spade.json"});
  ASSERT_EQ(vertices.exit_code, 0) << vertices.err;
  std::set<std::string> ids, named;
  std::istringstream v(vertices.out), e(edge_ends.out);
  for (std::string id; std::getline(v, id);) ids.insert(id);
  for (std::string id; std::getline(e, id);) named.insert(id);
  EXPECT_FALSE(named.empty());
  EXPECT_EQ(ids, named);
}

}  // namespace
}  // namespace provtrace::testing
