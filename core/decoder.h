// Wire records (core/record.h) to the model (core/model.h). The one decoder
// for live data and replayed captures alike; a record it cannot make sense
// of is reported, never trusted.
#ifndef PROVTRACE_CORE_DECODER_H_
#define PROVTRACE_CORE_DECODER_H_

#include <cstddef>
#include <string_view>

#include "core/model.h"

namespace provtrace {

enum class DecodeError {
  kNone = 0,
  kTruncated,  // fewer bytes than the header or than its size field says
  kBadSize,    // size field smaller than the header
  kUnknownKind,
  kUnknownType,   // a node or relation type this build does not know
  kBodyTooShort,  // smaller than the body its type needs
  kBadString,     // a string's length runs past the record
};

std::string_view DecodeErrorText(DecodeError error);

struct DecodedRecord {
  enum class Kind { kNode, kRelation, kLost } kind = Kind::kNode;
  Node node;
  Relation relation;
  Lost lost;  // kLost: a loss the BPF side marked in the stream (source kBpfOutput)
  size_t size = 0;  // bytes the record occupies (its header's size field)
};

// Decodes the record at the start of [data, data + available). Bytes after
// the record's own size (transport padding, following records) are ignored.
DecodeError DecodeRecord(const void* data, size_t available, DecodedRecord* out);

}  // namespace provtrace

#endif  // PROVTRACE_CORE_DECODER_H_
