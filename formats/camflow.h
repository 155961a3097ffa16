// CamFlow's encodings, shared by the PROV-JSON and SPADE JSON writers so
// that CamFlow's consumers read provtrace unmodified: its numeric type
// codes (include/uapi/linux/provenance_types.h of CamFlow 0.9), its element
// ids (base64 of the binary identifier), its date format.
#ifndef PROVTRACE_FORMATS_CAMFLOW_H_
#define PROVTRACE_FORMATS_CAMFLOW_H_

#include <cstdint>
#include <string>

#include "core/model.h"

namespace provtrace::formats::camflow {

// The PROV class of a relation, from its CamFlow type's class bits.
enum class RelationClass { kUsed, kGenerated, kInformed, kDerived, kAssociated };

uint64_t NodeTypeCode(NodeType type);
uint64_t RelationTypeCode(RelationType type);
RelationClass ClassOf(RelationType type);

// base64 of CamFlow's 32-byte identifier: type, id, boot_id, machine_id,
// version (relations: version 0).
std::string NodeId(const NodeRef& ref, uint32_t boot_id, uint32_t machine_id);
std::string RelationId(const Relation& relation, uint32_t boot_id, uint32_t machine_id);

// "YYYY:MM:DDTHH:MM:SS", UTC (CamFlow's cf:date).
std::string Date(int64_t unix_ns);

// "cf:<machine_id>", as CamFlow writes machine ids.
std::string MachineId(uint32_t machine_id);

std::string Base64(const void* data, size_t size);

}  // namespace provtrace::formats::camflow

#endif  // PROVTRACE_FORMATS_CAMFLOW_H_
