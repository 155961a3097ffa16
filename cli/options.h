// provtrace's command line, parsed with CLI11 into plain values.
//
// The options end at the first operand (or at --): everything from there
// on is the command to trace and its arguments, as with strace, time, env
// and sudo. Every value is checked here, so a bad one is a usage error of
// one line naming the option and what it allows.
#ifndef PROVTRACE_CLI_OPTIONS_H_
#define PROVTRACE_CLI_OPTIONS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/filter.h"
#include "core/status.h"
#include "probes/backend.h"

namespace provtrace::cli {

// -d at most: a year (365 days), far inside what a steady_clock deadline
// in nanoseconds holds (292 years).
inline constexpr double kMaxDurationSeconds = 365.0 * 24 * 3600;
// --buffer-pages at most: 1 GiB per CPU with 4 KiB pages. The kernel keeps
// a perf buffer's page pointers in one allocation of at most 4 MiB, so it
// refuses 524288 pages (EINVAL); 1048576 overflowed BCC's byte count and
// lost every record.
inline constexpr int kMaxBufferPages = 262144;
// The largest BPF ring buffer, in 4 KiB pages: its size in bytes is a
// 32-bit power of two (max_entries), so 2 GiB. For --transport=ring,
// whose size is --buffer-pages times the CPUs.
inline constexpr int kMaxRingPages = 524288;

struct Options {
  std::string output = "-";
  bool output_given = false;  // -o was on the command line
  // -F, or else the one the -o name implies (.jsonl, .json, .txt,
  // .prov.json, .spade.json, .dot, .gv; each also with .zst); nullopt: text
  // on a terminal, else json.
  std::optional<std::string> format;
  std::string write_capture;  // -w FILE: raw capture ("" = none)
  std::string read_capture;   // -r FILE: replay instead of capturing (or kafka://...)
  // kafka:// in -o, -w, -r: librdkafka's properties (-X KEY=VALUE, in
  // order), and where -r kafka:// starts (nullopt: the beginning).
  std::vector<std::pair<std::string, std::string>> kafka_properties;
  std::optional<std::string> from_offset;  // --from-offset, checked
  std::optional<std::string> from_time;    // --from-time, checked
  std::optional<int> compress;             // -z[LEVEL]; -z alone: formats::kDefaultZstdLevel
  std::string rotate_size;                 // --rotate-size SIZE, as given
  int rotate_count = 0;
  bool force = false;
  std::optional<double> duration_seconds;  // in (0, kMaxDurationSeconds]
  int verbose = 0;
  std::optional<probes::Backend> backend;  // nullopt: auto
  bool info = false;
  bool stats = false;
  bool unbuffered = false;
  bool envp = false;
  bool all_flows = false;
  int buffer_pages = 512;  // a power of two, at most kMaxBufferPages
  std::string cache_dir = "/var/cache/provtrace";
  std::string btf_path = "/sys/kernel/btf/vmlinux";  // when given: a BTF header checked
  std::string state_dir = "/var/lib/provtrace";
  // COMMAND ARGS (from the first operand, or after --), or -c (as sh -c);
  // command[0] is never empty.
  std::vector<std::string> command;
  // Scope (in the kernel): when any is given, only these and their
  // descendants are recorded. A command is a scope of its own: -p and
  // --cgroup are refused with one; together they are a union.
  std::vector<uint32_t> pids;  // -p
  std::string cgroup;          // --cgroup (a cgroup v2 directory)
  uint64_t cgroup_id = 0;      //   its id
  // Filters (in user space).
  FilterSpec filter;
  bool filtering = false;
  uint64_t max_records = 0;  // --max-records (0: no limit; the option takes 1 and up)
  enum class OnLoss { kIgnore, kWarn, kExit } on_loss = OnLoss::kWarn;
  bool ring = false;  // --transport=ring
  bool quiet = false;
};

enum class ParseOutcome {
  kRun,      // options are in *options
  kHelp,     // text to print on stdout, exit 0
  kVersion,  // likewise
  kError,    // one-line message in *text, exit 2
};

// Never throws and never prints; an error's text is one line without
// control characters.
ParseOutcome ParseOptions(int argc, const char* const* argv, Options* options, std::string* text);

// The ring buffer's size in pages for --transport=ring: the memory of the
// perf buffers (buffer_pages per CPU times `cpus`), rounded down to a
// power of two and at most kMaxRingPages. cpus < 1 counts as 1.
int RingBufferPages(int buffer_pages, long cpus);

// The long option names --help lists, for the man page consistency test.
std::vector<std::string> LongOptionNames();

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_OPTIONS_H_
