#include "formats/prov_json.h"

#include <array>
#include <string>

#include "formats/camflow_json.h"

namespace provtrace::formats {
namespace {

using camflow::RelationClass;

// The sections, in the order CamFlow writes them.
enum Section {
  kActivity,
  kAgent,
  kEntity,
  kUsed,
  kWasGeneratedBy,
  kWasInformedBy,
  kWasAssociatedWith,
  kWasDerivedFrom,
  kSectionCount
};
constexpr const char* kSectionNames[kSectionCount] = {
    "activity",          "agent",         "entity", "used", "wasGeneratedBy", "wasInformedBy",
    "wasAssociatedWith", "wasDerivedFrom"};

struct ClassKeys {
  Section section;
  const char* sender;    // where information comes from
  const char* receiver;  // where it goes
};

ClassKeys KeysFor(RelationClass c) {
  switch (c) {
    case RelationClass::kUsed:
      return {kUsed, "prov:entity", "prov:activity"};
    case RelationClass::kGenerated:
      return {kWasGeneratedBy, "prov:activity", "prov:entity"};
    case RelationClass::kInformed:
      return {kWasInformedBy, "prov:informant", "prov:informed"};
    case RelationClass::kDerived:
      return {kWasDerivedFrom, "prov:usedEntity", "prov:generatedEntity"};
    case RelationClass::kAssociated:
      return {kWasAssociatedWith, "prov:agent", "prov:activity"};
  }
  return {kUsed, "prov:entity", "prov:activity"};
}

class ProvJsonWriter : public RecordSink {
 public:
  explicit ProvJsonWriter(ByteSink* out) : out_(out), writer_(buffer_) {}

  Status OnCaptureInfo(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status Begin(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status OnNode(const Node& node) override {
    Section section = kEntity;
    if (node.type == NodeType::kTask) section = kActivity;
    if (node.type == NodeType::kMachine) section = kAgent;
    NodeRef ref{node.id, node.version, node.type};
    Start(camflow::NodeId(ref, info_.boot_id, info_.machine_id));
    camflow::Attributes a(&writer_, "cf:", &scratch_);
    a.U64("id", node.id);
    writer_.Key("prov:type");
    std::string_view type = NodeTypeName(node.type);
    writer_.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    a.U32("boot_id", info_.boot_id);
    a.Str("machine_id", camflow::MachineId(info_.machine_id));
    a.U32("version", node.version);
    a.Str("date", camflow::Date(UnixNs(node.time_ns)));
    if (node.history_unknown()) a.Str("history_unknown", "true");
    if (node.inode_unknown()) a.Str("inode_unknown", "true");
    a.NodeSpecific(node);
    Finish(section);
    return Status::Ok();
  }

  Status OnRelation(const Relation& rel) override {
    ClassKeys keys = KeysFor(camflow::ClassOf(rel.type));
    Start("cf:" + camflow::RelationId(rel, info_.boot_id, info_.machine_id));
    camflow::Attributes a(&writer_, "cf:", &scratch_);
    a.U64("id", rel.id);
    std::string_view type = RelationTypeName(rel.type);
    writer_.Key("prov:type");
    writer_.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    a.U32("boot_id", info_.boot_id);
    a.Str("machine_id", camflow::MachineId(info_.machine_id));
    a.Str("date", camflow::Date(UnixNs(rel.time_ns)));
    writer_.Key("prov:label");
    writer_.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    a.Str("allowed", "true");
    writer_.Key(keys.sender);
    writer_.String(("cf:" + camflow::NodeId(rel.from, info_.boot_id, info_.machine_id)).c_str());
    writer_.Key(keys.receiver);
    writer_.String(("cf:" + camflow::NodeId(rel.to, info_.boot_id, info_.machine_id)).c_str());
    if (rel.offset >= 0) a.U64("offset", static_cast<uint64_t>(rel.offset));
    a.Hex64("flags", rel.flags);
    Finish(keys.section);
    return Status::Ok();
  }

  // A document has no place for lost records; the next document starts
  // after the hole, and --stats says how big it was.
  Status OnLost(const Lost&) override { return Status::Ok(); }

  Status Flush() override {
    PT_RETURN_IF_ERROR(WriteDocument());
    return out_->Flush();
  }

  Status End(const Stats&) override { return Flush(); }

 private:
  int64_t UnixNs(uint64_t boot_ns) const { return info_.WallClockNs(boot_ns); }

  // Elements are written as {"id":{...}} and kept without the outer braces.
  void Start(const std::string& id) {
    buffer_.Clear();
    writer_.Reset(buffer_);
    writer_.StartObject();
    std::string key = id.rfind("cf:", 0) == 0 ? id : "cf:" + id;
    writer_.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    writer_.StartObject();
  }

  void Finish(Section section) {
    writer_.EndObject();
    writer_.EndObject();
    std::string& out = sections_[section];
    if (!out.empty()) out.push_back(',');
    out.append(buffer_.GetString() + 1, buffer_.GetSize() - 2);
  }

  Status WriteDocument() {
    bool empty = true;
    for (const std::string& s : sections_) empty &= s.empty();
    if (empty) return Status::Ok();
    std::string doc =
        R"({"prefix":{"prov":"http://www.w3.org/ns/prov","cf":"http://www.camflow.org"})";
    for (int i = 0; i < kSectionCount; ++i) {
      if (sections_[i].empty()) continue;
      doc += ",\"";
      doc += kSectionNames[i];
      doc += "\":{";
      doc += sections_[i];
      doc += "}";
      sections_[i].clear();
    }
    doc += "}\n";
    return out_->Write(doc);
  }

  ByteSink* out_;
  CaptureInfo info_;
  rapidjson::StringBuffer buffer_;
  camflow::JsonWriter writer_;
  std::string scratch_;
  std::array<std::string, kSectionCount> sections_;
};

}  // namespace

std::unique_ptr<RecordSink> NewProvJsonWriter(ByteSink* out) {
  return std::make_unique<ProvJsonWriter>(out);
}

}  // namespace provtrace::formats
