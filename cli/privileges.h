// Whether this process may load and attach BPF programs.
#ifndef PROVTRACE_CLI_PRIVILEGES_H_
#define PROVTRACE_CLI_PRIVILEGES_H_

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/status.h"

namespace provtrace::cli {

// BPF needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN on older kernels);
// attaching and reading BTF-typed kernel memory needs CAP_SYS_ADMIN too.
inline Status CheckPrivileges() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return Status::Ok();  // let the kernel decide
  auto has = [&](int cap) { return (data[cap / 32].effective & (1u << (cap % 32))) != 0; };
  if (has(CAP_SYS_ADMIN)) return Status::Ok();
  return Status(StatusCode::kPermissionDenied,
                "provtrace must run as root: loading BPF programs needs CAP_SYS_ADMIN "
                "(or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)",
                "run it as root (e.g. with sudo)");
}

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_PRIVILEGES_H_
