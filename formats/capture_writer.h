// -w FILE: the raw capture writer, a sink that keeps the records exactly as
// received (see capture_format.h).
#ifndef PROVTRACE_FORMATS_CAPTURE_WRITER_H_
#define PROVTRACE_FORMATS_CAPTURE_WRITER_H_

#include <memory>

#include "core/sink.h"
#include "formats/byte_sink.h"

namespace provtrace::formats {

std::unique_ptr<RecordSink> NewCaptureWriter(ByteSink* out);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_CAPTURE_WRITER_H_
