#include "formats/spade_json.h"

#include <string>

#include "formats/camflow_json.h"

namespace provtrace::formats {
namespace {

using camflow::RelationClass;

const char* EdgeType(RelationClass c) {
  switch (c) {
    case RelationClass::kUsed:
      return "Used";
    case RelationClass::kGenerated:
      return "WasGeneratedBy";
    case RelationClass::kInformed:
      return "WasInformedBy";
    case RelationClass::kDerived:
      return "WasDerivedFrom";
    case RelationClass::kAssociated:
      return "WasAssociatedWith";
  }
  return "Used";
}

class SpadeJsonWriter : public RecordSink {
 public:
  explicit SpadeJsonWriter(ByteSink* out) : out_(out), writer_(buffer_) {}

  Status OnCaptureInfo(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status Begin(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status OnNode(const Node& node) override {
    Start();
    writer_.Key("type");
    writer_.String(node.type == NodeType::kTask ? "Activity" : "Entity");
    writer_.Key("id");
    NodeRef ref{node.id, node.version, node.type};
    writer_.String(camflow::NodeId(ref, info_.boot_id, info_.machine_id).c_str());
    writer_.Key("annotations");
    writer_.StartObject();
    camflow::Attributes a(&writer_, "", &scratch_);
    a.U64("object_id", node.id);
    a.Str("object_type", NodeTypeName(node.type));
    a.U32("boot_id", info_.boot_id);
    Cf("machine_id", camflow::MachineId(info_.machine_id));
    a.U32("version", node.version);
    Cf("date", camflow::Date(UnixNs(node.time_ns)));
    if (node.history_unknown()) a.Str("history_unknown", "true");
    if (node.inode_unknown()) a.Str("inode_unknown", "true");
    a.NodeSpecific(node);
    writer_.EndObject();
    return Finish();
  }

  Status OnRelation(const Relation& rel) override {
    Start();
    writer_.Key("type");
    writer_.String(EdgeType(camflow::ClassOf(rel.type)));
    // SPADE's edges point from the effect (child) to the cause (parent).
    writer_.Key("from");
    writer_.String(camflow::NodeId(rel.to, info_.boot_id, info_.machine_id).c_str());
    writer_.Key("to");
    writer_.String(camflow::NodeId(rel.from, info_.boot_id, info_.machine_id).c_str());
    writer_.Key("annotations");
    writer_.StartObject();
    camflow::Attributes a(&writer_, "", &scratch_);
    a.Str("id", camflow::RelationId(rel, info_.boot_id, info_.machine_id));
    a.U64("relation_id", rel.id);
    a.Str("relation_type", RelationTypeName(rel.type));
    a.U32("boot_id", info_.boot_id);
    Cf("machine_id", camflow::MachineId(info_.machine_id));
    Cf("date", camflow::Date(UnixNs(rel.time_ns)));
    a.Str("allowed", "true");
    if (rel.offset >= 0) a.U64("offset", static_cast<uint64_t>(rel.offset));
    a.Hex64("flags", rel.flags);
    a.Str("from_type", NodeTypeName(rel.to.type));
    a.Str("to_type", NodeTypeName(rel.from.type));
    writer_.EndObject();
    return Finish();
  }

  Status OnLost(const Lost&) override { return Status::Ok(); }
  Status Flush() override { return out_->Flush(); }
  Status End(const Stats&) override { return out_->Flush(); }

 private:
  int64_t UnixNs(uint64_t boot_ns) const { return info_.WallClockNs(boot_ns); }

  // The annotations CamFlow keeps "cf:"-prefixed in SPADE JSON too.
  void Cf(const char* name, const std::string& value) {
    std::string key = std::string("cf:") + name;
    writer_.Key(key.c_str());
    writer_.String(value.c_str());
  }

  void Start() {
    buffer_.Clear();
    writer_.Reset(buffer_);
    writer_.StartObject();
  }

  Status Finish() {
    writer_.EndObject();
    buffer_.Put('\n');
    return out_->Write(std::string_view(buffer_.GetString(), buffer_.GetSize()));
  }

  ByteSink* out_;
  CaptureInfo info_;
  rapidjson::StringBuffer buffer_;
  camflow::JsonWriter writer_;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<RecordSink> NewSpadeJsonWriter(ByteSink* out) {
  return std::make_unique<SpadeJsonWriter>(out);
}

}  // namespace provtrace::formats
