// The machine and boot identifiers every record carries, persisted the way
// CamFlow persists them: a random machine id made once, and a boot counter
// that advances when the kernel's boot UUID changes.
#ifndef PROVTRACE_CORE_IDENTITY_H_
#define PROVTRACE_CORE_IDENTITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace provtrace {

struct Identity {
  uint32_t machine_id = 0;
  uint32_t boot_id = 0;
  // State files refused and replaced, one line each naming the path and
  // why (a symbolic link, another owner, group-writable, not an id).
  std::vector<std::string> warnings;
};

// Reads (and on first use creates or advances) the ids kept in state_dir.
// kernel_boot_uuid identifies the current boot (normally the contents of
// /proc/sys/kernel/random/boot_id). state_dir is reached from "/" by
// descriptor, without following symbolic links: every directory on the way
// must be root's (or this user's) and writable by nobody else (a root-owned
// sticky directory excepted), state_dir too, or this fails naming the
// directory and why. Its files (machine_id, boot_id, lock) are opened
// without following links and must be this user's regular files, writable
// by nobody else; one that is not is refused (identity->warnings) and made
// anew.
Status LoadIdentity(const std::string& state_dir, const std::string& kernel_boot_uuid,
                    Identity* identity);

}  // namespace provtrace

#endif  // PROVTRACE_CORE_IDENTITY_H_
