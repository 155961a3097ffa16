#include "cli/options.h"

#include <errno.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>

#include "cli/version.h"
#include "formats/output.h"

namespace provtrace::cli {
namespace {

void Define(CLI::App& app, Options* o, std::string* backend, int* level) {
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
  app.add_option("--buffer-pages", o->buffer_pages,
                 "Perf buffer size per CPU, in pages (a power of two; default 128)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--cache-dir", o->cache_dir,
                 "Where kernel headers made from BTF are cached (default /var/cache/provtrace)")
      ->type_name("DIR");
  app.add_option("--btf", o->btf_path,
                 "Kernel BTF to build headers from (default /sys/kernel/btf/vmlinux)")
      ->type_name("FILE");
  app.add_option("command", o->command, "Command to trace with its descendants (after --)")
      ->type_name("COMMAND");
  app.set_version_flag("-V,--version", std::string("provtrace ") + kVersion);
}

}  // namespace

ParseOutcome ParseOptions(int argc, const char* const* argv, Options* options, std::string* text) {
  CLI::App app("provtrace: whole-system provenance capture with eBPF", "provtrace");
  std::string backend = "auto";
  int level = 0;
  Define(app, options, &backend, &level);
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
  if (app.count("--compress") > 0) options->compress = level;
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
    if (options->duration_seconds || options->backend) {
      *text = "-r replays a capture; -d and --backend apply to live captures";
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
  std::string backend;
  int level = 0;
  Define(app, &options, &backend, &level);
  std::vector<std::string> names = {"help"};
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      if (name != "help") names.push_back(name);
    }
  }
  return names;
}

}  // namespace provtrace::cli
