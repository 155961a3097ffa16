// The status line and the records at a real terminal: provtrace runs in a
// tmux pane (a pseudo-terminal that standard output and standard error
// share, as at a shell prompt), and what the pane shows is read back with
// tmux capture-pane, as a user would see it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
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
  std::string first = tmux.dir() + "/first", second = tmux.dir() + "/second";
  ASSERT_EQ(mkfifo(first.c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(second.c_str(), 0600), 0);
  // Records; a wait, while the status line is drawn (once a second); more
  // records, which go out at a once-a-second flush while the status line
  // is shown; a wait; the end. The default format on a terminal is text.
  std::string command = ProvtracePath() +
                        " -- /bin/sh -c 'cat /etc/hostname > /dev/null; read x < " + first +
                        "; cat /etc/passwd > /dev/null; read y < " + second + "'; echo EXIT=$? > " +
                        tmux.dir() + "/exit";
  ASSERT_EQ(tmux.Start(command), "");

  // Waits (120 s: a liveness bound) until the pane's lines satisfy `done`.
  std::vector<std::string> lines;
  auto wait_for = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 1200; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lines = tmux.Lines();
      if (done()) return true;
    }
    return false;
  };
  auto status_last = [&] { return !lines.empty() && std::regex_search(lines.back(), kStatus); };
  // Whether a line shows a record of cat opening `path` (the exec line
  // names the paths too, in sh's arguments).
  auto shows = [&](const std::string& path) {
    std::regex open("cat +[0-9]+ +open +" + path);
    for (const std::string& line : lines) {
      if (std::regex_search(line, open)) return true;
    }
    return false;
  };
  // A record line starts with its time.
  auto starts_with_time = [](const std::string& line) {
    std::smatch time;
    return std::regex_search(line, time, kRecord) && time.position(0) == 0;
  };

  // The status line, while the command waits: the last line, of its own,
  // below the records so far.
  ASSERT_TRUE(wait_for(status_last)) << Joined(lines);
  EXPECT_TRUE(std::regex_match(lines.back(), kStatus)) << lines.back();
  EXPECT_TRUE(shows("/etc/hostname")) << Joined(lines);

  // Records that come while it is shown: on lines of their own, and the
  // status line below them again.
  std::ofstream(first) << "go\n";
  ASSERT_TRUE(wait_for([&] { return shows("/etc/passwd") && status_last(); })) << Joined(lines);
  // Every record (the first one after the wait is sh's open of the fifo)
  // starts its line; a status line is a line of its own.
  for (const std::string& line : lines) {
    if (std::regex_search(line, kRecord)) EXPECT_TRUE(starts_with_time(line)) << line;
    if (std::regex_search(line, kStatus)) EXPECT_TRUE(std::regex_match(line, kStatus)) << line;
  }
  EXPECT_TRUE(std::regex_match(lines.back(), kStatus)) << lines.back();

  // At the end the status line is cleared: none is left, above or below.
  std::ofstream(second) << "go\n";
  std::string exit_file = tmux.dir() + "/exit";
  for (int i = 0; i < 600 && ReadFile(exit_file).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(ReadFile(exit_file), "EXIT=0\n");
  lines = tmux.Lines();
  for (const std::string& line : lines) {
    EXPECT_FALSE(std::regex_search(line, kStatus)) << "a status line left in: " << line;
    if (std::regex_search(line, kRecord)) EXPECT_TRUE(starts_with_time(line)) << line;
  }
  EXPECT_TRUE(shows("/etc/passwd")) << Joined(lines);
}

}  // namespace
}  // namespace provtrace::testing
