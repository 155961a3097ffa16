// provtrace's command line, parsed with CLI11 into plain values.
#ifndef PROVTRACE_CLI_OPTIONS_H_
#define PROVTRACE_CLI_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "core/filter.h"
#include "core/status.h"
#include "probes/backend.h"

namespace provtrace::cli {

struct Options {
  std::string output = "-";
  bool output_given = false;          // -o was on the command line
  std::optional<std::string> format;  // -F; nullopt: text on a terminal, else json
  std::string write_capture;          // -w FILE: raw capture ("" = none)
  std::string read_capture;           // -r FILE: replay instead of capturing
  std::optional<int> compress;        // -z[LEVEL]
  std::string rotate_size;            // --rotate-size SIZE, as given
  int rotate_count = 0;
  bool force = false;
  std::optional<double> duration_seconds;
  int verbose = 0;
  std::optional<probes::Backend> backend;  // nullopt: auto
  bool info = false;
  bool stats = false;
  bool unbuffered = false;
  bool envp = false;
  bool all_flows = false;
  int buffer_pages = 512;
  std::string cache_dir = "/var/cache/provtrace";
  std::string btf_path = "/sys/kernel/btf/vmlinux";
  std::string state_dir = "/var/lib/provtrace";
  std::vector<std::string> command;  // -- COMMAND ARGS, or -c (as sh -c)
  // Scope (in the kernel): when any is given, only these and their
  // descendants are recorded.
  std::vector<uint32_t> pids;  // -p
  std::string cgroup;          // --cgroup (a cgroup v2 directory)
  uint64_t cgroup_id = 0;      //   its id
  // Filters (in user space).
  FilterSpec filter;
  bool filtering = false;
  uint64_t max_records = 0;  // --max-records (0: no limit)
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

ParseOutcome ParseOptions(int argc, const char* const* argv, Options* options, std::string* text);

// The long option names --help lists, for the man page consistency test.
std::vector<std::string> LongOptionNames();

}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_OPTIONS_H_
