// Every backend's BPF program compiles here with the BTF-derived headers,
// for either transport (perf buffers, a ring buffer: the emission code and
// so the programs' stacks differ), and defines every program its table
// attaches, even the backends this kernel will not load (they run for real
// in the kernel-matrix VM tier).
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

#include "probes/compiler.h"
#include "probes/program_table.h"
#include "tests/testing/subprocess.h"

namespace provtrace::probes {
namespace {

class BackendsCompileTest : public ::testing::TestWithParam<std::tuple<Backend, Transport>> {};

TEST_P(BackendsCompileTest, CompilesAndDefinesItsPrograms) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root: BCC creates the program's maps";
  CompileOptions options;
  options.cache_root = testing::MakeTempDir() + "/cache";
  Backend backend = std::get<0>(GetParam());
  ProgramOptions program;
  program.transport = std::get<1>(GetParam());
  if (program.transport == Transport::kRing) program.ring_pages = 64;
  options.what = std::string(BackendName(backend)) + " program";
  std::unique_ptr<CompiledModule> module;
  Status s = Compile(ProgramText(backend, program), options, &module);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> functions = module->FunctionNames();
  for (const ProgramSpec& spec : ProgramsFor(backend)) {
    EXPECT_NE(std::find(functions.begin(), functions.end(), spec.function), functions.end())
        << spec.function;
  }
  EXPECT_GE(module->MapFd("pt_events"), 0);
  EXPECT_GE(module->MapFd("pt_tasks"), 0);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendsCompileTest,
                         ::testing::Combine(::testing::ValuesIn(kAllBackends),
                                            ::testing::Values(Transport::kPerf, Transport::kRing)),
                         [](const ::testing::TestParamInfo<std::tuple<Backend, Transport>>& info) {
                           return std::string(BackendName(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) == Transport::kRing ? "_ring" : "_perf");
                         });

}  // namespace
}  // namespace provtrace::probes
