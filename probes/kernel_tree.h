// Builds the "kernel source tree" BCC insists on, from the running kernel's
// BTF, so provtrace needs no kernel headers. The tree holds one header with
// the C definitions of exactly the kernel types the probes name (dumped by
// libbpf's btf_dump) plus the handful of files BCC's helpers.h includes.
// Trees are cached under a root-owned 0700 directory keyed by the BTF's
// identity and the requested type set, and reused on the next start once
// verified: every directory and file of the tree checked on its descriptor
// (this user's, private, no symbolic links) and its content matching the
// manifest in its KEY file (the key, then "<SHA-256>  <path>" per file).
#ifndef PROVTRACE_PROBES_KERNEL_TREE_H_
#define PROVTRACE_PROBES_KERNEL_TREE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "probes/cache_dir.h"

namespace provtrace::probes {

struct KernelTreeRequest {
  std::string btf_path = "/sys/kernel/btf/vmlinux";
  std::string cache_root = "/var/cache/provtrace";
  // The BPF program text: every `struct X`, `union X` and `enum X` it names
  // that the kernel's BTF defines is dumped, with what those types need.
  std::string program_text;
};

struct KernelTree {
  std::string path;  // for messages; BCC is given dir->PinnedPath()
  std::string key;   // cache key: BTF identity + type set + builder
  bool from_cache = false;
  int dumped_types = 0;  // root types dumped (0 when from_cache)
  // The verified cache root and tree, held open so that nothing is found by
  // name again while the tree is used.
  std::shared_ptr<const TrustedDir> cache;
  std::shared_ptr<const TrustedDir> dir;
  // Cache entries refused (one line each: the path and why) and rebuilt.
  std::vector<std::string> warnings;
};

// The KEY file of a tree: the key, then each file's SHA-256 and relative
// path, in path order.
std::string TreeManifest(const std::string& key, const std::map<std::string, std::string>& files);

Status PrepareKernelTree(const KernelTreeRequest& request, KernelTree* tree);

// The root type names the builder would dump for this program text, in a
// stable order. Exposed for tests and for --info.
std::vector<std::string> ReferencedTypeNames(const std::string& program_text);

// The security hooks the program text names (PT_SECURITY_HOOK(x, ...) and
// PT_HOOK_ARGC(x)): for each, the tree defines PT_BTF_ARGC_bpf_lsm_x and
// PT_BTF_ARGC_security_x, the parameter counts of the LSM hook and of the
// kernel's security_x function by BTF (-1: no such function).
std::vector<std::string> ReferencedHookNames(const std::string& program_text);

// A struct member the program asks about: PT_HAS_FIELD(type, member) in
// the text becomes a define of 1 or 0, by the kernel's BTF.
struct FieldQuery {
  std::string type;
  std::string member;
};
std::vector<FieldQuery> ReferencedFieldQueries(const std::string& program_text);
// PT_ENUM_VALUE(NAME, FALLBACK) in the text: type holds NAME, member the
// fallback; the tree defines the kernel's value of enumerator NAME by BTF.
std::vector<FieldQuery> ReferencedEnumQueries(const std::string& program_text);

// The extra flags BCC must compile with for the tree's layouts to match the
// kernel's (bcc issue 4890: without fine-grained bitfield accesses, clang's
// layout of `long: 64` padding runs after bitfields shifts later members).
std::vector<std::string> KernelTreeCflags();

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_KERNEL_TREE_H_
