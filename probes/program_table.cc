#include "probes/program_table.h"

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
      "core/record.h",         "probes/bpf/state.h",    "probes/bpf/common.bpf.h",
      "probes/bpf/path.bpf.h", "probes/bpf/task.bpf.h",
  };
  files.push_back("probes/bpf/backend_" + std::string(BackendName(backend)) + ".bpf.c");
  return files;
}

std::vector<ProgramSpec> ProgramsFor(Backend backend) {
  switch (backend) {
    case Backend::kLsm:
      return {
          {"lsm__task_alloc", AttachKind::kLsm, "task_alloc", true},
          {"lsm__task_free", AttachKind::kLsm, "task_free", true},
          {"lsm__bprm_committing_creds", AttachKind::kLsm, "bprm_committing_creds", true},
      };
    case Backend::kFentry:
      return {
          {"kfunc__security_task_alloc", AttachKind::kFentry, "security_task_alloc", true},
          {"kfunc__security_task_free", AttachKind::kFentry, "security_task_free", true},
          {"kfunc__security_bprm_committing_creds", AttachKind::kFentry,
           "security_bprm_committing_creds", true},
      };
    case Backend::kKprobe:
      return {
          {"kprobe__security_task_alloc", AttachKind::kKprobe, "security_task_alloc", true},
          {"kprobe__security_task_free", AttachKind::kKprobe, "security_task_free", true},
          {"kprobe__security_bprm_committing_creds", AttachKind::kKprobe,
           "security_bprm_committing_creds", true},
      };
    case Backend::kTracepoint:
      return {
          {"raw_tracepoint__sched_process_fork", AttachKind::kRawTracepoint, "sched_process_fork",
           true},
          {"raw_tracepoint__sched_process_exec", AttachKind::kRawTracepoint, "sched_process_exec",
           true},
          {"raw_tracepoint__sched_process_exit", AttachKind::kRawTracepoint, "sched_process_exit",
           true},
          {"raw_tracepoint__sched_process_free", AttachKind::kRawTracepoint, "sched_process_free",
           true},
      };
  }
  return {};
}

std::string ProgramText(Backend backend) {
  std::string text = "#define PT_BPF_PROGRAM 1\n";
  for (const std::string& file : SourceFilesFor(backend)) {
    // #line keeps compiler diagnostics pointing at the real source file.
    text += "#line 1 \"" + file + "\"\n";
    text += std::string(EmbeddedFileContent(file));
    text += "\n";
  }
  return text;
}

}  // namespace provtrace::probes
