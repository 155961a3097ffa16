// The text format: one aligned line per relation, for a person at a
// terminal (the default there):
//   14:02:03.123456  cat[4242]         read            /etc/passwd
#ifndef PROVTRACE_FORMATS_TEXT_H_
#define PROVTRACE_FORMATS_TEXT_H_

#include <memory>

#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

std::unique_ptr<RecordSink> NewTextWriter(ByteSink* out);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_TEXT_H_
