#include "tests/testing/capture.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <functional>
#include <set>
#include <sstream>

namespace provtrace::testing {

std::string Str(const Record& r, const char* key) {
  auto it = r.FindMember(key);
  if (it == r.MemberEnd() || !it->value.IsString()) return "";
  return it->value.GetString();
}

uint64_t U64(const Record& r, const char* key) {
  auto it = r.FindMember(key);
  if (it == r.MemberEnd() || !it->value.IsUint64()) return ~0ULL;
  return it->value.GetUint64();
}

uint64_t EndpointId(const Record& relation, const char* end) {
  auto it = relation.FindMember(end);
  if (it == relation.MemberEnd() || !it->value.IsObject()) return ~0ULL;
  return U64(it->value, "id");
}

uint32_t EndpointVersion(const Record& relation, const char* end) {
  auto it = relation.FindMember(end);
  if (it == relation.MemberEnd() || !it->value.IsObject()) return ~0U;
  return static_cast<uint32_t>(U64(it->value, "version"));
}

bool Capture::Parse(const std::string& jsonl, std::string* error) {
  std::istringstream lines(jsonl);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    auto doc = std::make_unique<rapidjson::Document>();
    doc->Parse(line.c_str(), line.size());
    if (doc->HasParseError() || !doc->IsObject()) {
      *error = "line " + std::to_string(number) + " is not a JSON object: " + line;
      return false;
    }
    records_.push_back(doc.get());
    if (Str(*doc, "kind") == "node") {
      nodes_[{U64(*doc, "id"), static_cast<uint32_t>(U64(*doc, "version"))}] = doc.get();
    }
    docs_.push_back(std::move(doc));
  }
  return true;
}

std::vector<const Record*> Capture::Nodes(std::string_view type) const {
  std::vector<const Record*> out;
  for (const Record* r : records_) {
    if (Str(*r, "kind") == "node" && (type.empty() || Str(*r, "type") == type)) out.push_back(r);
  }
  return out;
}

std::vector<const Record*> Capture::Relations(std::string_view type) const {
  std::vector<const Record*> out;
  for (const Record* r : records_) {
    if (Str(*r, "kind") == "relation" && (type.empty() || Str(*r, "type") == type)) {
      out.push_back(r);
    }
  }
  return out;
}

const Record* Capture::Node(uint64_t id, uint32_t version) const {
  auto it = nodes_.find({id, version});
  return it == nodes_.end() ? nullptr : it->second;
}

std::vector<const Record*> Capture::RelationsBetween(std::string_view type, uint64_t from_id,
                                                     uint64_t to_id) const {
  std::vector<const Record*> out;
  for (const Record* r : Relations(type)) {
    if (EndpointId(*r, "from") == from_id && EndpointId(*r, "to") == to_id) out.push_back(r);
  }
  return out;
}

std::vector<const Record*> Capture::RelationsTo(std::string_view type, uint64_t to_id) const {
  std::vector<const Record*> out;
  for (const Record* r : Relations(type)) {
    if (EndpointId(*r, "to") == to_id) out.push_back(r);
  }
  return out;
}

std::vector<const Record*> Capture::RelationsFrom(std::string_view type, uint64_t from_id) const {
  std::vector<const Record*> out;
  for (const Record* r : Relations(type)) {
    if (EndpointId(*r, "from") == from_id) out.push_back(r);
  }
  return out;
}

std::vector<uint64_t> Capture::NamedIds(std::string_view path, std::string_view type) const {
  std::set<uint64_t> ids;
  for (const Record* named : Relations("named")) {
    const Record* from = Node(EndpointId(*named, "from"), EndpointVersion(*named, "from"));
    if (from == nullptr || Str(*from, "path") != path) continue;
    uint64_t to = EndpointId(*named, "to");
    const Record* node = AnyVersion(to);
    if (node != nullptr && (type.empty() || Str(*node, "type") == type)) ids.insert(to);
  }
  return std::vector<uint64_t>(ids.begin(), ids.end());
}

const Record* Capture::AnyVersion(uint64_t id) const {
  auto it = nodes_.lower_bound({id, 0});
  return it != nodes_.end() && it->first.first == id ? it->second : nullptr;
}

bool Capture::Reachable(uint64_t from_id, uint32_t from_version, uint64_t to_id) const {
  using Key = std::pair<uint64_t, uint32_t>;
  std::map<Key, std::vector<Key>> edges;
  for (const Record* r : Relations()) {
    edges[{EndpointId(*r, "from"), EndpointVersion(*r, "from")}].push_back(
        {EndpointId(*r, "to"), EndpointVersion(*r, "to")});
  }
  std::set<Key> seen;
  std::vector<Key> todo = {{from_id, from_version}};
  while (!todo.empty()) {
    Key k = todo.back();
    todo.pop_back();
    if (k.first == to_id) return true;
    if (!seen.insert(k).second) continue;
    for (const Key& next : edges[k]) todo.push_back(next);
  }
  return false;
}

std::vector<std::string> Capture::DanglingEndpoints() const {
  std::vector<std::string> out;
  for (const Record* r : Relations()) {
    for (const char* end : {"from", "to"}) {
      uint64_t id = EndpointId(*r, end);
      uint32_t version = EndpointVersion(*r, end);
      if (Node(id, version) == nullptr) {
        out.push_back(std::to_string(id) + ":" + std::to_string(version));
      }
    }
  }
  return out;
}

bool Capture::Acyclic() const {
  using Key = std::pair<uint64_t, uint32_t>;
  std::map<Key, std::vector<Key>> edges;
  for (const Record* r : Relations()) {
    edges[{EndpointId(*r, "from"), EndpointVersion(*r, "from")}].push_back(
        {EndpointId(*r, "to"), EndpointVersion(*r, "to")});
  }
  std::map<Key, int> state;  // 0 unseen, 1 on stack, 2 done
  std::function<bool(const Key&)> visit = [&](const Key& k) {
    int& s = state[k];
    if (s == 1) return false;
    if (s == 2) return true;
    s = 1;
    for (const Key& next : edges[k]) {
      if (!visit(next)) return false;
    }
    state[k] = 2;
    return true;
  };
  for (const auto& [k, unused] : edges) {
    if (!visit(k)) return false;
  }
  return true;
}

std::string Capture::CycleOutsideChannels(uint32_t mqueue_dev) const {
  using Key = std::pair<uint64_t, uint32_t>;
  static const std::set<std::string> kChannelTypes = {"pipe", "socket", "msg_queue", "anon_inode"};
  auto channel = [&](const Record& node) {
    std::string type = Str(node, "type");
    return kChannelTypes.count(type) ||
           (type == "file" && mqueue_dev != 0 && U64(node, "dev") == mqueue_dev);
  };
  std::map<Key, std::vector<Key>> edges;
  for (const Record* r : Relations()) {
    Key from = {EndpointId(*r, "from"), EndpointVersion(*r, "from")};
    Key to = {EndpointId(*r, "to"), EndpointVersion(*r, "to")};
    const Record* f = Node(from.first, from.second);
    const Record* t = Node(to.first, to.second);
    if (f == nullptr || t == nullptr || channel(*f) || channel(*t)) continue;
    edges[from].push_back(to);
  }
  // Depth first, iteratively (a whole-system capture is deep): 1 on the
  // stack, 2 done.
  std::map<Key, int> state;
  for (const auto& [start, unused] : edges) {
    if (state[start] != 0) continue;
    std::vector<std::pair<Key, size_t>> stack = {{start, 0}};
    state[start] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == edges[node].size()) {
        state[node] = 2;
        stack.pop_back();
        continue;
      }
      Key to = edges[node][next++];
      if (state[to] == 1) return std::to_string(to.first) + ":" + std::to_string(to.second);
      if (state[to] == 0) {
        state[to] = 1;
        stack.push_back({to, 0});
      }
    }
  }
  return "";
}

uint32_t MqueueDevice() {
  std::string name = "/provtrace-test-" + std::to_string(getpid());
  mqd_t queue = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, nullptr);
  if (queue == static_cast<mqd_t>(-1)) return 0;
  struct stat st;
  uint32_t dev = fstat(queue, &st) == 0 ? (major(st.st_dev) << 20 | minor(st.st_dev)) : 0;
  mq_close(queue);
  mq_unlink(name.c_str());
  return dev;
}

}  // namespace provtrace::testing
