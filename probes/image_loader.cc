#include "probes/image_loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cstring>

#include "probes/compiler.h"

namespace provtrace::probes {
namespace {

// Kernel object names: at most 15 characters of [A-Za-z0-9_.].
std::string KernelName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (out.size() == BPF_OBJ_NAME_LEN - 1) break;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.';
    out += ok ? c : '_';
  }
  return out;
}

}  // namespace

Status CreateImageMaps(const ProgramImage& image, std::vector<int>* fds) {
  fds->clear();
  for (const MapDefinition& m : image.maps) {
    struct bpf_map_create_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.sz = sizeof(opts);
    opts.map_flags = m.flags;
    bool ring = m.type == BPF_MAP_TYPE_RINGBUF;
    int fd = bpf_map_create(static_cast<enum bpf_map_type>(m.type), KernelName(m.name).c_str(),
                            ring ? 0 : m.key_size, ring ? 0 : m.value_size, m.max_entries, &opts);
    if (fd < 0) {
      int err = errno;
      for (int f : *fds) close(f);
      fds->clear();
      if (err == EPERM || err == EACCES) {
        return Status(StatusCode::kPermissionDenied,
                      "the kernel refused to create BPF map " + m.name + ": " + strerror(err),
                      "run provtrace as root (it needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)");
      }
      return Status(StatusCode::kKernelRejected,
                    "cannot create BPF map " + m.name + ": " + strerror(err),
                    "the kernel may lack this map type; run provtrace --info");
    }
    fds->push_back(fd);
  }
  return Status::Ok();
}

Status LoadImageFunction(const ProgramImage& image, const std::string& function,
                         const LoadTarget& target, const std::vector<int>& map_fds, int* fd) {
  *fd = -1;
  const FunctionImage* f = image.Function(function);
  if (f == nullptr) return InternalError("BPF program has no function " + function);
  std::vector<struct bpf_insn> insns(f->insns.size());
  memcpy(insns.data(), f->insns.data(), insns.size() * sizeof(struct bpf_insn));
  for (const MapRelocation& r : f->relocations) {
    if (r.map >= map_fds.size() || r.insn >= insns.size()) {
      return InternalError("BPF program " + function + " names a map that was not created");
    }
    insns[r.insn].imm = map_fds[r.map];
  }
  std::vector<char> log;
  int err = 0;
  auto load = [&](int log_level) {
    struct bpf_prog_load_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.sz = sizeof(opts);
    opts.expected_attach_type = static_cast<enum bpf_attach_type>(target.expected_attach_type);
    opts.attach_btf_id = target.attach_btf_id;
    opts.kern_version = image.kern_version;
    if (log_level > 0) {
      log.assign(16 << 20, 0);
      opts.log_level = static_cast<__u32>(log_level);
      opts.log_buf = log.data();
      opts.log_size = static_cast<__u32>(log.size());
    }
    *fd = bpf_prog_load(static_cast<enum bpf_prog_type>(target.prog_type),
                        KernelName(function).c_str(), image.license.c_str(), insns.data(),
                        insns.size(), &opts);
    err = errno;
  };
  // No log on the first try: a kernel before 6.4 fails a load whose log
  // does not fit, and the log costs time.
  load(0);
  if (*fd >= 0) return Status::Ok();
  int first = err;
  if (first == EPERM || first == EACCES) {
    load(1);
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
    if (log.empty() || log[0] == 0) {
      return Status(StatusCode::kPermissionDenied,
                    "the kernel refused to load BPF program " + function + ": " + strerror(first),
                    "run provtrace as root (it needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN), or "
                    "pick another --backend");
    }
  } else {
    load(1);
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
  }
  std::string saved =
      SaveLog("verifier log for " + function, log.empty() ? std::string() : log.data());
  return Status(StatusCode::kKernelRejected,
                "the BPF verifier rejected " + function + " (" + strerror(first) + ")" +
                    (saved.empty() ? "" : "; verifier log in " + saved),
                "try another --backend; please report this with the log");
}

}  // namespace provtrace::probes
