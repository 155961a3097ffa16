#include "core/filter.h"

#include <cstring>
#include <sstream>

namespace provtrace {
namespace {

constexpr size_t kMaxPaths = 1 << 20;

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

}  // namespace

Status ParseNodeTypes(const std::string& list, std::set<NodeType>* types) {
  for (const std::string& name : Split(list)) {
    bool found = false;
    for (uint16_t t = 1; t < PT_NODE_TYPE_MAX; ++t) {
      if (NodeTypeName(static_cast<NodeType>(t)) == name) {
        types->insert(static_cast<NodeType>(t));
        found = true;
      }
    }
    if (!found) return InvalidArgument("unknown node type '" + name + "'");
  }
  return Status::Ok();
}

Status ParseRelationTypes(const std::string& list, std::set<RelationType>* types) {
  for (const std::string& name : Split(list)) {
    bool found = false;
    for (uint16_t t = 1; t < PT_RELATION_TYPE_MAX; ++t) {
      if (RelationTypeName(static_cast<RelationType>(t)) == name) {
        types->insert(static_cast<RelationType>(t));
        found = true;
      }
    }
    if (!found) return InvalidArgument("unknown relation type '" + name + "'");
  }
  return Status::Ok();
}

bool PathUnder(const std::string& path, const std::string& prefix) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.back() == '/';
}

Filter::PathVerdict Filter::Verdict(const std::string& path) const {
  for (const std::string& p : spec_.exclude_paths) {
    if (PathUnder(path, p)) return PathVerdict::kExcluded;
  }
  if (spec_.include_paths.empty()) return PathVerdict::kIncluded;
  for (const std::string& p : spec_.include_paths) {
    if (PathUnder(path, p)) return PathVerdict::kIncluded;
  }
  return PathVerdict::kExcluded;
}

Filter::PathVerdict Filter::VerdictOf(const NodeRef& ref) const {
  if (ref.type != NodeType::kPath && !IsInodeType(ref.type)) return PathVerdict::kUnknown;
  auto it = paths_.find(ref.id);
  return it == paths_.end() ? PathVerdict::kUnknown : Verdict(it->second);
}

void Filter::Remember(uint64_t id, const std::string& path) {
  if (paths_.size() >= kMaxPaths) paths_.clear();
  paths_[id] = path;
}

bool Filter::KeepNode(const Node& node) {
  if (node.type == NodeType::kPath) Remember(node.id, std::string(node.path));
  if (node.type == NodeType::kTask && spec_.tracking()) {
    for (uint32_t pid : spec_.track_pids) {
      if (node.task.pid == pid) tracked_.insert(node.id);
    }
  }
  if (spec_.exclude_nodes.count(node.type)) return false;
  if (node.type == NodeType::kPath && Verdict(std::string(node.path)) == PathVerdict::kExcluded) {
    return false;
  }
  return true;
}

bool Filter::KeepRelation(const Relation& rel) {
  if (rel.type == RelationType::kNamed && IsInodeType(rel.to.type)) {
    auto path = paths_.find(rel.from.id);
    if (path != paths_.end()) {
      std::string name = path->second;
      Remember(rel.to.id, name);
      for (const std::string& t : spec_.track_paths) {
        if (PathUnder(name, t)) tracked_.insert(rel.to.id);
      }
    }
  }
  if (spec_.exclude_relations.count(rel.type)) return false;
  if (!spec_.only_relations.empty() && !spec_.only_relations.count(rel.type)) return false;
  if (spec_.exclude_nodes.count(rel.from.type) || spec_.exclude_nodes.count(rel.to.type)) {
    return false;
  }
  if (VerdictOf(rel.from) == PathVerdict::kExcluded ||
      VerdictOf(rel.to) == PathVerdict::kExcluded) {
    return false;
  }
  if (spec_.tracking()) {
    bool from = tracked_.count(rel.from.id) > 0;
    if (!from && !tracked_.count(rel.to.id)) return false;
    // Information flows from -> to: the receiver of a tracked object's
    // information is tracked from now on.
    if (from && spec_.propagate) tracked_.insert(rel.to.id);
  }
  return true;
}

void HeldNodes::Hold(uint64_t id, uint32_t version, const void* record, size_t size) {
  Key key{capture_, id, version};
  auto old = records_.find(key);
  if (old != records_.end()) {
    bytes_ -= old->second.record.size();
    records_.erase(old);
  }
  MakeRoom(size);
  Entry& entry = records_[key];
  entry.record.assign(static_cast<const uint8_t*>(record),
                      static_cast<const uint8_t*>(record) + size);
  entry.serial = ++serial_;
  bytes_ += size;
  order_.emplace_back(key, entry.serial);
}

void HeldNodes::MakeRoom(size_t size) {
  while (!order_.empty() && (records_.size() >= max_nodes_ || bytes_ + size > max_bytes_)) {
    auto [key, serial] = order_.front();
    order_.pop_front();
    auto it = records_.find(key);
    if (it == records_.end() || it->second.serial != serial) continue;  // taken or replaced
    bytes_ -= it->second.record.size();
    records_.erase(it);
    ++dropped_;
  }
  // Taken entries leave their place in order_ behind; keep it from growing
  // without bound when nothing is ever dropped.
  if (order_.size() > 2 * records_.size() + 1024) {
    std::deque<std::pair<Key, uint64_t>> live;
    for (const auto& [key, serial] : order_) {
      auto it = records_.find(key);
      if (it != records_.end() && it->second.serial == serial) live.emplace_back(key, serial);
    }
    order_.swap(live);
  }
}

bool HeldNodes::Take(uint64_t id, uint32_t version, std::vector<uint8_t>* record) {
  auto it = records_.find(Key{capture_, id, version});
  if (it == records_.end()) return false;
  bytes_ -= it->second.record.size();
  record->swap(it->second.record);
  records_.erase(it);
  return true;
}

bool HeldNodes::Holds(uint64_t id, uint32_t version) const {
  return records_.count(Key{capture_, id, version}) > 0;
}

}  // namespace provtrace
