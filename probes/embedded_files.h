// Files compiled into the binary at build time (see tools/embed_files.cc):
// the BPF C sources and the record header they share with the decoder.
#ifndef PROVTRACE_PROBES_EMBEDDED_FILES_H_
#define PROVTRACE_PROBES_EMBEDDED_FILES_H_

#include <cstddef>
#include <string_view>

namespace provtrace {

struct EmbeddedFile {
  const char* name;  // path relative to the workspace, e.g. "core/record.h"
  size_t size;
  const char* data;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

// The embedded file with this name, or an empty view.
inline std::string_view EmbeddedFileContent(std::string_view name) {
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (name == kEmbeddedFiles[i].name) {
      return std::string_view(kEmbeddedFiles[i].data, kEmbeddedFiles[i].size);
    }
  }
  return {};
}

}  // namespace provtrace

#endif  // PROVTRACE_PROBES_EMBEDDED_FILES_H_
