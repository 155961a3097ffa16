// CamFlow's SPADE JSON flavour: one JSON object per line, vertices
// ({"type":"Activity"|"Entity","id":...,"annotations":{...}}) and edges
// ({"type":"Used"|...,"from":effect,"to":cause,"annotations":{...}}) in
// stream order (every edge after its vertices), as SPADE's CamFlow and
// JSON reporters read them.
#ifndef PROVTRACE_FORMATS_SPADE_JSON_H_
#define PROVTRACE_FORMATS_SPADE_JSON_H_

#include <memory>

#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

std::unique_ptr<RecordSink> NewSpadeJsonWriter(ByteSink* out);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_SPADE_JSON_H_
