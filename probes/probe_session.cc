#include "probes/probe_session.h"

#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "probes/program_table.h"

namespace provtrace::probes {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int SilentPrint(enum libbpf_print_level, const char*, va_list) { return 0; }

}  // namespace

Status ProbeSession::Open(const SessionOptions& options, std::unique_ptr<ProbeSession>* out) {
  std::unique_ptr<ProbeSession> session(new ProbeSession());
  // Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &unlimited);
  libbpf_set_print(SilentPrint);

  CompileOptions compile;
  compile.btf_path = options.btf_path;
  compile.cache_root = options.cache_root;
  compile.what = std::string(BackendName(options.backend)) + " BPF program";
  std::string text = options.floor ? FloorProgramText(options.backend)
                                   : ProgramText(options.backend, options.program);
  CompileTimings t;
  PT_RETURN_IF_ERROR(CompileImage(text, compile, &session->image_, &t));
  session->timings_.tree_seconds = t.tree_seconds;
  session->timings_.compile_seconds = t.compile_seconds;
  session->timings_.image_from_cache = t.image_from_cache;
  session->timings_.tree_from_cache = t.tree_from_cache;
  session->timings_.tree_path = t.tree_path;
  session->timings_.cache_warnings = t.warnings;
  session->btf_path_ = options.btf_path;
  PT_RETURN_IF_ERROR(CreateImageMaps(session->image_, &session->map_fds_));
  if (!options.floor) PT_RETURN_IF_ERROR(session->Configure(options));
  PT_RETURN_IF_ERROR(session->Load(options));
  *out = std::move(session);
  return Status::Ok();
}

Status ProbeSession::Configure(const SessionOptions& options) {
  int settings = MapFd("pt_settings");
  int roots = MapFd("pt_scope_roots");
  if (settings < 0 || roots < 0) return InternalError("BPF program lacks its settings maps");
  struct pt_config config;
  memset(&config, 0, sizeof(config));
  config.self_tgid = options.self_tgid;
  config.scoped = options.scoped() ? 1 : 0;
  config.cgroup_id = options.cgroup_id;
  config.record_envp = options.record_envp ? 1 : 0;
  uint32_t zero = 0;
  if (bpf_map_update_elem(settings, &zero, &config, BPF_ANY) != 0) {
    return InternalError(std::string("cannot write BPF settings: ") + strerror(errno));
  }
  // Ids below PT_FIRST_KERNEL_ID are user space's (the machine node).
  uint64_t first_id = PT_FIRST_KERNEL_ID - 1;  // pt_new_id returns the value plus one
  if (bpf_map_update_elem(MapFd("pt_next_id"), &zero, &first_id, BPF_ANY) != 0) {
    return InternalError(std::string("cannot set the id counter: ") + strerror(errno));
  }
  auto add_root = [&](uint32_t id, uint8_t kind) {
    return bpf_map_update_elem(roots, &id, &kind, BPF_ANY) == 0;
  };
  for (uint32_t tid : options.held_commands) {
    if (!add_root(tid, PT_SCOPE_AWAIT_EXEC)) {
      return InternalError(std::string("cannot write the capture scope: ") + strerror(errno));
    }
  }
  for (uint32_t tgid : options.processes) {
    if (!add_root(tgid, PT_SCOPE_PROCESS)) {
      return InternalError(std::string("cannot write the capture scope: ") + strerror(errno));
    }
  }
  return Status::Ok();
}

Status ProbeSession::Load(const SessionOptions& options) {
  auto start = std::chrono::steady_clock::now();
  std::vector<ProgramSpec> specs;
  std::vector<LoadTarget> targets;
  for (const ProgramSpec& spec : ProgramsFor(options.backend)) {
    if (options.floor && spec.attach == AttachKind::kTailCall) continue;
    LoadTarget target;
    Status status = TargetFor(spec, &target);
    if (!status.ok()) {
      if (spec.required) return status;
      warnings_.push_back(spec.target + ": not loaded (" + status.cause() + ")");
      continue;
    }
    specs.push_back(spec);
    targets.push_back(target);
  }
  // The verifier's time is most of startup, and programs verify
  // independently: one loader thread per CPU.
  // Largest first, so that no thread is left with a big one at the end.
  std::vector<size_t> order(specs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto size_of = [&](size_t i) {
    const FunctionImage* f = image_.Function(specs[i].function);
    return f ? f->insns.size() : 0;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return size_of(a) > size_of(b); });
  std::vector<int> fds(specs.size(), -1);
  std::vector<Status> statuses(specs.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k = next++; k < order.size(); k = next++) {
      size_t i = order[k];
      statuses[i] = LoadImageFunction(image_, specs[i].function, targets[i], map_fds_, &fds[i]);
    }
  };
  unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (size_t i = 0; i < specs.size(); ++i) {
    if (fds[i] >= 0) prog_fds_.push_back(fds[i]);
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!statuses[i].ok()) {
      if (specs[i].required) return statuses[i];
      warnings_.push_back(specs[i].target + ": not loaded (" + statuses[i].cause() + ")");
      continue;
    }
    loaded_.emplace_back(specs[i], fds[i]);
  }
  // For WaitForRunningPrograms: updating a map of maps makes the kernel
  // wait for an RCU grace period, which every running program ends within.
  int inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pt_sync_inner", 4, 4, 1, nullptr);
  if (inner < 0) return InternalError(std::string("cannot create a BPF map: ") + strerror(errno));
  LIBBPF_OPTS(bpf_map_create_opts, outer_opts, .inner_map_fd = static_cast<__u32>(inner));
  sync_map_fd_ = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "pt_sync", 4, 4, 1, &outer_opts);
  sync_inner_fd_ = inner;
  if (sync_map_fd_ < 0) {
    return InternalError(std::string("cannot create a BPF map of maps: ") + strerror(errno));
  }
  timings_.load_seconds = SecondsSince(start);
  return Status::Ok();
}

Status ProbeSession::WaitForRunningPrograms() {
  uint32_t zero = 0;
  if (bpf_map_update_elem(sync_map_fd_, &zero, &sync_inner_fd_, BPF_ANY) != 0) {
    return InternalError(std::string("cannot wait for running BPF programs: ") + strerror(errno));
  }
  return Status::Ok();
}

Status ProbeSession::Detach() {
  if (!attached_) return Status::Ok();
  attached_ = false;
  for (int fd : link_fds_) close(fd);
  link_fds_.clear();
  for (int fd : perf_event_fds_) bpf_close_perf_event_fd(fd);
  perf_event_fds_.clear();
  for (const std::string& event : kprobe_events_) {
    CaptureStderr([&] { bpf_detach_kprobe(event.c_str()); });
  }
  kprobe_events_.clear();
  return WaitForRunningPrograms();
}

Status ProbeSession::Attach() {
  if (attached_) return Status::Ok();
  attached_ = true;
  auto start = std::chrono::steady_clock::now();
  for (const auto& [spec, fd] : loaded_) {
    int attached = -1;
    int err = 0;
    switch (spec.attach) {
      case AttachKind::kRawTracepoint:
        attached = bpf_raw_tracepoint_open(spec.target.c_str(), fd);
        err = errno;
        if (attached >= 0) link_fds_.push_back(attached);
        break;
      case AttachKind::kLsm:
      case AttachKind::kFentry:
        attached = bpf_raw_tracepoint_open(nullptr, fd);
        err = errno;
        if (attached >= 0) link_fds_.push_back(attached);
        break;
      case AttachKind::kTailCall: {
        int array = MapFd(spec.target);
        uint32_t slot = static_cast<uint32_t>(spec.tail_index);
        attached = array >= 0 && bpf_map_update_elem(array, &slot, &fd, BPF_ANY) == 0 ? 0 : -1;
        err = array >= 0 ? errno : ENOENT;
        break;
      }
      case AttachKind::kTracepoint: {
        size_t colon = spec.target.find(':');
        std::string category = spec.target.substr(0, colon);
        std::string name = colon == std::string::npos ? "" : spec.target.substr(colon + 1);
        CaptureStderr([&] {
          attached = bpf_attach_tracepoint(fd, category.c_str(), name.c_str());
          err = errno;
        });
        if (attached >= 0) perf_event_fds_.push_back(attached);
        break;
      }
      case AttachKind::kKprobe: {
        std::string event = "p_provtrace_" + std::to_string(getpid()) + "_" + spec.target;
        CaptureStderr([&] {
          attached =
              bpf_attach_kprobe(fd, BPF_PROBE_ENTRY, event.c_str(), spec.target.c_str(), 0, 0);
          err = errno;
        });
        if (attached >= 0) {
          perf_event_fds_.push_back(attached);
          kprobe_events_.push_back(event);
        }
        break;
      }
    }
    if (attached < 0) {
      std::string why =
          "cannot attach " + spec.function + " to " + spec.target + ": " + strerror(err);
      if (!spec.required) {
        warnings_.push_back(why);
        continue;
      }
      return Status(StatusCode::kUnsupported, why,
                    "run provtrace --info to see what this kernel allows");
    }
  }
  timings_.attach_seconds = SecondsSince(start);
  return Status::Ok();
}

ProbeSession::~ProbeSession() {
  for (int fd : link_fds_) close(fd);
  for (int fd : perf_event_fds_) bpf_close_perf_event_fd(fd);
  for (const std::string& event : kprobe_events_) {
    CaptureStderr([&] { bpf_detach_kprobe(event.c_str()); });
  }
  if (sync_map_fd_ >= 0) close(sync_map_fd_);
  if (sync_inner_fd_ >= 0) close(sync_inner_fd_);
  for (int fd : prog_fds_) close(fd);
  for (int fd : map_fds_) close(fd);
  if (vmlinux_btf_ != nullptr) btf__free(vmlinux_btf_);
}

int ProbeSession::MapFd(const std::string& name) const {
  int index = image_.MapIndex(name);
  return index < 0 || static_cast<size_t>(index) >= map_fds_.size() ? -1 : map_fds_[index];
}

Status ProbeSession::TargetFor(const ProgramSpec& spec, LoadTarget* target) {
  target->prog_type = ProgramTypeOf(spec.attach);
  if (spec.attach != AttachKind::kLsm && spec.attach != AttachKind::kFentry) return Status::Ok();
  if (vmlinux_btf_ == nullptr) {
    vmlinux_btf_ = btf__parse(btf_path_.c_str(), nullptr);
    if (vmlinux_btf_ == nullptr) {
      return Unsupported("cannot parse kernel BTF " + btf_path_ + ": " + strerror(errno),
                         "provtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
    }
  }
  std::string function = spec.attach == AttachKind::kLsm ? "bpf_lsm_" + spec.target : spec.target;
  int id = btf__find_by_name_kind(vmlinux_btf_, function.c_str(), BTF_KIND_FUNC);
  if (id < 0) {
    return Unsupported("the kernel has no " + function + " to attach to",
                       "run provtrace --info to see what this kernel allows");
  }
  target->attach_btf_id = static_cast<uint32_t>(id);
  target->expected_attach_type = spec.attach == AttachKind::kLsm ? BPF_LSM_MAC : BPF_TRACE_FENTRY;
  return Status::Ok();
}

// The per-CPU counters: one struct per possible CPU.
Status ProbeSession::ReadCpuCounters(std::vector<pt_cpu_counters>* per_cpu) const {
  int fd = MapFd("pt_counters");
  if (fd < 0) return InternalError("BPF program lacks pt_counters");
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return InternalError("cannot count possible CPUs");
  per_cpu->assign(static_cast<size_t>(cpus), pt_cpu_counters{});
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(fd, &zero, per_cpu->data()) != 0) {
    return InternalError(std::string("cannot read BPF counters: ") + strerror(errno));
  }
  return Status::Ok();
}

Status ProbeSession::ReadCounters(Counters* counters) const {
  std::vector<pt_cpu_counters> per_cpu;
  PT_RETURN_IF_ERROR(ReadCpuCounters(&per_cpu));
  counters->fill(0);
  for (const pt_cpu_counters& c : per_cpu) {
    for (size_t i = 0; i < PT_COUNTER_MAX; ++i) (*counters)[i] += c.count[i];
  }
  return Status::Ok();
}

Status ProbeSession::ReadOutputFailuresPerCpu(std::vector<uint64_t>* per_cpu) const {
  std::vector<pt_cpu_counters> counters;
  PT_RETURN_IF_ERROR(ReadCpuCounters(&counters));
  per_cpu->clear();
  for (const pt_cpu_counters& c : counters) per_cpu->push_back(c.count[PT_COUNTER_OUTPUT_FAILED]);
  return Status::Ok();
}

Status ProbeSession::CountEntries(const std::string& map, size_t* count) const {
  int fd = MapFd(map);
  if (fd < 0) return InternalError("BPF program lacks map " + map);
  size_t key_size = image_.maps[static_cast<size_t>(image_.MapIndex(map))].key_size;
  std::vector<char> key(key_size), next(key_size);
  *count = 0;
  const void* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, next.data()) == 0) {
    ++*count;
    key.swap(next);
    previous = key.data();
  }
  return Status::Ok();
}

}  // namespace provtrace::probes
