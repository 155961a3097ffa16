#include "probes/program_table.h"

#include <linux/bpf.h>

#include "probes/bpf/syscalls.h"
#include "probes/embedded_files.h"

namespace provtrace::probes {

std::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kLsm:
      return "lsm";
    case Backend::kFentry:
      return "fentry";
    case Backend::kKprobe:
      return "kprobe";
    case Backend::kTracepoint:
      return "tracepoint";
  }
  return "unknown";
}

std::optional<Backend> ParseBackend(std::string_view name) {
  for (Backend b : kAllBackends) {
    if (BackendName(b) == name) return b;
  }
  return std::nullopt;
}

std::vector<std::string> SourceFilesFor(Backend backend) {
  std::vector<std::string> files = {
      "core/record.h",           "probes/bpf/state.h",       "probes/bpf/syscalls.h",
      "probes/bpf/common.bpf.h", "probes/bpf/path.bpf.h",    "probes/bpf/nodes.bpf.h",
      "probes/bpf/prov.bpf.h",   "probes/bpf/task.bpf.h",    "probes/bpf/cred.bpf.h",
      "probes/bpf/inode.bpf.h",  "probes/bpf/objects.bpf.h", "probes/bpf/memory.bpf.h",
      "probes/bpf/ops.bpf.h",    "probes/bpf/sockets.bpf.h", "probes/bpf/ipc.bpf.h",
      "probes/bpf/access.bpf.h", "probes/bpf/files.bpf.h",   "probes/bpf/syscall.bpf.h",
  };
  if (backend == Backend::kTracepoint) files.push_back("probes/bpf/resolve.bpf.h");
  files.push_back("probes/bpf/syscall_mechanisms.bpf.c");
  files.push_back("probes/bpf/io_uring.bpf.c");
  files.push_back("probes/bpf/backend_" + std::string(BackendName(backend)) + ".bpf.c");
  if (backend != Backend::kTracepoint) {
    files.push_back("probes/bpf/security_hooks.bpf.c");
    files.push_back("probes/bpf/security_syscalls.bpf.c");
  }
  return files;
}

namespace {

// The hooks security_hooks.bpf.c defines, as every security backend
// attaches them (plus each backend's own spelling of mmap and inode free).
constexpr const char* kSecurityHooks[] = {
    "task_alloc",        "task_free",      "cred_free",       "task_fix_setuid",
    "task_fix_setgid",   "file_open",      "file_permission", "inode_create",
    "inode_mkdir",       "inode_mknod",    "inode_symlink",   "inode_link",
    "inode_unlink",      "inode_rmdir",    "inode_rename",    "inode_setattr",
    "inode_permission",  "inode_readlink", "inode_getxattr",  "inode_post_setxattr",
    "inode_removexattr",
};

// The system call handlers sys_exit tail-calls, by slot: those every
// backend has (syscall_mechanisms.bpf.c, syscall.bpf.h), then the
// tracepoint backend's own.
constexpr std::pair<const char*, int> kCommonHandlers[] = {
    {"pt_sys_read", PT_SYS_READ},
    {"pt_sys_write", PT_SYS_WRITE},
    {"pt_sys_mmap", PT_SYS_MMAP},
    {"pt_sys_copy", PT_SYS_COPY},
    {"pt_sys_shared_first", PT_SYS_SHARED_FIRST},
    {"pt_sys_shared_after", PT_SYS_SHARED_AFTER},
    {"pt_sys_socket", PT_SYS_SOCKET},
    {"pt_sys_accept", PT_SYS_ACCEPT},
    {"pt_sys_socket_op", PT_SYS_SOCKET_OP},
    {"pt_sys_send", PT_SYS_SEND},
    {"pt_sys_receive", PT_SYS_RECEIVE},
    {"pt_sys_shm", PT_SYS_SHM},
    {"pt_sys_msg", PT_SYS_MSG},
    {"pt_sys_process_vm", PT_SYS_PROCESS_VM},
    {"pt_sys_exec_image", PT_SYS_EXEC_IMAGE},
    {"pt_sys_hook_done", PT_SYS_HOOK_DONE},
    {"pt_sys_copy_write", PT_SYS_COPY_WRITE},
    {"pt_sys_socket_op_done", PT_SYS_SOCKET_OP_DONE},
};

constexpr std::pair<const char*, int> kTracepointHandlers[] = {
    {"pt_sys_open", PT_SYS_OPEN},
    {"pt_sys_setid", PT_SYS_SETID},
    {"pt_sys_setattr", PT_SYS_SETATTR},
    {"pt_sys_unlink", PT_SYS_UNLINK},
    {"pt_sys_rename", PT_SYS_RENAME},
    {"pt_sys_link", PT_SYS_LINK},
    {"pt_sys_mkdir", PT_SYS_MKDIR},
    {"pt_sys_access", PT_SYS_ACCESS},
    {"pt_sys_resolve_step", PT_SYS_RESOLVE_STEP},
    {"pt_sys_setattr_resolved", PT_SYS_SETATTR_RESOLVED},
    {"pt_sys_unlink_resolved", PT_SYS_UNLINK_RESOLVED},
    {"pt_sys_rename_old_resolved", PT_SYS_RENAME_OLD_RESOLVED},
    {"pt_sys_rename_new_resolved", PT_SYS_RENAME_NEW_RESOLVED},
    {"pt_sys_link_new_resolved", PT_SYS_LINK_NEW_RESOLVED},
    {"pt_sys_link_old_resolved", PT_SYS_LINK_OLD_RESOLVED},
    {"pt_sys_mkdir_resolved", PT_SYS_MKDIR_RESOLVED},
    {"pt_sys_access_resolved", PT_SYS_ACCESS_RESOLVED},
    {"pt_sys_rename_moved", PT_SYS_RENAME_MOVED},
    {"pt_sys_rename_replaced", PT_SYS_RENAME_REPLACED},
    {"pt_sys_remember_names", PT_SYS_REMEMBER_NAMES},
    {"pt_sys_symlink", PT_SYS_SYMLINK},
    {"pt_sys_symlink_resolved", PT_SYS_SYMLINK_RESOLVED},
    {"pt_sys_readlink", PT_SYS_READLINK},
    {"pt_sys_readlink_resolved", PT_SYS_READLINK_RESOLVED},
    {"pt_sys_xattr", PT_SYS_XATTR},
    {"pt_sys_xattr_resolved", PT_SYS_XATTR_RESOLVED},
};

// io_uring's handlers (io_uring.bpf.c): not required, since a kernel
// whose requests lack what they read (5.10) has none of them.
constexpr std::pair<const char*, int> kUringHandlers[] = {
    {"pt_uring_read", PT_SYS_URING_READ},
    {"pt_uring_write", PT_SYS_URING_WRITE},
    {"pt_uring_splice", PT_SYS_URING_SPLICE},
};

constexpr std::pair<const char*, int> kTracepointUringHandlers[] = {
    {"pt_uring_open", PT_SYS_URING_OPEN},
};

void AddHandlers(std::vector<ProgramSpec>* programs, bool tracepoint) {
  for (const auto& [function, index] : kCommonHandlers) {
    programs->push_back({function, AttachKind::kTailCall, "pt_sys_handlers", true, index});
  }
  for (const auto& [function, index] : kUringHandlers) {
    programs->push_back({function, AttachKind::kTailCall, "pt_sys_handlers", false, index});
  }
  if (!tracepoint) {
    // A read of /proc/PID/mem, which their hook sees before it reads.
    programs->push_back(
        {"pt_sys_proc_read", AttachKind::kTailCall, "pt_sys_handlers", true, PT_SYS_PROC_READ});
    return;
  }
  for (const auto& [function, index] : kTracepointHandlers) {
    programs->push_back({function, AttachKind::kTailCall, "pt_sys_handlers", true, index});
  }
  for (const auto& [function, index] : kTracepointUringHandlers) {
    programs->push_back({function, AttachKind::kTailCall, "pt_sys_handlers", false, index});
  }
}

// Raw tracepoints every backend attaches: exec, and the system call layer
// (last: the dispatchers, once every handler is in place).
void AddRawTracepoints(std::vector<ProgramSpec>* programs, bool tracepoint) {
  programs->push_back({"raw_tracepoint__sched_process_exec", AttachKind::kRawTracepoint,
                       "sched_process_exec", true});
  AddHandlers(programs, tracepoint);
  programs->push_back({"raw_tracepoint__io_uring_complete", AttachKind::kRawTracepoint,
                       "io_uring_complete", false});
  if (!tracepoint)
    programs->push_back(
        {"raw_tracepoint__sys_enter", AttachKind::kRawTracepoint, "sys_enter", true});
  programs->push_back({"raw_tracepoint__sys_exit", AttachKind::kRawTracepoint, "sys_exit", true});
}

std::vector<ProgramSpec> SecurityPrograms(const std::string& prefix, AttachKind attach,
                                          const std::string& target_prefix, const char* mmap_hook,
                                          const char* free_hook) {
  std::vector<ProgramSpec> programs;
  for (const char* hook : kSecurityHooks) {
    programs.push_back({prefix + hook, attach, target_prefix + hook, true});
  }
  programs.push_back({prefix + mmap_hook, attach, target_prefix + mmap_hook, true});
  programs.push_back({prefix + free_hook, attach, target_prefix + free_hook, true});
  // Completes what task_alloc, before the child's pid, left pending.
  programs.push_back({"raw_tracepoint__sched_process_fork", AttachKind::kRawTracepoint,
                      "sched_process_fork", true});
  AddRawTracepoints(&programs, false);
  return programs;
}

}  // namespace

std::vector<ProgramSpec> ProgramsFor(Backend backend) {
  switch (backend) {
    case Backend::kLsm:
      return SecurityPrograms("lsm__", AttachKind::kLsm, "", "mmap_file", "inode_free_security");
    case Backend::kFentry:
      return SecurityPrograms("kfunc__security_", AttachKind::kFentry, "security_", "mmap_file",
                              "inode_free");
    case Backend::kKprobe:
      return SecurityPrograms("kprobe__security_", AttachKind::kKprobe, "security_", "mmap_file",
                              "inode_free");
    case Backend::kTracepoint: {
      std::vector<ProgramSpec> programs = {
          {"raw_tracepoint__sched_process_fork", AttachKind::kRawTracepoint, "sched_process_fork",
           true},
          {"raw_tracepoint__sched_process_exit", AttachKind::kRawTracepoint, "sched_process_exit",
           true},
          {"raw_tracepoint__sched_process_free", AttachKind::kRawTracepoint, "sched_process_free",
           true},
      };
      AddRawTracepoints(&programs, true);
      // Sockets' and pipes' state goes with their last close (no inode free hook).
      programs.push_back(
          {"pt_sys_enter_close", AttachKind::kTracepoint, "syscalls:sys_enter_close", false});
      return programs;
    }
  }
  return {};
}

int ProgramTypeOf(AttachKind attach) {
  switch (attach) {
    case AttachKind::kLsm:
      return BPF_PROG_TYPE_LSM;
    case AttachKind::kFentry:
      return BPF_PROG_TYPE_TRACING;
    case AttachKind::kKprobe:
      return BPF_PROG_TYPE_KPROBE;
    case AttachKind::kTracepoint:
      return BPF_PROG_TYPE_TRACEPOINT;
    case AttachKind::kRawTracepoint:
    case AttachKind::kTailCall:  // handlers of the raw tracepoint sys_exit
      return BPF_PROG_TYPE_RAW_TRACEPOINT;
  }
  return BPF_PROG_TYPE_UNSPEC;
}

std::string ProgramText(Backend backend, const ProgramOptions& options) {
  std::string text = "#define PT_BPF_PROGRAM 1\n";
  if (options.transport == Transport::kRing) {
    text += "#define PT_TRANSPORT_RING 1\n#define PT_RING_PAGES " +
            std::to_string(options.ring_pages) + "\n#define PT_RING_WAKEUP_BATCH " +
            std::to_string(options.ring_wakeup_batch) + "\n";
  }
  if (options.all_flows) text += "#define PT_ALL_FLOWS 1\n";
  if (!options.atomics) text += "#define PT_NO_BPF_ATOMICS 1\n";
  // Only the tracepoint backend sees paths instead of objects.
  if (backend == Backend::kTracepoint) {
    text += "#define PT_RESOLVE_NAMES 1\n";
    // Nor is an inode's end seen (inode.bpf.h, pt_inode_key).
    text += "#define PT_NO_INODE_FREE_HOOK 1\n";
  } else {
    // sh_read at sys_enter, before the security hooks (memory.bpf.h).
    text += "#define PT_SHARED_AT_ENTRY 1\n";
  }
  for (const std::string& file : SourceFilesFor(backend)) {
    // #line keeps compiler diagnostics pointing at the real source file.
    text += "#line 1 \"" + file + "\"\n";
    text += std::string(EmbeddedFileContent(file));
    text += "\n";
  }
  return text;
}

std::string FloorProgramText(Backend backend) {
  std::string text = "/* The floor: empty programs on the backend's hooks. */\n";
  for (const ProgramSpec& spec : ProgramsFor(backend)) {
    switch (spec.attach) {
      case AttachKind::kRawTracepoint:
        text += "int " + spec.function + "(struct bpf_raw_tracepoint_args *ctx) { return 0; }\n";
        break;
      case AttachKind::kLsm:
        text += "LSM_PROBE(" + spec.target + ") { return 0; }\n";
        break;
      case AttachKind::kFentry:
        text += "KFUNC_PROBE(" + spec.target + ") { return 0; }\n";
        break;
      case AttachKind::kKprobe:
        text += "int " + spec.function + "(struct pt_regs *ctx) { return 0; }\n";
        break;
      case AttachKind::kTracepoint:
        text += "int " + spec.function + "(void *ctx) { return 0; }\n";
        break;
      case AttachKind::kTailCall:  // reached only through what the floor leaves out
        break;
    }
  }
  return text;
}

}  // namespace provtrace::probes
