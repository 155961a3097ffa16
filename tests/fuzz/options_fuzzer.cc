// libFuzzer target: arbitrary argument vectors through the option parser.
// Every outcome must be run, help, version or a usage error of one line;
// the parser must not throw, crash or print; and a command line it accepts
// must keep the promises cli/options.h makes (ranges, no empty names, no
// conflicting scopes).
//
// The input: a byte from 0x80 to 0xfe is an argument of its own, a token
// of Tokens() (every option name; values at and past each limit); other
// bytes make up raw arguments, which a NUL ends (0xff takes the next byte
// as it is). So one inserted byte adds an option or a value, where plain
// byte mutations seldom build "-d" followed by "nan" as two arguments.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/options.h"
#include "formats/output.h"

namespace {

constexpr size_t kMaxArgs = 64;
constexpr size_t kMaxErrorLine = 512;

int g_printed = -1;  // a memfd standing in for stdout and stderr during a parse

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  fprintf(stderr, "options_fuzzer: %s: %s\n", what, detail.c_str());
  abort();
}

constexpr size_t kTokenBytes = 0xff - 0x80;  // 0x80 to 0xfe

// Values at and past the limits of the options, and odd shapes of
// arguments, separated by spaces; Tokens() adds "", a value with a newline
// and every long option name.
const char kValues[] =
    "-o -F -w -r -z -d -v -u -c -p -q -h -V -qz -z9 -ofile -x -- - = nan inf 1e308 1e10 31536000 "
    "31536001 0.5 1e-400 0 -1 1 19 20 262144 524288 1048576 2147483647 2147483648 4294967295 "
    "18446744073709551616 json text dot prov-json raw lsm tracepoint ring exit read,write "
    "task,bogus , pid:1 pid: pid:100000 10M 0k / /tmp /dev/null /etc/passwd "
    "/sys/kernel/btf/vmlinux /sys/fs/cgroup x.dot x.prov.json.zst ls [a,b]";

const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> tokens = [] {
    std::vector<std::string> t = {"", "a\nb"};
    std::istringstream values(kValues);
    for (std::string value; values >> value;) t.push_back(value);
    for (const std::string& name : provtrace::cli::LongOptionNames()) t.push_back("--" + name);
    if (t.size() > kTokenBytes) Fail("more tokens than token bytes", std::to_string(t.size()));
    return t;
  }();
  return tokens;
}

// What the parser wrote on stdout or stderr while it ran.
std::string Printed() {
  off_t size = lseek(g_printed, 0, SEEK_END);
  std::string bytes(static_cast<size_t>(size > 0 ? size : 0), '\0');
  if (size > 0 && pread(g_printed, bytes.data(), bytes.size(), 0) < 0) bytes = "(unreadable)";
  return bytes;
}

void CheckAccepted(const provtrace::cli::Options& o) {
  using namespace provtrace::cli;
  if (o.output.empty()) Fail("accepted an empty -o", "");
  if (!o.command.empty() && o.command[0].empty()) Fail("accepted an empty command name", "");
  if (!o.command.empty() && (!o.pids.empty() || !o.cgroup.empty()))
    Fail("accepted a command with -p or --cgroup", o.command[0]);
  if (!o.command.empty() && !o.read_capture.empty()) Fail("accepted -r with a command", "");
  if (o.duration_seconds) {
    double d = *o.duration_seconds;
    if (!std::isfinite(d) || d <= 0 || d > kMaxDurationSeconds)
      Fail("accepted a duration out of range", std::to_string(d));
  }
  if (o.buffer_pages < 1 || o.buffer_pages > kMaxBufferPages ||
      (o.buffer_pages & (o.buffer_pages - 1)) != 0)
    Fail("accepted --buffer-pages", std::to_string(o.buffer_pages));
  if (o.compress && (*o.compress < 1 || *o.compress > 19))
    Fail("accepted a zstd level", std::to_string(*o.compress));
  if (o.format && !provtrace::formats::ParseFormat(*o.format)) Fail("accepted -F", *o.format);
  for (uint32_t pid : o.pids) {
    if (pid == 0) Fail("accepted -p 0", "");
  }
  for (const auto* list : {&o.filter.include_paths, &o.filter.exclude_paths}) {
    for (const std::string& p : *list) {
      if (p.empty() || p[0] != '/') Fail("accepted a relative --path", p);
    }
  }
  if (o.rotate_count > 0 && o.rotate_size.empty()) Fail("accepted --rotate-count alone", "");
}

}  // namespace

// With OPTIONS_FUZZER_SEEDS=DIR: writes the seed corpus to DIR and exits.
// It is every option token followed by every token, so every option meets
// every value at and past its limits before the first mutation (a value
// out of range takes the same path as one in range: coverage alone would
// not lead there).
void WriteSeeds(const std::string& dir) {
  const std::vector<std::string>& tokens = Tokens();
  int written = 0;
  for (size_t option = 0; option < tokens.size(); ++option) {
    const std::string& name = tokens[option];
    if (name.size() < 2 || name[0] != '-' || name == "--") continue;
    for (size_t value = 0; value < tokens.size(); ++value) {
      const uint8_t seed[2] = {static_cast<uint8_t>(0x80 + option),
                               static_cast<uint8_t>(0x80 + value)};
      std::string path = dir + "/pair-" + std::to_string(option) + "-" + std::to_string(value);
      FILE* f = fopen(path.c_str(), "wb");
      if (f == nullptr || fwrite(seed, 1, sizeof(seed), f) != sizeof(seed) || fclose(f) != 0)
        Fail("cannot write a seed", path);
      ++written;
    }
  }
  printf("options_fuzzer: %d seeds in %s\n", written, dir.c_str());
  exit(0);
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = getenv("OPTIONS_FUZZER_SEEDS")) WriteSeeds(dir);
  g_printed = memfd_create("options_fuzzer_printed", MFD_CLOEXEC);
  if (g_printed < 0) Fail("memfd_create", "");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace provtrace::cli;
  std::vector<std::string> args = {"provtrace"};
  std::string raw;
  bool after_token = false;  // a NUL right after a token ends no raw argument
  for (size_t i = 0; i < size && args.size() <= kMaxArgs; ++i) {
    uint8_t byte = data[i];
    if (byte >= 0x80 && byte != 0xff) {
      if (!raw.empty()) args.push_back(raw);
      raw.clear();
      args.push_back(Tokens()[(byte - 0x80) % Tokens().size()]);
      after_token = true;
      continue;
    }
    if (byte == '\0') {
      if (!after_token) args.push_back(raw);
      raw.clear();
    } else if (byte == 0xff) {
      if (++i < size) raw.push_back(static_cast<char>(data[i]));
    } else {
      raw.push_back(static_cast<char>(byte));
    }
    after_token = false;
  }
  if (!raw.empty() && args.size() <= kMaxArgs) args.push_back(raw);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  Options options;
  std::string text;
  // Whatever the parser prints lands in g_printed, which must stay empty.
  fflush(stdout);
  fflush(stderr);
  int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
  ftruncate(g_printed, 0);
  lseek(g_printed, 0, SEEK_SET);
  dup2(g_printed, STDOUT_FILENO);
  dup2(g_printed, STDERR_FILENO);
  ParseOutcome outcome = ParseOptions(static_cast<int>(args.size()), argv.data(), &options, &text);
  fflush(stdout);
  fflush(stderr);
  dup2(saved_out, STDOUT_FILENO);
  dup2(saved_err, STDERR_FILENO);
  close(saved_out);
  close(saved_err);
  std::string printed = Printed();
  if (!printed.empty()) Fail("the parser printed", printed);

  switch (outcome) {
    case ParseOutcome::kRun:
      CheckAccepted(options);
      break;
    case ParseOutcome::kHelp:
      if (text.find("Usage:") == std::string::npos) Fail("help without a usage line", text);
      break;
    case ParseOutcome::kVersion:
      if (text.rfind("provtrace ", 0) != 0) Fail("version text", text);
      break;
    case ParseOutcome::kError:
      if (text.empty()) Fail("an error without a message", "");
      if (text.size() > kMaxErrorLine) Fail("an error longer than a line", text);
      for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) Fail("an error with a control character", text);
      }
      if (text.rfind("internal error", 0) == 0) Fail("the parser threw", text);
      break;
    default:
      Fail("an outcome that is none of run, help, version, error",
           std::to_string(static_cast<int>(outcome)));
  }
  return 0;
}
