#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace provtrace::testing {
namespace {

int ShellStatus(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err,
            const std::function<void()>& before_exec) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    close(o);
    close(e);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    if (before_exec) before_exec();
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool IsRoot() { return geteuid() == 0; }

std::string MakeTempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = std::string(base ? base : "/tmp") + "/pt-XXXXXX";
  if (mkdtemp(&templ[0]) == nullptr) abort();
  return templ;
}

std::string CanonicalTempDir() {
  char* real = realpath(MakeTempDir().c_str(), nullptr);
  if (real == nullptr) abort();
  std::string dir = real;
  free(real);
  return dir;
}

std::string Runfile(const std::string& relative) {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  return std::string(srcdir ? srcdir : ".") + "/" + (workspace ? workspace : "provtrace") + "/" +
         relative;
}

std::string Workload() { return Runfile("tests/workload/workload"); }

std::string ProvtracePath() {
  const char* srcdir = getenv("TEST_SRCDIR");
  const char* workspace = getenv("TEST_WORKSPACE");
  if (srcdir != nullptr) {
    return std::string(srcdir) + "/" + (workspace ? workspace : "provtrace") + "/cli/provtrace";
  }
  return "bazel-bin/cli/provtrace";
}

RunResult RunProgram(const std::vector<std::string>& argv,
                     const std::function<void()>& before_exec) {
  std::string dir = MakeTempDir();
  std::string out = dir + "/out", err = dir + "/err";
  pid_t pid = Spawn(argv, out, err, before_exec);
  int raw = 0;
  while (waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  RunResult r;
  r.exit_code = ShellStatus(raw);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  return r;
}

Background::Background(const std::vector<std::string>& argv) {
  std::string dir = MakeTempDir();
  out_path_ = dir + "/out";
  err_path_ = dir + "/err";
  pid_ = Spawn(argv, out_path_, err_path_, nullptr);
}

Background::~Background() {
  if (!waited_) {
    kill(pid_, SIGKILL);
    Wait();
  }
}

bool Background::WaitForStderr(const std::string& text, double timeout_seconds) {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::duration<double>(timeout_seconds));
  while (std::chrono::steady_clock::now() < deadline) {
    if (ReadFile(err_path_).find(text) != std::string::npos) return true;
    int raw;
    if (waitpid(pid_, &raw, WNOHANG) == pid_) {
      // Exited early; keep the status for Wait().
      waited_ = true;
      exited_status_ = ShellStatus(raw);
      return ReadFile(err_path_).find(text) != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Background::Signal(int sig) { kill(pid_, sig); }

RunResult Background::Wait() {
  RunResult r;
  if (waited_) {
    r.exit_code = exited_status_;
  } else {
    int raw = 0;
    while (waitpid(pid_, &raw, 0) < 0 && errno == EINTR) {
    }
    waited_ = true;
    r.exit_code = ShellStatus(raw);
    exited_status_ = r.exit_code;
  }
  r.out = ReadFile(out_path_);
  r.err = ReadFile(err_path_);
  return r;
}

}  // namespace provtrace::testing
