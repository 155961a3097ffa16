// The machine agent: one node per capture, made in user space from uname,
// and fed through the same decoder as the kernel's records.
#ifndef PROVTRACE_CORE_MACHINE_H_
#define PROVTRACE_CORE_MACHINE_H_

#include <cstdint>
#include <vector>

namespace provtrace {

// The wire record of this machine's node (PT_NODE_MACHINE, id
// PT_MACHINE_NODE_ID), stamped with CLOCK_BOOTTIME now.
std::vector<uint8_t> MachineRecord();

}  // namespace provtrace

#endif  // PROVTRACE_CORE_MACHINE_H_
