// Fills a provtrace cache directory, on the host, with the program images a
// guest kernel's provtrace would compile: one per backend, for the kernel
// whose BTF is given. BCC compiles ~15x slower under TCG, and a guest's
// cache starts empty at every boot; a guest given this directory as its
// cache loads each program without compiling (provtrace -v says "compiled
// program reused").
//   image_cache --btf FILE --cache-dir DIR [--atomics yes|no] [--backend NAME]...
// The image's key (probes/program_image.cc) names the BTF bytes, the
// program text, the flags, BCC's version and the number of possible CPUs:
// the guest must have as many CPUs as this process sees (printed).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "probes/backend.h"
#include "probes/compiler.h"
#include "probes/program_image.h"
#include "probes/program_table.h"

namespace {

int Usage(const char* why) {
  fprintf(stderr,
          "image_cache: %s\n"
          "usage: image_cache --btf FILE --cache-dir DIR [--backend NAME]...\n",
          why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using provtrace::probes::Backend;
  provtrace::probes::CompileOptions options;
  options.btf_path.clear();
  options.cache_root.clear();
  std::vector<Backend> backends;
  bool atomics = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(("no value after " + arg).c_str());
    std::string value = argv[++i];
    if (arg == "--btf") {
      options.btf_path = value;
    } else if (arg == "--cache-dir") {
      options.cache_root = value;
    } else if (arg == "--atomics") {
      // Whether the guest's kernel has BPF atomics (its --info says):
      // provtrace's program text follows.
      atomics = value != "no";
    } else if (arg == "--backend") {
      std::optional<Backend> backend = provtrace::probes::ParseBackend(value);
      if (!backend) return Usage(("no backend " + value).c_str());
      backends.push_back(*backend);
    } else {
      return Usage(("unknown option " + arg).c_str());
    }
  }
  if (options.btf_path.empty() || options.cache_root.empty()) {
    return Usage("--btf and --cache-dir are required");
  }
  if (backends.empty()) {
    backends.assign(std::begin(provtrace::probes::kAllBackends),
                    std::end(provtrace::probes::kAllBackends));
  }
  printf("image_cache: %s for %ld possible CPUs\n", options.btf_path.c_str(),
         sysconf(_SC_NPROCESSORS_CONF));
  int failed = 0;
  for (Backend backend : backends) {
    std::string name(provtrace::probes::BackendName(backend));
    options.what = name + " BPF program";
    // The options provtrace runs with by default (the perf transport), as
    // the scenario suite runs it.
    provtrace::probes::ProgramOptions program;
    program.atomics = atomics;
    std::string text = provtrace::probes::ProgramText(backend, program);
    provtrace::probes::ProgramImage image;
    provtrace::probes::CompileTimings timings;
    provtrace::Status status = provtrace::probes::CompileImage(text, options, &image, &timings);
    if (!status.ok()) {
      fprintf(stderr, "image_cache: %s: %s\n", name.c_str(), status.ToString().c_str());
      ++failed;
      continue;
    }
    printf("image_cache: %s: %s %s (%.1f s)\n", name.c_str(),
           timings.image_from_cache ? "already in" : "compiled into", timings.image_path.c_str(),
           timings.compile_seconds + timings.tree_seconds);
  }
  return failed ? 1 : 0;
}
