// Records from the kernel through a BPF perf event array: one perf ring per
// CPU, read with BCC's perf reader. The kernel's lost notifications reach
// the handler as Lost records with their CPU.
#ifndef PROVTRACE_PROBES_PERF_TRANSPORT_H_
#define PROVTRACE_PROBES_PERF_TRANSPORT_H_

#include <memory>
#include <vector>

#include "core/source.h"
#include "core/status.h"
#include "probes/drain_timer.h"

struct perf_reader;

namespace provtrace::probes {

class PerfTransport : public RecordSource {
 public:
  // map_fd: the BPF_PERF_OUTPUT map; pages_per_cpu: a power of two;
  // wakeup_batch: the kernel wakes the reader once per this many records of
  // a CPU (1: every record), capped so a wakeup comes well before the
  // buffer fills.
  static Status Open(int map_fd, int pages_per_cpu, int wakeup_batch, RecordHandler* handler,
                     std::unique_ptr<PerfTransport>* transport);
  ~PerfTransport() override;

  Status Poll(int timeout_ms) override;
  Status Drain() override;

 private:
  struct CpuReader {
    PerfTransport* transport;
    int cpu;
  };
  static void OnSample(void* cookie, void* data, int size);
  static void OnLostSamples(void* cookie, uint64_t count);

  RecordHandler* handler_ = nullptr;
  DrainTimer drain_timer_;
  std::vector<std::unique_ptr<CpuReader>> cookies_;
  std::vector<perf_reader*> readers_;
};

// The CPUs listed in /sys/devices/system/cpu/online.
std::vector<int> OnlineCpus();

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_PERF_TRANSPORT_H_
