// Every backend's BPF program compiles here with the BTF-derived headers,
// for either transport (perf buffers, a ring buffer: the emission code and
// so the programs' stacks differ), and defines every program its table
// attaches, even the backends this kernel will not load (they run for real
// in the kernel-matrix VM tier); and what this kernel can load of each
// passes its verifier.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <tuple>

#include "probes/compiler.h"
#include "probes/program_table.h"
#include "tests/testing/subprocess.h"

namespace provtrace::probes {
namespace {

class BackendsCompileTest : public ::testing::TestWithParam<std::tuple<Backend, Transport>> {};

TEST_P(BackendsCompileTest, CompilesDefinesAndVerifiesItsPrograms) {
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

  // Every program this kernel lets the backend load passes its verifier:
  // the kprobe backend's hooks and every backend's tracepoint and tail-call
  // programs load here even where they cannot attach (no kprobe PMU).
  // Programs of the lsm and fentry types are refused here for want of
  // their attach point (EPERM): the VM tier verifies those. Without this,
  // a program near the verifier's 1 M instructions (as
  // kprobe__security_file_permission is) could go over unseen: the VM
  // tier's older verifiers took the change that put it over on this one.
  int loaded = 0;
  for (const ProgramSpec& spec : ProgramsFor(backend)) {
    if (spec.attach == AttachKind::kLsm || spec.attach == AttachKind::kFentry) continue;
    int fd = -1;
    Status load = LoadFunction(*module, spec.function, ProgramTypeOf(spec.attach), &fd);
    EXPECT_TRUE(load.ok()) << spec.function << ": " << load.ToString();
    if (fd >= 0) {
      close(fd);
      ++loaded;
    }
  }
  std::cout << loaded << " programs verified here\n";
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
