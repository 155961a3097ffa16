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
// memory stays bounded between flushes, and a full disk (the file is cut
// back to its last whole frame) loses little. 32 KiB frames compressed
// provtrace's JSON Lines as well as one frame per second (17x).
inline constexpr size_t kMaxZstdFrameBytes = 32 << 10;

// Compresses into `inner` (owned) at `level` (1..19).
Status NewZstdSink(std::unique_ptr<ByteSink> inner, int level, std::unique_ptr<ByteSink>* sink);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_ZSTD_SINK_H_
