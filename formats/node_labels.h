// Short human labels for the nodes of a stream ("cat[4242]", "/etc/passwd",
// "memory[4242]"), remembered from the node records and `named` relations
// seen so far; shared by the text and DOT writers.
#ifndef PROVTRACE_FORMATS_NODE_LABELS_H_
#define PROVTRACE_FORMATS_NODE_LABELS_H_

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/model.h"

namespace provtrace::formats {

class NodeLabels {
 public:
  void OnNode(const Node& node);
  void OnRelation(const Relation& relation);
  // The label of a node; its type and id if it was never seen.
  std::string Label(const NodeRef& ref) const;
  std::string Label(uint64_t id, NodeType type) const;

 private:
  // A bounded cache: long captures forget old labels rather than grow.
  static constexpr size_t kMaxLabels = 1 << 20;
  std::unordered_map<uint64_t, std::string> labels_;
};

// A node's own label, from its attributes.
std::string NodeLabel(const Node& node);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_NODE_LABELS_H_
