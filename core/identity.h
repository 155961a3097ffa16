// The machine and boot identifiers every record carries, persisted the way
// CamFlow persists them: a random machine id made once, and a boot counter
// that advances when the kernel's boot UUID changes.
#ifndef PROVTRACE_CORE_IDENTITY_H_
#define PROVTRACE_CORE_IDENTITY_H_

#include <cstdint>
#include <string>

#include "core/status.h"

namespace provtrace {

struct Identity {
  uint32_t machine_id = 0;
  uint32_t boot_id = 0;
};

// Reads (and on first use creates or advances) the ids kept in state_dir.
// kernel_boot_uuid identifies the current boot (normally the contents of
// /proc/sys/kernel/random/boot_id).
Status LoadIdentity(const std::string& state_dir, const std::string& kernel_boot_uuid,
                    Identity* identity);

}  // namespace provtrace

#endif  // PROVTRACE_CORE_IDENTITY_H_
