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

  // Relation endpoints with no node record, as "id:version" strings.
  std::vector<std::string> DanglingEndpoints() const;
  // True when the relations form a DAG over (id, version) pairs.
  bool Acyclic() const;

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

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_TESTING_CAPTURE_H_
