// provtrace's raw capture file (-w, -r): the records as they reached the
// pipeline (in time order), replayed through the same decoder as live data.
// Little-endian.
//
//   header (struct CaptureHeader, header_size bytes)
//   frames: u32 length (of the payload) | u32 type (CaptureFrame) | payload
//
// Format 2 (written since the reorder window): every top-level frame is a
// block, whose payload is checksummed and holds format 1's frames:
//   u32 length | u32 kBlock | u32 CRC-32C of the payload | u32 frames | payload
// and the header's `reserved` holds the CRC-32C of the header (with
// `reserved` 0). Format 1 (no blocks, no checksums) is still read.
//
// A record frame's payload is one record; a lost frame's is struct
// CaptureLost.
#ifndef PROVTRACE_FORMATS_CAPTURE_FORMAT_H_
#define PROVTRACE_FORMATS_CAPTURE_FORMAT_H_

#include <cstdint>

namespace provtrace::formats {

inline constexpr char kCaptureMagic[8] = {'P', 'T', 'C', 'A', 'P', 'T', 'R', '1'};
inline constexpr uint32_t kCaptureFormatVersion = 2;
inline constexpr uint32_t kFirstCaptureFormatVersion = 1;  // still read
// Larger frames are corruption: a record's size field is 16 bits.
inline constexpr uint32_t kMaxFramePayload = 1 << 16;
// A block is closed once it holds this much, and at every flush.
inline constexpr uint32_t kBlockTarget = 32 << 10;
inline constexpr uint32_t kMaxBlockPayload = kBlockTarget + 8 + kMaxFramePayload;

struct CaptureHeader {
  char magic[8];
  uint32_t format_version;  // kCaptureFormatVersion
  uint32_t schema_version;  // PT_RECORD_SCHEMA_VERSION of the records
  uint32_t header_size;     // sizeof(CaptureHeader) when written; readers skip the rest
  uint32_t boot_id;
  uint32_t machine_id;
  uint32_t reserved;  // format 2: CRC-32C of the header with this field 0
  int64_t realtime_offset_ns;
  char backend[24];
};
static_assert(sizeof(CaptureHeader) == 64, "capture header layout");

enum class CaptureFrame : uint32_t {
  kRecord = 1,
  kLost = 2,
  kBlock = 3,  // format 2
};

struct BlockPrefix {
  uint32_t length;  // of the payload
  uint32_t type;    // CaptureFrame::kBlock
  uint32_t crc;     // CRC-32C of the payload
  uint32_t frames;  // inside it
};
static_assert(sizeof(BlockPrefix) == 16, "block prefix layout");

struct CaptureLost {
  uint64_t count;
  uint64_t time_ns;
  int32_t cpu;
  uint32_t source;
};
static_assert(sizeof(CaptureLost) == 24, "capture lost layout");

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_CAPTURE_FORMAT_H_
