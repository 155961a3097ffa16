#include "formats/camflow.h"

#include <time.h>

#include <cstring>

namespace provtrace::formats::camflow {
namespace {

constexpr uint64_t kRelation = 0x8000000000000000ULL;
constexpr uint64_t kActivity = 0x4000000000000000ULL;
constexpr uint64_t kEntity = 0x2000000000000000ULL;
constexpr uint64_t kAgent = 0x1000000000000000ULL;
constexpr uint64_t kLong = 0x0400000000000000ULL;
constexpr uint64_t kDerived = kRelation | 0x0080000000000000ULL;
constexpr uint64_t kGenerated = kRelation | 0x0040000000000000ULL;
constexpr uint64_t kUsed = kRelation | 0x0020000000000000ULL;
constexpr uint64_t kInformed = kRelation | 0x0010000000000000ULL;
constexpr uint64_t kAssociated = kRelation | 0x0004000000000000ULL;
constexpr uint64_t Bit(int n) { return 1ULL << n; }

}  // namespace

uint64_t NodeTypeCode(NodeType type) {
  switch (type) {
    case NodeType::kTask:
      return kActivity | Bit(0);
    case NodeType::kProcessMemory:
      return kEntity | Bit(19);
    case NodeType::kLink:
      return kEntity | Bit(7);
    case NodeType::kFile:
      return kEntity | Bit(8);
    case NodeType::kDirectory:
      return kEntity | Bit(9);
    case NodeType::kChar:
      return kEntity | Bit(10);
    case NodeType::kBlock:
      return kEntity | Bit(11);
    case NodeType::kPipe:
      return kEntity | Bit(12);
    case NodeType::kSocket:
      return kEntity | Bit(13);
    case NodeType::kPath:
      return kEntity | kLong | Bit(22);
    case NodeType::kArgv:
      return kEntity | kLong | Bit(25);
    case NodeType::kEnvp:
      return kEntity | kLong | Bit(26);
    case NodeType::kMachine:
      return kAgent | kLong | Bit(4);
    case NodeType::kAddress:
      return kEntity | kLong | Bit(21);
    case NodeType::kShm:
      return kEntity | Bit(15);
    case NodeType::kMsgQueue:
      return kEntity | Bit(14);  // CamFlow's msg (it has no queue node)
    case NodeType::kAnonInode:
      return kEntity | Bit(6);  // CamFlow's inode_unknown
  }
  return kEntity | Bit(6);  // inode_unknown
}

uint64_t RelationTypeCode(RelationType type) {
  switch (type) {
    case RelationType::kNamed:
      return kDerived | Bit(0);
    case RelationType::kVersionEntity:
      return kDerived | Bit(1);
    case RelationType::kFree:
      return kDerived | Bit(6);
    case RelationType::kExec:
      return kDerived | Bit(12);
    case RelationType::kTerminateProc:
      return kDerived | Bit(13);
    case RelationType::kArg:
      return kDerived | Bit(14);
    case RelationType::kCloneMem:
      return kGenerated | Bit(0);
    case RelationType::kInodeCreate:
      return kGenerated | Bit(4);
    case RelationType::kWrite:
      return kGenerated | Bit(5);
    case RelationType::kMemoryWrite:
      return kGenerated | Bit(7);
    case RelationType::kLink:
      return kGenerated | Bit(15);
    case RelationType::kRename:
      return kGenerated | Bit(16);
    case RelationType::kUnlink:
      return kGenerated | Bit(17);
    case RelationType::kSetattr:
      return kGenerated | Bit(19);
    case RelationType::kSetuid:
      return kGenerated | Bit(22);
    case RelationType::kSetgid:
      return kGenerated | Bit(23);
    case RelationType::kExecTask:
      return kGenerated | Bit(28);
    case RelationType::kRead:
      return kUsed | Bit(0);
    case RelationType::kMemoryRead:
      return kUsed | Bit(2);
    case RelationType::kOpen:
      return kUsed | Bit(7);
    case RelationType::kPermCheck:
      return kUsed | Bit(16);
    case RelationType::kMmap:
      return kUsed | Bit(18);
    case RelationType::kMmapPrivate:
      return kUsed | Bit(19);
    case RelationType::kClone:
      return kInformed | Bit(0);
    case RelationType::kVersionActivity:
      return kInformed | Bit(1);
    case RelationType::kTerminateTask:
      return kInformed | Bit(2);
    // CamFlow's codes (v6.7) where it has the relation; provtrace's own
    // (bits CamFlow leaves free in the class) where it has none.
    case RelationType::kSocketCreate:
      return kGenerated | Bit(2);
    case RelationType::kBind:
      return kGenerated | Bit(11);
    case RelationType::kConnect:
      return kGenerated | Bit(8);
    case RelationType::kListen:
      return kGenerated | Bit(10);
    case RelationType::kAccept:
      return kUsed | Bit(3);
    case RelationType::kSend:
      return kGenerated | Bit(12);
    case RelationType::kReceive:
      return kUsed | Bit(4);
    case RelationType::kSendUnix:
      return kDerived | Bit(2);
    case RelationType::kSendPacket:
      return kDerived | Bit(1) | Bit(40);
    case RelationType::kReceivePacket:
      return kDerived | Bit(3);
    case RelationType::kAddressed:
      return kDerived | Bit(18);
    case RelationType::kShRead:
      return kDerived | Bit(15);
    case RelationType::kShWrite:
      return kDerived | Bit(16);
    case RelationType::kShAttach:
      return kGenerated | Bit(24);
    case RelationType::kSendMsgQueue:
      return kGenerated | Bit(14);
    case RelationType::kReceiveMsgQueue:
      return kUsed | Bit(6);
    case RelationType::kPtraceAttach:
      return kGenerated | Bit(29);
    case RelationType::kPtraceRead:
      return kUsed | Bit(21);
    case RelationType::kSymlink:
      return kGenerated | Bit(18);
    case RelationType::kReadLink:
      return kUsed | Bit(12);
    case RelationType::kSetxattr:
      return kGenerated | Bit(20);
    case RelationType::kRemovexattr:
      return kGenerated | Bit(21);
    case RelationType::kGetxattr:
      return kUsed | Bit(13);
  }
  return kRelation;
}

RelationClass ClassOf(RelationType type) {
  uint64_t code = RelationTypeCode(type);
  if ((code & kDerived) == kDerived) return RelationClass::kDerived;
  if ((code & kGenerated) == kGenerated) return RelationClass::kGenerated;
  if ((code & kUsed) == kUsed) return RelationClass::kUsed;
  if ((code & kInformed) == kInformed) return RelationClass::kInformed;
  return RelationClass::kAssociated;
}

std::string Base64(const void* data, size_t size) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* in = static_cast<const uint8_t*>(data);
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (size_t i = 0; i < size; i += 3) {
    uint32_t chunk = static_cast<uint32_t>(in[i]) << 16;
    if (i + 1 < size) chunk |= static_cast<uint32_t>(in[i + 1]) << 8;
    if (i + 2 < size) chunk |= in[i + 2];
    out.push_back(kAlphabet[(chunk >> 18) & 63]);
    out.push_back(kAlphabet[(chunk >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(chunk >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[chunk & 63] : '=');
  }
  return out;
}

namespace {

// CamFlow's union prov_identifier, little-endian.
std::string Identifier(uint64_t type, uint64_t id, uint32_t boot_id, uint32_t machine_id,
                       uint32_t version) {
  uint8_t raw[32] = {};
  memcpy(raw, &type, 8);
  memcpy(raw + 8, &id, 8);
  memcpy(raw + 16, &boot_id, 4);
  memcpy(raw + 20, &machine_id, 4);
  memcpy(raw + 24, &version, 4);
  return Base64(raw, sizeof(raw));
}

}  // namespace

std::string NodeId(const NodeRef& ref, uint32_t boot_id, uint32_t machine_id) {
  return Identifier(NodeTypeCode(ref.type), ref.id, boot_id, machine_id, ref.version);
}

std::string RelationId(const Relation& relation, uint32_t boot_id, uint32_t machine_id) {
  return Identifier(RelationTypeCode(relation.type), relation.id, boot_id, machine_id, 0);
}

std::string Date(int64_t unix_ns) {
  time_t seconds = static_cast<time_t>(unix_ns / 1000000000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y:%m:%dT%H:%M:%S", &tm);
  return buf;
}

std::string MachineId(uint32_t machine_id) { return "cf:" + std::to_string(machine_id); }

}  // namespace provtrace::formats::camflow
