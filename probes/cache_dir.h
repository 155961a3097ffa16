// The files provtrace keeps under its cache root (/var/cache/provtrace):
// kernel trees made from BTF and compiled program images. They hold code
// that goes into the kernel, so the directories must be root's and closed
// to everybody else, and files appear whole or not at all.
#ifndef PROVTRACE_PROBES_CACHE_DIR_H_
#define PROVTRACE_PROBES_CACHE_DIR_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "core/status.h"

namespace provtrace::probes {

// FNV-1a over 8-byte words, for cache keys (not for security: the
// directory's ownership is).
uint64_t Fnv1a(const std::string& data, uint64_t hash = 1469598103934665603ULL);
std::string HexKey(uint64_t hash);

Status MakeDirs(const std::string& dir, mode_t mode);
// Fails unless dir is a directory owned by this user with no group or
// other permissions.
Status CheckPrivateDir(const std::string& dir);
// Creates path (0600, O_EXCL) with content.
Status WriteNewFile(const std::string& path, const std::string& content);
// Writes path whole: into a temporary file beside it, then renamed over.
Status WriteFileAtomically(const std::string& path, const std::string& content);
bool ReadWholeFile(const std::string& path, std::string* out);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_CACHE_DIR_H_
