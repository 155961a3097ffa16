// The documentation's examples run: provtrace(8) rendered by man(1) (its
// EXAMPLES section, as a reader sees it, markup and all), and README.md's
// code blocks, each command as its text says, with its exit status
// checked. The examples' text is the documentation's; the few changes
// made to run it here are listed in Substitute(), each with its reason.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

struct Example {
  std::string where;  // "provtrace(8)" or "README.md line N"
  std::string command;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

// provtrace(8) as man renders it, in ASCII at a width no example wraps.
std::string RenderedManPage(std::string* error) {
  RunResult r = RunProgram({"/usr/bin/env", "LC_ALL=C", "MANWIDTH=250", "/usr/bin/man", "-l", "-P",
                            "cat", Runfile("man/provtrace.8")});
  if (r.exit_code != 0) *error = "man -l failed: " + r.err;
  return r.out;
}

// The EXAMPLES section's commands: its indented lines that start with
// "provtrace".
std::vector<Example> ManExamples(const std::string& rendered) {
  std::vector<Example> examples;
  bool in_examples = false;
  for (const std::string& line : SplitLines(rendered)) {
    if (!line.empty() && line[0] != ' ') {  // a section heading
      in_examples = line == "EXAMPLES";
      continue;
    }
    std::string text = Trim(line);
    if (in_examples && text.rfind("provtrace ", 0) == 0) examples.push_back({"provtrace(8)", text});
  }
  return examples;
}

// Whether a shell command goes on to the next line: it ends in "\", or
// inside quotes.
bool Continues(const std::string& command) {
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (quote == 0 && c == '\\') {
      ++i;  // escapes the next character (a newline too)
    } else if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
  }
  return quote != 0 || (!command.empty() && command.back() == '\\');
}

// README.md's code blocks (indented four spaces): the lines that start
// with "$ ", joined with their continuation lines (a trailing "\", or an
// open quote). The
// commands of one block run in one shell, in order (a block's
// "echo $?" is about the command before it).
std::vector<std::vector<Example>> ReadmeExamples(const std::string& readme) {
  std::vector<std::vector<Example>> blocks;
  std::vector<Example> block;
  std::vector<std::string> lines = SplitLines(readme);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.rfind("    ", 0) != 0) {
      if (!block.empty()) blocks.push_back(block);
      block.clear();
      continue;
    }
    std::string text = line.substr(4);
    if (text.rfind("$ ", 0) != 0) continue;  // output, or not a command
    Example example{"README.md line " + std::to_string(i + 1), text.substr(2)};
    while (Continues(example.command) && i + 1 < lines.size()) {
      example.command += "\n" + lines[++i];
    }
    block.push_back(example);
  }
  if (!block.empty()) blocks.push_back(block);
  return blocks;
}

// What is changed to run an example here, and why.
std::string Substitute(std::string command, const std::string& work) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t at = command.find(from); at != std::string::npos;
         at = command.find(from, at + to.size())) {
      command.replace(at, from.size(), to);
    }
  };
  // This test runs as root, and Debian's root shell has no sudo.
  if (command.rfind("sudo ", 0) == 0) command = command.substr(5);
  replace("| sudo ", "| ");
  // A ten-minute capture: two seconds say as much.
  replace("-d 600", "-d 2");
  // The test must not write the system's logs (and a second run would
  // find the file there).
  replace("/var/log/", work + "/");
  // ./build.sh and make run what the test's working directory holds
  // (PrepareWorkDir): the examples' text runs as it is.
  return command;
}

// The working directory: a Makefile and a build.sh for the examples that
// build something (make, make -j2, ./build.sh).
void PrepareWorkDir(const std::string& work) {
  std::ofstream(work + "/Makefile") << "all: hello\n"
                                       "hello: hello.txt\n"
                                       "\tcp hello.txt hello\n"
                                       "hello.txt:\n"
                                       "\techo hello > hello.txt\n";
  std::ofstream(work + "/build.sh") << "#!/bin/sh\nexec make -B\n";
  chmod((work + "/build.sh").c_str(), 0755);
}

// Runs the examples in one bash session, each with its status recorded
// (and then given back to $? for the next one); returns one line per
// example that failed, with its status and output.
std::string RunExamples(const std::vector<Example>& examples, const std::string& work) {
  std::string script = "cd " + work + " || exit 99\nset -o pipefail\n";
  for (size_t i = 0; i < examples.size(); ++i) {
    script += Substitute(examples[i].command, work) + "\n";
    script +=
        "__status=$?; echo \"@@example " + std::to_string(i) + " $__status\"; (exit $__status)\n";
  }
  std::string bin = ProvtracePath();
  bin = bin.substr(0, bin.rfind('/'));
  RunResult run = RunProgram({"/usr/bin/env", "PATH=" + bin + ":/usr/sbin:/usr/bin:/sbin:/bin",
                              "/usr/bin/timeout", "600", "/bin/bash", "-c", script});
  std::string failures;
  std::vector<bool> seen(examples.size(), false);
  for (const std::string& line : SplitLines(run.out)) {
    std::smatch m;
    if (!std::regex_match(line, m, std::regex("@@example (\\d+) (\\d+)"))) continue;
    size_t i = std::stoul(m[1].str());
    seen[i] = true;
    if (m[2].str() != "0") {
      failures += examples[i].where + ": `" + examples[i].command + "` exited " + m[2].str() + "\n";
    }
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    if (!seen[i]) failures += examples[i].where + ": `" + examples[i].command + "` never ended\n";
  }
  if (!failures.empty()) {
    std::string err = run.err.size() > 1500 ? run.err.substr(run.err.size() - 1500) : run.err;
    failures += "stderr (its end):\n" + err;
  }
  return failures;
}

#define REQUIRE_ROOT() \
  if (!IsRoot()) GTEST_SKIP() << "needs root to load BPF programs"

TEST(ExamplesTest, EveryExampleInProvtrace8Runs) {
  REQUIRE_ROOT();
  std::string error;
  std::string rendered = RenderedManPage(&error);
  ASSERT_TRUE(error.empty()) << error;
  std::vector<Example> examples = ManExamples(rendered);
  ASSERT_GE(examples.size(), 3u) << "the EXAMPLES section as rendered:\n" << rendered;
  std::string work = CanonicalTempDir();
  PrepareWorkDir(work);
  EXPECT_EQ(RunExamples(examples, work), "");
}

TEST(ExamplesTest, EveryExampleInTheReadmeRuns) {
  REQUIRE_ROOT();
  std::string readme = ReadFile(Runfile("README.md"));
  ASSERT_FALSE(readme.empty());
  std::vector<std::vector<Example>> blocks = ReadmeExamples(readme);
  size_t count = 0;
  for (const auto& block : blocks) count += block.size();
  ASSERT_GE(count, 6u);
  for (const auto& block : blocks) {
    std::string work = CanonicalTempDir();
    PrepareWorkDir(work);
    EXPECT_EQ(RunExamples(block, work), "");
  }
}

// The extraction itself: what a reader sees is what runs (quotes in .B
// lines are the markup's, not the command's).
TEST(ExamplesTest, ExtractsCommandsAsRendered) {
  std::vector<Example> man = ManExamples(
      "EXAMPLES\n       Feed a pipeline:\n\n              provtrace -u -- ./build.sh | jq\n"
      "FILES\n              provtrace not-an-example\n");
  ASSERT_EQ(man.size(), 1u);
  EXPECT_EQ(man[0].command, "provtrace -u -- ./build.sh | jq");
  std::vector<std::vector<Example>> readme = ReadmeExamples(
      "text\n\n    $ sudo provtrace -q -c 'x' \\\n        | jq '.a\n           | .b'\n"
      "    {\"out\":1}\n    $ echo $?\n    0\n\nmore\n\n    provtrace [-o FILE]\n");
  ASSERT_EQ(readme.size(), 1u);
  ASSERT_EQ(readme[0].size(), 2u);
  EXPECT_EQ(readme[0][0].command,
            "sudo provtrace -q -c 'x' \\\n        | jq '.a\n           | .b'");
  EXPECT_EQ(readme[0][1].command, "echo $?");
  EXPECT_EQ(Substitute(readme[0][0].command, "/w"),
            "provtrace -q -c 'x' \\\n        | jq '.a\n           | .b'");
  EXPECT_EQ(Substitute("provtrace -d 600 -o /var/log/p.jsonl", "/w"),
            "provtrace -d 2 -o /w/p.jsonl");
}

}  // namespace
}  // namespace provtrace::testing
