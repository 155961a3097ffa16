#include "cli/capture.h"

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/outputs.h"
#include "cli/privileges.h"
#include "cli/report.h"
#include "core/identity.h"
#include "core/machine.h"
#include "core/pipeline.h"
#include "core/reorder.h"
#include "probes/drain_timer.h"
#include "probes/features.h"
#include "probes/perf_transport.h"
#include "probes/probe_session.h"
#include "probes/ring_transport.h"

namespace provtrace::cli {
namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<pid_t> g_command_pid{0};

void OnStopSignal(int sig) {
  if (g_stop_signal.exchange(sig) == SIGINT && sig == SIGINT) {
    // A second Ctrl-C: the user wants out now, drained or not; the command
    // does not outlive provtrace.
    pid_t command = g_command_pid.load();
    if (command > 0) kill(command, SIGKILL);
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

// Losses the BPF side counted, per CPU, against what the stream already
// says: perf buffers report their refusals themselves, in place (at the
// CPU's next successful write, which may never come); a ring buffer's are
// marked by the BPF side at the CPU's next record. What neither got to
// say is put in the stream when the capture ends.
class LossWatch {
 public:
  LossWatch(probes::ProbeSession* session, Pipeline* pipeline, RecordHandler* stream, bool ring)
      : session_(session), pipeline_(pipeline), stream_(stream), ring_(ring) {}

  // Records lost so far (BPF's count).
  uint64_t Check() {
    std::vector<pt_cpu_counters> per_cpu;
    if (!session_->ReadCpuCounters(&per_cpu).ok()) return total_;
    uint64_t total = 0;
    for (const pt_cpu_counters& c : per_cpu) total += c.count[PT_COUNTER_OUTPUT_FAILED];
    total_ = std::max(total, pipeline_->stats().lost_reported);
    return total_;
  }

  // After the programs are detached and the buffers drained: every loss
  // BPF counted goes into the stream.
  uint64_t Finish() {
    std::vector<pt_cpu_counters> per_cpu;
    if (!session_->ReadCpuCounters(&per_cpu).ok()) return Check();
    const std::map<int, uint64_t>& notified = pipeline_->stats().lost_perf_notified_by_cpu;
    for (size_t cpu = 0; cpu < per_cpu.size(); ++cpu) {
      uint64_t failed = per_cpu[cpu].count[PT_COUNTER_OUTPUT_FAILED];
      uint64_t already = per_cpu[cpu].count[PT_COUNTER_LOSS_REPORTED];
      if (!ring_) {
        auto it = notified.find(static_cast<int>(cpu));
        already = it == notified.end() ? 0 : it->second;
      }
      if (failed > already) Report(cpu, failed - already);
    }
    return Check();
  }

 private:
  void Report(size_t cpu, uint64_t count) {
    Lost lost;
    lost.source = LostSource::kBpfOutput;
    lost.count = count;
    lost.cpu = static_cast<int>(cpu);
    lost.time_ns = probes::BootTimeNs();
    stream_->OnLost(lost);
  }

  probes::ProbeSession* session_;
  Pipeline* pipeline_;
  RecordHandler* stream_;
  bool ring_;
  uint64_t total_ = 0;
};

// The once-a-second status line on a terminal's stderr. When standard
// output is the same terminal, records are written between BeforeRecords
// (the line is cleared) and AfterRecords (it is drawn again below them),
// so records and the status never share a line; messages clear it too.
class StatusLine : public formats::SharedTerminal {
 public:
  explicit StatusLine(bool enabled) : enabled_(enabled) {}

  void Show(const Stats& stats, uint64_t lost, uint64_t bytes,
            std::chrono::duration<double> elapsed) {
    if (!enabled_) return;
    double rate = static_cast<double>(stats.records_received - last_records_);
    last_records_ = stats.records_received;
    long secs = static_cast<long>(elapsed.count());
    char line[160];
    snprintf(line, sizeof(line), "%llu records  %.0f/s  lost %llu  %.1f MB  %02ld:%02ld:%02ld",
             static_cast<unsigned long long>(stats.records_received), rate,
             static_cast<unsigned long long>(lost), bytes / 1048576.0, secs / 3600, secs / 60 % 60,
             secs % 60);
    text_ = line;
    Draw();
  }

  void Clear() {
    if (shown_) fputs("\r\033[K", stderr);
    shown_ = false;
  }

  // No more status: the capture is ending.
  void Finish() {
    Clear();
    enabled_ = false;
  }

  // A line of its own on stderr, "provtrace: " and the text.
  template <typename... Args>
  void Say(const char* fmt, Args... args) {
    Clear();
    fprintf(stderr, "provtrace: ");
    fprintf(stderr, fmt, args...);
    fputc('\n', stderr);
  }

  void BeforeRecords() override { Clear(); }
  void AfterRecords() override {
    if (enabled_ && !text_.empty()) Draw();
  }

 private:
  void Draw() {
    fprintf(stderr, "\r%s \033[K", text_.c_str());
    shown_ = true;
  }

  bool enabled_;
  bool shown_ = false;
  std::string text_;
  uint64_t last_records_ = 0;
};

// Whether standard output and standard error are the same terminal.
bool StdoutIsStderrsTerminal() {
  struct stat out, err;
  return isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) && fstat(STDOUT_FILENO, &out) == 0 &&
         fstat(STDERR_FILENO, &err) == 0 && out.st_rdev == err.st_rdev;
}

// A pipe or socket on standard output whose reader went away: poll says
// so at once (POLLERR), where a write would find out only at the next
// flush, up to a second later, and not at all while nothing is written.
class ReaderWatch {
 public:
  explicit ReaderWatch(bool records_on_stdout) {
    struct stat st;
    watching_ = records_on_stdout && fstat(STDOUT_FILENO, &st) == 0 &&
                (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  }
  bool Gone() const {
    if (!watching_) return false;
    struct pollfd fd = {STDOUT_FILENO, 0, 0};
    return poll(&fd, 1, 0) == 1 && (fd.revents & (POLLERR | POLLHUP)) != 0;
  }

 private:
  bool watching_ = false;
};

// Why the capture loop stopped.
enum class Stop {
  kCommandEnded,
  kSignal,
  kDuration,
  kMaxRecords,
  kLoss,  // --on-loss=exit
  kReaderGone,
  kError,
};

const char* SignalName(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGKILL:
      return "SIGKILL";
  }
  return "a signal";
}

std::string StopText(Stop stop, int sig, const Options& options) {
  char text[128];
  switch (stop) {
    case Stop::kSignal:
      snprintf(text, sizeof(text), "stopping on %s", SignalName(sig));
      return text;
    case Stop::kDuration:
      snprintf(text, sizeof(text), "-d %g expired", *options.duration_seconds);
      return text;
    case Stop::kMaxRecords:
      snprintf(text, sizeof(text), "--max-records %llu reached",
               static_cast<unsigned long long>(options.max_records));
      return text;
    case Stop::kLoss:
      return "records were lost (--on-loss=exit)";
    case Stop::kReaderGone:
      return "the reader of standard output went away";
    case Stop::kError:
      return "stopping on an error";
    case Stop::kCommandEnded:
      break;
  }
  return "stopping";
}

// How long the command has to end after a terminal's Ctrl-C (which reaches
// it too) before it is sent SIGTERM, and after SIGTERM before SIGKILL.
constexpr auto kInterruptGrace = std::chrono::milliseconds(500);
constexpr auto kTerminateGrace = std::chrono::seconds(2);

// provtrace stopped before its command ended: the command, and what it
// left running, must not go on unobserved. It gets SIGTERM (after a Ctrl-C,
// a moment to end of its own first), then SIGKILL; the probes stay attached
// meanwhile, so its end is recorded.
void EndCommand(HeldCommand& command, Stop stop, int sig, const Options& options,
                RecordSource* transport, bool transport_ok, StatusLine& status_line) {
  using Clock = std::chrono::steady_clock;
  auto wait_until = [&](Clock::time_point deadline) {
    while (command.AnyAlive() && Clock::now() < deadline) {
      if (transport_ok) {
        transport_ok = transport->Poll(50).ok();
      } else {
        usleep(50000);
      }
    }
    return !command.AnyAlive();
  };
  if (stop == Stop::kSignal && sig == SIGINT && wait_until(Clock::now() + kInterruptGrace)) {
    return;
  }
  if (!command.AnyAlive()) return;
  int code;
  std::string how;
  std::string whom = command.Exited(&code, &how)
                         ? std::string("the processes it left")
                         : "the command (pid " + std::to_string(command.pid()) + ")";
  status_line.Say("%s before the command ended: sending SIGTERM to %s",
                  StopText(stop, sig, options).c_str(), whom.c_str());
  command.SignalAll(SIGTERM);
  if (wait_until(Clock::now() + kTerminateGrace)) return;
  status_line.Say("the command did not end within %lld s of SIGTERM: sending SIGKILL",
                  static_cast<long long>(kTerminateGrace.count()));
  command.SignalAll(SIGKILL);
  wait_until(Clock::now() + kTerminateGrace);
}

// Records per reader wakeup: batched (a wakeup costs the traced task more
// than the record), except in -u mode, where a pipeline wants each record
// at once.
int WakeupBatch(const Options& options) {
  return options.unbuffered ? 1 : probes::ProgramOptions::kDefaultWakeupBatch;
}

probes::SessionOptions SessionOptionsFor(const Options& options, probes::Backend backend,
                                         bool atomics, const std::optional<HeldCommand>& command) {
  probes::SessionOptions session_options;
  session_options.backend = backend;
  session_options.self_tgid = static_cast<uint32_t>(getpid());
  if (command) session_options.held_commands.push_back(static_cast<uint32_t>(command->pid()));
  session_options.processes = options.pids;
  session_options.cgroup_id = options.cgroup_id;
  if (options.ring) {
    session_options.program.transport = probes::Transport::kRing;
    // The same memory as the perf buffers, at most 2 GiB (cli/options.h).
    session_options.program.ring_pages =
        RingBufferPages(options.buffer_pages, sysconf(_SC_NPROCESSORS_CONF));
    session_options.program.ring_wakeup_batch = WakeupBatch(options);
  }
  session_options.cache_root = options.cache_dir;
  session_options.btf_path = options.btf_path;
  session_options.record_envp = options.envp;
  session_options.program.all_flows = options.all_flows;
  session_options.program.atomics = atomics;
  return session_options;
}

Status OpenTransport(const Options& options, const probes::ProbeSession& session,
                     RecordHandler* handler, std::unique_ptr<RecordSource>* transport) {
  if (options.ring) {
    std::unique_ptr<probes::RingTransport> ring;
    PT_RETURN_IF_ERROR(probes::RingTransport::Open(session.events_map_fd(), handler, &ring));
    *transport = std::move(ring);
    return Status::Ok();
  }
  std::unique_ptr<probes::PerfTransport> perf;
  PT_RETURN_IF_ERROR(probes::PerfTransport::Open(session.events_map_fd(), options.buffer_pages,
                                                 WakeupBatch(options), handler, &perf));
  *transport = std::move(perf);
  return Status::Ok();
}

}  // namespace

int RunCapture(const Options& options) {
  auto started = std::chrono::steady_clock::now();
  Verbose verbose(options.verbose);
  Status status = CheckPrivileges();
  if (!status.ok()) return Report(status);

  const bool records_on_stdout = WritesToStdout(options);
  StatusLine status_line(!options.quiet && isatty(STDERR_FILENO));
  Outputs outputs;
  bool shared_terminal =
      !options.quiet && records_on_stdout && options.output == "-" && StdoutIsStderrsTerminal();
  status = OpenOutputs(options, &outputs, shared_terminal ? &status_line : nullptr);
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
    // Records on standard output (a pipe, a file) must not mix with the
    // command's own output: that goes to provtrace's standard error, as
    // strace's does. On a terminal the command keeps it.
    CommandIo io;
    io.stdout_to_stderr = records_on_stdout && !isatty(STDOUT_FILENO);
    status = HeldCommand::Spawn(options.command, io, &command);
    if (!status.ok()) return Report(status);
  }

  Identity identity;
  status = LoadIdentity(options.state_dir, KernelBootUuid(), &identity);
  if (!status.ok()) return Report(status);
  for (const std::string& w : identity.warnings)
    fprintf(stderr, "provtrace: warning: %s\n", w.c_str());

  // Loaded, not attached: the transport connects to the programs' output
  // first, so nothing they emit is refused for want of a buffer.
  std::unique_ptr<probes::ProbeSession> session;
  status = probes::ProbeSession::Open(
      SessionOptionsFor(options, choice.backend, features.atomics.ok, command), &session);
  if (!status.ok()) return Report(status);
  const probes::SessionTimings& t = session->timings();
  // Refused cache entries are said always: someone may be attacking it.
  for (const std::string& w : t.cache_warnings)
    fprintf(stderr, "provtrace: warning: %s\n", w.c_str());
  verbose("kernel headers %s %s (%.3f s)", t.tree_from_cache ? "reused from" : "built in",
          t.tree_path.c_str(), t.tree_seconds);

  Pipeline pipeline(SinksOf(outputs));
  std::optional<Filter> filter;
  if (options.filtering) {
    filter.emplace(options.filter);
    pipeline.set_filter(&*filter);
  }
  pipeline.set_max_records(options.max_records);
  // The transport's lanes (CPUs) merged into one stream in time order.
  Reorderer stream(&pipeline);
  CaptureInfo info;
  info.boot_id = identity.boot_id;
  info.machine_id = identity.machine_id;
  info.realtime_offset_ns = RealtimeOffsetNs();
  info.backend = std::string(probes::BackendName(choice.backend));
  status = pipeline.Begin(info);
  if (!status.ok()) return Report(status);
  std::vector<uint8_t> machine = MachineRecord();
  stream.OnRawRecord(machine.data(), machine.size());

  std::unique_ptr<RecordSource> transport;
  status = OpenTransport(options, *session, &stream, &transport);
  if (!status.ok()) return Report(status);
  status = session->Attach();
  if (!status.ok()) return Report(status);
  verbose("%s in %.3f s, loaded in %.3f s, attached in %.3f s",
          t.image_from_cache ? "compiled program reused" : "compiled", t.compile_seconds,
          t.load_seconds, t.attach_seconds);
  for (const std::string& w : session->warnings()) verbose("warning: %s", w.c_str());
  LossWatch loss(session.get(), &pipeline, &stream, options.ring);
  ReaderWatch reader(records_on_stdout);

  signal(SIGPIPE, SIG_IGN);
  InstallSignalHandlers();
  verbose("ready %.3f s after start",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (command) {
    g_command_pid.store(command->pid());
    command->Release();
  }
  const auto ready = std::chrono::steady_clock::now();

  int exit_code = kExitOk;
  Stop stop = Stop::kError;
  int stop_signal = 0;
  const auto kForever = std::chrono::steady_clock::time_point::max();
  const auto deadline = options.duration_seconds
                            ? std::chrono::steady_clock::now() +
                                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::duration<double>(*options.duration_seconds))
                            : kForever;
  // -u: records go out within a few tens of milliseconds of being made.
  const int poll_ms = options.unbuffered ? 10 : 100;
  auto last_flush = std::chrono::steady_clock::now();
  while (true) {
    status = transport->Poll(poll_ms);
    if (!status.ok()) {
      stop = Stop::kError;
      break;
    }
    if (!pipeline.status().ok()) {
      stop =
          pipeline.status().code() == StatusCode::kOutputClosed ? Stop::kReaderGone : Stop::kError;
      break;
    }
    if ((stop_signal = g_stop_signal.load()) != 0) {
      stop = Stop::kSignal;
      break;
    }
    if (pipeline.done()) {
      stop = Stop::kMaxRecords;
      break;
    }
    if (command) {
      int code;
      std::string how;
      if (command->Exited(&code, &how)) {
        stop = Stop::kCommandEnded;
        exit_code = code;
        if (code >= 128 || options.verbose) status_line.Say("command %s", how.c_str());
        break;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      stop = Stop::kDuration;
      break;
    }
    if (reader.Gone()) {
      stop = Stop::kReaderGone;
      break;
    }
    if (options.unbuffered) pipeline.Flush();
    if (now - last_flush >= std::chrono::seconds(1)) {
      pipeline.Flush();
      last_flush = now;
      ReportOutputWarnings(outputs, options.quiet);
      uint64_t lost = loss.Check() + OutputLost(outputs);
      status_line.Show(pipeline.stats(), lost, BytesWritten(outputs),
                       std::chrono::duration<double>(now - ready));
      if (lost > 0 && options.on_loss == Options::OnLoss::kExit) {
        stop = Stop::kLoss;
        break;
      }
    }
  }
  // Stopped before the command ended: it is ended too, and provtrace's
  // status says why it stopped (provtrace(8), EXIT STATUS).
  if (command && stop != Stop::kCommandEnded) {
    pipeline.Flush();  // what came so far, before what is said about it
    EndCommand(*command, stop, stop_signal, options, transport.get(), status.ok(), status_line);
    int code;
    std::string how;
    if (command->Exited(&code, &how)) {
      // After Ctrl-C, a command that died of the terminal's SIGINT ended
      // as expected: nothing to say.
      bool interrupted = stop == Stop::kSignal && stop_signal == SIGINT && code == 128 + SIGINT;
      if (!interrupted || options.verbose) status_line.Say("command %s", how.c_str());
    } else {
      status_line.Say("warning: the command (pid %d) is still running", command->pid());
    }
  }
  g_command_pid.store(0);
  switch (stop) {
    case Stop::kCommandEnded:
      break;
    case Stop::kSignal:
      exit_code = command ? 128 + stop_signal : kExitOk;
      break;
    case Stop::kDuration:
    case Stop::kMaxRecords:
      exit_code = command ? kExitCommandCut : kExitOk;
      break;
    case Stop::kLoss:
    case Stop::kReaderGone:
    case Stop::kError:
      exit_code = kExitOk;  // the status or the loss says it
      break;
  }
  bool lost_exit = stop == Stop::kLoss;
  // Stop in this order, so that what was sent is exactly what arrived plus
  // what was counted lost: no program runs any more, then the buffers are
  // read to their end, then the counters.
  Status detached = session->Detach();
  if (status.ok()) status = detached;
  Status drained = transport->Drain();
  if (status.ok()) status = drained;
  uint64_t lost_total = loss.Finish();
  stream.Flush();
  status_line.Finish();
  if (lost_total > 0 && options.on_loss == Options::OnLoss::kExit) lost_exit = true;

  probes::Counters counters{};
  Status counted = session->ReadCounters(&counters);
  Stats& stats = pipeline.stats();
  if (counted.ok()) {
    stats.bpf_emitted = counters[PT_COUNTER_EMITTED];
    stats.bpf_output_failed = counters[PT_COUNTER_OUTPUT_FAILED];
    stats.bpf_state_full = counters[PT_COUNTER_STATE_FULL];
    stats.bpf_path_truncated = counters[PT_COUNTER_PATH_TRUNCATED];
    stats.bpf_redescribed = counters[PT_COUNTER_REDESCRIBED];
  }
  stats.records_late = stream.late();
  stats.reorder_peak_held = stream.peak_held();
  if (status.ok()) status = pipeline.status();
  Status ended = EndOutputs(pipeline, outputs, options.quiet);
  if (status.ok()) status = ended;
  if (stats.output_lost() > 0 && options.on_loss == Options::OnLoss::kExit) lost_exit = true;

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

}  // namespace provtrace::cli
