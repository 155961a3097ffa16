#include "probes/perf_transport.h"

#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace provtrace::probes {

std::vector<int> OnlineCpus() {
  std::vector<int> cpus;
  std::ifstream in("/sys/devices/system/cpu/online");
  std::string list;
  std::getline(in, list);
  std::stringstream ranges(list);
  std::string range;
  while (std::getline(ranges, range, ',')) {
    int first = 0, last = 0;
    if (sscanf(range.c_str(), "%d-%d", &first, &last) == 2) {
      for (int c = first; c <= last; ++c) cpus.push_back(c);
    } else if (sscanf(range.c_str(), "%d", &first) == 1) {
      cpus.push_back(first);
    }
  }
  return cpus;
}

void PerfTransport::OnSample(void* cookie, void* data, int size) {
  auto* reader = static_cast<CpuReader*>(cookie);
  reader->transport->handler_->OnLaneRecord(reader->cpu, data, static_cast<size_t>(size));
}

void PerfTransport::OnLostSamples(void* cookie, uint64_t count) {
  auto* reader = static_cast<CpuReader*>(cookie);
  Lost lost;
  lost.source = LostSource::kPerfBuffer;
  lost.count = count;
  lost.cpu = reader->cpu;
  lost.time_ns = BootTimeNs();
  reader->transport->handler_->OnLost(lost);
}

Status PerfTransport::Open(int map_fd, int pages_per_cpu, int wakeup_batch, RecordHandler* handler,
                           std::unique_ptr<PerfTransport>* out) {
  if (pages_per_cpu <= 0 || (pages_per_cpu & (pages_per_cpu - 1)) != 0) {
    return InvalidArgument("perf buffer pages must be a power of two, got " +
                           std::to_string(pages_per_cpu));
  }
  std::unique_ptr<PerfTransport> transport(new PerfTransport());
  transport->handler_ = handler;
  std::vector<int> cpus = OnlineCpus();
  if (cpus.empty()) return InternalError("cannot read the online CPU list");
  // A record is at least 64 bytes: a wakeup at a quarter of the buffer at
  // most leaves the reader room to catch up.
  const int fill_cap = pages_per_cpu * 4096 / 4 / 64;
  const int wakeup_events = std::max(1, std::min(wakeup_batch, fill_cap));
  for (int cpu : cpus) {
    auto cookie = std::make_unique<CpuReader>(CpuReader{transport.get(), cpu});
    struct bcc_perf_buffer_opts opts = {};
    opts.pid = -1;
    opts.cpu = cpu;
    opts.wakeup_events = wakeup_events;
    void* reader =
        bpf_open_perf_buffer_opts(&PerfTransport::OnSample, &PerfTransport::OnLostSamples,
                                  cookie.get(), pages_per_cpu, &opts);
    if (reader == nullptr) {
      return Status(
          StatusCode::kUnsupported,
          "cannot open a perf buffer on CPU " + std::to_string(cpu) + ": " + strerror(errno),
          "try fewer --buffer-pages, or raise the perf_event_mlock_kb sysctl");
    }
    transport->readers_.push_back(static_cast<perf_reader*>(reader));
    transport->cookies_.push_back(std::move(cookie));
    int fd = perf_reader_fd(static_cast<perf_reader*>(reader));
    uint32_t key = static_cast<uint32_t>(cpu);
    if (bpf_map_update_elem(map_fd, &key, &fd, BPF_ANY) != 0) {
      return InternalError("cannot connect the perf buffer of CPU " + std::to_string(cpu) + ": " +
                           strerror(errno));
    }
  }
  *out = std::move(transport);
  return Status::Ok();
}

PerfTransport::~PerfTransport() {
  for (perf_reader* reader : readers_) perf_reader_free(reader);
}

Status PerfTransport::Poll(int timeout_ms) {
  int rc = perf_reader_poll(static_cast<int>(readers_.size()), readers_.data(), timeout_ms);
  if (rc < 0 && errno != EINTR) {
    return IoError(std::string("reading the perf buffers failed: ") + strerror(errno));
  }
  // Records short of a wakeup batch wait in the buffers: fetch them. And
  // after any wakeup, read every CPU's buffer, so the stream can go out in
  // time order up to now (the reorder window's watermark).
  if (rc > 0 || drain_timer_.Due()) return Drain();
  return Status::Ok();
}

Status PerfTransport::Drain() {
  uint64_t started = BootTimeNs();
  perf_reader_consume(static_cast<int>(readers_.size()), readers_.data());
  handler_->OnDrained(WatermarkBefore(started));
  return Status::Ok();
}

}  // namespace provtrace::probes
