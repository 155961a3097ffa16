#include "cli/command.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace provtrace::cli {
namespace {

struct ProcessEntry {
  pid_t ppid = 0;
  bool zombie = false;
};

// Every process's parent, from /proc/PID/stat ("PID (COMM) STATE PPID ...";
// COMM may hold spaces and parentheses, so the fields start after the last
// ')').
std::map<pid_t, ProcessEntry> ReadProcesses() {
  std::map<pid_t, ProcessEntry> processes;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return processes;
  while (struct dirent* entry = readdir(proc)) {
    char* end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 1));
    char state = 0;
    long ppid = 0;
    if (!(fields >> state >> ppid)) continue;
    processes[static_cast<pid_t>(pid)] = ProcessEntry{static_cast<pid_t>(ppid), state == 'Z'};
  }
  closedir(proc);
  return processes;
}

// The live processes below provtrace: the command, its descendants, and
// those of them that were orphaned and came to provtrace (the subreaper).
std::vector<pid_t> LiveDescendants() {
  std::map<pid_t, ProcessEntry> processes = ReadProcesses();
  std::multimap<pid_t, pid_t> children;
  for (const auto& [pid, entry] : processes) children.emplace(entry.ppid, pid);
  std::vector<pid_t> found;
  std::vector<pid_t> todo = {getpid()};
  while (!todo.empty()) {
    pid_t parent = todo.back();
    todo.pop_back();
    auto range = children.equal_range(parent);
    for (auto it = range.first; it != range.second; ++it) {
      if (!processes[it->second].zombie) found.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return found;
}

// The pids of the commands of this process (tests run more than one), so
// that reaping orphans never takes another command's status.
std::set<pid_t>& CommandPids() {
  static std::set<pid_t> pids;
  return pids;
}

}  // namespace

Status HeldCommand::Spawn(const std::vector<std::string>& argv, std::optional<HeldCommand>* out) {
  return Spawn(argv, CommandIo(), out);
}

Status HeldCommand::Spawn(const std::vector<std::string>& argv, const CommandIo& io,
                          std::optional<HeldCommand>* out) {
  // Processes the command leaves behind come to provtrace rather than to
  // init, so that an early stop can find and end them (SignalAll).
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return IoError(std::string("pipe: ") + strerror(errno));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(go[0]);
    close(go[1]);
    return IoError(std::string("cannot fork: ") + strerror(err));
  }
  if (pid == 0) {
    close(go[1]);
    if (io.stdout_to_stderr) dup2(STDERR_FILENO, STDOUT_FILENO);
    char c;
    ssize_t n;
    do {
      n = read(go[0], &c, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) _exit(125);  // provtrace gave up before releasing us
    execvp(args[0], args.data());
    int err = errno;
    dprintf(STDERR_FILENO, "provtrace: cannot run '%s': %s\n", args[0], strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  close(go[0]);
  CommandPids().insert(pid);
  out->emplace(HeldCommand(pid, go[1]));
  return Status::Ok();
}

HeldCommand::HeldCommand(HeldCommand&& other) noexcept
    : pid_(other.pid_),
      go_fd_(other.go_fd_),
      reaped_(other.reaped_),
      status_(other.status_),
      how_(std::move(other.how_)) {
  other.pid_ = -1;
  other.go_fd_ = -1;
}

HeldCommand::~HeldCommand() {
  if (go_fd_ >= 0) Abandon();
}

void HeldCommand::Release() {
  if (go_fd_ < 0) return;
  ssize_t n;
  do {
    n = write(go_fd_, "g", 1);
  } while (n < 0 && errno == EINTR);
  close(go_fd_);
  go_fd_ = -1;
}

void HeldCommand::Abandon() {
  if (go_fd_ >= 0) {
    close(go_fd_);  // the child sees EOF and exits without running anything
    go_fd_ = -1;
  }
  if (pid_ > 0 && !reaped_) {
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    CommandPids().erase(pid_);
  }
}

// Reaps the command if it has ended (its status is kept), then the orphans
// that came to provtrace and have ended, but no other command: the first
// child waitid finds being another command's, the rest wait for later.
void HeldCommand::ReapOrphans() {
  int raw;
  if (!reaped_ && pid_ > 0 && waitpid(pid_, &raw, WNOHANG) == pid_) {
    reaped_ = true;
    CommandPids().erase(pid_);
    if (WIFEXITED(raw)) {
      status_ = WEXITSTATUS(raw);
      how_ = "exited with status " + std::to_string(status_);
    } else if (WIFSIGNALED(raw)) {
      int sig = WTERMSIG(raw);
      status_ = 128 + sig;
      how_ = std::string("killed by signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
    } else {
      status_ = 1;
      how_ = "ended";
    }
  }
  while (true) {
    siginfo_t info = {};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) return;
    if (CommandPids().count(info.si_pid)) return;  // its own HeldCommand reaps it
    if (waitpid(info.si_pid, &raw, WNOHANG) != info.si_pid) return;
  }
}

bool HeldCommand::Exited(int* status, std::string* how) {
  if (pid_ <= 0) return false;
  ReapOrphans();
  if (!reaped_) return false;
  *status = status_;
  *how = how_;
  return true;
}

int HeldCommand::SignalAll(int sig) {
  int sent = 0;
  ReapOrphans();
  if (!reaped_ && kill(pid_, sig) == 0) ++sent;
  for (pid_t pid : LiveDescendants()) {
    if (pid != pid_ && kill(pid, sig) == 0) ++sent;
  }
  return sent;
}

bool HeldCommand::AnyAlive() {
  ReapOrphans();
  return !reaped_ || !LiveDescendants().empty();
}

}  // namespace provtrace::cli
