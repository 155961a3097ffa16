// A JSON Lines capture read back for assertions: the records as RapidJSON
// values, with lookups and graph checks (acyclic, no dangling endpoints).
#ifndef PROVTRACE_TESTS_TESTING_CAPTURE_H_
#define PROVTRACE_TESTS_TESTING_CAPTURE_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provtrace::testing {

using Record = rapidjson::Value;

class Capture {
 public:
  // Parses every line; a line that is not a JSON object is an error.
  bool Parse(const std::string& jsonl, std::string* error);

  const std::vector<const Record*>& records() const { return records_; }
  std::vector<const Record*> Nodes(std::string_view type = "") const;
  std::vector<const Record*> Relations(std::string_view type = "") const;
  // The node record for (id, version), or nullptr.
  const Record* Node(uint64_t id, uint32_t version) const;
  // Relations of `type` from node id (any version) to node id.
  std::vector<const Record*> RelationsBetween(std::string_view type, uint64_t from_id,
                                              uint64_t to_id) const;

  // Relations of `type` ("" for any) into node id (any version).
  std::vector<const Record*> RelationsTo(std::string_view type, uint64_t to_id) const;
  // Relations of `type` ("" for any) out of node id (any version).
  std::vector<const Record*> RelationsFrom(std::string_view type, uint64_t from_id) const;
  // Ids of the nodes a path node naming `path` is joined to by `named`, of
  // node type `type` ("" for any).
  std::vector<uint64_t> NamedIds(std::string_view path, std::string_view type = "") const;
  // Some version of node id, for its attributes; nullptr if none.
  const Record* AnyVersion(uint64_t id) const;
  // Whether information can flow from (from_id, from_version) to some
  // version of to_id along relations.
  bool Reachable(uint64_t from_id, uint32_t from_version, uint64_t to_id) const;

  // Relation endpoints with no node record, as "id:version" strings.
  std::vector<std::string> DanglingEndpoints() const;
  // True when the relations form a DAG over (id, version) pairs.
  bool Acyclic() const;
  // A node ("id:version") on a cycle that passes through no channel, or "":
  // channels (pipes, sockets, message queues, anonymous inodes, and POSIX
  // queues: the files of device mqueue_dev) have one version, so one used
  // both ways closes a cycle through its node (provtrace(8), Nodes); the
  // graph is acyclic everywhere else.
  std::string CycleOutsideChannels(uint32_t mqueue_dev) const;

 private:
  std::vector<std::unique_ptr<rapidjson::Document>> docs_;
  std::vector<const Record*> records_;
  std::map<std::pair<uint64_t, uint32_t>, const Record*> nodes_;
};

// Field accessors that fail loudly (gtest-friendly defaults) when absent.
std::string Str(const Record& r, const char* key);
uint64_t U64(const Record& r, const char* key);
uint64_t EndpointId(const Record& relation, const char* end);
uint32_t EndpointVersion(const Record& relation, const char* end);

// The mqueue file system's device as the kernel writes it (major << 20 |
// minor), from a POSIX message queue made and removed; 0 if none can be.
uint32_t MqueueDevice();

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_TESTING_CAPTURE_H_
