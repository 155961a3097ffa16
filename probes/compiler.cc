#include "probes/compiler.h"

#include <bcc/bcc_common.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "probes/kernel_tree.h"

namespace provtrace::probes {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

namespace {

// A capture in progress (its file and the real stderr), for
// SayCapturedAtExit: LLVM ends the process on a fatal error (a program
// over the BPF stack limit, say) with exit(1) in the middle of a compile,
// and what it said would go with the capture's file.
int captured_fd = -1;
int real_stderr_fd = -1;

void SayCapturedAtExit() {
  if (captured_fd < 0 || real_stderr_fd < 0) return;
  fflush(stderr);
  dup2(real_stderr_fd, STDERR_FILENO);
  static const char kHead[] = "provtrace: the BPF compiler ended provtrace; it said:\n";
  if (write(STDERR_FILENO, kHead, sizeof(kHead) - 1) < 0) return;
  char buf[4096];
  off_t at = 0;
  for (ssize_t n; (n = pread(captured_fd, buf, sizeof(buf), at)) > 0; at += n) {
    if (write(STDERR_FILENO, buf, static_cast<size_t>(n)) < 0) return;
  }
}

}  // namespace

std::string CaptureStderr(const std::function<void()>& fn) {
  // Created exclusively (never through a planted name) and unlinked at
  // once; close-on-exec so that no child holds it.
  char path[] = "/tmp/provtrace-stderr-XXXXXX";
  int tmp = mkostemp(path, O_CLOEXEC);
  if (tmp < 0) {
    fn();
    return "";
  }
  unlink(path);
  fflush(stderr);
  int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
  static bool registered = atexit(SayCapturedAtExit) == 0;
  (void)registered;
  captured_fd = tmp;
  real_stderr_fd = saved;
  dup2(tmp, STDERR_FILENO);
  fn();
  fflush(stderr);
  captured_fd = real_stderr_fd = -1;
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string out;
  off_t size = lseek(tmp, 0, SEEK_END);
  if (size > 0) {
    out.resize(static_cast<size_t>(size));
    if (pread(tmp, &out[0], out.size(), 0) < 0) out.clear();
  }
  close(tmp);
  return out;
}

std::string SaveLog(const std::string& title, const std::string& content) {
  // A new name (O_EXCL: a planted file or link is never written through),
  // 0600, root's.
  char path[] = "/tmp/provtrace-XXXXXX.log";
  int fd = mkostemps(path, 4, O_CLOEXEC);
  if (fd < 0) return "";
  std::string text = title + "\n" + content;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok ? path : "";
}

CompiledModule::~CompiledModule() {
  if (module_ != nullptr) bpf_module_destroy(module_);
}

std::vector<std::string> CompiledModule::FunctionNames() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < bpf_num_functions(module_); ++i) {
    names.push_back(bpf_function_name(module_, i));
  }
  return names;
}

int CompiledModule::MapFd(const std::string& name) const {
  return bpf_table_fd(module_, name.c_str());
}

Status PrepareTreeFor(const std::string& program_text, const CompileOptions& options,
                      KernelTree* tree, CompileTimings* timings) {
  auto start = std::chrono::steady_clock::now();
  KernelTreeRequest request;
  request.btf_path = options.btf_path;
  request.cache_root = options.cache_root;
  request.program_text = program_text;
  PT_RETURN_IF_ERROR(PrepareKernelTree(request, tree));
  timings->tree_seconds = SecondsSince(start);
  timings->tree_from_cache = tree->from_cache;
  timings->tree_path = tree->path;
  timings->warnings.insert(timings->warnings.end(), tree->warnings.begin(), tree->warnings.end());
  return Status::Ok();
}

Status Compile(const std::string& program_text, const CompileOptions& options,
               std::unique_ptr<CompiledModule>* out) {
  KernelTree tree;
  CompileTimings timings;
  PT_RETURN_IF_ERROR(PrepareTreeFor(program_text, options, &tree, &timings));
  return CompileInTree(program_text, options, tree, timings, out);
}

Status CompileInTree(const std::string& program_text, const CompileOptions& options,
                     const KernelTree& tree, const CompileTimings& tree_timings,
                     std::unique_ptr<CompiledModule>* out) {
  std::unique_ptr<CompiledModule> module(new CompiledModule());
  module->timings_ = tree_timings;

  // BCC reads the kernel tree's location from the environment, and clang
  // opens its headers by path: the path through the verified tree's
  // descriptor is not resolved by name again.
  std::string source = tree.dir ? tree.dir->PinnedPath() : tree.path;
  setenv("BCC_KERNEL_SOURCE", source.c_str(), 1);
  std::vector<std::string> flags = KernelTreeCflags();
  std::vector<const char*> cflags;
  for (const std::string& f : flags) cflags.push_back(f.c_str());
  auto start = std::chrono::steady_clock::now();
  std::string diagnostics = CaptureStderr([&] {
    module->module_ = bpf_module_create_c_from_string(
        program_text.c_str(), 0, cflags.data(), static_cast<int>(cflags.size()), false, nullptr);
  });
  module->timings_.compile_seconds = SecondsSince(start);
  if (module->module_ == nullptr) {
    std::string log = SaveLog("BCC failed to compile the " + options.what,
                              diagnostics + "\n--- program ---\n" + program_text);
    return Status(StatusCode::kKernelRejected,
                  "BCC could not compile the " + options.what +
                      (log.empty() ? "" : "; compiler output in " + log),
                  "this kernel's types differ from what provtrace expects; please report it "
                  "with that file");
  }
  *out = std::move(module);
  return Status::Ok();
}

}  // namespace provtrace::probes

namespace provtrace::probes {

Status LoadFunction(const CompiledModule& module, const std::string& function, int prog_type,
                    int* fd) {
  void* handle = module.handle();
  const char* name = function.c_str();
  void* insns = bpf_function_start(handle, name);
  if (insns == nullptr) return InternalError("BPF program has no function " + function);
  std::vector<char> log(4 << 20);
  int err = 0;
  auto load = [&](int log_level) {
    log[0] = 0;
    // BCC prints verifier hints (and sometimes the log) itself; the log
    // belongs in a file named in a one-line message.
    CaptureStderr([&] {
      *fd = bcc_func_load(handle, prog_type, name, static_cast<const struct bpf_insn*>(insns),
                          static_cast<int>(bpf_function_size(handle, name)),
                          bpf_module_license(handle), bpf_module_kern_version(handle), log_level,
                          log.data(), static_cast<unsigned>(log.size()), nullptr, -1);
      err = errno;
    });
  };
  load(0);
  if (*fd >= 0) return Status::Ok();
  if ((err == EPERM || err == EACCES) && log[0] == 0) {
    return Status(StatusCode::kPermissionDenied,
                  "the kernel refused to load BPF program " + function + ": " + strerror(err),
                  "run provtrace as root (it needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN), or "
                  "pick another --backend");
  }
  if (log[0] == 0) {  // BCC gives up on some errors (E2BIG) before asking for the log
    int first = err;
    load(1);
    if (*fd >= 0) close(*fd);
    *fd = -1;
    err = first;
  }
  std::string saved = SaveLog("verifier log for " + function, log.data());
  return Status(StatusCode::kKernelRejected,
                "the BPF verifier rejected " + function + " (" + strerror(err) + ")" +
                    (saved.empty() ? "" : "; verifier log in " + saved),
                "try another --backend; please report this with the log");
}

}  // namespace provtrace::probes
