// provtrace's raw capture file (-w, -r): the records exactly as received,
// replayed through the same decoder as live data. Little-endian.
//
//   header (struct CaptureHeader, header_size bytes)
//   frames: u32 length (of the payload) | u32 type (CaptureFrame) | payload
//
// A record frame's payload is one record as the transport handed it over;
// a lost frame's payload is struct CaptureLost.
#ifndef PROVTRACE_FORMATS_CAPTURE_FORMAT_H_
#define PROVTRACE_FORMATS_CAPTURE_FORMAT_H_

#include <cstdint>

namespace provtrace::formats {

inline constexpr char kCaptureMagic[8] = {'P', 'T', 'C', 'A', 'P', 'T', 'R', '1'};
inline constexpr uint32_t kCaptureFormatVersion = 1;
// Larger frames are corruption: a record's size field is 16 bits.
inline constexpr uint32_t kMaxFramePayload = 1 << 16;

struct CaptureHeader {
  char magic[8];
  uint32_t format_version;  // kCaptureFormatVersion
  uint32_t schema_version;  // PT_RECORD_SCHEMA_VERSION of the records
  uint32_t header_size;     // sizeof(CaptureHeader) when written; readers skip the rest
  uint32_t boot_id;
  uint32_t machine_id;
  uint32_t reserved;
  int64_t realtime_offset_ns;
  char backend[24];
};
static_assert(sizeof(CaptureHeader) == 64, "capture header layout");

enum class CaptureFrame : uint32_t {
  kRecord = 1,
  kLost = 2,
};

struct CaptureLost {
  uint64_t count;
  uint64_t time_ns;
  int32_t cpu;
  uint32_t source;
};
static_assert(sizeof(CaptureLost) == 24, "capture lost layout");

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_CAPTURE_FORMAT_H_
