#include "core/decoder.h"

#include <cstring>

namespace provtrace {
namespace {

NodeRef ToRef(const pt_node_ref& ref) {
  NodeRef out;
  out.id = ref.id;
  out.version = ref.version;
  out.type = static_cast<NodeType>(ref.type);
  return out;
}

// Copies a fixed-size body: at least `minimum` bytes must be there (the
// type's first published size); fields a shorter record lacks stay zero,
// fields a newer, longer one adds are ignored.
template <typename Body>
DecodeError CopyBody(const uint8_t* bytes, size_t size, size_t minimum, Body* body) {
  if (size < minimum) return DecodeError::kBodyTooShort;
  memset(body, 0, sizeof(Body));
  memcpy(body, bytes, size < sizeof(Body) ? size : sizeof(Body));
  return DecodeError::kNone;
}

DecodeError DecodeNode(const uint8_t* bytes, const pt_record_header& hdr, Node* node) {
  if (!IsKnownNodeType(hdr.type)) return DecodeError::kUnknownType;
  if (hdr.size < sizeof(pt_node_common)) return DecodeError::kBodyTooShort;
  pt_node_common common;
  memcpy(&common, bytes, sizeof(common));
  *node = Node{};
  node->type = static_cast<NodeType>(hdr.type);
  node->id = common.id;
  node->version = common.version;
  node->flags = hdr.flags;
  node->time_ns = hdr.time_ns;
  if (IsInodeType(node->type)) {
    return CopyBody(bytes, hdr.size, sizeof(pt_inode_node), &node->inode);
  }
  switch (node->type) {
    case NodeType::kTask:
      return CopyBody(bytes, hdr.size, PT_TASK_NODE_MIN_SIZE, &node->task);
    case NodeType::kProcessMemory:
      return CopyBody(bytes, hdr.size, sizeof(pt_proc_node), &node->proc);
    case NodeType::kMachine:
      return CopyBody(bytes, hdr.size, sizeof(pt_machine_node), &node->machine);
    case NodeType::kAddress: {
      DecodeError e = CopyBody(bytes, hdr.size, sizeof(pt_address_node), &node->address);
      if (e != DecodeError::kNone || node->address.path_len == 0) return e;
      if (node->address.path_len >= hdr.size - sizeof(pt_address_node))
        return DecodeError::kBadString;
      node->path = std::string_view(reinterpret_cast<const char*>(bytes) + sizeof(pt_address_node),
                                    node->address.path_len);
      return DecodeError::kNone;
    }
    case NodeType::kShm:
    case NodeType::kMsgQueue:
      return CopyBody(bytes, hdr.size, sizeof(pt_ipc_node), &node->ipc);
    case NodeType::kPath: {
      if (hdr.size < sizeof(pt_path_node)) return DecodeError::kBodyTooShort;
      pt_path_node path;
      memcpy(&path, bytes, sizeof(path));
      size_t room = hdr.size - sizeof(pt_path_node);
      if (path.path_len >= room) return DecodeError::kBadString;
      node->path = std::string_view(reinterpret_cast<const char*>(bytes) + sizeof(pt_path_node),
                                    path.path_len);
      return DecodeError::kNone;
    }
    case NodeType::kArgv:
    case NodeType::kEnvp: {
      if (hdr.size < sizeof(pt_strings_node)) return DecodeError::kBodyTooShort;
      pt_strings_node strings;
      memcpy(&strings, bytes, sizeof(strings));
      if (strings.len > hdr.size - sizeof(pt_strings_node)) return DecodeError::kBadString;
      node->strings = std::string_view(
          reinterpret_cast<const char*>(bytes) + sizeof(pt_strings_node), strings.len);
      node->string_count = strings.count;
      return DecodeError::kNone;
    }
    default:
      return DecodeError::kNone;
  }
}

DecodeError DecodeRelation(const uint8_t* bytes, const pt_record_header& hdr, Relation* relation) {
  if (!IsKnownRelationType(hdr.type)) return DecodeError::kUnknownType;
  if (hdr.size < sizeof(pt_relation)) return DecodeError::kBodyTooShort;
  pt_relation rel;
  memcpy(&rel, bytes, sizeof(rel));
  if (!IsKnownNodeType(rel.from.type) || !IsKnownNodeType(rel.to.type)) {
    return DecodeError::kUnknownType;
  }
  relation->type = static_cast<RelationType>(hdr.type);
  relation->id = rel.id;
  relation->from = ToRef(rel.from);
  relation->to = ToRef(rel.to);
  relation->flags = rel.flags;
  relation->offset = rel.offset;
  relation->time_ns = hdr.time_ns;
  return DecodeError::kNone;
}

}  // namespace

std::string_view DecodeErrorText(DecodeError error) {
  switch (error) {
    case DecodeError::kNone:
      return "ok";
    case DecodeError::kTruncated:
      return "record truncated";
    case DecodeError::kBadSize:
      return "record size smaller than its header";
    case DecodeError::kUnknownKind:
      return "unknown record kind";
    case DecodeError::kUnknownType:
      return "unknown node or relation type";
    case DecodeError::kBodyTooShort:
      return "record smaller than its type's body";
    case DecodeError::kBadString:
      return "string runs past the record";
  }
  return "unknown decode error";
}

DecodeError DecodeRecord(const void* data, size_t available, DecodedRecord* out) {
  if (available < sizeof(pt_record_header)) return DecodeError::kTruncated;
  const auto* bytes = static_cast<const uint8_t*>(data);
  pt_record_header hdr;
  memcpy(&hdr, bytes, sizeof(hdr));
  if (hdr.size < sizeof(pt_record_header)) return DecodeError::kBadSize;
  if (hdr.size > available) return DecodeError::kTruncated;
  out->size = hdr.size;
  switch (hdr.kind) {
    case PT_KIND_NODE:
      out->kind = DecodedRecord::Kind::kNode;
      return DecodeNode(bytes, hdr, &out->node);
    case PT_KIND_RELATION:
      out->kind = DecodedRecord::Kind::kRelation;
      return DecodeRelation(bytes, hdr, &out->relation);
    case PT_KIND_LOST: {
      out->kind = DecodedRecord::Kind::kLost;
      if (hdr.size < sizeof(pt_lost_record)) return DecodeError::kBodyTooShort;
      pt_lost_record lost;
      memcpy(&lost, bytes, sizeof(lost));
      out->lost = Lost();
      out->lost.source = LostSource::kBpfOutput;
      out->lost.count = lost.count;
      out->lost.cpu = static_cast<int>(lost.cpu);
      out->lost.time_ns = hdr.time_ns;
      return DecodeError::kNone;
    }
    default:
      return DecodeError::kUnknownKind;
  }
}

}  // namespace provtrace
