// A zstd-compressing decorator for any byte sink. Every Flush ends a zstd
// frame, and a frame reaches the inner sink only whole, in one write: what
// is on disk is always complete frames, so zstdcat reads a live file to its
// last flush (and a file cut after any flush, and after Ctrl-C).
#ifndef PROVTRACE_FORMATS_ZSTD_SINK_H_
#define PROVTRACE_FORMATS_ZSTD_SINK_H_

#include <cstddef>
#include <memory>

#include "formats/byte_sink.h"

namespace provtrace::formats {

inline constexpr int kDefaultZstdLevel = 1;
// A frame's compressed bytes are held in memory until it ends; a frame
// that reaches this size ends at the next unit (record) boundary, so the
// memory stays bounded between flushes.
inline constexpr size_t kMaxZstdFrameBytes = 1 << 20;

// Compresses into `inner` (owned) at `level` (1..19).
Status NewZstdSink(std::unique_ptr<ByteSink> inner, int level, std::unique_ptr<ByteSink>* sink);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_ZSTD_SINK_H_
