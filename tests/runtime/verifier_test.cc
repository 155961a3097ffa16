// A program the verifier rejects is one line naming the file that holds
// the verifier's log, not the log on the terminal.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include "probes/compiler.h"
#include "tests/testing/subprocess.h"

namespace provtrace::probes {
namespace {

TEST(VerifierTest, RejectionIsOneLineNamingTheLogFile) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  // Reads the stack at an index it never bounds: no verifier accepts that.
  const char* text = R"(
RAW_TRACEPOINT_PROBE(pt_broken) {
  char buf[16] = {};
  u32 i = bpf_get_prandom_u32();
  return buf[i];
}
)";
  CompileOptions options;
  options.cache_root = testing::MakeTempDir() + "/cache";
  std::unique_ptr<CompiledModule> module;
  Status compiled = Compile(text, options, &module);
  ASSERT_TRUE(compiled.ok()) << compiled.ToString();
  int fd = -1;
  Status s = LoadFunction(*module, "raw_tracepoint__pt_broken", BPF_PROG_TYPE_RAW_TRACEPOINT, &fd);
  EXPECT_LT(fd, 0);
  ASSERT_EQ(s.code(), StatusCode::kKernelRejected) << s.ToString();
  std::string line = s.ToString();
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  size_t at = line.find("verifier log in ");
  ASSERT_NE(at, std::string::npos) << line;
  std::string path = line.substr(at + 16, line.find(' ', at + 16) - (at + 16));
  std::string log = testing::ReadFile(path);
  EXPECT_NE(log.find("raw_tracepoint__pt_broken"), std::string::npos);
  EXPECT_NE(log.find("invalid"), std::string::npos) << log.substr(0, 2000);
}

}  // namespace
}  // namespace provtrace::probes
