#include "cli/options.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "formats/zstd_sink.h"
#include "probes/backend.h"

namespace provtrace::cli {
namespace {

ParseOutcome Parse(std::vector<const char*> args, Options* options, std::string* text) {
  args.insert(args.begin(), "provtrace");
  return ParseOptions(static_cast<int>(args.size()), args.data(), options, text);
}

TEST(OptionsTest, Defaults) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({}, &o, &text), ParseOutcome::kRun);
  EXPECT_EQ(o.output, "-");
  EXPECT_FALSE(o.duration_seconds.has_value());
  EXPECT_FALSE(o.backend.has_value());
  EXPECT_TRUE(o.command.empty());
  EXPECT_EQ(o.buffer_pages, 512);
}

TEST(OptionsTest, CommandAfterDoubleDash) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"-v", "-o", "out.json", "--", "ls", "-l", "/tmp"}, &o, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(o.verbose, 1);
  EXPECT_EQ(o.output, "out.json");
  EXPECT_EQ(o.command, (std::vector<std::string>{"ls", "-l", "/tmp"}));
}

TEST(OptionsTest, BackendAndDuration) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--backend", "tracepoint", "-d", "2.5", "--stats"}, &o, &text),
            ParseOutcome::kRun);
  ASSERT_TRUE(o.backend.has_value());
  EXPECT_EQ(*o.backend, probes::Backend::kTracepoint);
  EXPECT_DOUBLE_EQ(*o.duration_seconds, 2.5);
  EXPECT_TRUE(o.stats);
  Options a;
  ASSERT_EQ(Parse({"--backend", "auto"}, &a, &text), ParseOutcome::kRun);
  EXPECT_FALSE(a.backend.has_value());
}

struct BadCase {
  std::vector<const char*> args;
  const char* mentions;
};

TEST(OptionsTest, BadOptionsAreOneLineErrors) {
  const BadCase cases[] = {
      {{"--no-such-flag"}, "no-such-flag"},
      {{"-d", "abc"}, "abc"},
      {{"-d", "-3"}, "-3"},
      {{"-d", "0"}, "0"},
      {{"--backend", "ebpf"}, "ebpf"},
      {{"--buffer-pages", "3"}, "power of two"},
      {{"--buffer-pages", "0"}, "0"},
      {{"--buffer-pages", "x"}, "x"},
      {{"-o"}, "output"},
      {{"--info", "--", "ls"}, "--info"},
      {{"-c", "ls", "--", "ls"}, "-c"},
      {{"--cgroup", "/tmp"}, "cgroup v2"},
      {{"--cgroup", "/no/such/dir"}, "/no/such/dir"},
      {{"-p", "999999999"}, "no process"},
      {{"-p", "abc"}, "abc"},
      {{"--node-filter", "task,bogus"}, "bogus"},
      {{"--relation-filter", "readx"}, "readx"},
      {{"--only", "nope"}, "nope"},
      {{"--track", "relative/file"}, "relative/file"},
      {{"--track", "pid:x"}, "pid:x"},
      {{"--propagate"}, "--track"},
      {{"--path", "tmp"}, "tmp"},
      {{"--on-loss", "panic"}, "panic"},
      {{"--transport", "pipe"}, "pipe"},
      {{"--max-records", "0"}, "0"},
      {{"-F", "xml"}, "xml"},
      {{"-z", "0"}, "0"},
      {{"-z", "25"}, "25"},
      {{"--rotate-size", "10X", "-o", "f"}, "10X"},
      {{"--rotate-size", "10M"}, "output file"},
      {{"--rotate-size", "0", "-o", "f"}, "at least 1"},
      {{"-o", "/nonexistent/dir/x"}, "/nonexistent/dir/x: No such file"},
      {{"-w", "/etc/passwd/x"}, "/etc/passwd/x: Not a directory"},
      {{"--rotate-count", "3"}, "--rotate-size"},
      {{"-r", "/no/such/capture"}, "/no/such/capture"},
      {{"-r", "/dev/null", "--", "ls"}, "-r"},
      {{"-r", "/dev/null", "-d", "3"}, "-r"},
      {{"-w", "same", "-o", "same"}, "same file"},
  };
  for (const BadCase& c : cases) {
    Options o;
    std::string text;
    EXPECT_EQ(Parse(c.args, &o, &text), ParseOutcome::kError) << c.args[0] << " " << c.mentions;
    EXPECT_NE(text.find(c.mentions), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
}

TEST(OptionsTest, ShellCommandScopesAndFilters) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"-c", "make -j2", "--only", "read,write", "--exclude-path", "/proc", "--track",
                   "pid:1", "--track", "/etc", "--propagate", "--on-loss", "exit", "--transport",
                   "ring", "--max-records", "10"},
                  &o, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(o.command, (std::vector<std::string>{"/bin/sh", "-c", "make -j2"}));
  EXPECT_TRUE(o.filtering);
  EXPECT_EQ(o.filter.only_relations.size(), 2u);
  EXPECT_EQ(o.filter.track_pids, (std::vector<uint32_t>{1}));
  EXPECT_EQ(o.filter.track_paths, (std::vector<std::string>{"/etc"}));
  EXPECT_TRUE(o.filter.propagate);
  EXPECT_EQ(o.on_loss, Options::OnLoss::kExit);
  EXPECT_TRUE(o.ring);
  EXPECT_EQ(o.max_records, 10u);
}

TEST(OptionsTest, CompressionLevelIsOptional) {
  Options plain, level;
  std::string text;
  ASSERT_EQ(Parse({"-z", "-o", "x"}, &plain, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(plain.compress, formats::kDefaultZstdLevel);
  ASSERT_EQ(Parse({"--compress=9"}, &level, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(level.compress, 9);
}

TEST(OptionsTest, HelpListsEveryOption) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--help"}, &o, &text), ParseOutcome::kHelp);
  for (const std::string& name : LongOptionNames()) {
    EXPECT_NE(text.find("--" + name), std::string::npos) << name;
  }
}

TEST(OptionsTest, Version) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--version"}, &o, &text), ParseOutcome::kVersion);
  EXPECT_NE(text.find("provtrace"), std::string::npos);
}

// The one-line error for `args`, or a failure when they parse.
std::string ErrorFor(std::vector<const char*> args) {
  Options o;
  std::string text;
  ParseOutcome outcome = Parse(args, &o, &text);
  EXPECT_EQ(outcome, ParseOutcome::kError) << args[0];
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  return outcome == ParseOutcome::kError ? text : "(parsed: " + text + ")";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Issue 14: -d 1e10 and 1e308 overflowed the deadline, nan never ended.
TEST(OptionsTest, DurationIsFiniteAndAtMostAYear) {
  for (const char* bad :
       {"nan", "inf", "-inf", "1e10", "1e308", "31536000.5", "0", "-3", "", "1s", " 5", "0x"}) {
    std::string text = ErrorFor({"-d", bad});
    EXPECT_TRUE(Contains(text, std::string("-d: '") + bad + "' is not a number of seconds"))
        << text;
    EXPECT_TRUE(Contains(text, "at most 31536000")) << text;
  }
  for (const char* good : {"31536000", "0.001", "2.5", "1e3"}) {
    Options o;
    std::string text;
    ASSERT_EQ(Parse({"-d", good}, &o, &text), ParseOutcome::kRun) << good << ": " << text;
    EXPECT_DOUBLE_EQ(*o.duration_seconds, std::stod(good));
  }
}

// Issue 14: CLI11's PositiveNumber printed DBL_MAX in 309 digits.
TEST(OptionsTest, NumberMessagesNameTheOptionAndTheRange) {
  const BadCase cases[] = {
      {{"--max-records", "0"},
       "--max-records: '0' is not a number of records (a whole number from 1"},
      {{"--max-records", "-1"}, "--max-records: '-1' is not a number of records"},
      {{"--max-records", "18446744073709551616"}, "is not a number of records"},
      {{"-p", "abc"}, "-p: 'abc' is not a process id (a whole number from 1 to 2147483647)"},
      {{"-p", "0"}, "-p: '0' is not a process id"},
      {{"-p", "4294967295"}, "-p: '4294967295' is not a process id"},
      {{"--buffer-pages", "1x"}, "--buffer-pages: '1x' is not a number of pages"},
      {{"--rotate-count", "0x", "--rotate-size", "1M", "-o", "f"},
       "--rotate-count: '0x' is not a number of files (a whole number from 1 to 100000)"},
      {{"-z9x"}, "-z: '9x' is not a zstd level (a whole number from 1 to 19)"},
      {{"--compress=20"}, "-z: '20' is not a zstd level"},
  };
  for (const BadCase& c : cases) {
    std::string text = ErrorFor(c.args);
    EXPECT_TRUE(Contains(text, c.mentions)) << text;
    EXPECT_FALSE(Contains(text, "179769")) << text;
    EXPECT_LT(text.size(), 200u) << text;
  }
}

// Issue 14: '' for a path or a command fell back to a default (-c '' and
// --cgroup '' traced the whole system, -r '' captured live, -w '' was
// ignored).
TEST(OptionsTest, EmptyValuesAreErrors) {
  const BadCase cases[] = {
      {{"-o", ""}, "-o: '' is not a file name"},
      {{"--output="}, "-o: '' is not a file name"},
      {{"-w", ""}, "-w: '' is not a file name"},
      {{"-r", ""}, "-r: '' is not a file name"},
      {{"--cache-dir", ""}, "--cache-dir: '' is not a directory"},
      {{"--btf", ""}, "--btf: '' is not a file name"},
      {{"--cgroup", ""}, "--cgroup: '' is not a cgroup v2 directory"},
      {{"--path", ""}, "--path: '' is not an absolute path"},
      {{"--exclude-path", ""}, "--exclude-path: '' is not an absolute path"},
      {{"-c", ""}, "-c: '' is not a command"},
      {{"--track", ""}, "--track: '' is neither an absolute path nor pid:N"},
      {{"--rotate-size", "", "-o", "f"}, "--rotate-size: '' is not a size"},
      {{"-F", ""}, "-F: '' is not a format"},
      {{"--only", ""}, "--only: '' is not a list of relation types"},
      {{"--node-filter", ","}, "--node-filter: ',' is not a list of node types"},
      {{"--", ""}, "'' is not a command name"},
  };
  for (const BadCase& c : cases) {
    std::string text = ErrorFor(c.args);
    EXPECT_TRUE(Contains(text, c.mentions)) << c.args[0] << ": " << text;
  }
}

// Issue 14: 1048576 pages lost every record; 524288 the kernel refuses
// (the perf buffer's page array must fit one 4 MiB allocation).
TEST(OptionsTest, BufferPagesAtMostWhatTheKernelAccepts) {
  for (const char* bad : {"524288", "1048576", "2147483648", "99999999999999999999"}) {
    std::string text = ErrorFor({"--buffer-pages", bad});
    EXPECT_TRUE(Contains(text, "a power of two from 1 to 262144")) << text;
    EXPECT_TRUE(Contains(text, "1 GiB per CPU")) << text;
  }
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--buffer-pages", "262144"}, &o, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(o.buffer_pages, 262144);
}

// Issue 14: -p with a command was silently ignored.
TEST(OptionsTest, ProcessesAndACommandAreConflictingScopes) {
  for (std::vector<const char*> args : std::vector<std::vector<const char*>>{
           {"-p", "1", "--", "ls"},
           {"-p", "1", "ls"},
           {"-p", "1", "-c", "ls"},
           {"-p", "1", "2"},  // one value per -p: "2" is the command
           {"--cgroup", "/sys/fs/cgroup", "--", "ls"},
           {"--cgroup", "/sys/fs/cgroup", "-c", "ls"},
       }) {
    std::string text = ErrorFor(args);
    EXPECT_TRUE(Contains(text, "conflicting scopes")) << args[0] << " " << args[2] << ": " << text;
  }
  // -p and --cgroup together are a union, not a conflict: the error here
  // is about the directory.
  std::string text = ErrorFor({"-p", "1", "--cgroup", "/no/such/cgroup"});
  EXPECT_TRUE(Contains(text, "/no/such/cgroup")) << text;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string TempPath(const char* name) {
  const char* dir = getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// A BTF header (struct btf_header, little-endian host) and its sections.
std::string BtfBytes(uint16_t magic, uint8_t version, uint32_t str_len_claimed) {
  std::string b;
  auto put16 = [&](uint16_t v) { b.append(reinterpret_cast<const char*>(&v), 2); };
  auto put32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  put16(magic);
  b.push_back(static_cast<char>(version));
  b.push_back(0);  // flags
  put32(24);       // hdr_len
  put32(0);        // type_off
  put32(0);        // type_len
  put32(0);        // str_off
  put32(str_len_claimed);
  b.push_back('\0');  // the string section: one empty string
  return b;
}

// Issue 14: --btf /etc/passwd failed later with "Unknown error 4001".
TEST(OptionsTest, BtfFileMustBeBtf) {
  EXPECT_TRUE(Contains(ErrorFor({"--btf", "/etc/passwd"}), "--btf: /etc/passwd is not BTF"));
  EXPECT_TRUE(Contains(ErrorFor({"--info", "--btf", "/etc/passwd"}), "is not BTF"));
  EXPECT_TRUE(Contains(ErrorFor({"--btf", "/tmp"}), "--btf: /tmp is not BTF"));
  std::string swapped = TempPath("swapped.btf");
  WriteFile(swapped, BtfBytes(0x9FEB, 1, 1));
  EXPECT_TRUE(Contains(ErrorFor({"--btf", swapped.c_str()}), "is not BTF"));
  std::string truncated = TempPath("truncated.btf");
  WriteFile(truncated, BtfBytes(0xEB9F, 1, 4096));
  EXPECT_TRUE(Contains(ErrorFor({"--btf", truncated.c_str()}), "is not BTF"));
  std::string version = TempPath("version.btf");
  WriteFile(version, BtfBytes(0xEB9F, 2, 1));
  EXPECT_TRUE(Contains(ErrorFor({"--btf", version.c_str()}), "is not BTF"));

  std::string good = TempPath("good.btf");
  WriteFile(good, BtfBytes(0xEB9F, 1, 1));
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--btf", good.c_str()}, &o, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(o.btf_path, good);
  // A missing file is left to the capture, which explains where BTF comes
  // from (CONFIG_DEBUG_INFO_BTF).
  Options missing;
  EXPECT_EQ(Parse({"--btf", "/no/such/btf"}, &missing, &text), ParseOutcome::kRun) << text;
}

TEST(OptionsTest, KernelBtfIsBtf) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    GTEST_SKIP() << "this kernel has no /sys/kernel/btf/vmlinux to check";
  }
  Options o;
  std::string text;
  EXPECT_EQ(Parse({"--btf", "/sys/kernel/btf/vmlinux"}, &o, &text), ParseOutcome::kRun) << text;
}

// Issue 15: `provtrace ls -d /tmp` took ls's -d; after the first operand
// everything is the command's, as with strace, time, env and sudo.
TEST(OptionsTest, TheFirstOperandEndsTheOptions) {
  struct Case {
    std::vector<const char*> args;
    std::vector<std::string> command;
  };
  const Case cases[] = {
      {{"ls", "-d", "/tmp"}, {"ls", "-d", "/tmp"}},
      {{"-o", "x", "ls", "-l", "--help"}, {"ls", "-l", "--help"}},
      {{"ls", "--", "-x"}, {"ls", "--", "-x"}},
      {{"--", "ls", "--", "-x"}, {"ls", "--", "-x"}},
      {{"--", "-weird-name"}, {"-weird-name"}},
      {{"echo", "[a,b]"}, {"echo", "[a,b]"}},
      {{"--", "echo", "[a,b]"}, {"echo", "[a,b]"}},
      {{"--path", "/tmp", "make"}, {"make"}},
  };
  for (const Case& c : cases) {
    Options o;
    std::string text;
    ASSERT_EQ(Parse(c.args, &o, &text), ParseOutcome::kRun) << c.args[0] << ": " << text;
    EXPECT_EQ(o.command, c.command) << c.args[0];
    EXPECT_FALSE(o.duration_seconds.has_value());
  }
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--path", "/tmp", "make"}, &o, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(o.filter.include_paths, (std::vector<std::string>{"/tmp"}));
}

// -z takes a level only when one follows: `-z make` compresses and traces
// make; -z before -- used to swallow the --.
TEST(OptionsTest, CompressionLevelOnlyWhenANumberFollows) {
  struct Case {
    std::vector<const char*> args;
    int level;
    std::vector<std::string> command;
  };
  const Case cases[] = {
      {{"-z", "make"}, formats::kDefaultZstdLevel, {"make"}},
      {{"-z", "--", "ls", "-l"}, formats::kDefaultZstdLevel, {"ls", "-l"}},
      {{"-z", "9", "ls"}, 9, {"ls"}},
      {{"-z9", "ls"}, 9, {"ls"}},
      {{"-qz", "7", "--", "ls"}, 7, {"ls"}},
      {{"--compress", "--", "ls"}, formats::kDefaultZstdLevel, {"ls"}},
  };
  for (const Case& c : cases) {
    Options o;
    std::string text;
    ASSERT_EQ(Parse(c.args, &o, &text), ParseOutcome::kRun) << c.args[0] << ": " << text;
    EXPECT_EQ(o.compress, c.level) << c.args[0] << " " << c.args[1];
    EXPECT_EQ(o.command, c.command) << c.args[0] << " " << c.args[1];
  }
}

// Issue 15: --help said 3, -z alone compressed at 3, a .zst name at 1.
TEST(OptionsTest, HelpStatesTheOneZstdDefault) {
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--help"}, &o, &text), ParseOutcome::kHelp);
  EXPECT_TRUE(Contains(text, "(default " + std::to_string(formats::kDefaultZstdLevel) + ")"))
      << text;
  EXPECT_FALSE(Contains(text, "default 3")) << text;
}

// Issue 15: -o x.dot wrote JSON Lines.
TEST(OptionsTest, FormatFromTheOutputName) {
  // A directory named like a format (the output's directory must exist).
  const char* tmp = getenv("TEST_TMPDIR");
  const std::string dot_dir_file = std::string(tmp != nullptr ? tmp : "/tmp") + "/dir.dot/x";
  mkdir(dot_dir_file.substr(0, dot_dir_file.size() - 2).c_str(), 0700);
  struct Case {
    std::vector<const char*> args;
    std::optional<std::string> format;
  };
  const Case cases[] = {
      {{"-o", "x.dot"}, "dot"},
      {{"-o", "x.dot.zst"}, "dot"},
      {{"-o", "x.gv"}, "dot"},
      {{"-o", "x.prov.json"}, "prov-json"},
      {{"-o", "x.spade.json.zst"}, "spade-json"},
      {{"-o", "x.json"}, "json"},
      {{"-o", "x.jsonl"}, "json"},
      {{"-o", "x.jsonl.zst"}, "json"},
      {{"-o", "x.txt"}, "text"},
      {{"-o", "x.out"}, std::nullopt},
      {{"-o", dot_dir_file.c_str()}, std::nullopt},
      {{"-o", "-"}, std::nullopt},
      {{"-F", "json", "-o", "x.dot"}, "json"},
      {{"-F", "text", "-o", "x.prov.json"}, "text"},
  };
  for (const Case& c : cases) {
    Options o;
    std::string text;
    ASSERT_EQ(Parse(c.args, &o, &text), ParseOutcome::kRun) << text;
    EXPECT_EQ(o.format, c.format) << c.args[1] << " " << (c.args.size() > 2 ? c.args[3] : "");
  }
}

// Issue 15: --only bogus listed no valid names.
TEST(OptionsTest, BadTypeNamesListTheValidOnes) {
  std::string only = ErrorFor({"--only", "read,bogus"});
  EXPECT_TRUE(Contains(only, "--only: 'bogus' is not a relation type (one of: clone, clone_mem,"))
      << only;
  for (const char* name : {"read", "write", "version_activity", "free"}) {
    EXPECT_TRUE(Contains(only, name)) << only;
  }
  std::string relation = ErrorFor({"--relation-filter", "readx"});
  EXPECT_TRUE(Contains(relation, "--relation-filter: 'readx' is not a relation type (one of:"))
      << relation;
  std::string node = ErrorFor({"--node-filter", "task,bogus"});
  EXPECT_TRUE(Contains(node, "--node-filter: 'bogus' is not a node type (one of: task,")) << node;
  for (const char* name : {"process_memory", "path", "envp", "machine"}) {
    EXPECT_TRUE(Contains(node, name)) << node;
  }
  EXPECT_FALSE(Contains(node, "unknown")) << node;
}

TEST(OptionsTest, StructuralErrorsAreOneClearLine) {
  const BadCase cases[] = {
      {{"-x"}, "unknown option '-x'"},
      {{"-qx"}, "unknown option '-x'"},
      {{"--bogus=1"}, "unknown option '--bogus'"},
      {{"-o"}, "-o/--output needs a value (FILE)"},
      {{"--duration"}, "-d/--duration needs a value (SECONDS)"},
      {{"-d", "1", "-d", "2"}, "-d: given more than once"},
      {{"--backend", "a\nb"}, "--backend: 'a\\nb' is not a backend (one of: auto, lsm, fentry"},
      {{"-F", "xml"}, "-F: 'xml' is not a format (one of: json, text, prov-json, spade-json, dot)"},
      {{"--on-loss", "panic"}, "--on-loss: 'panic' is not an action (one of: ignore, warn, exit)"},
      {{"--transport", "pipe"}, "--transport: 'pipe' is not a transport (one of: perf, ring)"},
  };
  for (const BadCase& c : cases) {
    std::string text = ErrorFor(c.args);
    EXPECT_TRUE(Contains(text, c.mentions)) << c.args[0] << ": " << text;
  }
  // A long value is cut, so the line stays readable.
  std::string long_value(5000, 'a');
  std::string text = ErrorFor({"--backend", long_value.c_str()});
  EXPECT_LT(text.size(), 300u);
}

// -r replays: every option of a live capture is an error with it, and so
// is --info.
TEST(OptionsTest, ReplayTakesNoLiveOptions) {
  for (std::vector<const char*> args : std::vector<std::vector<const char*>>{
           {"-r", "/dev/null", "--buffer-pages", "64"},
           {"-r", "/dev/null", "--envp"},
           {"-r", "/dev/null", "--all-flows"},
           {"-r", "/dev/null", "--cache-dir", "/tmp"},
           {"-r", "/dev/null", "--btf", "/sys/kernel/btf/vmlinux"},
       }) {
    std::string text = ErrorFor(args);
    EXPECT_TRUE(Contains(
        text, std::string("-r replays a capture; ") + args[2] + " applies to live captures only"))
        << text;
  }
  EXPECT_TRUE(Contains(ErrorFor({"--info", "-r", "/dev/null"}), "--info"));
}

TEST(OptionsTest, BackendNamesAreTheProbesNames) {
  for (probes::Backend backend : probes::kAllBackends) {
    std::string name(probes::BackendName(backend));
    Options o;
    std::string text;
    ASSERT_EQ(Parse({"--backend", name.c_str()}, &o, &text), ParseOutcome::kRun) << text;
    EXPECT_EQ(o.backend, backend) << name;
  }
}

// Help and version win wherever they are among the options, but not after
// the command began.
TEST(OptionsTest, HelpAmongOptionsOnly) {
  Options o;
  std::string text;
  EXPECT_EQ(Parse({"-d", "1", "--help"}, &o, &text), ParseOutcome::kHelp);
  EXPECT_EQ(Parse({"--help", "--bogus"}, &o, &text), ParseOutcome::kHelp);
  Options c;
  ASSERT_EQ(Parse({"ls", "--help"}, &c, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(c.command, (std::vector<std::string>{"ls", "--help"}));
  Options file;
  ASSERT_EQ(Parse({"-o", "--help"}, &file, &text), ParseOutcome::kRun) << text;
  EXPECT_EQ(file.output, "--help");
}

// --transport=ring: the perf buffers' memory in one ring, which the kernel
// takes up to 2 GiB (its byte size is a 32-bit power of two).
TEST(OptionsTest, RingBufferPages) {
  EXPECT_EQ(RingBufferPages(512, 2), 1024);
  EXPECT_EQ(RingBufferPages(512, 3), 1024);
  EXPECT_EQ(RingBufferPages(1, 1), 1);
  EXPECT_EQ(RingBufferPages(8, 0), 8);
  EXPECT_EQ(RingBufferPages(262144, 2), 524288);
  EXPECT_EQ(RingBufferPages(262144, 4), 524288);
  EXPECT_EQ(RingBufferPages(262144, 8192), 524288);
  EXPECT_EQ(static_cast<int64_t>(kMaxRingPages) * 4096, int64_t{1} << 31);
}

// CLI11 read a value "[a,b]" of a repeatable option as two values.
TEST(OptionsTest, ValuesAreTakenWhole) {
  EXPECT_TRUE(Contains(ErrorFor({"--path", "[/a,b]"}), "--path: '[/a,b]' is not an absolute path"));
  EXPECT_TRUE(Contains(ErrorFor({"-p", "[1,2]"}), "-p: '[1,2]' is not a process id"));
  EXPECT_TRUE(Contains(ErrorFor({"--track", "[/a,pid:1]"}), "--track: '[/a,pid:1]' is neither"));
  Options o;
  std::string text;
  ASSERT_EQ(Parse({"--exclude-path", "/[a,b]", "--exclude-path", "/c"}, &o, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(o.filter.exclude_paths, (std::vector<std::string>{"/[a,b]", "/c"}));
}

}  // namespace
}  // namespace provtrace::cli
