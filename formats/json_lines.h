// JSON Lines: one JSON object per record and line. The schema is a promise
// to users' scripts (documented in man/provtrace.8): fields are only added.
#ifndef PROVTRACE_FORMATS_JSON_LINES_H_
#define PROVTRACE_FORMATS_JSON_LINES_H_

#include <memory>

#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

std::unique_ptr<RecordSink> NewJsonLinesWriter(ByteSink* out);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_JSON_LINES_H_
