// provtrace's entry point: parse options and run what they ask for. Every
// Status becomes one line on stderr and an exit code here or in the run
// functions (only cli/ does that: cli/report.h).
#include <cstdio>
#include <string>

#include "cli/capture.h"
#include "cli/options.h"
#include "cli/privileges.h"
#include "cli/replay.h"
#include "cli/report.h"
#include "probes/features.h"

namespace provtrace::cli {
namespace {

int RunInfo(const Options& options) {
  Status privileges = CheckPrivileges();
  if (!privileges.ok()) return Report(privileges);
  probes::KernelFeatures features = probes::ProbeKernelFeatures(options.btf_path);
  fputs(probes::FeatureReport(features).c_str(), stdout);
  return kExitOk;
}

}  // namespace
}  // namespace provtrace::cli

int main(int argc, char** argv) {
  using namespace provtrace::cli;
  Options options;
  std::string text;
  switch (ParseOptions(argc, argv, &options, &text)) {
    case ParseOutcome::kHelp:
    case ParseOutcome::kVersion:
      fputs(text.c_str(), stdout);
      if (!text.empty() && text.back() != '\n') fputc('\n', stdout);
      return kExitOk;
    case ParseOutcome::kError:
      fprintf(stderr, "provtrace: %s (see provtrace --help)\n", text.c_str());
      return kExitUsage;
    case ParseOutcome::kRun:
      break;
  }
  if (options.info) return RunInfo(options);
  if (!options.read_capture.empty()) return RunReplay(options);
  return RunCapture(options);
}
