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
  EXPECT_EQ(o.buffer_pages, 128);
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
  };
  for (const BadCase& c : cases) {
    Options o;
    std::string text;
    EXPECT_EQ(Parse(c.args, &o, &text), ParseOutcome::kError) << c.args[0];
    EXPECT_NE(text.find(c.mentions), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
  }
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
