#include "cli/options.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>

#include "cli/version.h"
#include "formats/output.h"

namespace provtrace::cli {
namespace {

constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC

// Values that need checking after parsing.
struct Raw {
  std::string backend = "auto";
  int level = 0;
  std::string shell_command;
  std::string node_filter, relation_filter, only, on_loss = "warn", transport = "perf";
  std::vector<std::string> track;
};

void Define(CLI::App& app, Options* o, Raw* raw) {
  std::string* backend = &raw->backend;
  int* level = &raw->level;
  app.add_option("-o,--output", o->output,
                 "Write records to FILE (created 0600; '-' is standard output)")
      ->type_name("FILE");
  app.add_option("-F,--format", o->format,
                 "Output format: json, text, prov-json, spade-json or dot (default: text on a "
                 "terminal, json otherwise)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember(formats::FormatNames()));
  app.add_option("-w,--write", o->write_capture,
                 "Write a raw capture to FILE (replay it with -r); alone, no other output")
      ->type_name("FILE");
  app.add_option("-r,--read", o->read_capture,
                 "Read a raw capture instead of the kernel ('-' is standard input)")
      ->type_name("FILE");
  app.add_option("-z,--compress", *level,
                 "Compress output with zstd at LEVEL (default 3); on for names ending .zst")
      ->type_name("LEVEL")
      ->expected(0, 1)
      ->default_str("3")
      ->check(CLI::Range(1, 19));
  app.add_option("--rotate-size", o->rotate_size,
                 "Start a new output file when this one reaches SIZE (e.g. 100M)")
      ->type_name("SIZE");
  app.add_option("--rotate-count", o->rotate_count,
                 "Keep at most N output files when rotating (FILE, FILE.1, ...)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app.add_flag("--force", o->force, "Overwrite the output file if it exists");
  app.add_option("-d,--duration", o->duration_seconds, "Stop after SECONDS")
      ->type_name("SECONDS")
      ->check(CLI::PositiveNumber);
  app.add_flag("-v,--verbose", o->verbose,
               "Explain what provtrace does (backend choice, timings) on stderr");
  app.add_option("--backend", *backend, "Attach backend: auto, lsm, fentry, kprobe or tracepoint")
      ->type_name("BACKEND")
      ->check(CLI::IsMember({"auto", "lsm", "fentry", "kprobe", "tracepoint"}));
  app.add_flag("--info", o->info, "Print what the kernel allows and the backend auto picks");
  app.add_flag("--stats", o->stats, "Print counters (records, losses) on stderr at exit");
  app.add_flag("-u,--unbuffered", o->unbuffered, "Write each record as soon as it arrives");
  app.add_flag("--envp", o->envp, "Record the environment of exec'd programs (envp nodes)");
  app.add_flag("--all-flows", o->all_flows,
               "Also record reads and writes that bring their target nothing new");
  app.add_option("--buffer-pages", o->buffer_pages,
                 "Perf buffer size per CPU, in pages (a power of two; default 512)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--cache-dir", o->cache_dir,
                 "Where kernel headers made from BTF are cached (default /var/cache/provtrace)")
      ->type_name("DIR");
  app.add_option("--btf", o->btf_path,
                 "Kernel BTF to build headers from (default /sys/kernel/btf/vmlinux)")
      ->type_name("FILE");
  app.add_option("-c,--command", raw->shell_command,
                 "Trace CMD (run by /bin/sh -c) and its descendants; exit with its status")
      ->type_name("CMD");
  app.add_option("-p,--pid", o->pids, "Trace the running process PID and its new descendants")
      ->type_name("PID")
      ->check(CLI::PositiveNumber);
  app.add_option("--cgroup", o->cgroup,
                 "Trace the tasks of a cgroup v2 directory (a container's) and below it")
      ->type_name("PATH");
  app.add_option("--node-filter", raw->node_filter,
                 "Leave out nodes of these types (comma-separated CamFlow names)")
      ->type_name("TYPES");
  app.add_option("--relation-filter", raw->relation_filter, "Leave out relations of these types")
      ->type_name("TYPES");
  app.add_option("--only", raw->only, "Keep only relations of these types")->type_name("TYPES");
  app.add_option("--path", o->filter.include_paths,
                 "Keep file relations only for files under PREFIX (repeatable)")
      ->type_name("PREFIX");
  app.add_option("--exclude-path", o->filter.exclude_paths,
                 "Leave out relations of files under PREFIX (repeatable)")
      ->type_name("PREFIX");
  app.add_option("--track", raw->track,
                 "Keep only relations of tracked objects: a file PATH or pid:N (repeatable)")
      ->type_name("WHAT");
  app.add_flag("--propagate", o->filter.propagate,
               "With --track: what receives information from a tracked object is tracked");
  app.add_option("--max-records", o->max_records, "Stop after N records")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  app.add_option("--on-loss", raw->on_loss,
                 "When records are lost: ignore, warn (default), or exit (status 3)")
      ->type_name("WHAT")
      ->check(CLI::IsMember({"ignore", "warn", "exit"}));
  app.add_option("--transport", raw->transport,
                 "Kernel to user space: perf (per-CPU buffers, default) or ring (one BPF ring "
                 "buffer)")
      ->type_name("KIND")
      ->check(CLI::IsMember({"perf", "ring"}));
  app.add_flag("-q,--quiet", o->quiet, "No status line on a terminal, no loss warning");
  app.add_option("command", o->command, "Command to trace with its descendants (after --)")
      ->type_name("COMMAND");
  app.set_version_flag("-V,--version", std::string("provtrace ") + kVersion);
}

}  // namespace

ParseOutcome ParseOptions(int argc, const char* const* argv, Options* options, std::string* text) {
  CLI::App app("provtrace: whole-system provenance capture with eBPF", "provtrace");
  Raw raw;
  Define(app, options, &raw);
  const std::string& backend = raw.backend;
  app.footer(
      "Examples:\n"
      "  provtrace -- ls                 trace ls and its descendants\n"
      "  provtrace -d 10 -o cap.json     whole system for 10 seconds\n"
      "  provtrace --info                what this kernel allows");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    *text = app.help();
    return ParseOutcome::kHelp;
  } catch (const CLI::CallForVersion&) {
    *text = app.version();
    return ParseOutcome::kVersion;
  } catch (const CLI::ParseError& e) {
    *text = e.what();
    return ParseOutcome::kError;
  }
  if ((options->buffer_pages & (options->buffer_pages - 1)) != 0) {
    *text = "--buffer-pages: " + std::to_string(options->buffer_pages) + " is not a power of two";
    return ParseOutcome::kError;
  }
  if (options->info && !options->command.empty()) {
    *text = "--info takes no command";
    return ParseOutcome::kError;
  }
  if (backend != "auto") options->backend = probes::ParseBackend(backend);
  options->output_given = app.count("--output") > 0;
  auto fail = [&](const std::string& why) {
    *text = why;
    return ParseOutcome::kError;
  };
  if (!raw.shell_command.empty()) {
    if (!options->command.empty()) return fail("-c and -- COMMAND both name a command");
    options->command = {"/bin/sh", "-c", raw.shell_command};
  }
  if (options->info && !options->command.empty()) return fail("--info takes no command");
  if (!options->cgroup.empty()) {
    struct statfs fs;
    struct stat st;
    if (statfs(options->cgroup.c_str(), &fs) != 0 || stat(options->cgroup.c_str(), &st) != 0) {
      return fail("--cgroup: cannot read " + options->cgroup + ": " + strerror(errno));
    }
    if (fs.f_type != kCgroup2Magic || !S_ISDIR(st.st_mode)) {
      return fail("--cgroup: " + options->cgroup + " is not a cgroup v2 directory");
    }
    options->cgroup_id = st.st_ino;  // a cgroup's id is its directory's inode
  }
  for (uint32_t pid : options->pids) {
    if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      return fail("-p: no process " + std::to_string(pid));
    }
  }
  FilterSpec& f = options->filter;
  Status s = ParseNodeTypes(raw.node_filter, &f.exclude_nodes);
  if (s.ok()) s = ParseRelationTypes(raw.relation_filter, &f.exclude_relations);
  if (s.ok()) s = ParseRelationTypes(raw.only, &f.only_relations);
  if (!s.ok()) return fail(s.cause() + " (see provtrace(8) for the type names)");
  for (const std::string& t : raw.track) {
    if (t.rfind("pid:", 0) == 0) {
      char* end = nullptr;
      unsigned long pid = strtoul(t.c_str() + 4, &end, 10);
      if (t.size() == 4 || *end != '\0' || pid == 0 || pid > UINT32_MAX) {
        return fail("--track: '" + t + "' is not pid:N");
      }
      f.track_pids.push_back(static_cast<uint32_t>(pid));
    } else if (!t.empty() && t[0] == '/') {
      f.track_paths.push_back(t);
    } else {
      return fail("--track: '" + t + "' is neither an absolute path nor pid:N");
    }
  }
  if (f.propagate && !f.tracking()) return fail("--propagate needs --track");
  for (const auto* list : {&f.include_paths, &f.exclude_paths}) {
    for (const std::string& p : *list) {
      if (p.empty() || p[0] != '/')
        return fail("--path/--exclude-path: '" + p + "' is not absolute");
    }
  }
  options->filtering = !f.exclude_nodes.empty() || !f.exclude_relations.empty() ||
                       !f.only_relations.empty() || !f.include_paths.empty() ||
                       !f.exclude_paths.empty() || f.tracking();
  options->on_loss = raw.on_loss == "ignore" ? Options::OnLoss::kIgnore
                     : raw.on_loss == "exit" ? Options::OnLoss::kExit
                                             : Options::OnLoss::kWarn;
  options->ring = raw.transport == "ring";
  if (app.count("--compress") > 0) options->compress = raw.level;
  if (!options->rotate_size.empty() && !formats::ParseSize(options->rotate_size)) {
    *text = "--rotate-size: '" + options->rotate_size + "' is not a size (e.g. 500k, 100M, 2G)";
    return ParseOutcome::kError;
  }
  if (!options->rotate_size.empty() && !options->output_given && options->write_capture.empty()) {
    *text = "--rotate-size needs an output file (-o FILE or -w FILE)";
    return ParseOutcome::kError;
  }
  if (options->rotate_count > 0 && options->rotate_size.empty()) {
    *text = "--rotate-count needs --rotate-size";
    return ParseOutcome::kError;
  }
  if (!options->read_capture.empty()) {
    if (!options->command.empty()) {
      *text = "-r replays a capture; it takes no command";
      return ParseOutcome::kError;
    }
    if (options->duration_seconds || options->backend || !options->pids.empty() ||
        !options->cgroup.empty() || options->ring) {
      *text =
          "-r replays a capture; -d, -p, --cgroup, --backend and --transport apply to "
          "live captures";
      return ParseOutcome::kError;
    }
    if (options->read_capture != "-" && access(options->read_capture.c_str(), R_OK) != 0) {
      *text = "-r: cannot read " + options->read_capture + ": " + strerror(errno);
      return ParseOutcome::kError;
    }
  }
  if (!options->write_capture.empty() && options->write_capture == options->output &&
      options->output_given) {
    *text = "-w and -o name the same file";
    return ParseOutcome::kError;
  }
  return ParseOutcome::kRun;
}

std::vector<std::string> LongOptionNames() {
  CLI::App app;
  Options options;
  Raw raw;
  Define(app, &options, &raw);
  std::vector<std::string> names = {"help"};
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      if (name != "help") names.push_back(name);
    }
  }
  return names;
}

}  // namespace provtrace::cli
