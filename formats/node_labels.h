// Short human labels for the nodes of a stream ("cat[4242]", "/etc/passwd",
// "memory[4242]#19"), remembered from the node records and `named`
// relations seen so far; shared by the text and DOT writers. Labels are
// escaped for display (formats/kernel_string.h): whatever a file or task is
// named, a label holds no control character and is valid UTF-8.
#ifndef PROVTRACE_FORMATS_NODE_LABELS_H_
#define PROVTRACE_FORMATS_NODE_LABELS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/model.h"

namespace provtrace::formats {

class NodeLabels {
 public:
  // utf8 false: every byte from 0x80 up is escaped (see AppendEscaped).
  explicit NodeLabels(bool utf8 = true) : utf8_(utf8) {}

  void OnNode(const Node& node);
  void OnRelation(const Relation& relation);
  // The label of a node; its type and id ("file#21") if it was never seen.
  std::string Label(const NodeRef& ref) const;
  std::string Label(uint64_t id, NodeType type) const;
  void AppendLabel(std::string* out, uint64_t id, NodeType type) const;

 private:
  // A bounded cache: long captures forget old labels rather than grow.
  static constexpr size_t kMaxLabels = 1 << 20;
  bool utf8_;
  std::unordered_map<uint64_t, std::string> labels_;
};

// A node's own label, from its attributes. Process memory carries its node
// id: a process has a new one after each exec, and each must be told apart.
std::string NodeLabel(const Node& node, bool utf8 = true);
// "127.0.0.1:8080", "[::1]:8080".
std::string AddressText(const pt_address_node& address);
// The address alone, "127.0.0.1" or "::1".
std::string IpText(const pt_address_node& address);

// argv or envp (NUL-terminated strings back to back) as one line: each
// string escaped as a field (quoted when it holds a space), space-separated.
void AppendStrings(std::string* out, std::string_view strings, bool utf8 = true);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_NODE_LABELS_H_
