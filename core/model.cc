#include "core/model.h"

namespace provtrace {

std::string_view NodeTypeName(NodeType type) {
  switch (type) {
    case NodeType::kTask:
      return "task";
    case NodeType::kProcessMemory:
      return "process_memory";
    case NodeType::kFile:
      return "file";
    case NodeType::kDirectory:
      return "directory";
    case NodeType::kLink:
      return "link";
    case NodeType::kChar:
      return "char";
    case NodeType::kBlock:
      return "block";
    case NodeType::kPipe:
      return "pipe";
    case NodeType::kSocket:
      return "socket";
    case NodeType::kPath:
      return "path";
    case NodeType::kArgv:
      return "argv";
    case NodeType::kEnvp:
      return "envp";
    case NodeType::kMachine:
      return "machine";
    case NodeType::kAddress:
      return "address";
    case NodeType::kShm:
      return "shm";
    case NodeType::kMsgQueue:
      return "msg_queue";
    case NodeType::kAnonInode:
      return "anon_inode";
  }
  return "unknown";
}

std::string_view RelationTypeName(RelationType type) {
  switch (type) {
    case RelationType::kClone:
      return "clone";
    case RelationType::kCloneMem:
      return "clone_mem";
    case RelationType::kExec:
      return "exec";
    case RelationType::kExecTask:
      return "exec_task";
    case RelationType::kTerminateTask:
      return "terminate_task";
    case RelationType::kTerminateProc:
      return "terminate_proc";
    case RelationType::kOpen:
      return "open";
    case RelationType::kRead:
      return "read";
    case RelationType::kWrite:
      return "write";
    case RelationType::kMmap:
      return "mmap";
    case RelationType::kMmapPrivate:
      return "mmap_private";
    case RelationType::kInodeCreate:
      return "inode_create";
    case RelationType::kLink:
      return "link";
    case RelationType::kUnlink:
      return "unlink";
    case RelationType::kRename:
      return "rename";
    case RelationType::kSetattr:
      return "setattr";
    case RelationType::kSetuid:
      return "setuid";
    case RelationType::kSetgid:
      return "setgid";
    case RelationType::kPermCheck:
      return "perm_check";
    case RelationType::kNamed:
      return "named";
    case RelationType::kArg:
      return "arg";
    case RelationType::kVersionEntity:
      return "version_entity";
    case RelationType::kVersionActivity:
      return "version_activity";
    case RelationType::kMemoryRead:
      return "memory_read";
    case RelationType::kMemoryWrite:
      return "memory_write";
    case RelationType::kFree:
      return "free";
    case RelationType::kSocketCreate:
      return "socket_create";
    case RelationType::kBind:
      return "bind";
    case RelationType::kConnect:
      return "connect";
    case RelationType::kListen:
      return "listen";
    case RelationType::kAccept:
      return "accept";
    case RelationType::kSend:
      return "send";
    case RelationType::kReceive:
      return "receive";
    case RelationType::kSendUnix:
      return "send_unix";
    case RelationType::kSendPacket:
      return "send_packet";
    case RelationType::kReceivePacket:
      return "receive_packet";
    case RelationType::kAddressed:
      return "addressed";
    case RelationType::kShRead:
      return "sh_read";
    case RelationType::kShWrite:
      return "sh_write";
    case RelationType::kShAttach:
      return "sh_attach";
    case RelationType::kSendMsgQueue:
      return "send_msg_queue";
    case RelationType::kReceiveMsgQueue:
      return "receive_msg_queue";
    case RelationType::kPtraceAttach:
      return "ptrace_attach";
    case RelationType::kPtraceRead:
      return "ptrace_read";
    case RelationType::kSymlink:
      return "symlink";
    case RelationType::kReadLink:
      return "read_link";
    case RelationType::kSetxattr:
      return "setxattr";
    case RelationType::kRemovexattr:
      return "removexattr";
    case RelationType::kGetxattr:
      return "getxattr";
  }
  return "unknown";
}

bool IsKnownNodeType(uint16_t type) { return type >= 1 && type < PT_NODE_TYPE_MAX; }
bool IsKnownRelationType(uint16_t type) { return type >= 1 && type < PT_RELATION_TYPE_MAX; }

bool IsInodeType(NodeType type) {
  return (type >= NodeType::kFile && type <= NodeType::kSocket) || type == NodeType::kAnonInode;
}

ProvClass ProvClassOf(NodeType type) {
  switch (type) {
    case NodeType::kTask:
      return ProvClass::kActivity;
    case NodeType::kMachine:
      return ProvClass::kAgent;
    default:
      return ProvClass::kEntity;
  }
}

}  // namespace provtrace
