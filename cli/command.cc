#include "cli/command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

namespace provtrace::cli {

Status HeldCommand::Spawn(const std::vector<std::string>& argv, std::optional<HeldCommand>* out) {
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
  out->emplace(HeldCommand(pid, go[1]));
  return Status::Ok();
}

HeldCommand::HeldCommand(HeldCommand&& other) noexcept
    : pid_(other.pid_), go_fd_(other.go_fd_), reaped_(other.reaped_) {
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
  }
}

bool HeldCommand::Exited(int* status, std::string* how) {
  if (reaped_) return true;
  int raw;
  pid_t r = waitpid(pid_, &raw, WNOHANG);
  if (r != pid_) return false;
  reaped_ = true;
  if (WIFEXITED(raw)) {
    *status = WEXITSTATUS(raw);
    *how = "exited with status " + std::to_string(*status);
  } else if (WIFSIGNALED(raw)) {
    int sig = WTERMSIG(raw);
    *status = 128 + sig;
    *how = std::string("killed by signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
  } else {
    *status = 1;
    *how = "ended";
  }
  return true;
}

}  // namespace provtrace::cli
