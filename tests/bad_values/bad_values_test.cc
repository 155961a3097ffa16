// Every bad value of issue 14's list, and their like, through
// //cli:provtrace: exit 2, one line on stderr that names the option or
// the value (so that another error, such as not being root, cannot pass
// for it), no number longer than UINT64_MAX's 20 digits, nothing on stdout.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace provtrace::testing {
namespace {

struct Case {
  std::vector<std::string> args;
  std::string mentions;
};

TEST(BadValuesTest, EachIsOneUsageLine) {
  std::string dir = MakeTempDir();
  const Case cases[] = {
      // Durations that overflowed, and no duration at all.
      {{"-d", "1e10"}, "'1e10' is not a number of seconds"},
      {{"-d", "1e308"}, "'1e308' is not a number of seconds"},
      {{"-d", "nan"}, "'nan' is not a number of seconds"},
      {{"-d", "inf"}, "'inf' is not a number of seconds"},
      {{"-d", "0"}, "'0' is not a number of seconds"},
      // Empty strings for commands, scopes and paths.
      {{"-c", ""}, "-c: '' is not a command"},
      {{"--", ""}, "'' is not a command name"},
      {{"--cgroup", ""}, "--cgroup: ''"},
      {{"-r", ""}, "-r: '' is not a file name"},
      {{"-w", ""}, "-w: '' is not a file name"},
      {{"-o", ""}, "-o: '' is not a file name"},
      {{"--btf", ""}, "--btf: ''"},
      {{"--cache-dir", ""}, "--cache-dir: ''"},
      {{"--path", ""}, "--path: ''"},
      {{"--exclude-path", ""}, "--exclude-path: ''"},
      {{"--track", ""}, "--track: ''"},
      {{"-p", ""}, "-p: ''"},
      // Buffer sizes the kernel refuses.
      {{"--buffer-pages", "1048576"}, "--buffer-pages: '1048576'"},
      {{"--buffer-pages", "1048576", "--transport", "ring"}, "--buffer-pages: '1048576'"},
      // Conflicting scopes.
      {{"-p", "1", "--", "/bin/true"}, "conflicting scopes: -p and a command"},
      {{"-p", "1", "-c", "true"}, "conflicting scopes: -p and -c"},
      // A --btf that is not BTF, with and without --info.
      {{"--btf", "/etc/passwd"}, "--btf: /etc/passwd is not BTF"},
      {{"--btf", "/etc/passwd", "--info"}, "--btf: /etc/passwd is not BTF"},
      // Ranges said in a few digits.
      {{"--max-records", "0"}, "--max-records: '0'"},
      {{"-p", "abc"}, "-p: 'abc' is not a process id"},
      // A size of nothing, and an output where no file can be made.
      {{"--rotate-size", "0", "-o", dir + "/r.jsonl"}, "--rotate-size: '0'"},
      {{"-o", dir + "/no/such/dir/x.jsonl"}, "-o: cannot create"},
      {{"-w", "/etc/passwd/x"}, "-w: cannot create"},
  };
  for (const Case& c : cases) {
    // Bounded: several of these once started a capture that ran until
    // killed (timeout(1)'s 124 then fails the test instead of hanging it).
    std::vector<std::string> argv = {"/usr/bin/timeout", "60", ProvtracePath()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    RunResult run = RunProgram(argv);
    std::string what = c.args[0] + " " + (c.args.size() > 1 ? c.args[1] : "");
    EXPECT_EQ(run.exit_code, 2) << what << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << what << ": " << run.err;
    EXPECT_NE(run.err.find(c.mentions), std::string::npos) << what << ": " << run.err;
    EXPECT_FALSE(std::regex_search(run.err, std::regex("[0-9]{21}"))) << what << ": " << run.err;
    EXPECT_EQ(run.out, "") << what;
  }
}

}  // namespace
}  // namespace provtrace::testing
