#include "probes/program_image.h"

#include <bcc/bcc_common.h>
#include <bcc/bcc_version.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>

#include "probes/cache_dir.h"
#include "probes/kernel_tree.h"

namespace provtrace::probes {
namespace {

constexpr char kMagic[8] = {'P', 'T', 'I', 'M', 'A', 'G', 'E', '1'};
// Bump when the image's layout or what goes into its key changes (2: the
// cached file is sealed, see Seal).
constexpr int kImageVersion = 2;
constexpr uint8_t kLdImm64 = BPF_LD | BPF_IMM | BPF_DW;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class Writer {
 public:
  void U32(uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void Str(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void Bytes(const void* data, size_t size) { out_.append(static_cast<const char*>(data), size); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U32(uint32_t* v) { return Bytes(v, sizeof(*v)); }
  bool Str(std::string* s, size_t max = 1 << 20) {
    uint32_t n;
    if (!U32(&n) || n > max || n > in_.size()) return false;
    s->assign(in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  bool Bytes(void* out, size_t size) {
    if (size > in_.size()) return false;
    memcpy(out, in_.data(), size);
    in_.remove_prefix(size);
    return true;
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

const FunctionImage* ProgramImage::Function(std::string_view name) const {
  for (const FunctionImage& f : functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

int ProgramImage::MapIndex(std::string_view name) const {
  for (size_t i = 0; i < maps.size(); ++i) {
    if (maps[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Status ExtractImage(const CompiledModule& module, ProgramImage* image) {
  void* m = module.handle();
  *image = ProgramImage();
  image->license = bpf_module_license(m) ? bpf_module_license(m) : "";
  image->kern_version = bpf_module_kern_version(m);
  std::map<int, uint32_t> map_by_fd;
  for (size_t i = 0; i < bpf_num_tables(m); ++i) {
    MapDefinition def;
    def.name = bpf_table_name(m, i);
    def.type = static_cast<uint32_t>(bpf_table_type_id(m, i));
    def.key_size = static_cast<uint32_t>(bpf_table_key_size_id(m, i));
    def.value_size = static_cast<uint32_t>(bpf_table_leaf_size_id(m, i));
    def.max_entries = static_cast<uint32_t>(bpf_table_max_entries_id(m, i));
    def.flags = static_cast<uint32_t>(bpf_table_flags_id(m, i));
    map_by_fd[bpf_table_fd_id(m, i)] = static_cast<uint32_t>(image->maps.size());
    image->maps.push_back(def);
  }
  for (size_t i = 0; i < bpf_num_functions(m); ++i) {
    FunctionImage f;
    f.name = bpf_function_name(m, i);
    size_t size = bpf_function_size_id(m, i);
    const auto* insns = static_cast<const struct bpf_insn*>(bpf_function_start_id(m, i));
    if (insns == nullptr || size % sizeof(struct bpf_insn) != 0) {
      return InternalError("BCC gave no bytecode for " + f.name);
    }
    size_t count = size / sizeof(struct bpf_insn);
    f.insns.resize(count);
    memcpy(f.insns.data(), insns, size);
    for (size_t k = 0; k < count; ++k) {
      if (insns[k].code != kLdImm64) continue;
      if (insns[k].src_reg == BPF_PSEUDO_MAP_FD) {
        auto it = map_by_fd.find(insns[k].imm);
        if (it == map_by_fd.end()) {
          return Unsupported(f.name + " loads the fd of a map the module does not list");
        }
        f.relocations.push_back({static_cast<uint32_t>(k), it->second});
      } else if (insns[k].src_reg != 0) {
        return Unsupported(f.name + " references a map by value, which the image cannot relocate");
      }
      ++k;  // the second half of the 16-byte instruction
    }
    image->functions.push_back(std::move(f));
  }
  return Status::Ok();
}

std::string SerializeImage(const ProgramImage& image) {
  Writer w;
  w.Bytes(kMagic, sizeof(kMagic));
  w.U32(kImageVersion);
  w.Str(image.license);
  w.U32(image.kern_version);
  w.U32(static_cast<uint32_t>(image.maps.size()));
  for (const MapDefinition& m : image.maps) {
    w.Str(m.name);
    w.U32(m.type);
    w.U32(m.key_size);
    w.U32(m.value_size);
    w.U32(m.max_entries);
    w.U32(m.flags);
  }
  w.U32(static_cast<uint32_t>(image.functions.size()));
  for (const FunctionImage& f : image.functions) {
    w.Str(f.name);
    w.U32(static_cast<uint32_t>(f.insns.size()));
    w.Bytes(f.insns.data(), f.insns.size() * sizeof(uint64_t));
    w.U32(static_cast<uint32_t>(f.relocations.size()));
    for (const MapRelocation& r : f.relocations) {
      w.U32(r.insn);
      w.U32(r.map);
    }
  }
  return w.Take();
}

Status ParseImage(std::string_view bytes, ProgramImage* image) {
  Status bad = InternalError("not a provtrace program image");
  Reader r(bytes);
  char magic[sizeof(kMagic)];
  uint32_t version, count;
  if (!r.Bytes(magic, sizeof(magic)) || memcmp(magic, kMagic, sizeof(kMagic)) != 0) return bad;
  if (!r.U32(&version) || version != kImageVersion) return bad;
  *image = ProgramImage();
  if (!r.Str(&image->license) || !r.U32(&image->kern_version) || !r.U32(&count)) return bad;
  if (count > 1024) return bad;
  for (uint32_t i = 0; i < count; ++i) {
    MapDefinition m;
    if (!r.Str(&m.name, 256) || !r.U32(&m.type) || !r.U32(&m.key_size) || !r.U32(&m.value_size) ||
        !r.U32(&m.max_entries) || !r.U32(&m.flags)) {
      return bad;
    }
    image->maps.push_back(m);
  }
  if (!r.U32(&count) || count > 1024) return bad;
  for (uint32_t i = 0; i < count; ++i) {
    FunctionImage f;
    uint32_t insns, relocations;
    if (!r.Str(&f.name, 256) || !r.U32(&insns) || insns > (1u << 20) ||
        insns * sizeof(uint64_t) > r.left()) {
      return bad;
    }
    f.insns.resize(insns);
    if (!r.Bytes(f.insns.data(), insns * sizeof(uint64_t)) || !r.U32(&relocations) ||
        relocations > insns) {
      return bad;
    }
    for (uint32_t k = 0; k < relocations; ++k) {
      MapRelocation rel;
      if (!r.U32(&rel.insn) || !r.U32(&rel.map)) return bad;
      if (rel.insn + 1 >= insns || rel.map >= image->maps.size()) return bad;
      f.relocations.push_back(rel);
    }
    image->functions.push_back(std::move(f));
  }
  if (r.left() != 0) return bad;
  return Status::Ok();
}

Status CompileImage(const std::string& program_text, const CompileOptions& options,
                    ProgramImage* image, CompileTimings* timings) {
  KernelTree tree;
  PT_RETURN_IF_ERROR(PrepareTreeFor(program_text, options, &tree, timings));

  // The tree's key names the kernel (its BTF) and the types; the rest is
  // what else shapes the bytecode.
  uint64_t hash = Fnv1a(tree.key);
  hash = Fnv1a(program_text, hash);
  for (const std::string& flag : KernelTreeCflags()) hash = Fnv1a(flag + ";", hash);
  hash = Fnv1a(std::string("bcc ") + LIBBCC_VERSION + ";", hash);
  hash = Fnv1a("cpus " + std::to_string(sysconf(_SC_NPROCESSORS_CONF)) + ";", hash);
  hash = Fnv1a("image " + std::to_string(kImageVersion), hash);
  std::string name = "image-" + HexKey(hash);
  std::string path = options.cache_root + "/" + name;
  timings->image_path = path;

  // Read through the verified cache directory's descriptor, checked on its
  // own (no link, this user's, private) and unsealed against its name
  // before a byte of it is parsed; anything refused is compiled again and
  // replaced, never loaded.
  auto start = std::chrono::steady_clock::now();
  std::string sealed;
  bool missing = false;
  Status read = tree.cache->ReadFile(name, &sealed, &missing);
  if (read.ok()) {
    std::string_view bytes;
    if (Unseal(name, sealed, &bytes) && ParseImage(bytes, image).ok()) {
      timings->image_from_cache = true;
      timings->compile_seconds = SecondsSince(start);
      return Status::Ok();
    }
    timings->warnings.push_back("ignoring cached program image: " + path +
                                " does not match its seal (modified or cut short); compiling it "
                                "again");
  } else if (!missing) {
    timings->warnings.push_back("ignoring cached program image: " + read.cause() +
                                "; compiling it again");
  }
  std::unique_ptr<CompiledModule> module;
  PT_RETURN_IF_ERROR(CompileInTree(program_text, options, tree, *timings, &module));
  timings->compile_seconds = module->timings().compile_seconds;
  PT_RETURN_IF_ERROR(ExtractImage(*module, image));
  // A cache that cannot be written costs the next start its compile time,
  // nothing else.
  tree.cache->WriteFile(name, Seal(name, SerializeImage(*image)));
  return Status::Ok();
}

}  // namespace provtrace::probes
