// A loaded capture: the backend's BPF program compiled by BCC (against the
// BTF-derived kernel tree), its programs verified and attached, its maps
// open. Destroying the session detaches and frees everything; nothing is
// pinned, so the kernel also frees it all if provtrace is killed.
#ifndef PROVTRACE_PROBES_PROBE_SESSION_H_
#define PROVTRACE_PROBES_PROBE_SESSION_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "probes/backend.h"
#include "probes/compiler.h"
#include "probes/image_loader.h"
#include "probes/program_image.h"
#include "probes/program_table.h"

struct btf;

namespace provtrace::probes {

struct SessionOptions {
  Backend backend = Backend::kTracepoint;
  uint32_t self_tgid = 0;  // never recorded
  // Scope: when any is set, record only these tasks and their descendants.
  std::vector<uint32_t> held_commands;  // provtrace's held children (from their exec)
  std::vector<uint32_t> processes;      // running processes (-p), by thread group id
  uint64_t cgroup_id = 0;               // tasks in this cgroup v2 or below
  bool scoped() const { return !held_commands.empty() || !processes.empty() || cgroup_id; }
  bool record_envp = false;
  ProgramOptions program;
  std::string cache_root = "/var/cache/provtrace";
  std::string btf_path = "/sys/kernel/btf/vmlinux";
  // bench/ only: load FloorProgramText(backend) instead; nothing recorded.
  bool floor = false;
};

struct SessionTimings {
  double tree_seconds = 0;
  double compile_seconds = 0;  // or reading the cached image
  bool image_from_cache = false;
  double load_seconds = 0;
  double attach_seconds = 0;
  bool tree_from_cache = false;
  std::string tree_path;
  // Cache entries refused (tampered with, or not provtrace's) and rebuilt,
  // one line each naming the path and why.
  std::vector<std::string> cache_warnings;
};

using Counters = std::array<uint64_t, PT_COUNTER_MAX>;

class ProbeSession {
 public:
  // Compiles (or reads the cached image), creates the maps and loads the
  // programs, without attaching them: nothing is recorded until Attach(),
  // so a transport can be connected to pt_events first and no record is
  // emitted that it could not take.
  static Status Open(const SessionOptions& options, std::unique_ptr<ProbeSession>* session);
  Status Attach();
  // Detaches every program and waits until none of them runs any more:
  // after it, the counters and the buffers hold everything that was sent.
  Status Detach();
  ~ProbeSession();
  ProbeSession(const ProbeSession&) = delete;
  ProbeSession& operator=(const ProbeSession&) = delete;

  // The map's fd, or -1 if the program has no such map.
  int MapFd(const std::string& name) const;
  int events_map_fd() const { return MapFd("pt_events"); }

  // The BPF side's counters, summed over CPUs.
  Status ReadCounters(Counters* counters) const;
  // The BPF counter of records lost (refused or withheld), per CPU.
  Status ReadOutputFailuresPerCpu(std::vector<uint64_t>* per_cpu) const;
  Status ReadCpuCounters(std::vector<pt_cpu_counters>* per_cpu) const;
  // Entries in a hash map (tests use it to check state is freed).
  Status CountEntries(const std::string& map, size_t* count) const;

  const SessionTimings& timings() const { return timings_; }
  // Optional programs that could not attach, one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  ProbeSession() = default;
  Status Configure(const SessionOptions& options);
  Status Load(const SessionOptions& options);
  Status WaitForRunningPrograms();

  // The program's attach point, as the kernel's loader needs it.
  Status TargetFor(const ProgramSpec& spec, LoadTarget* target);

  ProgramImage image_;
  std::vector<int> map_fds_;           // in image_.maps order
  struct btf* vmlinux_btf_ = nullptr;  // for LSM and fentry attach points
  std::string btf_path_;
  std::vector<int> prog_fds_;
  std::vector<std::pair<ProgramSpec, int>> loaded_;  // attached by Attach()
  bool attached_ = false;
  int sync_map_fd_ = -1;  // a map of maps: updating it waits for running programs
  int sync_inner_fd_ = -1;
  std::vector<int> link_fds_;
  std::vector<int> perf_event_fds_;
  std::vector<std::string> kprobe_events_;
  SessionTimings timings_;
  std::vector<std::string> warnings_;
};

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_PROBE_SESSION_H_
