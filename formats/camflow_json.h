// The node and relation attributes CamFlow writes, with their CamFlow
// names and value formats, for both of its JSON flavours: PROV-JSON keys
// carry a "cf:" prefix, SPADE JSON annotations do not.
#ifndef PROVTRACE_FORMATS_CAMFLOW_JSON_H_
#define PROVTRACE_FORMATS_CAMFLOW_JSON_H_

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "core/model.h"
#include "formats/camflow.h"
#include "formats/kernel_string.h"

namespace provtrace::formats::camflow {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

class Attributes {
 public:
  Attributes(JsonWriter* w, const char* prefix, std::string* scratch)
      : w_(w), prefix_(prefix), scratch_(scratch) {}

  void Key(const char* name) {
    key_ = prefix_;
    key_ += name;
    w_->Key(key_.c_str(), static_cast<rapidjson::SizeType>(key_.size()));
  }
  // CamFlow writes 32-bit values as numbers, 64-bit ones as decimal strings.
  void U32(const char* name, uint32_t value) {
    Key(name);
    w_->Uint(value);
  }
  void U64(const char* name, uint64_t value) { Str(name, std::to_string(value)); }
  void Hex32(const char* name, uint32_t value) {
    char buf[16];
    snprintf(buf, sizeof(buf), "0x%x", value);
    Str(name, buf);
  }
  void Hex64(const char* name, uint64_t value) {
    char buf[24];
    snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(value));
    Str(name, buf);
  }
  void Str(const char* name, std::string_view value) {
    Key(name);
    WriteKernelString(*w_, value, *scratch_);
  }
  void Chars(const char* name, const char* chars, size_t max) {
    size_t n = strnlen(chars, max);
    if (n > 0) Str(name, std::string_view(chars, n));
  }

  // Everything after the common header: what the node's type carries.
  void NodeSpecific(const Node& node) {
    std::string label = "[" + std::string(NodeTypeName(node.type)) + "] ";
    if (IsInodeType(node.type)) {
      const pt_inode_node& i = node.inode;
      U32("uid", i.uid);
      U32("gid", i.gid);
      Hex32("mode", i.mode);
      U32("ino", static_cast<uint32_t>(i.ino));
      bool has_uuid = false;
      for (uint8_t b : i.sb_uuid) has_uuid |= b != 0;
      if (has_uuid) {
        char uuid[40];
        const uint8_t* u = i.sb_uuid;
        snprintf(uuid, sizeof(uuid),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                 u[15]);
        Str("uuid", uuid);
      }
      Label(label + std::to_string(node.version));
      return;
    }
    switch (node.type) {
      case NodeType::kTask: {
        const pt_task_node& t = node.task;
        U32("pid", t.pid);
        U32("vpid", t.vpid);
        U64("utime", t.utime_ns / 1000);  // CamFlow: microseconds
        U64("stime", t.stime_ns / 1000);
        U32("utsns", t.utsns);
        U32("ipcns", t.ipcns);
        U32("mntns", t.mntns);
        U32("pidns", t.pidns);
        U32("netns", t.netns);
        U32("cgroupns", t.cgroupns);
        U32("tid", t.tid);
        Chars("comm", t.comm, sizeof(t.comm));
        Label("[task] " + std::to_string(node.version));
        break;
      }
      case NodeType::kProcessMemory:
        U32("uid", node.proc.uid);
        U32("gid", node.proc.gid);
        U32("tgid", node.proc.tgid);
        Label("[process] " + std::to_string(node.version));
        break;
      case NodeType::kPath:
        Str("pathname", node.path);
        Label(label + std::string(node.path));
        break;
      case NodeType::kArgv:
      case NodeType::kEnvp: {
        std::string value(node.strings);
        for (char& c : value) c = c == '\0' ? ' ' : c;
        while (!value.empty() && value.back() == ' ') value.pop_back();
        Str("value", value);
        U32("count", node.string_count);
        Str("truncated", "false");
        Label(label + value);
        break;
      }
      case NodeType::kMachine: {
        const pt_machine_node& m = node.machine;
        Chars("u_sysname", m.sysname, PT_UTS_LEN);
        Chars("u_nodename", m.nodename, PT_UTS_LEN);
        Chars("u_release", m.release, PT_UTS_LEN);
        Chars("u_version", m.version, PT_UTS_LEN);
        Chars("u_machine", m.machine, PT_UTS_LEN);
        break;
      }
      default:
        break;
    }
  }

  // prov:label is PROV's own attribute: always "prov:label", and only in
  // PROV-JSON.
  void Label(const std::string& label) {
    if (strcmp(prefix_, "cf:") != 0) return;
    w_->Key("prov:label");
    WriteKernelString(*w_, label, *scratch_);
  }

 private:
  JsonWriter* w_;
  const char* prefix_;
  std::string* scratch_;
  std::string key_;
};

}  // namespace provtrace::formats::camflow

#endif  // PROVTRACE_FORMATS_CAMFLOW_JSON_H_
