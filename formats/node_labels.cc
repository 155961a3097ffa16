#include "formats/node_labels.h"

#include <arpa/inet.h>

#include <cstring>

#include "formats/kernel_string.h"

namespace provtrace::formats {
namespace {

std::string_view Chars(const char* chars, size_t max) {
  return std::string_view(chars, strnlen(chars, max));
}

// Longest argv/envp label kept, in bytes of its escaped form.
constexpr size_t kMaxStringsLabel = 60;

}  // namespace

std::string IpText(const pt_address_node& address) {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(address.family == 10 /* AF_INET6 */ ? AF_INET6 : AF_INET, address.addr, text,
            sizeof(text));
  return text;
}

std::string AddressText(const pt_address_node& address) {
  std::string ip = IpText(address);
  if (address.family == 10) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(address.port);
}

void AppendStrings(std::string* out, std::string_view strings, bool utf8) {
  bool first = true;
  while (!strings.empty()) {
    size_t end = strings.find('\0');
    std::string_view one = strings.substr(0, end);
    if (!first) out->push_back(' ');
    AppendEscapedField(out, one, utf8);
    first = false;
    if (end == std::string_view::npos) break;
    strings.remove_prefix(end + 1);
    // A trailing NUL ends the last string; it does not start an empty one.
  }
}

std::string NodeLabel(const Node& node, bool utf8) {
  std::string label;
  switch (node.type) {
    case NodeType::kTask:
      AppendEscaped(&label, Chars(node.task.comm, sizeof(node.task.comm)), utf8);
      label += "[" + std::to_string(node.task.tid) + "]";
      return label;
    case NodeType::kProcessMemory:
      return "memory[" + std::to_string(node.proc.tgid) + "]#" + std::to_string(node.id);
    case NodeType::kPath:
      AppendEscaped(&label, node.path, utf8);
      return label;
    case NodeType::kArgv:
    case NodeType::kEnvp: {
      std::string joined;
      AppendStrings(&joined, node.strings, utf8);
      if (joined.size() > kMaxStringsLabel) {
        // Cut between characters and escapes, never inside one.
        size_t cut = 0;
        while (cut < joined.size()) {
          size_t next = cut + EscapedUnitLength(joined, cut);
          if (next > kMaxStringsLabel - 3) break;
          cut = next;
        }
        joined.resize(cut);
        joined += "...";
      }
      return std::string(NodeTypeName(node.type)) + "(" + joined + ")";
    }
    case NodeType::kMachine:
      AppendEscaped(&label, Chars(node.machine.nodename, PT_UTS_LEN), utf8);
      return label;
    case NodeType::kAddress:
      if (node.address.family == 1) {  // AF_UNIX
        label = "unix:";
        AppendEscaped(&label, node.path, utf8);
        return label;
      }
      return AddressText(node.address);
    case NodeType::kShm:
    case NodeType::kMsgQueue:
      return std::string(NodeTypeName(node.type)) + ":" +
             (node.ipc.kind == PT_IPC_SHARED_ANONYMOUS ? "anonymous#" : "") +
             std::to_string(node.ipc.id);
    default:
      return std::string(NodeTypeName(node.type)) + ":" + std::to_string(node.inode.ino);
  }
}

void NodeLabels::OnNode(const Node& node) {
  // An inode keeps the path it was named by over its own "file:123".
  if (IsInodeType(node.type) && labels_.count(node.id)) return;
  if (labels_.size() >= kMaxLabels) labels_.clear();
  labels_[node.id] = NodeLabel(node, utf8_);
}

void NodeLabels::OnRelation(const Relation& relation) {
  if (relation.type != RelationType::kNamed || !IsInodeType(relation.to.type)) return;
  auto path = labels_.find(relation.from.id);
  if (path != labels_.end()) labels_[relation.to.id] = path->second;
}

void NodeLabels::AppendLabel(std::string* out, uint64_t id, NodeType type) const {
  auto it = labels_.find(id);
  if (it != labels_.end()) {
    *out += it->second;
    return;
  }
  *out += NodeTypeName(type);
  *out += '#';
  *out += std::to_string(id);
}

std::string NodeLabels::Label(uint64_t id, NodeType type) const {
  std::string label;
  AppendLabel(&label, id, type);
  return label;
}

std::string NodeLabels::Label(const NodeRef& ref) const { return Label(ref.id, ref.type); }

}  // namespace provtrace::formats
