#include "formats/json_lines.h"

#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "formats/kernel_string.h"
#include "formats/node_labels.h"

namespace provtrace::formats {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

class JsonLinesWriter : public RecordSink {
 public:
  explicit JsonLinesWriter(ByteSink* out) : out_(out), writer_(buffer_) {}

  Status OnCaptureInfo(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status Begin(const CaptureInfo& info) override {
    info_ = info;
    return Status::Ok();
  }

  Status OnNode(const Node& node) override {
    Start("node");
    Common(NodeTypeName(node.type), node.id, &node.version, node.time_ns);
    if (node.history_unknown()) {
      writer_.Key("history_unknown");
      writer_.Bool(true);
    }
    if (node.inode_unknown()) {
      writer_.Key("inode_unknown");
      writer_.Bool(true);
    }
    if (IsInodeType(node.type)) {
      Inode(node.inode);
    } else {
      switch (node.type) {
        case NodeType::kTask:
          Task(node.task);
          break;
        case NodeType::kProcessMemory:
          UintField("tgid", node.proc.tgid);
          UintField("uid", node.proc.uid);
          UintField("gid", node.proc.gid);
          break;
        case NodeType::kPath:
          writer_.Key("path");
          WriteKernelString(writer_, node.path, scratch_);
          break;
        case NodeType::kArgv:
        case NodeType::kEnvp:
          Strings(node);
          break;
        case NodeType::kMachine:
          Machine(node.machine);
          break;
        case NodeType::kAddress:
          UintField("family", node.address.family);
          if (node.address.family == 1) {  // AF_UNIX
            writer_.Key("path");
            WriteKernelString(writer_, node.path, scratch_);
          } else {
            writer_.Key("ip");
            writer_.String(IpText(node.address).c_str());
            UintField("port", node.address.port);
          }
          break;
        case NodeType::kShm:
        case NodeType::kMsgQueue:
          writer_.Key("ipc");
          writer_.String(node.ipc.kind == PT_IPC_SHARED_ANONYMOUS ? "anonymous" : "sysv");
          UintField("ipc_id", node.ipc.id);
          UintField("ipcns", node.ipc.ipcns);
          break;
        default:
          break;
      }
    }
    return Finish();
  }

  Status OnRelation(const Relation& rel) override {
    Start("relation");
    Common(RelationTypeName(rel.type), rel.id, nullptr, rel.time_ns);
    Endpoint("from", rel.from);
    Endpoint("to", rel.to);
    writer_.Key("flags");
    writer_.Uint64(rel.flags);
    if (rel.offset >= 0) {
      writer_.Key("offset");
      writer_.Int64(rel.offset);
    }
    return Finish();
  }

  Status OnLost(const Lost& lost) override {
    Start("lost");
    writer_.Key("source");
    writer_.String(lost.source == LostSource::kBpfOutput ? "bpf" : "perf");
    writer_.Key("count");
    writer_.Uint64(lost.count);
    writer_.Key("cpu");
    writer_.Int(lost.cpu);
    writer_.Key("boot_id");
    writer_.Uint(info_.boot_id);
    writer_.Key("machine_id");
    writer_.Uint(info_.machine_id);
    writer_.Key("time");
    writer_.Uint64(static_cast<uint64_t>(info_.WallClockNs(lost.time_ns)));
    return Finish();
  }

  Status Flush() override { return out_->Flush(); }

 private:
  void UintField(const char* key, uint64_t value) {
    writer_.Key(key);
    writer_.Uint64(value);
  }

  void CharField(const char* key, const char* chars, size_t max) {
    writer_.Key(key);
    WriteKernelString(writer_, std::string_view(chars, strnlen(chars, max)), scratch_);
  }

  void Task(const pt_task_node& t) {
    UintField("pid", t.pid);
    UintField("tid", t.tid);
    UintField("vpid", t.vpid);
    UintField("ppid", t.ppid);
    UintField("uid", t.uid);
    UintField("gid", t.gid);
    CharField("comm", t.comm, sizeof(t.comm));
    UintField("utime", t.utime_ns);
    UintField("stime", t.stime_ns);
    UintField("utsns", t.utsns);
    UintField("ipcns", t.ipcns);
    UintField("mntns", t.mntns);
    UintField("pidns", t.pidns);
    UintField("netns", t.netns);
    UintField("cgroupns", t.cgroupns);
  }

  void Inode(const pt_inode_node& i) {
    UintField("ino", i.ino);
    UintField("mode", i.mode);
    UintField("uid", i.uid);
    UintField("gid", i.gid);
    UintField("dev", i.dev);
    bool has_uuid = false;
    for (uint8_t b : i.sb_uuid) has_uuid |= b != 0;
    if (has_uuid) {
      char uuid[37];
      const uint8_t* u = i.sb_uuid;
      snprintf(uuid, sizeof(uuid),
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
               u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
               u[15]);
      writer_.Key("sb_uuid");
      writer_.String(uuid);
    }
  }

  // argv/envp: the strings as a JSON array.
  void Strings(const Node& node) {
    writer_.Key(node.type == NodeType::kArgv ? "args" : "env");
    writer_.StartArray();
    std::string_view rest = node.strings;
    while (!rest.empty()) {
      size_t end = rest.find('\0');
      std::string_view one = rest.substr(0, end);
      WriteKernelString(writer_, one, scratch_);
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    writer_.EndArray();
    UintField("count", node.string_count);
  }

  void Machine(const pt_machine_node& m) {
    CharField("sysname", m.sysname, PT_UTS_LEN);
    CharField("nodename", m.nodename, PT_UTS_LEN);
    CharField("release", m.release, PT_UTS_LEN);
    // Not "version": every node has that (its version number).
    CharField("kernel_version", m.version, PT_UTS_LEN);
    CharField("machine", m.machine, PT_UTS_LEN);
  }

 public:
  Status End(const Stats&) override { return out_->Flush(); }

 private:
  // Every line starts with its kind and its place in the stream: seq
  // counts from 0 and, unlike time (nanoseconds since 1970, beyond 2^53),
  // is exact in readers that keep numbers as doubles (jq 1.6).
  void Start(const char* kind) {
    buffer_.Clear();
    writer_.Reset(buffer_);
    writer_.StartObject();
    writer_.Key("kind");
    writer_.String(kind);
    writer_.Key("seq");
    writer_.Uint64(seq_++);
  }

  // The fields every node and relation starts with; version for nodes.
  void Common(std::string_view type, uint64_t id, const uint32_t* version, uint64_t boot_ns) {
    writer_.Key("type");
    writer_.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    writer_.Key("id");
    writer_.Uint64(id);
    if (version != nullptr) {
      writer_.Key("version");
      writer_.Uint(*version);
    }
    writer_.Key("boot_id");
    writer_.Uint(info_.boot_id);
    writer_.Key("machine_id");
    writer_.Uint(info_.machine_id);
    writer_.Key("time");
    writer_.Uint64(static_cast<uint64_t>(info_.WallClockNs(boot_ns)));
  }

  void Endpoint(const char* key, const NodeRef& ref) {
    writer_.Key(key);
    writer_.StartObject();
    writer_.Key("id");
    writer_.Uint64(ref.id);
    writer_.Key("version");
    writer_.Uint(ref.version);
    writer_.Key("type");
    std::string_view type = NodeTypeName(ref.type);
    writer_.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    writer_.EndObject();
  }

  Status Finish() {
    writer_.EndObject();
    buffer_.Put('\n');
    return out_->Write(std::string_view(buffer_.GetString(), buffer_.GetSize()));
  }

  ByteSink* out_;
  CaptureInfo info_;
  rapidjson::StringBuffer buffer_;
  JsonWriter writer_;
  std::string scratch_;
  uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<RecordSink> NewJsonLinesWriter(ByteSink* out) {
  return std::make_unique<JsonLinesWriter>(out);
}

}  // namespace provtrace::formats
