#include "core/machine.h"

#include <sys/utsname.h>
#include <time.h>

#include <cstring>

#include "core/record.h"

namespace provtrace {

std::vector<uint8_t> MachineRecord() {
  pt_machine_node node;
  memset(&node, 0, sizeof(node));
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  node.node.hdr.kind = PT_KIND_NODE;
  node.node.hdr.size = sizeof(node);
  node.node.hdr.type = PT_NODE_MACHINE;
  node.node.hdr.time_ns =
      static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<uint64_t>(now.tv_nsec);
  node.node.id = PT_MACHINE_NODE_ID;
  struct utsname un;
  if (uname(&un) == 0) {
    strncpy(node.sysname, un.sysname, PT_UTS_LEN - 1);
    strncpy(node.nodename, un.nodename, PT_UTS_LEN - 1);
    strncpy(node.release, un.release, PT_UTS_LEN - 1);
    strncpy(node.version, un.version, PT_UTS_LEN - 1);
    strncpy(node.machine, un.machine, PT_UTS_LEN - 1);
  }
  const auto* bytes = reinterpret_cast<const uint8_t*>(&node);
  return std::vector<uint8_t>(bytes, bytes + sizeof(node));
}

}  // namespace provtrace
