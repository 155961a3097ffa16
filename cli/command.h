// The command provtrace traces: forked before the probes load and held at
// a pipe until they are attached, so its exec is the first thing recorded.
//
// It stays in provtrace's process group (so it keeps the terminal: it can
// read it, and a terminal's Ctrl-C reaches it as it reaches provtrace), and
// provtrace is its descendants' subreaper, so that when provtrace stops
// before the command ends it can end the command and every process the
// command left behind, instead of leaving them running unobserved.
#ifndef PROVTRACE_CLI_COMMAND_H_
#define PROVTRACE_CLI_COMMAND_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace provtrace::cli {

struct CommandIo {
  // The command's standard output is provtrace's standard error (records
  // go to standard output, and the command's output must not mix in).
  bool stdout_to_stderr = false;
};

class HeldCommand {
 public:
  static Status Spawn(const std::vector<std::string>& argv, const CommandIo& io,
                      std::optional<HeldCommand>* out);
  static Status Spawn(const std::vector<std::string>& argv, std::optional<HeldCommand>* out);
  HeldCommand(HeldCommand&& other) noexcept;
  HeldCommand& operator=(HeldCommand&&) = delete;
  ~HeldCommand();

  pid_t pid() const { return pid_; }
  // Lets the command run (exec).
  void Release();
  // Kills a command that never got released, and reaps it.
  void Abandon();
  // Non-blocking: true once the command has exited; *status is then the
  // shell-style exit status (128+N when killed by signal N). Reaps the
  // orphans of the command that came to provtrace too.
  bool Exited(int* status, std::string* how);
  // Sends sig to the command and to every live process descended from it
  // (orphans included); returns how many were sent it.
  int SignalAll(int sig);
  // Whether the command or any process descended from it is alive.
  bool AnyAlive();

 private:
  HeldCommand(pid_t pid, int go_fd) : pid_(pid), go_fd_(go_fd) {}
  void ReapOrphans();

  pid_t pid_ = -1;
  int go_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string how_;
};

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_COMMAND_H_
