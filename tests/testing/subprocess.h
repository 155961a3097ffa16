// Test helpers: run a program (usually provtrace) and collect what it did,
// and read JSON Lines output back into records to assert on.
#ifndef PROVTRACE_TESTS_TESTING_SUBPROCESS_H_
#define PROVTRACE_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace provtrace::testing {

struct RunResult {
  int exit_code = -1;  // shell-style: 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv to completion. before_exec runs in the child (e.g. to drop
// privileges).
RunResult RunProgram(const std::vector<std::string>& argv,
                     const std::function<void()>& before_exec = nullptr);

// A running child with stdout/stderr redirected to files.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv);
  ~Background();
  pid_t pid() const { return pid_; }
  // Waits until stderr contains `text` (or the child exits / timeout).
  bool WaitForStderr(const std::string& text, double timeout_seconds);
  void Signal(int sig);
  RunResult Wait();

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  bool waited_ = false;
  int exited_status_ = -1;
};

// Path of the provtrace binary in the test's runfiles.
std::string ProvtracePath();
// Path of a file of this workspace in the test's runfiles.
std::string Runfile(const std::string& relative);
// The workload helper (tests/workload), for tests that list it as data.
std::string Workload();
// A fresh private directory under TEST_TMPDIR (or /tmp).
std::string MakeTempDir();
// The same, as a canonical path (no symbolic links), as the graph names it.
std::string CanonicalTempDir();
std::string ReadFile(const std::string& path);
bool IsRoot();

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_TESTING_SUBPROCESS_H_
