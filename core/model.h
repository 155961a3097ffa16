// The decoded provenance model: what the decoder makes of wire records and
// what every writer receives. Views point into the record buffer they were
// decoded from and are valid only during the call that hands them out.
#ifndef PROVTRACE_CORE_MODEL_H_
#define PROVTRACE_CORE_MODEL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "core/record.h"

namespace provtrace {

enum class NodeType : uint16_t {
  kTask = PT_NODE_TASK,
  kProcessMemory = PT_NODE_PROCESS_MEMORY,
  kFile = PT_NODE_FILE,
  kDirectory = PT_NODE_DIRECTORY,
  kLink = PT_NODE_LINK,
  kChar = PT_NODE_CHAR,
  kBlock = PT_NODE_BLOCK,
  kPipe = PT_NODE_PIPE,
  kSocket = PT_NODE_SOCKET,
  kPath = PT_NODE_PATH,
  kArgv = PT_NODE_ARGV,
  kEnvp = PT_NODE_ENVP,
  kMachine = PT_NODE_MACHINE,
  kAddress = PT_NODE_ADDRESS,
  kShm = PT_NODE_SHM,
  kMsgQueue = PT_NODE_MSG_QUEUE,
  kAnonInode = PT_NODE_ANON_INODE,
};

enum class RelationType : uint16_t {
  kClone = PT_REL_CLONE,
  kCloneMem = PT_REL_CLONE_MEM,
  kExec = PT_REL_EXEC,
  kExecTask = PT_REL_EXEC_TASK,
  kTerminateTask = PT_REL_TERMINATE_TASK,
  kTerminateProc = PT_REL_TERMINATE_PROC,
  kOpen = PT_REL_OPEN,
  kRead = PT_REL_READ,
  kWrite = PT_REL_WRITE,
  kMmap = PT_REL_MMAP,
  kMmapPrivate = PT_REL_MMAP_PRIVATE,
  kInodeCreate = PT_REL_INODE_CREATE,
  kLink = PT_REL_LINK,
  kUnlink = PT_REL_UNLINK,
  kRename = PT_REL_RENAME,
  kSetattr = PT_REL_SETATTR,
  kSetuid = PT_REL_SETUID,
  kSetgid = PT_REL_SETGID,
  kPermCheck = PT_REL_PERM_CHECK,
  kNamed = PT_REL_NAMED,
  kArg = PT_REL_ARG,
  kVersionEntity = PT_REL_VERSION_ENTITY,
  kVersionActivity = PT_REL_VERSION_ACTIVITY,
  kMemoryRead = PT_REL_MEMORY_READ,
  kMemoryWrite = PT_REL_MEMORY_WRITE,
  kFree = PT_REL_FREE,
  kSocketCreate = PT_REL_SOCKET_CREATE,
  kBind = PT_REL_BIND,
  kConnect = PT_REL_CONNECT,
  kListen = PT_REL_LISTEN,
  kAccept = PT_REL_ACCEPT,
  kSend = PT_REL_SEND,
  kReceive = PT_REL_RECEIVE,
  kSendUnix = PT_REL_SEND_UNIX,
  kSendPacket = PT_REL_SEND_PACKET,
  kReceivePacket = PT_REL_RECEIVE_PACKET,
  kAddressed = PT_REL_ADDRESSED,
  kShRead = PT_REL_SH_READ,
  kShWrite = PT_REL_SH_WRITE,
  kShAttach = PT_REL_SH_ATTACH,
  kSendMsgQueue = PT_REL_SEND_MSG_QUEUE,
  kReceiveMsgQueue = PT_REL_RECEIVE_MSG_QUEUE,
  kPtraceAttach = PT_REL_PTRACE_ATTACH,
  kPtraceRead = PT_REL_PTRACE_READ,
  kSymlink = PT_REL_SYMLINK,
  kReadLink = PT_REL_READ_LINK,
  kSetxattr = PT_REL_SETXATTR,
  kRemovexattr = PT_REL_REMOVEXATTR,
  kGetxattr = PT_REL_GETXATTR,
};

// CamFlow's type strings ("task", "clone", ...); "unknown" for values this
// build does not know (a newer capture).
std::string_view NodeTypeName(NodeType type);
std::string_view RelationTypeName(RelationType type);
bool IsKnownNodeType(uint16_t type);
bool IsKnownRelationType(uint16_t type);

// Nodes with an inode's body (pt_inode_node): file .. socket, and the
// objects behind the shared anonymous inode.
bool IsInodeType(NodeType type);

// W3C PROV class of a node type: activity, entity or agent.
enum class ProvClass { kActivity, kEntity, kAgent };
ProvClass ProvClassOf(NodeType type);

struct NodeRef {
  uint64_t id = 0;
  uint32_t version = 0;
  NodeType type = NodeType::kTask;
};

struct Node {
  NodeType type;
  uint64_t id = 0;
  uint32_t version = 0;
  uint16_t flags = 0;    // enum pt_node_flags
  uint64_t time_ns = 0;  // CLOCK_BOOTTIME
  // By type (copied: transports do not align records; fields a shorter,
  // older record lacks are zero).
  struct pt_task_node task = {};        // kTask
  struct pt_proc_node proc = {};        // kProcessMemory
  struct pt_inode_node inode = {};      // kFile .. kSocket
  struct pt_machine_node machine = {};  // kMachine
  struct pt_address_node address = {};  // kAddress
  struct pt_ipc_node ipc = {};          // kShm, kMsgQueue
  // kPath: the path. kArgv, kEnvp: the NUL-terminated strings, back to back.
  std::string_view path;
  std::string_view strings;
  uint32_t string_count = 0;

  bool history_unknown() const { return (flags & PT_NODE_HISTORY_UNKNOWN) != 0; }
  bool inode_unknown() const { return (flags & PT_NODE_INODE_UNKNOWN) != 0; }
};

struct Relation {
  RelationType type;
  uint64_t id = 0;
  NodeRef from;  // where information comes from
  NodeRef to;    // where it goes
  uint64_t flags = 0;
  int64_t offset = -1;
  uint64_t time_ns = 0;
};

enum class LostSource {
  kPerfBuffer,  // the kernel overwrote or dropped records (perf lost event)
  kBpfOutput,   // the BPF program's output was refused (ring buffer full)
};

struct Lost {
  LostSource source = LostSource::kPerfBuffer;
  uint64_t count = 0;
  int cpu = -1;
  uint64_t time_ns = 0;  // CLOCK_BOOTTIME when user space learned of it
};

// Identity and clocks of one capture, stamped on every record written.
struct CaptureInfo {
  uint32_t boot_id = 0;
  uint32_t machine_id = 0;
  // CLOCK_REALTIME - CLOCK_BOOTTIME at the start, to turn record times
  // into wall-clock times.
  int64_t realtime_offset_ns = 0;
  std::string backend;

  // A record's CLOCK_BOOTTIME as nanoseconds since the Unix epoch.
  // (Unsigned arithmetic: damaged input must not overflow.)
  int64_t WallClockNs(uint64_t boot_ns) const {
    return static_cast<int64_t>(boot_ns + static_cast<uint64_t>(realtime_offset_ns));
  }
};

}  // namespace provtrace

#endif  // PROVTRACE_CORE_MODEL_H_
