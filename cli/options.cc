#include "cli/options.h"

#include <CLI/CLI.hpp>

#include "cli/version.h"

namespace provtrace::cli {
namespace {

void Define(CLI::App& app, Options* o, std::string* backend) {
  app.add_option("-o,--output", o->output,
                 "Write records to FILE (created 0600; '-' is standard output)")
      ->type_name("FILE");
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
  Define(app, options, &backend);
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
  return ParseOutcome::kRun;
}

std::vector<std::string> LongOptionNames() {
  CLI::App app;
  Options options;
  std::string backend;
  Define(app, &options, &backend);
  std::vector<std::string> names = {"help"};
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& name : opt->get_lnames()) {
      if (name != "help") names.push_back(name);
    }
  }
  return names;
}

}  // namespace provtrace::cli
