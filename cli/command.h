// The command provtrace traces: forked before the probes load and held at
// a pipe until they are attached, so its exec is the first thing recorded.
#ifndef PROVTRACE_CLI_COMMAND_H_
#define PROVTRACE_CLI_COMMAND_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace provtrace::cli {

class HeldCommand {
 public:
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
  // shell-style exit status (128+N when killed by signal N).
  bool Exited(int* status, std::string* how);

 private:
  HeldCommand(pid_t pid, int go_fd) : pid_(pid), go_fd_(go_fd) {}
  pid_t pid_ = -1;
  int go_fd_ = -1;
  bool reaped_ = false;
};

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_COMMAND_H_
