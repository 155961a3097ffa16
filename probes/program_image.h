// A compiled BPF program as plain data: its maps' definitions and its
// functions' bytecode, with where each function loads a map's fd. BCC
// compiles the program text once; the image is cached (keyed by the text,
// the kernel's BTF and the compiler) and loaded from the cache on the next
// start, with no compiler in the process: startup drops from seconds to
// the verifier's time, and LLVM's memory is never touched.
#ifndef PROVTRACE_PROBES_PROGRAM_IMAGE_H_
#define PROVTRACE_PROBES_PROGRAM_IMAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "probes/compiler.h"

namespace provtrace::probes {

struct MapDefinition {
  std::string name;
  uint32_t type = 0;  // BPF_MAP_TYPE_*
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;
};

struct MapRelocation {
  uint32_t insn = 0;  // a BPF_LD_IMM64 with src BPF_PSEUDO_MAP_FD
  uint32_t map = 0;   // index into ProgramImage::maps
};

struct FunctionImage {
  std::string name;
  std::vector<uint64_t> insns;  // struct bpf_insn, 8 bytes each
  std::vector<MapRelocation> relocations;
};

struct ProgramImage {
  std::string license;
  uint32_t kern_version = 0;
  std::vector<MapDefinition> maps;
  std::vector<FunctionImage> functions;

  const FunctionImage* Function(std::string_view name) const;
  int MapIndex(std::string_view name) const;  // -1 if absent
};

// From a module BCC compiled. Fails (kUnsupported) on bytecode it cannot
// relocate (a map reference other than by fd); the caller then keeps
// compiling each time.
Status ExtractImage(const CompiledModule& module, ProgramImage* image);

std::string SerializeImage(const ProgramImage& image);
// Never trusts the bytes: a short, corrupt or foreign file is an error.
Status ParseImage(std::string_view bytes, ProgramImage* image);

// Compiles program_text to an image, or takes it from the cache under
// options.cache_root (keyed by the text, the BTF-made kernel tree, the
// compile flags, BCC's version and the number of CPUs). The cached file
// image-<key> is Seal(its name, SerializeImage(image)); one that is not
// this user's private regular file, or does not unseal and parse, is
// refused with a line in timings->warnings and compiled again.
Status CompileImage(const std::string& program_text, const CompileOptions& options,
                    ProgramImage* image, CompileTimings* timings);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_PROGRAM_IMAGE_H_
