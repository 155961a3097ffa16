// A zstd-compressing decorator for any byte sink. Every Flush ends a zstd
// frame, so what is on disk is always complete frames (zstdcat reads a
// file cut after any flush, and after Ctrl-C).
#ifndef PROVTRACE_FORMATS_ZSTD_SINK_H_
#define PROVTRACE_FORMATS_ZSTD_SINK_H_

#include <memory>

#include "formats/byte_sink.h"

namespace provtrace::formats {

inline constexpr int kDefaultZstdLevel = 1;

// Compresses into `inner` (owned) at `level` (1..19).
Status NewZstdSink(std::unique_ptr<ByteSink> inner, int level, std::unique_ptr<ByteSink>* sink);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_ZSTD_SINK_H_
