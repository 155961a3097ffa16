// CRC-32C (Castagnoli), the checksum of raw capture blocks: the CPU's
// crc32 instruction where it has one (SSE 4.2), a table otherwise.
#ifndef PROVTRACE_FORMATS_CRC32C_H_
#define PROVTRACE_FORMATS_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace provtrace::formats {

// The CRC-32C of data, continuing from crc (0 to start).
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_CRC32C_H_
