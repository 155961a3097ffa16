// Developer tool: how hard each of a backend's BPF programs is for this
// kernel's verifier (instructions processed, states), so that a change to
// the BPF C can be measured before it reaches the limit or slows startup.
//   bazel run //tools:verifier_stats -- [BACKEND] [--ring] [--all-flows] [--log FUNCTION]
// --log prints the end of FUNCTION's full verifier log (where a rejected
// program went wrong); with PT_VERIFIER_LOG=PATH set, the whole log goes
// to PATH.
#include <bcc/bcc_common.h>
#include <bcc/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "probes/compiler.h"
#include "probes/program_table.h"

using namespace provtrace::probes;

int main(int argc, char** argv) {
  Backend backend = Backend::kTracepoint;
  ProgramOptions program;
  std::string log_function;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--log" && i + 1 < argc) {
      log_function = argv[++i];
    } else if (arg == "--ring") {
      program.transport = Transport::kRing;
      program.ring_pages = 1024;
    } else if (arg == "--all-flows") {
      program.all_flows = true;
    } else if (auto b = ParseBackend(arg)) {
      backend = *b;
    } else {
      fprintf(stderr,
              "usage: verifier_stats [lsm|fentry|kprobe|tracepoint] [--ring] [--all-flows] "
              "[--log FUNCTION]\n");
      return 2;
    }
  }
  CompileOptions options;
  options.cache_root = "/var/cache/provtrace";
  std::unique_ptr<CompiledModule> module;
  provtrace::Status status = Compile(ProgramText(backend, program), options, &module);
  if (!status.ok()) {
    fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  std::vector<char> log(64 << 20);
  std::regex processed(R"(processed (\d+) insns .*total_states (\d+) peak_states (\d+))");
  int failed = 0;
  for (const ProgramSpec& spec : ProgramsFor(backend)) {
    if (spec.attach == AttachKind::kLsm || spec.attach == AttachKind::kFentry) {
      printf("%-40s (needs its attach point; not loaded here)\n", spec.function.c_str());
      continue;
    }
    void* handle = module->handle();
    const char* fn = spec.function.c_str();
    if (!log_function.empty() && spec.function != log_function) continue;
    unsigned level = log_function.empty() ? 4 : 2;
    log[0] = 0;
    auto start = std::chrono::steady_clock::now();
    int fd = bcc_func_load(handle, ProgramTypeOf(spec.attach), fn,
                           static_cast<const bpf_insn*>(bpf_function_start(handle, fn)),
                           static_cast<int>(bpf_function_size(handle, fn)),
                           bpf_module_license(handle), bpf_module_kern_version(handle), level,
                           log.data(), static_cast<unsigned>(log.size()), nullptr, -1);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::string text(log.data());
    if (!log_function.empty() && getenv("PT_VERIFIER_LOG")) {
      // The whole log, for a profile of where the verifier spends itself.
      FILE* f = fopen(getenv("PT_VERIFIER_LOG"), "w");
      if (f) {
        fputs(text.c_str(), f);
        fclose(f);
      }
    }
    if (!log_function.empty()) {
      // The last 80 lines: the path that failed and the verdict.
      size_t at = text.size();
      for (int lines = 0; lines < 80 && at != std::string::npos && at > 0; ++lines)
        at = text.rfind('\n', at - 1);
      fputs(text.substr(at == std::string::npos ? 0 : at).c_str(), stdout);
    }
    std::smatch m;
    bool found = std::regex_search(text, m, processed);
    printf("%-40s %-8s %8.1f ms  %9s insns  %7s states (peak %s)  %zu BPF insns\n", fn,
           fd >= 0 ? "ok" : "REJECTED", ms, found ? m[1].str().c_str() : "?",
           found ? m[2].str().c_str() : "?", found ? m[3].str().c_str() : "?",
           bpf_function_size(handle, fn) / 8);
    if (fd >= 0) {
      close(fd);
    } else {
      ++failed;
    }
  }
  return failed ? 1 : 0;
}
