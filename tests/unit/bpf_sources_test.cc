// Checks on the embedded BPF C that need no kernel: the program table and
// the sources agree, every kernel field read is listed for the layout test,
// and the record header embedded is byte for byte the one C++ compiles.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "probes/embedded_files.h"
#include "probes/kernel_tree.h"
#include "probes/program_table.h"

namespace provtrace::probes {
namespace {

std::string RunfilesPath(const std::string& rel) {
  const char* srcdir = getenv("TEST_SRCDIR");
  return std::string(srcdir ? srcdir : ".") + "/provtrace/" + rel;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> ListedFields() {
  std::set<std::string> fields;
  std::string def(EmbeddedFileContent("probes/bpf/kernel_fields.def"));
  std::regex entry(R"(PT_KERNEL_FIELD(?:_OPTIONAL)?\((\w+),\s*([\w.]+)\))");
  for (auto it = std::sregex_iterator(def.begin(), def.end(), entry); it != std::sregex_iterator();
       ++it) {
    fields.insert((*it)[2].str());
  }
  return fields;
}

TEST(BpfSourcesTest, RecordHeaderIsEmbeddedVerbatim) {
  std::string on_disk = Slurp(RunfilesPath("core/record.h"));
  ASSERT_FALSE(on_disk.empty());
  EXPECT_EQ(std::string(EmbeddedFileContent("core/record.h")), on_disk);
}

TEST(BpfSourcesTest, EveryBackendDefinesTheProgramsItsTableNames) {
  for (Backend b : kAllBackends) {
    std::string text = ProgramText(b);
    for (const ProgramSpec& spec : ProgramsFor(b)) {
      // BCC's macros, and PT_SECURITY_HOOK, build the function name from
      // the hook name. (The runtime backends_compile_test checks the
      // compiled names.)
      std::string hook = spec.function.substr(spec.function.find("__") + 2);
      std::string bare = hook.rfind("security_", 0) == 0 ? hook.substr(9) : hook;
      bool defined = text.find(spec.function + "(") != std::string::npos ||
                     text.find("(" + hook + ",") != std::string::npos ||
                     text.find("(" + hook + ")") != std::string::npos ||
                     text.find("PT_SECURITY_HOOK(" + bare + ",") != std::string::npos;
      EXPECT_TRUE(defined) << BackendName(b) << " lacks " << spec.function;
    }
    for (const std::string& file : SourceFilesFor(b)) {
      EXPECT_FALSE(EmbeddedFileContent(file).empty()) << file;
    }
  }
}

TEST(BpfSourcesTest, EveryFieldReadIsListedForTheLayoutTest) {
  std::set<std::string> listed = ListedFields();
  ASSERT_FALSE(listed.empty());
  // The field argument of every kernel-touching macro.
  std::regex read(R"(PT_READ\(\s*[\w.>-]+\s*,\s*([\w.]+)\s*\))");
  std::regex read_into(R"(PT_READ_INTO\([^,]+,\s*[\w.>-]+\s*,\s*([\w.]+)\s*\))");
  std::regex member(R"(PT_MEMBER_PTR\(\s*[\w.>-]+\s*,\s*([\w.]+)\s*\))");
  std::regex container(R"(PT_CONTAINER_OF\([^,]+,\s*struct\s+\w+\s*,\s*([\w.]+)\s*\))");
  std::regex span_first(R"(PT_READ_SPAN\([^,]+,\s*[\w.>-]+\s*,\s*([\w.]+)\s*,)");
  std::regex span_last(R"(PT_READ_SPAN\([^,]+,\s*[\w.>-]+\s*,\s*[\w.]+\s*,\s*([\w.]+)\s*\))");
  std::regex span_field(R"(PT_SPAN_FIELD\([^,]+,\s*struct\s+\w+\s*,\s*[\w.]+\s*,\s*([\w.]+)\s*\))");
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    std::string name = kEmbeddedFiles[i].name;
    if (name.rfind("probes/bpf/", 0) != 0 || name.find(".def") != std::string::npos) continue;
    std::string text(kEmbeddedFiles[i].data, kEmbeddedFiles[i].size);
    for (const std::regex& re :
         {read, read_into, member, container, span_first, span_last, span_field}) {
      for (auto it = std::sregex_iterator(text.begin(), text.end(), re);
           it != std::sregex_iterator(); ++it) {
        std::string field = (*it)[1].str();
        // macro definitions
        if (field == "field" || field == "member" || field == "first" || field == "last") continue;
        EXPECT_TRUE(listed.count(field))
            << name << " reads " << field << ", which kernel_fields.def does not list";
      }
    }
  }
}

TEST(KernelTreeTest, ReferencedTypesComeFromTheProgramText) {
  std::vector<std::string> names =
      ReferencedTypeNames("struct task_struct *t; union bpf_attr a; enum pid_type p;");
  std::set<std::string> set(names.begin(), names.end());
  EXPECT_TRUE(set.count("struct task_struct"));
  EXPECT_TRUE(set.count("union bpf_attr"));
  EXPECT_TRUE(set.count("enum pid_type"));
  EXPECT_TRUE(set.count("u64"));
  EXPECT_TRUE(set.count("struct pt_regs"));
}

TEST(KernelTreeTest, HooksComeFromTheProgramText) {
  std::vector<std::string> hooks = ReferencedHookNames(
      "PT_SECURITY_HOOK(task_alloc, struct task_struct *t) {}\n"
      "#if PT_HOOK_ARGC(inode_setattr) == 3\nLSM_PROBE(mmap_file, struct file *f)");
  EXPECT_EQ(hooks, (std::vector<std::string>{"inode_setattr", "task_alloc"}));
}

// Every security hook the backends declare is checked against BTF.
TEST(KernelTreeTest, EverySecurityBackendNamesItsHooks) {
  for (Backend backend : {Backend::kLsm, Backend::kFentry, Backend::kKprobe}) {
    std::vector<std::string> hooks = ReferencedHookNames(ProgramText(backend));
    std::set<std::string> set(hooks.begin(), hooks.end());
    for (const char* hook : {"task_alloc", "inode_setattr", "inode_rename", "file_permission"}) {
      EXPECT_TRUE(set.count(hook)) << BackendName(backend) << " " << hook;
    }
  }
}

TEST(KernelTreeTest, FlagsHandleTheBitfieldLayoutTrap) {
  std::vector<std::string> flags = KernelTreeCflags();
  EXPECT_NE(std::find(flags.begin(), flags.end(), "-ffine-grained-bitfield-accesses"), flags.end());
}

}  // namespace
}  // namespace provtrace::probes
