// CamFlow's W3C PROV-JSON: each flush writes one complete document (one
// line), with the prefix object and the activity, agent, entity, used,
// wasGeneratedBy, wasInformedBy, wasAssociatedWith and wasDerivedFrom
// sections; element ids and attributes are CamFlow's (formats/camflow.h).
#ifndef PROVTRACE_FORMATS_PROV_JSON_H_
#define PROVTRACE_FORMATS_PROV_JSON_H_

#include <memory>

#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

std::unique_ptr<RecordSink> NewProvJsonWriter(ByteSink* out);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_PROV_JSON_H_
