#include "probes/features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace provtrace::probes {
namespace {

// r0 = 0; exit
const struct bpf_insn kReturnZero[] = {
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

std::string ErrnoText(int err) {
  std::string text = strerror(err);
  if (err == EPERM) text += " (EPERM)";
  return text;
}

std::optional<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return line;
}

int LoadReturnZero(bpf_prog_type type, bpf_attach_type attach_type, int btf_id) {
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.expected_attach_type = attach_type;
  opts.attach_btf_id = btf_id;
  return bpf_prog_load(type, nullptr, "GPL", kReturnZero, 2, &opts);
}

// Loads and attaches a BTF-typed program (LSM or fentry) on `target`.
ProbeResult ProbeBtfProgram(bpf_prog_type type, bpf_attach_type attach_type, const char* target) {
  ProbeResult result;
  int btf_id = libbpf_find_vmlinux_btf_id(target, attach_type);
  if (btf_id < 0) {
    result.detail = std::string(target) + " not found in kernel BTF";
    return result;
  }
  int prog = LoadReturnZero(type, attach_type, btf_id);
  if (prog < 0) {
    result.detail = "program load refused: " + ErrnoText(errno);
    return result;
  }
  int link = bpf_raw_tracepoint_open(nullptr, prog);
  if (link < 0) {
    result.detail = "attach refused: " + ErrnoText(errno);
  } else {
    result.ok = true;
    close(link);
  }
  close(prog);
  return result;
}

ProbeResult ProbeRawTracepoint() {
  ProbeResult result;
  int prog = LoadReturnZero(BPF_PROG_TYPE_RAW_TRACEPOINT, static_cast<bpf_attach_type>(0), 0);
  if (prog < 0) {
    result.detail = "program load refused: " + ErrnoText(errno);
    return result;
  }
  int link = bpf_raw_tracepoint_open("sched_process_exit", prog);
  if (link < 0) {
    result.detail = "attach refused: " + ErrnoText(errno);
  } else {
    result.ok = true;
    close(link);
  }
  close(prog);
  return result;
}

// Whether operations submitted through an io_uring can be recorded: the
// io_uring_complete raw tracepoint exists and passes the request, whose
// opcode, file and result (cqe) io_uring.bpf.c reads; 5.10's passes none.
ProbeResult ProbeIoUring(const std::string& btf_path) {
  ProbeResult result;
  struct btf* btf = btf__parse(btf_path.c_str(), nullptr);
  if (btf == nullptr) {
    result.detail = "cannot read " + btf_path;
    return result;
  }
  int traced = btf__find_by_name_kind(btf, "btf_trace_io_uring_complete", BTF_KIND_TYPEDEF);
  int request = btf__find_by_name_kind(btf, "io_kiocb", BTF_KIND_STRUCT);
  bool has_cqe = false;
  if (request > 0) {
    const struct btf_type* t = btf__type_by_id(btf, request);
    const struct btf_member* m = btf_members(t);
    for (int i = 0; i < btf_vlen(t); ++i) {
      has_cqe |= strcmp(btf__name_by_offset(btf, m[i].name_off), "cqe") == 0;
    }
  }
  if (traced <= 0 || request <= 0) {
    result.detail = "kernel has no io_uring_complete tracepoint";
  } else if (!has_cqe) {
    result.detail =
        "io_uring_complete passes no request before 6.1: ring operations are not recorded";
  } else {
    result.ok = true;
  }
  btf__free(btf);
  return result;
}

// kprobes through the kprobe PMU (perf_event_open), as BCC attaches them.
ProbeResult ProbeKprobe() {
  ProbeResult result;
  std::optional<std::string> pmu = ReadFirstLine("/sys/bus/event_source/devices/kprobe/type");
  if (!pmu) {
    result.detail = "no kprobe PMU (kernel built without CONFIG_KPROBES?)";
    return result;
  }
  int prog = LoadReturnZero(BPF_PROG_TYPE_KPROBE, static_cast<bpf_attach_type>(0), 0);
  if (prog < 0) {
    result.detail = "program load refused: " + ErrnoText(errno);
    return result;
  }
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = static_cast<uint32_t>(std::stoul(*pmu));
  const char* target = "security_task_alloc";
  attr.config1 = reinterpret_cast<uint64_t>(target);  // kprobe_func
  int event = static_cast<int>(
      syscall(__NR_perf_event_open, &attr, -1 /*pid*/, 0 /*cpu*/, -1, PERF_FLAG_FD_CLOEXEC));
  if (event < 0) {
    result.detail = std::string("kprobe on ") + target + " refused: " + ErrnoText(errno);
  } else if (ioctl(event, PERF_EVENT_IOC_SET_BPF, prog) != 0) {
    result.detail = "attaching a program to a kprobe refused: " + ErrnoText(errno);
  } else {
    result.ok = true;
  }
  if (event >= 0) close(event);
  close(prog);
  return result;
}

ProbeResult ProbeRingBuffer() {
  ProbeResult result;
  int map = bpf_map_create(BPF_MAP_TYPE_RINGBUF, nullptr, 0, 0, 4096, nullptr);
  if (map < 0) {
    result.detail = ErrnoText(errno);
  } else {
    result.ok = true;
    close(map);
  }
  return result;
}

// The atomic instructions the programs use for flags and ids: or and
// fetch-add on a 64-bit slot (BPF_ATOMIC, 5.12; before, BPF_STX|BPF_XADD
// could only add, and return nothing).
ProbeResult ProbeAtomics() {
  const struct bpf_insn program[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 0},
      {BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8, 0},
      {BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1},
      {BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, BPF_OR},
      {BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, BPF_ADD | BPF_FETCH},
      {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  ProbeResult result;
  int prog = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, nullptr, "GPL", program,
                           sizeof(program) / sizeof(program[0]), nullptr);
  if (prog < 0) {
    result.detail = "refused: " + ErrnoText(errno) +
                    " (kernel before 5.12?); flags are updated without atomics";
  } else {
    result.ok = true;
    close(prog);
  }
  return result;
}

int SilentPrint(enum libbpf_print_level, const char*, va_list) { return 0; }

}  // namespace

ProbeResult KernelFeatures::Usable(Backend backend) const {
  switch (backend) {
    case Backend::kLsm:
      if (!active_lsms) return {false, "cannot read the active LSM list (is securityfs mounted?)"};
      if (!bpf_lsm_active) {
        return {false, "\"bpf\" is not an active LSM (" + *active_lsms +
                           "); boot with lsm=" + *active_lsms + ",bpf to enable it"};
      }
      return lsm;
    case Backend::kFentry:
      return fentry;
    case Backend::kKprobe:
      return kprobe;
    case Backend::kTracepoint:
      return raw_tracepoint;
  }
  return {};
}

KernelFeatures ProbeKernelFeatures(const std::string& btf_path) {
  // libbpf would print its own diagnostics for every refused probe.
  libbpf_print_fn_t previous = libbpf_set_print(SilentPrint);
  KernelFeatures f;
  struct utsname un;
  if (uname(&un) == 0) f.kernel_release = un.release;
  f.btf_path = btf_path;
  struct stat st;
  if (stat(btf_path.c_str(), &st) == 0) {
    f.btf = true;
    f.btf_size = static_cast<size_t>(st.st_size);
  }
  const char* lsm_file = "/sys/kernel/security/lsm";
  if (access(lsm_file, R_OK) != 0) {
    // Some minimal systems do not mount securityfs; it is harmless to.
    mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr);
  }
  f.active_lsms = ReadFirstLine(lsm_file);
  if (f.active_lsms) {
    std::stringstream list(*f.active_lsms);
    std::string item;
    while (std::getline(list, item, ',')) f.bpf_lsm_active |= item == "bpf";
  }
  if (!f.btf) {
    const char* why = "kernel has no BTF";
    f.lsm.detail = f.fentry.detail = why;
  } else {
    f.lsm = ProbeBtfProgram(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "file_open");
    f.fentry = ProbeBtfProgram(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "security_task_alloc");
  }
  f.kprobe = ProbeKprobe();
  f.raw_tracepoint = ProbeRawTracepoint();
  f.ring_buffer = ProbeRingBuffer();
  f.atomics = ProbeAtomics();
  if (f.btf) {
    f.io_uring = ProbeIoUring(btf_path);
  } else {
    f.io_uring.detail = "kernel has no BTF";
  }
  libbpf_set_print(previous);
  return f;
}

Status ChooseBackend(const KernelFeatures& features, std::optional<Backend> requested,
                     BackendChoice* choice) {
  if (!features.btf) {
    return Unsupported("kernel has no BTF (" + features.btf_path + " is missing)",
                       "provtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  }
  choice->reasons.clear();
  if (requested) {
    ProbeResult usable = features.Usable(*requested);
    if (!usable.ok) {
      return Unsupported("backend " + std::string(BackendName(*requested)) +
                             " is not usable on this kernel: " + usable.detail,
                         "run provtrace --info to see what the kernel allows, or use "
                         "--backend auto");
    }
    choice->backend = *requested;
    return Status::Ok();
  }
  for (Backend b : kAllBackends) {
    ProbeResult usable = features.Usable(b);
    if (usable.ok) {
      choice->backend = b;
      return Status::Ok();
    }
    choice->reasons.push_back(std::string(BackendName(b)) + ": " + usable.detail);
  }
  std::string why;
  for (const std::string& r : choice->reasons) why += (why.empty() ? "" : "; ") + r;
  return Unsupported("no usable backend: " + why,
                     "provtrace needs BPF LSM, fentry, kprobes or raw tracepoints");
}

std::string FeatureReport(const KernelFeatures& f) {
  std::ostringstream out;
  auto line = [&](const std::string& what, const ProbeResult& r) {
    out << "  " << what << ": " << (r.ok ? "yes" : "no");
    if (!r.ok && !r.detail.empty()) out << " (" << r.detail << ")";
    out << "\n";
  };
  out << "kernel: " << f.kernel_release << "\n";
  out << "btf: " << (f.btf ? "yes" : "no") << " (" << f.btf_path;
  if (f.btf) out << ", " << f.btf_size << " bytes";
  out << ")\n";
  out << "active lsms: " << (f.active_lsms ? *f.active_lsms : "unknown (securityfs unreadable)")
      << "\n";
  out << "bpf lsm active: " << (f.bpf_lsm_active ? "yes" : "no") << "\n";
  out << "program types:\n";
  line("lsm", f.lsm);
  line("fentry", f.fentry);
  line("kprobe", f.kprobe);
  line("raw_tracepoint", f.raw_tracepoint);
  out << "ring buffer: " << (f.ring_buffer.ok ? "yes" : "no");
  if (!f.ring_buffer.ok) out << " (" << f.ring_buffer.detail << ")";
  out << "\n";
  out << "bpf atomics: " << (f.atomics.ok ? "yes" : "no");
  if (!f.atomics.ok) out << " (" << f.atomics.detail << ")";
  out << "\n";
  out << "io_uring: " << (f.io_uring.ok ? "yes" : "no");
  if (!f.io_uring.ok) out << " (" << f.io_uring.detail << ")";
  out << "\n";
  out << "backends:\n";
  for (Backend b : kAllBackends) line(std::string(BackendName(b)), f.Usable(b));
  BackendChoice choice;
  Status chosen = ChooseBackend(f, std::nullopt, &choice);
  if (chosen.ok()) {
    out << "chosen backend (auto): " << BackendName(choice.backend) << "\n";
    for (const std::string& r : choice.reasons) out << "  passed over " << r << "\n";
  } else {
    out << "chosen backend (auto): none: " << chosen.ToString() << "\n";
  }
  return out.str();
}

}  // namespace provtrace::probes
