// What the user asked to see: type filters (camconfd's node_filter and
// relation_filter, --only), path prefixes, and CamFlow's track/propagate.
// Decided in user space, after decoding; scoping (which tasks are recorded
// at all) happens in the kernel.
#ifndef PROVTRACE_CORE_FILTER_H_
#define PROVTRACE_CORE_FILTER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
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

// Nodes a filtering pipeline holds back until a kept relation names them
// (the stream puts a node before the relations that name it), so that a
// filtered output holds only the nodes its relations need. Kept as the
// wire records they came in (a decoded node points into its buffer).
// Bounded: when full, the oldest is dropped and counted.
class HeldNodes {
 public:
  static constexpr size_t kMaxNodes = 1 << 17;
  static constexpr size_t kMaxBytes = 64 << 20;

  HeldNodes(size_t max_nodes = kMaxNodes, size_t max_bytes = kMaxBytes)
      : max_nodes_(max_nodes), max_bytes_(max_bytes) {}

  // The capture (machine and boot) the next calls are about: records of
  // several captures may interleave (-r kafka:// merges machines), and a
  // node id means something only within its capture.
  void set_capture(uint32_t machine_id, uint32_t boot_id) {
    capture_ = static_cast<uint64_t>(machine_id) << 32 | boot_id;
  }
  // A later record of the same node version replaces an earlier one.
  void Hold(uint64_t id, uint32_t version, const void* record, size_t size);
  // Takes the record of (id, version) out; false if none is held.
  bool Take(uint64_t id, uint32_t version, std::vector<uint8_t>* record);
  bool Holds(uint64_t id, uint32_t version) const;

  size_t size() const { return records_.size(); }
  // Dropped to make room: their relations, if any come, name nodes the
  // output does not have.
  uint64_t dropped() const { return dropped_; }

 private:
  struct Key {
    uint64_t capture;
    uint64_t id;
    uint32_t version;
    bool operator==(const Key& o) const {
      return capture == o.capture && id == o.id && version == o.version;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return (k.id * 0x9e3779b97f4a7c15ULL ^ k.version) + k.capture * 0xff51afd7ed558ccdULL;
    }
  };
  struct Entry {
    std::vector<uint8_t> record;
    uint64_t serial;  // when it was held, to find it in order_
  };
  void MakeRoom(size_t size);

  size_t max_nodes_;
  size_t max_bytes_;
  uint64_t capture_ = 0;
  size_t bytes_ = 0;
  uint64_t serial_ = 0;
  uint64_t dropped_ = 0;
  std::unordered_map<Key, Entry, KeyHash> records_;
  // Oldest first; entries taken or replaced since are skipped (their
  // serial no longer matches).
  std::deque<std::pair<Key, uint64_t>> order_;
};

// True when path is prefix or below it ("/tmp" covers "/tmp/x", not
// "/tmpx").
bool PathUnder(const std::string& path, const std::string& prefix);

}  // namespace provtrace

#endif  // PROVTRACE_CORE_FILTER_H_
