#include "probes/kernel_tree.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <regex>
#include <set>

#include "probes/cache_dir.h"

namespace provtrace::probes {
namespace {

// Bump when the generated tree's content changes for the same inputs, so
// stale caches are not reused.
constexpr int kBuilderVersion = 7;

// Typedefs BPF C commonly uses without naming them as struct/union/enum.
constexpr const char* kBaseTypedefs[] = {
    "u8",      "u16",    "u32",    "u64",    "s8",      "s16",     "s32",       "s64",    "__u8",
    "__u16",   "__u32",  "__u64",  "__s8",   "__s16",   "__s32",   "__s64",     "bool",   "size_t",
    "ssize_t", "pid_t",  "uid_t",  "gid_t",  "loff_t",  "umode_t", "dev_t",     "__be16", "__be32",
    "__be64",  "__le16", "__le32", "__le64", "__sum16", "__wsum",  "uintptr_t",
};

// Kernel types BCC's helpers.h needs besides the program's.
constexpr const char* kHelperTypes[] = {
    "struct pt_regs",
};

// The BPF UAPI types BCC always defines itself (BCC 0.26 compiles every
// program with its own copy of the kernel's include/uapi/linux/bpf.h).
// They must not be dumped again from BTF; kernel types that embed them use
// BCC's definitions, which have the same layout.
constexpr const char* kBccUapiTypes[] = {
    "enum bpf_adj_room_mode",
    "enum bpf_attach_type",
    "enum bpf_cgroup_iter_order",
    "enum bpf_check_mtu_ret",
    "enum bpf_cmd",
    "enum bpf_core_relo_kind",
    "enum bpf_func_id",
    "enum bpf_hdr_start_off",
    "enum bpf_link_type",
    "enum bpf_lwt_encap_mode",
    "enum bpf_map_type",
    "enum bpf_prog_type",
    "enum bpf_ret_code",
    "enum bpf_stack_build_id_status",
    "enum bpf_stats_type",
    "enum bpf_task_fd_type",
    "enum sk_action",
    "enum xdp_action",
    "struct __sk_buff",
    "struct bpf_btf_info",
    "struct bpf_cgroup_dev_ctx",
    "struct bpf_cgroup_storage_key",
    "struct bpf_core_relo",
    "struct bpf_cpumap_val",
    "struct bpf_devmap_val",
    "struct bpf_dynptr",
    "struct bpf_fib_lookup",
    "struct bpf_flow_keys",
    "struct bpf_func_info",
    "struct bpf_insn",
    "struct bpf_line_info",
    "struct bpf_link_info",
    "struct bpf_list_head",
    "struct bpf_list_node",
    "struct bpf_lpm_trie_key",
    "struct bpf_map_info",
    "struct bpf_perf_event_value",
    "struct bpf_pidns_info",
    "struct bpf_prog_info",
    "struct bpf_raw_tracepoint_args",
    "struct bpf_redir_neigh",
    "struct bpf_sk_lookup",
    "struct bpf_sock",
    "struct bpf_sock_addr",
    "struct bpf_sock_ops",
    "struct bpf_sock_tuple",
    "struct bpf_sockopt",
    "struct bpf_spin_lock",
    "struct bpf_stack_build_id",
    "struct bpf_sysctl",
    "struct bpf_tcp_sock",
    "struct bpf_timer",
    "struct bpf_tunnel_key",
    "struct bpf_xdp_sock",
    "struct bpf_xfrm_state",
    "struct btf_ptr",
    "struct sk_msg_md",
    "struct sk_reuseport_md",
    "struct xdp_md",
    "union bpf_attr",
    "union bpf_iter_link_info",
};

Status ReadBtf(const std::string& path, std::string* out) {
  Status read = ReadTrustedFile(path, out);
  if (read.code() == StatusCode::kIoError) {
    return Unsupported("cannot read kernel BTF: " + read.cause(),
                       "provtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  }
  return read;
}

// btf_dump prints through one callback for its whole life; where the text
// goes is switched between calls.
struct DumpTarget {
  std::string* out = nullptr;
};

void AppendPrintf(void* ctx, const char* fmt, va_list args) {
  std::string* out = static_cast<DumpTarget*>(ctx)->out;
  va_list copy;
  va_copy(copy, args);
  int len = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (len <= 0) return;
  size_t old = out->size();
  out->resize(old + static_cast<size_t>(len) + 1);
  vsnprintf(&(*out)[old], static_cast<size_t>(len) + 1, fmt, args);
  out->resize(old + static_cast<size_t>(len));
}

int KindFor(const std::string& keyword) {
  if (keyword == "struct") return BTF_KIND_STRUCT;
  if (keyword == "union") return BTF_KIND_UNION;
  if (keyword == "enum") return BTF_KIND_ENUM;
  return BTF_KIND_TYPEDEF;
}

// Looks up "struct x" / "union x" / "enum x" / a typedef name in BTF.
int FindType(const struct btf* btf, const std::string& name) {
  std::string keyword = "typedef", bare = name;
  size_t space = name.find(' ');
  if (space != std::string::npos) {
    keyword = name.substr(0, space);
    bare = name.substr(space + 1);
  }
  int kind = KindFor(keyword);
  int id = btf__find_by_name_kind(btf, bare.c_str(), kind);
  if (id < 0 && kind == BTF_KIND_ENUM)
    id = btf__find_by_name_kind(btf, bare.c_str(), BTF_KIND_ENUM64);
  return id;
}

// The dump comes in two parts because of where BCC includes them: `base`
// (the integer typedefs) before BCC's own bpf.h, which needs them; `main`
// (the kernel's types) after it, since they may embed its types.
struct DumpedTypes {
  std::string base;
  std::string main;
  int roots = 0;
  std::string signatures;  // PT_BTF_ARGC_<function> defines
  std::string fields;      // PT_HAS_FIELD_<struct>__<member> defines
};

// How many parameters the kernel function `name` takes, by its BTF; -1 if
// BTF has no such function.
int FunctionArgCount(const struct btf* btf, const std::string& name) {
  int id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_FUNC);
  if (id < 0) return -1;
  const struct btf_type* func = btf__type_by_id(btf, static_cast<uint32_t>(id));
  const struct btf_type* proto = func ? btf__type_by_id(btf, func->type) : nullptr;
  if (proto == nullptr || !btf_is_func_proto(proto)) return -1;
  return btf_vlen(proto);
}

// Hooks change parameters between kernels (inode_setattr gained an idmap;
// the security_ function and the LSM hook differ on some): the program
// adapts to, or at least checks against, the running kernel's.
std::string SignatureDefines(const struct btf* btf, const std::vector<std::string>& hooks) {
  std::string out;
  for (const std::string& hook : hooks) {
    for (const char* prefix : {"bpf_lsm_", "security_"}) {
      std::string fn = prefix + hook;
      out += "#define PT_BTF_ARGC_" + fn + " " + std::to_string(FunctionArgCount(btf, fn)) + "\n";
    }
  }
  return out;
}

// Whether the struct or union type `id` has a member `member`, directly or
// inside an anonymous struct or union member (as C sees it).
bool HasMember(const struct btf* btf, uint32_t id, const std::string& member, int depth = 0) {
  const struct btf_type* t = btf__type_by_id(btf, id);
  while (t != nullptr && (btf_is_typedef(t) || btf_is_mod(t))) t = btf__type_by_id(btf, t->type);
  if (t == nullptr || !btf_is_composite(t) || depth > 8) return false;
  const struct btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* name = btf__name_by_offset(btf, m->name_off);
    if (name != nullptr && member == name) return true;
    if ((name == nullptr || *name == '\0') && HasMember(btf, m->type, member, depth + 1)) {
      return true;
    }
  }
  return false;
}

// Kernels rename and replace fields (cgroup::ancestor_ids became
// ancestors; dentry::d_subdirs became d_children): the program asks with
// PT_HAS_FIELD(struct, member) and the tree answers by BTF, so the program
// text adapts to the kernel's types, never to a version number.
std::string FieldDefines(const struct btf* btf, const std::vector<FieldQuery>& fields) {
  std::string out = "#define PT_HAS_FIELD(s, m) PT_HAS_FIELD_##s##__##m\n";
  for (const FieldQuery& f : fields) {
    int id = btf__find_by_name_kind(btf, f.type.c_str(), BTF_KIND_STRUCT);
    if (id < 0) id = btf__find_by_name_kind(btf, f.type.c_str(), BTF_KIND_UNION);
    bool has = id > 0 && HasMember(btf, static_cast<uint32_t>(id), f.member);
    out += "#define PT_HAS_FIELD_" + f.type + "__" + f.member + (has ? " 1\n" : " 0\n");
  }
  return out;
}

// The value of enumerator `name` in any of the kernel's enums, if BTF has
// it (some kernel constants are enumerators on one kernel and #defines,
// invisible to BTF, on another).
bool EnumeratorValue(const struct btf* btf, const std::string& name, long long* value) {
  uint32_t types = btf__type_cnt(btf);
  for (uint32_t id = 1; id < types; ++id) {
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (btf_is_enum(t)) {
      const struct btf_enum* e = btf_enum(t);
      for (int i = 0; i < btf_vlen(t); ++i, ++e) {
        if (name == btf__name_by_offset(btf, e->name_off)) {
          *value = e->val;
          return true;
        }
      }
    } else if (btf_is_enum64(t)) {
      const struct btf_enum64* e = btf_enum64(t);
      for (int i = 0; i < btf_vlen(t); ++i, ++e) {
        if (name == btf__name_by_offset(btf, e->name_off)) {
          *value = static_cast<long long>(btf_enum64_value(e));
          return true;
        }
      }
    }
  }
  return false;
}

// PT_ENUM_VALUE(NAME, FALLBACK): the kernel's value of enumerator NAME by
// BTF, else FALLBACK (the value a kernel that #defines it uses).
std::string EnumDefines(const struct btf* btf, const std::vector<FieldQuery>& enums) {
  std::string out = "#define PT_ENUM_VALUE(n, fallback) PT_ENUM_VALUE_##n\n";
  for (const FieldQuery& e : enums) {
    long long value = 0;
    std::string text = EnumeratorValue(btf, e.type, &value) ? std::to_string(value) : e.member;
    out += "#define PT_ENUM_VALUE_" + e.type + " (" + text + ")\n";
  }
  return out;
}

Status DumpTypes(const std::string& btf_path, const std::string& btf_bytes,
                 const std::vector<std::string>& names, const std::vector<std::string>& hooks,
                 const std::vector<FieldQuery>& fields, const std::vector<FieldQuery>& enums,
                 DumpedTypes* dumped) {
  // The bytes already read and checked, when they are raw BTF (as sysfs
  // gives it); an ELF file given with --btf is parsed by libbpf from its
  // path, whose directories were checked with it.
  uint16_t magic = 0;
  if (btf_bytes.size() >= sizeof(magic)) memcpy(&magic, btf_bytes.data(), sizeof(magic));
  struct btf* btf = magic == 0xeB9F
                        ? btf__new(btf_bytes.data(), static_cast<__u32>(btf_bytes.size()))
                        : btf__parse(btf_path.c_str(), nullptr);
  if (btf == nullptr) {
    return Unsupported("cannot parse kernel BTF " + btf_path + ": " + strerror(errno),
                       "provtrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  }
  DumpTarget target;
  struct btf_dump_opts opts;
  memset(&opts, 0, sizeof(opts));
  opts.sz = sizeof(opts);
  struct btf_dump* dump = btf_dump__new(btf, AppendPrintf, &target, &opts);
  if (dump == nullptr) {
    btf__free(btf);
    return InternalError(std::string("btf_dump__new failed: ") + strerror(errno));
  }
  Status status;
  auto dump_all = [&](const std::vector<std::string>& list, std::string* out, int* count) {
    target.out = out;
    for (const std::string& name : list) {
      int id = FindType(btf, name);
      if (id < 0) continue;  // not a kernel type (e.g. one of provtrace's own)
      if (btf_dump__dump_type(dump, static_cast<uint32_t>(id)) < 0) {
        status = InternalError("btf_dump failed on " + name + ": " + strerror(errno));
        return;
      }
      if (count != nullptr) ++*count;
    }
  };
  std::vector<std::string> base(std::begin(kBaseTypedefs), std::end(kBaseTypedefs));
  dump_all(base, &dumped->base, nullptr);
  // btf_dump emits each type once: dumping BCC's UAPI types into a discarded
  // buffer keeps them (and only them) out of the header.
  std::string discarded;
  std::vector<std::string> uapi(std::begin(kBccUapiTypes), std::end(kBccUapiTypes));
  if (status.ok()) dump_all(uapi, &discarded, nullptr);
  if (status.ok()) dump_all(names, &dumped->main, &dumped->roots);
  dumped->signatures = SignatureDefines(btf, hooks);
  dumped->fields = FieldDefines(btf, fields) + EnumDefines(btf, enums);
  btf_dump__free(dump);
  btf__free(btf);
  return status;
}

std::string VersionHeader() {
  struct utsname un;
  unsigned major = 0, minor = 0, patch = 0;
  if (uname(&un) == 0) sscanf(un.release, "%u.%u.%u", &major, &minor, &patch);
  if (patch > 255) patch = 255;
  char buf[256];
  snprintf(buf, sizeof(buf),
           "#define LINUX_VERSION_CODE %u\n"
           "#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))\n",
           (major << 16) + (minor << 8) + patch);
  return buf;
}

// The tree's files, by relative path.
std::map<std::string, std::string> TreeFiles(const DumpedTypes& types) {
  std::map<std::string, std::string> files;
  files["include/provtrace/vmlinux_base.h"] =
      "#ifndef PROVTRACE_VMLINUX_BASE_H\n#define PROVTRACE_VMLINUX_BASE_H\n" + types.base +
      "\n#endif\n";
  files["include/provtrace/vmlinux.h"] =
      "#ifndef PROVTRACE_VMLINUX_H\n#define PROVTRACE_VMLINUX_H\n"
      "#include <provtrace/vmlinux_base.h>\n" +
      types.main + "\n" + types.signatures + types.fields + "#endif\n";
  // BCC force-includes kconfig.h; helpers.h refuses to build without
  // CONFIG_BPF_SYSCALL, and x86-64 kernels since 4.17 wrap syscalls.
  files["include/linux/kconfig.h"] =
      "#define CONFIG_BPF_SYSCALL 1\n"
      "#define CONFIG_ARCH_HAS_SYSCALL_WRAPPER 1\n";
  files["include/linux/version.h"] = VersionHeader();
  files["include/linux/log2.h"] = "";
  // BCC's bpf.h (the UAPI it carries) is included first and asks for these.
  // (__aligned_u64 is a macro in the kernel, so BTF cannot carry it.)
  files["include/linux/types.h"] =
      "#include <provtrace/vmlinux_base.h>\n"
      "#define __aligned_u64 __u64 __attribute__((aligned(8)))\n"
      "#define __aligned_be64 __be64 __attribute__((aligned(8)))\n"
      "#define __aligned_le64 __le64 __attribute__((aligned(8)))\n";
  files["include/linux/bpf_common.h"] = "";
  files["include/uapi/linux/bpf.h"] = "#include <provtrace/vmlinux.h>\n";
  files["include/uapi/linux/if_packet.h"] = "";
  long page = sysconf(_SC_PAGESIZE);
  files["arch/x86/include/asm/page.h"] =
      "#define PAGE_SIZE " + std::to_string(page > 0 ? page : 4096) + "UL\n";
  return files;
}

Status WriteTree(const TrustedDir& dir, const DumpedTypes& types, const std::string& key) {
  std::map<std::string, std::string> files = TreeFiles(types);
  for (const auto& [path, content] : files) PT_RETURN_IF_ERROR(dir.CreateFile(path, content));
  // Written last: its presence marks a complete tree.
  return dir.CreateFile("KEY", TreeManifest(key, files));
}

// Whether the tree in dir is whole and as its KEY describes it, every
// file and directory checked on its descriptor.
Status VerifyTree(const TrustedDir& dir, const std::string& key) {
  std::map<std::string, std::string> files;
  PT_RETURN_IF_ERROR(dir.ReadTree(&files));
  auto manifest = files.find("KEY");
  if (manifest == files.end()) {
    return Status(StatusCode::kDataLoss, dir.path() + " has no KEY (an incomplete tree)");
  }
  std::string recorded = std::move(manifest->second);
  files.erase(manifest);
  if (recorded != TreeManifest(key, files)) {
    return Status(StatusCode::kDataLoss,
                  dir.path() + " does not match its KEY (a file was changed, added or removed)");
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> ReferencedTypeNames(const std::string& program_text) {
  std::set<std::string> names;
  static const std::regex kTypeRef(R"(\b(struct|union|enum)\s+([A-Za-z_][A-Za-z0-9_]*))");
  for (auto it = std::sregex_iterator(program_text.begin(), program_text.end(), kTypeRef);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1].str() + " " + (*it)[2].str());
  }
  for (const char* t : kHelperTypes) names.insert(t);
  std::vector<std::string> out(std::begin(kBaseTypedefs), std::end(kBaseTypedefs));
  out.insert(out.end(), names.begin(), names.end());
  return out;
}

std::vector<std::string> ReferencedHookNames(const std::string& program_text) {
  std::set<std::string> names;
  static const std::regex kHookRef(
      R"(\bPT_(?:SECURITY_HOOK|HOOK_ARGC)\(\s*([A-Za-z_][A-Za-z0-9_]*))");
  for (auto it = std::sregex_iterator(program_text.begin(), program_text.end(), kHookRef);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1].str());
  }
  return std::vector<std::string>(names.begin(), names.end());
}

std::vector<FieldQuery> ReferencedFieldQueries(const std::string& program_text) {
  std::set<std::pair<std::string, std::string>> queries;
  static const std::regex kFieldRef(
      R"(\bPT_HAS_FIELD\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\))");
  for (auto it = std::sregex_iterator(program_text.begin(), program_text.end(), kFieldRef);
       it != std::sregex_iterator(); ++it) {
    queries.insert({(*it)[1].str(), (*it)[2].str()});
  }
  std::vector<FieldQuery> out;
  for (const auto& [type, member] : queries) out.push_back({type, member});
  return out;
}

std::vector<FieldQuery> ReferencedEnumQueries(const std::string& program_text) {
  std::set<std::pair<std::string, std::string>> queries;
  static const std::regex kEnumRef(
      R"(\bPT_ENUM_VALUE\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,\s*([0-9A-Fa-fx]+)\s*\))");
  for (auto it = std::sregex_iterator(program_text.begin(), program_text.end(), kEnumRef);
       it != std::sregex_iterator(); ++it) {
    queries.insert({(*it)[1].str(), (*it)[2].str()});
  }
  std::vector<FieldQuery> out;
  for (const auto& [name, fallback] : queries) out.push_back({name, fallback});
  return out;
}

std::vector<std::string> KernelTreeCflags() { return {"-ffine-grained-bitfield-accesses"}; }

std::string TreeManifest(const std::string& key, const std::map<std::string, std::string>& files) {
  std::string manifest = key + "\n";
  for (const auto& [path, content] : files) manifest += Sha256Hex(content) + "  " + path + "\n";
  return manifest;
}

Status PrepareKernelTree(const KernelTreeRequest& request, KernelTree* tree) {
  std::string btf;
  PT_RETURN_IF_ERROR(ReadBtf(request.btf_path, &btf));
  // The types and hooks dumped are a function of the text: hashing the text
  // spares a start with a warm cache from scanning it (~25 ms).
  uint64_t hash = Fnv1a(btf);
  hash = Fnv1a(request.program_text, hash);
  hash = Fnv1a("builder-" + std::to_string(kBuilderVersion), hash);
  tree->key = HexKey(hash);
  tree->warnings.clear();

  auto cache = std::make_shared<TrustedDir>();
  PT_RETURN_IF_ERROR(TrustedDir::OpenPrivate(request.cache_root, cache.get()));
  tree->cache = cache;
  std::string name = "kernel-" + tree->key;
  tree->path = request.cache_root + "/" + name;

  auto dir = std::make_shared<TrustedDir>();
  bool missing = false;
  Status found = cache->OpenSubdir(name, dir.get(), &missing);
  if (found.ok()) found = VerifyTree(*dir, tree->key);
  if (found.ok()) {
    tree->dir = dir;
    tree->from_cache = true;
    return Status::Ok();
  }
  if (!missing) {
    tree->warnings.push_back("ignoring cached kernel headers: " + found.cause() +
                             "; building them again");
  }

  std::vector<std::string> names = ReferencedTypeNames(request.program_text);
  std::vector<std::string> hooks = ReferencedHookNames(request.program_text);
  std::vector<FieldQuery> fields = ReferencedFieldQueries(request.program_text);
  std::vector<FieldQuery> enums = ReferencedEnumQueries(request.program_text);
  DumpedTypes types;
  PT_RETURN_IF_ERROR(DumpTypes(request.btf_path, btf, names, hooks, fields, enums, &types));
  tree->dumped_types = types.roots;

  // Built aside in a fresh private directory and renamed into place, so a
  // concurrent or interrupted start never sees half a tree; whatever held
  // the name was refused (or is gone) and is removed first.
  std::string tmp;
  auto fresh = std::make_shared<TrustedDir>();
  PT_RETURN_IF_ERROR(cache->MakeTempSubdir(fresh.get(), &tmp));
  Status written = WriteTree(*fresh, types, tree->key);
  if (written.ok() && !missing) written = cache->Remove(name);
  if (!written.ok()) {
    cache->Remove(tmp);
    return written;
  }
  if (!cache->Rename(tmp, name, fresh.get()).ok()) {
    // Another provtrace installed the tree first: its tree is equally good
    // once it verifies.
    cache->Remove(tmp);
    PT_RETURN_IF_ERROR(cache->OpenSubdir(name, fresh.get()));
    PT_RETURN_IF_ERROR(VerifyTree(*fresh, tree->key));
  }
  tree->dir = fresh;
  tree->from_cache = false;
  return Status::Ok();
}

}  // namespace provtrace::probes
