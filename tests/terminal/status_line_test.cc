// The status line and the records at a real terminal: provtrace runs in a
// tmux pane (a pseudo-terminal that standard output and standard error
// share, as at a shell prompt), and what the pane shows is read back with
// tmux capture-pane, as a user would see it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

// "9914 records  9914/s  lost 0  0.5 MB  00:00:01"
const std::regex kStatus(R"(\d+ records  \d+/s  lost \d+  [0-9.]+ MB  \d\d:\d\d:\d\d)");
// A text record starts with its time of day.
const std::regex kRecord(R"(\d\d:\d\d:\d\d\.\d{6})");

std::string ShortTempDir() {
  char dir[] = "/tmp/pt-tty-XXXXXX";
  if (mkdtemp(dir) == nullptr) abort();
  return dir;
}

class Tmux {
 public:
  // The socket's path must be short (sun_path): under /tmp, not the test's
  // deep temporary directory.
  Tmux() : dir_(ShortTempDir()), socket_(dir_ + "/tmux.sock") {
    std::ofstream(dir_ + "/tmux.conf") << "set -g remain-on-exit on\n"
                                          "set -g history-limit 100000\n";
  }
  ~Tmux() {
    Run({"kill-server"});
    RunProgram({"/bin/rm", "-rf", dir_});
  }

  const std::string& dir() const { return dir_; }

  // A 250x50 pane running `command` under sh; "" or what went wrong.
  std::string Start(const std::string& command) {
    RunResult r =
        Run({"-f", dir_ + "/tmux.conf", "new-session", "-d", "-x", "250", "-y", "50", command});
    return r.exit_code == 0 ? "" : "tmux: " + r.err;
  }

  // The pane's lines, history included, wrapped lines joined, colours out.
  std::vector<std::string> Lines() {
    RunResult r = Run({"capture-pane", "-p", "-J", "-S", "-"});
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      lines.push_back(line);
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }

 private:
  RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/tmux", "-S", socket_});
    return RunProgram(args);
  }

  std::string dir_;
  std::string socket_;
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

TEST(StatusLineTest, RecordsAndTheStatusLineNeverShareALine) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  ASSERT_EQ(access("/usr/bin/tmux", X_OK), 0) << "tmux is needed (tools/setup.sh installs it)";
  Tmux tmux;
  std::string fifo = tmux.dir() + "/go";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Records, then a wait (the status line is drawn once a second), then
  // more records after it, then the end. The default format on a terminal
  // is text.
  std::string command = ProvtracePath() +
                        " -- /bin/sh -c 'cat /etc/hostname > /dev/null; read x < " + fifo +
                        "; cat /etc/passwd > /dev/null'; echo EXIT=$? > " + tmux.dir() + "/exit";
  ASSERT_EQ(tmux.Start(command), "");

  // The status line shows while the command waits: on a line of its own,
  // the last one, below the records so far.
  std::vector<std::string> lines;
  bool status_shown = false;
  for (int i = 0; i < 1200 && !status_shown; ++i) {  // 120 s: a liveness bound
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lines = tmux.Lines();
    status_shown = !lines.empty() && std::regex_search(lines.back(), kStatus);
  }
  ASSERT_TRUE(status_shown) << Joined(lines);
  EXPECT_TRUE(std::regex_match(lines.back(), kStatus)) << lines.back();
  bool records_above = false;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    records_above |= lines[i].find("/etc/hostname") != std::string::npos;
  }
  EXPECT_TRUE(records_above) << Joined(lines);

  std::ofstream(fifo) << "go\n";
  std::string exit_file = tmux.dir() + "/exit";
  for (int i = 0; i < 600 && ReadFile(exit_file).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(ReadFile(exit_file), "EXIT=0\n");
  lines = tmux.Lines();
  // The records written after the status line start lines of their own;
  // the status line was cleared at the end, so none is left.
  bool passwd = false;
  for (const std::string& line : lines) {
    EXPECT_FALSE(std::regex_search(line, kStatus)) << "a status line left in: " << line;
    if (line.find("/etc/passwd") != std::string::npos) {
      passwd = true;
      std::smatch time;
      EXPECT_TRUE(std::regex_search(line, time, kRecord) && time.position(0) == 0) << line;
    }
  }
  EXPECT_TRUE(passwd) << Joined(lines);
}

}  // namespace
}  // namespace provtrace::testing
