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
  }
  return "unknown";
}

bool IsKnownNodeType(uint16_t type) { return type >= 1 && type < PT_NODE_TYPE_MAX; }
bool IsKnownRelationType(uint16_t type) { return type >= 1 && type < PT_RELATION_TYPE_MAX; }

bool IsInodeType(NodeType type) { return type >= NodeType::kFile && type <= NodeType::kSocket; }

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
