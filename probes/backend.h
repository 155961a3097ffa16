// The attach backends provtrace can record through, best first.
#ifndef PROVTRACE_PROBES_BACKEND_H_
#define PROVTRACE_PROBES_BACKEND_H_

#include <optional>
#include <string>
#include <string_view>

namespace provtrace::probes {

enum class Backend {
  kLsm,         // BPF LSM programs on the security hooks themselves
  kFentry,      // fentry programs on the kernel's security_* functions
  kKprobe,      // kprobes on the same functions
  kTracepoint,  // raw tracepoints (scheduler events and syscalls)
};

inline constexpr Backend kAllBackends[] = {Backend::kLsm, Backend::kFentry, Backend::kKprobe,
                                           Backend::kTracepoint};

std::string_view BackendName(Backend backend);
std::optional<Backend> ParseBackend(std::string_view name);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_BACKEND_H_
