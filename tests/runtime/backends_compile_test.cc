// Every backend's BPF program compiles here with the BTF-derived headers,
// and defines every program its table attaches, even the backends this
// kernel will not load (they run for real in the kernel-matrix VM tier).
#include <gtest/gtest.h>

#include <algorithm>

#include "probes/compiler.h"
#include "probes/program_table.h"
#include "tests/testing/subprocess.h"

namespace provtrace::probes {
namespace {

class BackendsCompileTest : public ::testing::TestWithParam<Backend> {};

TEST_P(BackendsCompileTest, CompilesAndDefinesItsPrograms) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root: BCC creates the program's maps";
  CompileOptions options;
  options.cache_root = testing::MakeTempDir() + "/cache";
  options.what = std::string(BackendName(GetParam())) + " program";
  std::unique_ptr<CompiledModule> module;
  Status s = Compile(ProgramText(GetParam()), options, &module);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<std::string> functions = module->FunctionNames();
  for (const ProgramSpec& spec : ProgramsFor(GetParam())) {
    EXPECT_NE(std::find(functions.begin(), functions.end(), spec.function), functions.end())
        << spec.function;
  }
  EXPECT_GE(module->MapFd("pt_events"), 0);
  EXPECT_GE(module->MapFd("pt_tasks"), 0);
}

INSTANTIATE_TEST_SUITE_P(AllBackends, BackendsCompileTest, ::testing::ValuesIn(kAllBackends),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return std::string(BackendName(info.param));
                         });

}  // namespace
}  // namespace provtrace::probes
