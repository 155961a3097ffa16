// What the running kernel allows, found by trying: each program type is
// probed by loading (and attaching) a two-instruction program, the way
// bpftool's feature probe does, so the report reflects policy (lockdown,
// LSM settings) and not just configuration.
#ifndef PROVTRACE_PROBES_FEATURES_H_
#define PROVTRACE_PROBES_FEATURES_H_

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "probes/backend.h"

namespace provtrace::probes {

struct ProbeResult {
  bool ok = false;
  std::string detail;  // why not, in words a user can act on
};

struct KernelFeatures {
  std::string kernel_release;
  bool btf = false;
  std::string btf_path;
  size_t btf_size = 0;
  std::optional<std::string> active_lsms;  // nullopt: securityfs unreadable
  bool bpf_lsm_active = false;
  ProbeResult lsm;             // BPF_PROG_TYPE_LSM load + attach
  ProbeResult fentry;          // BPF_PROG_TYPE_TRACING fentry load + attach
  ProbeResult kprobe;          // kprobe program attached through perf
  ProbeResult raw_tracepoint;  // BPF_PROG_TYPE_RAW_TRACEPOINT load + attach
  ProbeResult ring_buffer;     // BPF_MAP_TYPE_RINGBUF create
  ProbeResult atomics;         // BPF_ATOMIC or/and and fetch (5.12)
  ProbeResult io_uring;        // io_uring_complete passes requests that say what they did (6.1)

  // Whether a backend can run here, and if not, why.
  ProbeResult Usable(Backend backend) const;
};

KernelFeatures ProbeKernelFeatures(const std::string& btf_path = "/sys/kernel/btf/vmlinux");

struct BackendChoice {
  Backend backend;
  std::vector<std::string> reasons;  // one line per backend passed over
};

// The best usable backend ("auto"), or the requested one if it is usable.
Status ChooseBackend(const KernelFeatures& features, std::optional<Backend> requested,
                     BackendChoice* choice);

// The multi-line report `provtrace --info` prints.
std::string FeatureReport(const KernelFeatures& features);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_FEATURES_H_
