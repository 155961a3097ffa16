// The floor of the overhead benchmark: empty BPF programs on exactly the
// hooks provtrace's backend attaches (probes::FloorProgramText), nothing
// recorded, held until SIGINT or SIGTERM. What a workload costs under it is
// what the attach mechanism alone costs.
//
//   floor [BACKEND]     prints "ready" on stderr once attached
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "probes/features.h"
#include "probes/probe_session.h"

using namespace provtrace;

namespace {
volatile sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  std::optional<probes::Backend> requested;
  if (argc > 1) {
    requested = probes::ParseBackend(argv[1]);
    if (!requested) {
      fprintf(stderr, "floor: unknown backend %s\n", argv[1]);
      return 2;
    }
  }
  probes::BackendChoice choice;
  Status status = probes::ChooseBackend(probes::ProbeKernelFeatures(), requested, &choice);
  if (!status.ok()) {
    fprintf(stderr, "floor: %s\n", status.ToString().c_str());
    return 2;
  }
  probes::SessionOptions options;
  options.backend = choice.backend;
  options.floor = true;
  std::unique_ptr<probes::ProbeSession> session;
  status = probes::ProbeSession::Open(options, &session);
  if (status.ok()) status = session->Attach();
  if (!status.ok()) {
    fprintf(stderr, "floor: %s\n", status.ToString().c_str());
    return 1;
  }
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  fprintf(stderr, "floor: backend %s ready\n",
          std::string(probes::BackendName(choice.backend)).c_str());
  while (!g_stop) pause();
  return 0;
}
