#include "cli/options.h"

#include <gtest/gtest.h>

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
  ASSERT_EQ(Parse({"-c", "make -j2", "-p", "1", "--only", "read,write", "--exclude-path", "/proc",
                   "--track", "pid:1", "--track", "/etc", "--propagate", "--on-loss", "exit",
                   "--transport", "ring", "--max-records", "10"},
                  &o, &text),
            ParseOutcome::kRun)
      << text;
  EXPECT_EQ(o.command, (std::vector<std::string>{"/bin/sh", "-c", "make -j2"}));
  EXPECT_EQ(o.pids, (std::vector<uint32_t>{1}));
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
  EXPECT_EQ(plain.compress, 3);
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

}  // namespace
}  // namespace provtrace::cli
