// What each backend loads: its BPF source files, in order, and its
// programs with where they attach and whether the capture can do without
// them.
#ifndef PROVTRACE_PROBES_PROGRAM_TABLE_H_
#define PROVTRACE_PROBES_PROGRAM_TABLE_H_

#include <string>
#include <vector>

#include "probes/backend.h"

namespace provtrace::probes {

enum class AttachKind {
  kLsm,            // bpf_attach_lsm; target is the LSM hook
  kFentry,         // bpf_attach_kfunc; target is the kernel function
  kKprobe,         // kprobe on the kernel function
  kRawTracepoint,  // raw tracepoint by name
  kTracepoint,     // tracepoint; target is "category:name"
  kTailCall,       // not attached: put in the program array `target` at tail_index
};

struct ProgramSpec {
  std::string function;  // the BPF C function (as BCC's macros name it)
  AttachKind attach;
  std::string target;
  bool required;        // false: a kernel without this hook loses only its records
  int tail_index = -1;  // kTailCall: the slot in the program array
};

// The BPF program type (enum bpf_prog_type) a program attached so is.
int ProgramTypeOf(AttachKind attach);

// The embedded files whose concatenation is the backend's BPF program.
std::vector<std::string> SourceFilesFor(Backend backend);

std::vector<ProgramSpec> ProgramsFor(Backend backend);

enum class Transport { kPerf, kRing };

struct ProgramOptions {
  Transport transport = Transport::kPerf;
  int ring_pages = 0;  // kRing: the ring buffer's size in pages (a power of two)
  // kRing: wake the reader once per this many records per CPU (a power of
  // two); the reader also drains on its own at least every 100 ms.
  int ring_wakeup_batch = kDefaultWakeupBatch;
  static constexpr int kDefaultWakeupBatch = 64;
  // Keep data flows that bring their target nothing new (--all-flows);
  // see probes/bpf/prov.bpf.h.
  bool all_flows = false;
  // The kernel has BPF_ATOMIC (5.12); without, PT_NO_BPF_ATOMICS.
  bool atomics = true;
};

// The full BPF C text for a backend: the record header (with
// PT_BPF_PROGRAM defined) followed by its sources.
std::string ProgramText(Backend backend, const ProgramOptions& options = {});

// The floor (bench/): a program of empty functions on exactly the backend's
// attach points (its tail-called handlers left out), so that running it
// measures what the attach mechanism itself costs.
std::string FloorProgramText(Backend backend);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_PROGRAM_TABLE_H_
