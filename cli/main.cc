// provtrace's entry point: parse options, run the capture, and turn every
// Status into one line on stderr and an exit code. (Only cli/ does that.)
#include <linux/capability.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/options.h"
#include "core/identity.h"
#include "core/machine.h"
#include "core/pipeline.h"
#include "formats/capture_reader.h"
#include "formats/output.h"
#include "probes/features.h"
#include "probes/perf_transport.h"
#include "probes/probe_session.h"
#include "probes/ring_transport.h"

namespace provtrace::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitLoss = 3;  // --on-loss=exit

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int sig) {
  if (g_stop_signal.exchange(sig) == SIGINT && sig == SIGINT) {
    // A second Ctrl-C: the user wants out now, drained or not.
    _exit(128 + SIGINT);
  }
}

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a signal must wake the poll
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
    case StatusCode::kOutputClosed:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kPermissionDenied:
    case StatusCode::kUnsupported:
    case StatusCode::kKernelRejected:
      return kExitUsage;
    case StatusCode::kIoError:
    case StatusCode::kDataLoss:
    case StatusCode::kInternal:
      return kExitRuntime;
  }
  return kExitRuntime;
}

int Report(const Status& status) {
  if (status.code() != StatusCode::kOutputClosed) {
    fprintf(stderr, "provtrace: %s\n", status.ToString().c_str());
  }
  return ExitCodeFor(status);
}

class Verbose {
 public:
  explicit Verbose(int level) : level_(level) {}
  template <typename... Args>
  void operator()(const char* fmt, Args... args) const {
    if (level_ == 0) return;
    fprintf(stderr, "provtrace: ");
    fprintf(stderr, fmt, args...);
    fputc('\n', stderr);
  }

 private:
  int level_;
};

// BPF needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN on older kernels);
// attaching and reading BTF-typed kernel memory needs CAP_SYS_ADMIN too.
Status CheckPrivileges() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return Status::Ok();  // let the kernel decide
  auto has = [&](int cap) { return (data[cap / 32].effective & (1u << (cap % 32))) != 0; };
  if (has(CAP_SYS_ADMIN)) return Status::Ok();
  return Status(StatusCode::kPermissionDenied,
                "provtrace must run as root: loading BPF programs needs CAP_SYS_ADMIN "
                "(or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)",
                "run it with sudo");
}

int64_t RealtimeOffsetNs() {
  struct timespec real, boot;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (static_cast<int64_t>(real.tv_sec) - boot.tv_sec) * 1000000000LL +
         (static_cast<int64_t>(real.tv_nsec) - boot.tv_nsec);
}

std::string KernelBootUuid() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string uuid;
  std::getline(in, uuid);
  return uuid.empty() ? "unknown" : uuid;
}

int RunInfo(const Options& options) {
  Status privileges = CheckPrivileges();
  if (!privileges.ok()) return Report(privileges);
  probes::KernelFeatures features = probes::ProbeKernelFeatures(options.btf_path);
  fputs(probes::FeatureReport(features).c_str(), stdout);
  return kExitOk;
}

// The outputs the options ask for: the formatted one (unless -w alone was
// given) and the raw capture.
Status OpenOutputs(const Options& options, std::vector<std::unique_ptr<formats::Output>>* outputs) {
  auto ends_with = [](const std::string& s, const char* suffix) {
    size_t n = strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
  };
  uint64_t rotate = options.rotate_size.empty() ? 0 : *formats::ParseSize(options.rotate_size);
  bool formatted = options.write_capture.empty() || options.output_given || options.format;
  if (formatted) {
    formats::OutputSpec spec;
    spec.path = options.output;
    spec.force = options.force;
    spec.unbuffered = options.unbuffered;
    if (options.format) {
      spec.format = *formats::ParseFormat(*options.format);
    } else {
      bool terminal = options.output == "-" && isatty(STDOUT_FILENO);
      spec.format = terminal ? formats::Format::kText : formats::Format::kJson;
    }
    if (options.compress || ends_with(options.output, ".zst")) {
      spec.zstd_level = options.compress.value_or(formats::kDefaultZstdLevel);
    }
    if (options.output_given) {
      spec.rotate_size = rotate;
      spec.rotate_count = options.rotate_count;
    }
    std::unique_ptr<formats::Output> out;
    PT_RETURN_IF_ERROR(formats::Output::Open(spec, &out));
    outputs->push_back(std::move(out));
  }
  if (!options.write_capture.empty()) {
    formats::OutputSpec spec;
    spec.format = formats::Format::kRaw;
    spec.path = options.write_capture;
    spec.force = options.force;
    if (options.compress || ends_with(options.write_capture, ".zst")) {
      spec.zstd_level = options.compress.value_or(formats::kDefaultZstdLevel);
    }
    spec.rotate_size = rotate;
    spec.rotate_count = options.rotate_count;
    std::unique_ptr<formats::Output> out;
    PT_RETURN_IF_ERROR(formats::Output::Open(spec, &out));
    outputs->push_back(std::move(out));
  }
  return Status::Ok();
}

std::vector<RecordSink*> SinksOf(const std::vector<std::unique_ptr<formats::Output>>& outputs) {
  std::vector<RecordSink*> sinks;
  for (const auto& o : outputs) sinks.push_back(o.get());
  return sinks;
}

// Ends every output; the first error wins.
Status EndOutputs(Pipeline& pipeline, std::vector<std::unique_ptr<formats::Output>>& outputs) {
  Status status = pipeline.End();
  uint64_t bytes = 0;
  for (const auto& o : outputs) bytes += o->bytes_written();
  pipeline.stats().bytes_written = bytes;
  return status;
}

// Losses the BPF side counted: with the ring buffer they are reported as
// lost records (per CPU) since the ring reports none itself; with perf
// buffers the kernel's lost events already did. Returns the total so far.
class LossWatch {
 public:
  // `live`: the BPF per-CPU counts are the stream's only loss records (a
  // ring buffer). Otherwise the perf buffers' own notifications are, as
  // they mark where in a CPU's sequence the gap is; Finish() adds what the
  // kernel never got to report (it reports at a CPU's next successful
  // write, which may never come).
  LossWatch(probes::ProbeSession* session, Pipeline* pipeline, bool live)
      : session_(session), pipeline_(pipeline), live_(live) {}

  // The total lost so far; in live mode also reports new losses.
  uint64_t Check() {
    std::vector<uint64_t> per_cpu;
    if (!session_->ReadOutputFailuresPerCpu(&per_cpu).ok()) return total_;
    seen_.resize(per_cpu.size(), 0);
    uint64_t total = 0;
    for (size_t cpu = 0; cpu < per_cpu.size(); ++cpu) {
      total += per_cpu[cpu];
      if (live_ && per_cpu[cpu] > seen_[cpu]) Report(cpu, per_cpu[cpu] - seen_[cpu]);
      seen_[cpu] = per_cpu[cpu];
    }
    total_ = std::max(total, pipeline_->stats().lost_reported);
    return total_;
  }

  // After the last drain: every loss BPF counted is in the stream.
  uint64_t Finish() {
    uint64_t total = Check();
    if (live_) return total;
    const std::map<int, uint64_t>& reported = pipeline_->stats().lost_perf_notified_by_cpu;
    for (size_t cpu = 0; cpu < seen_.size(); ++cpu) {
      auto it = reported.find(static_cast<int>(cpu));
      uint64_t already = it == reported.end() ? 0 : it->second;
      if (seen_[cpu] > already) Report(cpu, seen_[cpu] - already);
    }
    return Check();
  }

 private:
  void Report(size_t cpu, uint64_t count) {
    Lost lost;
    lost.source = LostSource::kBpfOutput;
    lost.count = count;
    lost.cpu = static_cast<int>(cpu);
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    lost.time_ns =
        static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + static_cast<uint64_t>(now.tv_nsec);
    pipeline_->OnLost(lost);
  }

  probes::ProbeSession* session_;
  Pipeline* pipeline_;
  bool live_;
  std::vector<uint64_t> seen_;
  uint64_t total_ = 0;
};

// The once-a-second status line on a terminal's stderr.
class StatusLine {
 public:
  explicit StatusLine(bool enabled) : enabled_(enabled) {}

  void Show(const Stats& stats, uint64_t lost, uint64_t bytes,
            std::chrono::duration<double> elapsed) {
    if (!enabled_) return;
    double rate = static_cast<double>(stats.records_received - last_records_);
    last_records_ = stats.records_received;
    long secs = static_cast<long>(elapsed.count());
    fprintf(stderr, "\r%llu records  %.0f/s  lost %llu  %.1f MB  %02ld:%02ld:%02ld \033[K",
            static_cast<unsigned long long>(stats.records_received), rate,
            static_cast<unsigned long long>(lost), bytes / 1048576.0, secs / 3600, secs / 60 % 60,
            secs % 60);
    shown_ = true;
  }

  void Clear() {
    if (shown_) fputs("\r\033[K", stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  uint64_t last_records_ = 0;
};

// -r: a capture replayed through the same decoder as live data.
int RunReplay(const Options& options) {
  std::vector<std::unique_ptr<formats::Output>> outputs;
  Status status = OpenOutputs(options, &outputs);
  if (!status.ok()) return Report(status);
  Pipeline pipeline(SinksOf(outputs));
  std::optional<Filter> filter;
  if (options.filtering) {
    filter.emplace(options.filter);
    pipeline.set_filter(&*filter);
  }
  pipeline.set_max_records(options.max_records);
  std::unique_ptr<formats::CaptureReader> reader;
  status = formats::CaptureReader::Open(options.read_capture, &pipeline, &reader);
  if (!status.ok()) return Report(status);
  signal(SIGPIPE, SIG_IGN);
  status = pipeline.Begin(reader->info());
  while (status.ok() && !reader->done() && pipeline.status().ok() && !pipeline.done()) {
    status = reader->Poll(0);
  }
  if (status.ok()) status = pipeline.status();
  Status ended = EndOutputs(pipeline, outputs);
  if (status.ok()) status = ended;
  if (options.stats) fputs(pipeline.stats().Summary().c_str(), stderr);
  return status.ok() ? kExitOk : Report(status);
}

// Records per reader wakeup: batched (a wakeup costs the traced task more
// than the record), except in -u mode, where a pipeline wants each record
// at once.
int WakeupBatch(const Options& options) {
  return options.unbuffered ? 1 : probes::ProgramOptions::kDefaultWakeupBatch;
}

int RunCapture(const Options& options) {
  auto started = std::chrono::steady_clock::now();
  Verbose verbose(options.verbose);
  Status status = CheckPrivileges();
  if (!status.ok()) return Report(status);

  std::vector<std::unique_ptr<formats::Output>> outputs;
  status = OpenOutputs(options, &outputs);
  if (!status.ok()) return Report(status);

  probes::KernelFeatures features = probes::ProbeKernelFeatures(options.btf_path);
  probes::BackendChoice choice;
  status = probes::ChooseBackend(features, options.backend, &choice);
  if (!status.ok()) return Report(status);
  verbose("backend %s (%s)", std::string(probes::BackendName(choice.backend)).c_str(),
          options.backend ? "requested" : "auto");
  for (const std::string& reason : choice.reasons) verbose("  not %s", reason.c_str());

  std::optional<HeldCommand> command;
  if (!options.command.empty()) {
    status = HeldCommand::Spawn(options.command, &command);
    if (!status.ok()) return Report(status);
  }

  Identity identity;
  status = LoadIdentity(options.state_dir, KernelBootUuid(), &identity);
  if (!status.ok()) return Report(status);

  probes::SessionOptions session_options;
  session_options.backend = choice.backend;
  session_options.self_tgid = static_cast<uint32_t>(getpid());
  if (command) session_options.held_commands.push_back(static_cast<uint32_t>(command->pid()));
  session_options.processes = options.pids;
  session_options.cgroup_id = options.cgroup_id;
  if (options.ring) {
    session_options.program.transport = probes::Transport::kRing;
    // The same memory as the perf buffers: pages per CPU times the CPUs,
    // rounded down to a power of two.
    long cpus = sysconf(_SC_NPROCESSORS_CONF);
    int pages = options.buffer_pages * static_cast<int>(cpus > 0 ? cpus : 1);
    int ring_pages = 1;
    while (ring_pages * 2 <= pages) ring_pages *= 2;
    session_options.program.ring_pages = ring_pages;
    session_options.program.ring_wakeup_batch = WakeupBatch(options);
  }
  session_options.cache_root = options.cache_dir;
  session_options.btf_path = options.btf_path;
  session_options.record_envp = options.envp;
  session_options.program.all_flows = options.all_flows;
  std::unique_ptr<probes::ProbeSession> session;
  status = probes::ProbeSession::Open(session_options, &session);
  if (!status.ok()) return Report(status);
  const probes::SessionTimings& t = session->timings();
  verbose("kernel headers %s %s (%.3f s)", t.tree_from_cache ? "reused from" : "built in",
          t.tree_path.c_str(), t.tree_seconds);
  verbose("%s in %.3f s, loaded in %.3f s, attached in %.3f s",
          t.image_from_cache ? "compiled program reused" : "compiled", t.compile_seconds,
          t.load_seconds, t.attach_seconds);
  for (const std::string& w : session->warnings()) verbose("warning: %s", w.c_str());

  Pipeline pipeline(SinksOf(outputs));
  std::optional<Filter> filter;
  if (options.filtering) {
    filter.emplace(options.filter);
    pipeline.set_filter(&*filter);
  }
  pipeline.set_max_records(options.max_records);
  CaptureInfo info;
  info.boot_id = identity.boot_id;
  info.machine_id = identity.machine_id;
  info.realtime_offset_ns = RealtimeOffsetNs();
  info.backend = std::string(probes::BackendName(choice.backend));
  status = pipeline.Begin(info);
  if (!status.ok()) return Report(status);
  std::vector<uint8_t> machine = MachineRecord();
  pipeline.OnRawRecord(machine.data(), machine.size());

  std::unique_ptr<RecordSource> transport;
  if (options.ring) {
    std::unique_ptr<probes::RingTransport> ring;
    status = probes::RingTransport::Open(session->events_map_fd(), &pipeline, &ring);
    transport = std::move(ring);
  } else {
    std::unique_ptr<probes::PerfTransport> perf;
    status = probes::PerfTransport::Open(session->events_map_fd(), options.buffer_pages,
                                         WakeupBatch(options), &pipeline, &perf);
    transport = std::move(perf);
  }
  if (!status.ok()) return Report(status);
  LossWatch loss(session.get(), &pipeline, options.ring);
  StatusLine status_line(!options.quiet && isatty(STDERR_FILENO));

  signal(SIGPIPE, SIG_IGN);
  InstallSignalHandlers();
  verbose("ready %.3f s after start",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (command) command->Release();
  const auto ready = std::chrono::steady_clock::now();

  int exit_code = kExitOk;
  bool lost_exit = false;
  const auto kForever = std::chrono::steady_clock::time_point::max();
  const auto deadline = options.duration_seconds
                            ? std::chrono::steady_clock::now() +
                                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::duration<double>(*options.duration_seconds))
                            : kForever;
  auto last_flush = std::chrono::steady_clock::now();
  while (true) {
    status = transport->Poll(100);
    if (!status.ok()) break;
    if (!pipeline.status().ok()) break;
    if (g_stop_signal.load() != 0) break;
    if (pipeline.done()) break;
    if (command) {
      int code;
      std::string how;
      if (command->Exited(&code, &how)) {
        exit_code = code;
        if (code >= 128) fprintf(stderr, "provtrace: command %s\n", how.c_str());
        verbose("command %s", how.c_str());
        break;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    if (now - last_flush >= std::chrono::seconds(1)) {
      pipeline.Flush();
      last_flush = now;
      uint64_t lost = loss.Check();
      uint64_t bytes = 0;
      for (const auto& o : outputs) bytes += o->bytes_written();
      status_line.Show(pipeline.stats(), lost, bytes, std::chrono::duration<double>(now - ready));
      if (lost > 0 && options.on_loss == Options::OnLoss::kExit) {
        lost_exit = true;
        break;
      }
    }
  }
  if (status.ok()) status = transport->Drain();
  uint64_t lost_total = loss.Finish();
  status_line.Clear();
  if (lost_total > 0 && options.on_loss == Options::OnLoss::kExit) lost_exit = true;

  probes::Counters counters{};
  Status counted = session->ReadCounters(&counters);
  Stats& stats = pipeline.stats();
  if (counted.ok()) {
    stats.bpf_emitted = counters[PT_COUNTER_EMITTED];
    stats.bpf_output_failed = counters[PT_COUNTER_OUTPUT_FAILED];
    stats.bpf_state_full = counters[PT_COUNTER_STATE_FULL];
    stats.bpf_path_truncated = counters[PT_COUNTER_PATH_TRUNCATED];
  }
  if (status.ok()) status = pipeline.status();
  Status ended = EndOutputs(pipeline, outputs);
  if (status.ok()) status = ended;

  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    stats.peak_rss_kib = static_cast<uint64_t>(usage.ru_maxrss);
  if (options.stats) fputs(stats.Summary().c_str(), stderr);
  if ((stats.lost() > 0 || stats.bpf_state_full > 0) &&
      options.on_loss != Options::OnLoss::kIgnore && !options.quiet) {
    fprintf(stderr, "provtrace: warning: %llu records lost, %llu state inserts failed\n",
            static_cast<unsigned long long>(stats.lost()),
            static_cast<unsigned long long>(stats.bpf_state_full));
  }
  if (!status.ok()) {
    int code = Report(status);
    if (code != kExitOk) return code;
  }
  if (lost_exit) {
    fprintf(stderr, "provtrace: records were lost; stopping (--on-loss=exit)\n");
    return kExitLoss;
  }
  return exit_code;
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
      return 0;
    case ParseOutcome::kError:
      fprintf(stderr, "provtrace: %s (see provtrace --help)\n", text.c_str());
      return 2;
    case ParseOutcome::kRun:
      break;
  }
  if (options.info) return RunInfo(options);
  if (!options.read_capture.empty()) return RunReplay(options);
  return RunCapture(options);
}
