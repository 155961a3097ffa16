// What the user asked to see: type filters (camconfd's node_filter and
// relation_filter, --only), path prefixes, and CamFlow's track/propagate.
// Decided in user space, after decoding; scoping (which tasks are recorded
// at all) happens in the kernel.
#ifndef PROVTRACE_CORE_FILTER_H_
#define PROVTRACE_CORE_FILTER_H_

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace provtrace {

struct FilterSpec {
  std::set<NodeType> exclude_nodes;          // --node-filter
  std::set<RelationType> exclude_relations;  // --relation-filter
  std::set<RelationType> only_relations;     // --only (empty: all)
  std::vector<std::string> include_paths;    // --path: files under these only
  std::vector<std::string> exclude_paths;    // --exclude-path
  std::vector<std::string> track_paths;      // --track PATH
  std::vector<uint32_t> track_pids;          // --track pid:N
  bool propagate = false;                    // --propagate

  bool tracking() const { return !track_paths.empty() || !track_pids.empty(); }
};

// Parses a comma-separated list of CamFlow type names ("read,write").
Status ParseNodeTypes(const std::string& list, std::set<NodeType>* types);
Status ParseRelationTypes(const std::string& list, std::set<RelationType>* types);

class Filter {
 public:
  explicit Filter(FilterSpec spec) : spec_(std::move(spec)) {}

  // Whether the record goes out. Both learn from every record, kept or not
  // (names of files, tracked objects).
  bool KeepNode(const Node& node);
  bool KeepRelation(const Relation& relation);

 private:
  enum class PathVerdict { kUnknown, kIncluded, kExcluded };
  PathVerdict Verdict(const std::string& path) const;
  PathVerdict VerdictOf(const NodeRef& ref) const;
  void Remember(uint64_t id, const std::string& path);

  FilterSpec spec_;
  // Paths of path nodes and of the inodes they name (bounded: forgotten
  // when too many, which only makes later verdicts "unknown").
  std::unordered_map<uint64_t, std::string> paths_;
  std::unordered_set<uint64_t> tracked_;
};

// True when path is prefix or below it ("/tmp" covers "/tmp/x", not
// "/tmpx").
bool PathUnder(const std::string& path, const std::string& prefix);

}  // namespace provtrace

#endif  // PROVTRACE_CORE_FILTER_H_
