// Synthetic wire records for tests: exactly what the BPF side emits.
#ifndef PROVTRACE_TESTS_UNIT_RECORDS_FOR_TEST_H_
#define PROVTRACE_TESTS_UNIT_RECORDS_FOR_TEST_H_

#include <cstring>
#include <string>
#include <vector>

#include "core/record.h"

namespace provtrace::testing {

template <typename T>
std::vector<uint8_t> Bytes(const T& value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  return std::vector<uint8_t>(p, p + sizeof(value));
}

inline std::vector<uint8_t> TaskRecord(uint64_t id, uint32_t version, uint32_t pid, uint32_t tid,
                                       const char* comm, uint16_t flags = 0,
                                       uint64_t time_ns = 1000) {
  pt_task_node n;
  memset(&n, 0, sizeof(n));
  n.node.hdr = {PT_KIND_NODE, sizeof(n), PT_NODE_TASK, flags, time_ns};
  n.node.id = id;
  n.node.version = version;
  n.pid = pid;
  n.tid = tid;
  n.ppid = 1;
  n.uid = 1000;
  n.gid = 100;
  strncpy(n.comm, comm, sizeof(n.comm));
  n.vpid = tid;
  n.utime_ns = 2000000;
  n.stime_ns = 1000000;
  n.utsns = n.ipcns = n.mntns = n.pidns = n.netns = n.cgroupns = 4026531835;
  return Bytes(n);
}

inline std::vector<uint8_t> ProcRecord(uint64_t id, uint32_t version, uint32_t tgid, uint32_t uid,
                                       uint64_t time_ns = 1500) {
  pt_proc_node n;
  memset(&n, 0, sizeof(n));
  n.node.hdr = {PT_KIND_NODE, sizeof(n), PT_NODE_PROCESS_MEMORY, 0, time_ns};
  n.node.id = id;
  n.node.version = version;
  n.tgid = tgid;
  n.uid = uid;
  n.gid = uid;
  return Bytes(n);
}

inline std::vector<uint8_t> InodeRecord(uint64_t id, uint32_t version, uint16_t type, uint64_t ino,
                                        uint32_t mode, uint16_t flags = 0,
                                        uint64_t time_ns = 1700) {
  pt_inode_node n;
  memset(&n, 0, sizeof(n));
  n.node.hdr = {PT_KIND_NODE, sizeof(n), type, flags, time_ns};
  n.node.id = id;
  n.node.version = version;
  n.ino = ino;
  n.mode = mode;
  n.dev = 0x800001;
  for (int i = 0; i < 16; ++i) n.sb_uuid[i] = static_cast<uint8_t>(i);
  return Bytes(n);
}

// argv or envp: the strings, each NUL-terminated.
inline std::vector<uint8_t> StringsRecord(uint64_t id, uint16_t type,
                                          const std::vector<std::string>& strings,
                                          uint64_t time_ns = 1800) {
  std::string data;
  for (const std::string& one : strings) data += one + '\0';
  pt_strings_node n;
  memset(&n, 0, sizeof(n));
  uint16_t size = static_cast<uint16_t>(sizeof(n) + data.size());
  n.node.hdr = {PT_KIND_NODE, size, type, 0, time_ns};
  n.node.id = id;
  n.len = static_cast<uint32_t>(data.size());
  n.count = static_cast<uint32_t>(strings.size());
  std::vector<uint8_t> out = Bytes(n);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline std::vector<uint8_t> PathRecord(uint64_t id, const std::string& path,
                                       uint64_t time_ns = 2000) {
  pt_path_node n;
  memset(&n, 0, sizeof(n));
  uint16_t size = static_cast<uint16_t>(sizeof(n) + path.size() + 1);
  n.node.hdr = {PT_KIND_NODE, size, PT_NODE_PATH, 0, time_ns};
  n.node.id = id;
  n.path_len = static_cast<uint32_t>(path.size());
  std::vector<uint8_t> out(size, 0);
  memcpy(out.data(), &n, sizeof(n));
  memcpy(out.data() + sizeof(n), path.data(), path.size());
  return out;
}

inline std::vector<uint8_t> RelationRecord(uint16_t type, uint64_t id, pt_node_ref from,
                                           pt_node_ref to, uint64_t flags = 0, int64_t offset = -1,
                                           uint64_t time_ns = 3000) {
  pt_relation r;
  memset(&r, 0, sizeof(r));
  r.hdr = {PT_KIND_RELATION, sizeof(r), type, 0, time_ns};
  r.id = id;
  r.from = from;
  r.to = to;
  r.flags = flags;
  r.offset = offset;
  const auto* p = reinterpret_cast<const uint8_t*>(&r);
  return std::vector<uint8_t>(p, p + sizeof(r));
}

inline pt_node_ref Ref(uint64_t id, uint32_t version, uint16_t type) {
  pt_node_ref ref;
  memset(&ref, 0, sizeof(ref));
  ref.id = id;
  ref.version = version;
  ref.type = type;
  return ref;
}

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_UNIT_RECORDS_FOR_TEST_H_
