#include "formats/node_labels.h"

#include <cstring>

namespace provtrace::formats {
namespace {

std::string Chars(const char* chars, size_t max) { return std::string(chars, strnlen(chars, max)); }

}  // namespace

std::string NodeLabel(const Node& node) {
  switch (node.type) {
    case NodeType::kTask:
      return Chars(node.task.comm, sizeof(node.task.comm)) + "[" + std::to_string(node.task.tid) +
             "]";
    case NodeType::kProcessMemory:
      return "memory[" + std::to_string(node.proc.tgid) + "]";
    case NodeType::kPath:
      return std::string(node.path);
    case NodeType::kArgv:
    case NodeType::kEnvp: {
      std::string joined(node.strings);
      for (char& c : joined) c = c == '\0' ? ' ' : c;
      while (!joined.empty() && joined.back() == ' ') joined.pop_back();
      if (joined.size() > 60) joined = joined.substr(0, 57) + "...";
      return std::string(NodeTypeName(node.type)) + "(" + joined + ")";
    }
    case NodeType::kMachine:
      return Chars(node.machine.nodename, PT_UTS_LEN);
    default:
      return std::string(NodeTypeName(node.type)) + ":" + std::to_string(node.inode.ino);
  }
}

void NodeLabels::OnNode(const Node& node) {
  // An inode keeps the path it was named by over its own "file:123".
  if (IsInodeType(node.type) && labels_.count(node.id)) return;
  if (labels_.size() >= kMaxLabels) labels_.clear();
  labels_[node.id] = NodeLabel(node);
}

void NodeLabels::OnRelation(const Relation& relation) {
  if (relation.type != RelationType::kNamed || !IsInodeType(relation.to.type)) return;
  auto path = labels_.find(relation.from.id);
  if (path != labels_.end()) labels_[relation.to.id] = path->second;
}

std::string NodeLabels::Label(uint64_t id, NodeType type) const {
  auto it = labels_.find(id);
  if (it != labels_.end()) return it->second;
  return std::string(NodeTypeName(type)) + "#" + std::to_string(id);
}

std::string NodeLabels::Label(const NodeRef& ref) const { return Label(ref.id, ref.type); }

}  // namespace provtrace::formats
