// BPF C to BPF bytecode with BCC, against the kernel tree synthesized from
// BTF: the one place that knows how to make BCC work without kernel
// headers.
#ifndef PROVTRACE_PROBES_COMPILER_H_
#define PROVTRACE_PROBES_COMPILER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "probes/kernel_tree.h"

namespace provtrace::probes {

struct CompileOptions {
  std::string btf_path = "/sys/kernel/btf/vmlinux";
  std::string cache_root = "/var/cache/provtrace";
  std::string what = "BPF program";  // for messages
};

struct CompileTimings {
  double tree_seconds = 0;
  double compile_seconds = 0;  // or reading the cached image
  bool tree_from_cache = false;
  std::string tree_path;
  bool image_from_cache = false;  // CompileImage: nothing compiled
  std::string image_path;
  // Cache entries refused and rebuilt, one line each naming the path and
  // why (a symbolic link, another owner, a content mismatch...).
  std::vector<std::string> warnings;
};

// A compiled BCC module: its functions' bytecode and its maps (created in
// the kernel by BCC at compile time). Freed with the object.
class CompiledModule {
 public:
  ~CompiledModule();
  CompiledModule(const CompiledModule&) = delete;
  CompiledModule& operator=(const CompiledModule&) = delete;

  void* handle() const { return module_; }
  std::vector<std::string> FunctionNames() const;
  int MapFd(const std::string& name) const;
  const CompileTimings& timings() const { return timings_; }

 private:
  friend Status CompileInTree(const std::string&, const CompileOptions&, const KernelTree&,
                              const CompileTimings&, std::unique_ptr<CompiledModule>*);
  CompiledModule() = default;
  void* module_ = nullptr;
  CompileTimings timings_;
};

Status Compile(const std::string& program_text, const CompileOptions& options,
               std::unique_ptr<CompiledModule>* module);

// Compile's two steps, for a caller that needs the tree before compiling
// (CompileImage keys its cache by it): the kernel tree for program_text,
// made or found in the cache, with its timings; then the compile against it.
Status PrepareTreeFor(const std::string& program_text, const CompileOptions& options,
                      KernelTree* tree, CompileTimings* timings);
Status CompileInTree(const std::string& program_text, const CompileOptions& options,
                     const KernelTree& tree, const CompileTimings& tree_timings,
                     std::unique_ptr<CompiledModule>* module);

// Loads one function of a compiled module as a BPF program of prog_type
// (BPF_PROG_TYPE_*). A refusal is one line: permission (kPermissionDenied)
// or the verifier (kKernelRejected, naming the file its log was saved to).
Status LoadFunction(const CompiledModule& module, const std::string& function, int prog_type,
                    int* fd);

// Runs fn with stderr sent to a temporary file and returns what it wrote:
// BCC, clang and libbpf print diagnostics there, which belong in a log or a
// one-line message, not on the user's terminal.
std::string CaptureStderr(const std::function<void()>& fn);

// A private file (0600) holding `content`, for logs too long for a
// one-line message; "" if it could not be written.
std::string SaveLog(const std::string& title, const std::string& content);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_COMPILER_H_
