// Puts a ProgramImage into the kernel: creates its maps, and loads its
// functions with their map references pointing at them. No compiler here.
#ifndef PROVTRACE_PROBES_IMAGE_LOADER_H_
#define PROVTRACE_PROBES_IMAGE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "probes/program_image.h"

namespace provtrace::probes {

struct LoadTarget {
  int prog_type = 0;             // BPF_PROG_TYPE_*
  int expected_attach_type = 0;  // BPF_LSM_MAC, BPF_TRACE_FENTRY, or 0
  uint32_t attach_btf_id = 0;    // the hook's BTF id (LSM, fentry)
};

// The image's maps, created; fds in the image's order, for the caller to
// close.
Status CreateImageMaps(const ProgramImage& image, std::vector<int>* fds);

// Loads one function. A refusal is one line: permission
// (kPermissionDenied) or the verifier (kKernelRejected, naming the file its
// log was saved to).
Status LoadImageFunction(const ProgramImage& image, const std::string& function,
                         const LoadTarget& target, const std::vector<int>& map_fds, int* fd);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_IMAGE_LOADER_H_
