// The kernel headers provtrace synthesizes from BTF must give BCC exactly
// the kernel's layout for every field the probes read. This compiles a BPF
// program that reports offsetof/sizeof of each listed field (with the same
// tree and flags the real programs use), runs it once, and compares every
// number with the kernel's BTF.
#include <bcc/bcc_common.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "probes/compiler.h"
#include "probes/embedded_files.h"
#include "tests/testing/subprocess.h"

namespace provtrace::probes {
namespace {

struct Field {
  std::string type;  // struct name
  std::string path;  // a or a.b
  bool optional = false;  // PT_KERNEL_FIELD_OPTIONAL: read only where the kernel has it
};

std::vector<Field> ListedFields() {
  std::vector<Field> fields;
  std::string def(EmbeddedFileContent("probes/bpf/kernel_fields.def"));
  std::regex entry(R"(PT_KERNEL_FIELD(_OPTIONAL)?\((\w+),\s*([\w.]+)\))");
  for (auto it = std::sregex_iterator(def.begin(), def.end(), entry); it != std::sregex_iterator();
       ++it) {
    fields.push_back({(*it)[2].str(), (*it)[3].str(), (*it)[1].matched});
  }
  return fields;
}

// Finds `name` among the members of composite type `id`, looking inside
// anonymous struct/union members too; adds its bit offset to *bits.
const btf_member* FindMember(const btf* btf, uint32_t id, const std::string& name, uint32_t* bits) {
  const btf_type* t = btf__type_by_id(btf, id);
  const btf_member* m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); ++i, ++m) {
    const char* member_name = btf__name_by_offset(btf, m->name_off);
    uint32_t offset = btf_member_bit_offset(t, i);
    if (member_name != nullptr && name == member_name) {
      *bits += offset;
      return m;
    }
    if (member_name == nullptr || member_name[0] == '\0') {
      int inner = btf__resolve_type(btf, m->type);
      const btf_type* it = btf__type_by_id(btf, inner);
      if (btf_is_composite(it)) {
        uint32_t nested = 0;
        if (const btf_member* found = FindMember(btf, inner, name, &nested)) {
          *bits += offset + nested;
          return found;
        }
      }
    }
  }
  return nullptr;
}

// Offset and size of struct `type`'s field `path` according to BTF.
// *flexible: the field is a flexible array member (sizeof cannot name it).
bool BtfLayout(const btf* btf, const Field& field, uint64_t* offset, uint64_t* size,
               bool* flexible = nullptr) {
  int id = btf__find_by_name_kind(btf, field.type.c_str(), BTF_KIND_STRUCT);
  if (id < 0) return false;
  uint32_t bits = 0;
  std::stringstream parts(field.path);
  std::string part;
  const btf_member* member = nullptr;
  uint32_t current = static_cast<uint32_t>(id);
  while (std::getline(parts, part, '.')) {
    member = FindMember(btf, current, part, &bits);
    if (member == nullptr) return false;
    current = static_cast<uint32_t>(btf__resolve_type(btf, member->type));
  }
  *offset = bits / 8;
  *size = static_cast<uint64_t>(btf__resolve_size(btf, member->type));
  if (flexible != nullptr) {
    const btf_type* t = btf__type_by_id(btf, btf__resolve_type(btf, member->type));
    *flexible = btf_is_array(t) && btf_array(t)->nelems == 0;
  }
  return true;
}

// Compiles a program reporting offsetof/sizeof of `fields` with the same
// kernel tree and flags as the real probes, runs it once, and returns the
// numbers BCC's compilation produced, two per field.
std::vector<uint64_t> BccLayouts(const std::vector<Field>& fields, std::string* error) {
  btf* btf = btf__parse("/sys/kernel/btf/vmlinux", nullptr);
  if (btf == nullptr) {
    *error = "cannot parse the kernel's BTF";
    return {};
  }
  std::ostringstream text;
  text << "BPF_ARRAY(pt_layout, u64, " << 2 * fields.size() << ");\n"
       << "RAW_TRACEPOINT_PROBE(pt_layout_report) {\n  u32 k; u64 v;\n";
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    uint64_t offset, size;
    bool flexible = false;
    BtfLayout(btf, f, &offset, &size, &flexible);
    text << "  k = " << 2 * i << "; v = __builtin_offsetof(struct " << f.type << ", " << f.path
         << "); pt_layout.update(&k, &v);\n";
    if (!flexible) {  // a flexible array's size is 0, which BTF says too
      text << "  k = " << 2 * i + 1 << "; v = sizeof(((struct " << f.type << " *)0)->" << f.path
           << "); pt_layout.update(&k, &v);\n";
    }
  }
  text << "  return 0;\n}\n";
  btf__free(btf);

  CompileOptions options;
  options.cache_root = testing::MakeTempDir() + "/cache";
  options.what = "layout test program";
  std::unique_ptr<CompiledModule> module;
  Status compiled = Compile(text.str(), options, &module);
  if (!compiled.ok()) {
    *error = compiled.ToString();
    return {};
  }
  const char* fn = "raw_tracepoint__pt_layout_report";
  void* handle = module->handle();
  std::vector<char> log(1 << 20);
  int prog = bcc_func_load(handle, BPF_PROG_TYPE_RAW_TRACEPOINT, fn,
                           static_cast<const bpf_insn*>(bpf_function_start(handle, fn)),
                           static_cast<int>(bpf_function_size(handle, fn)),
                           bpf_module_license(handle), bpf_module_kern_version(handle), 0,
                           log.data(), static_cast<unsigned>(log.size()), nullptr, -1);
  if (prog < 0) {
    *error = std::string("load failed: ") + log.data();
    return {};
  }
  LIBBPF_OPTS(bpf_test_run_opts, run);
  int ran = bpf_prog_test_run_opts(prog, &run);
  close(prog);
  if (ran != 0) {
    *error = std::string("test run failed: ") + strerror(errno);
    return {};
  }
  std::vector<uint64_t> values(2 * fields.size());
  int map = module->MapFd("pt_layout");
  for (uint32_t k = 0; k < values.size(); ++k) bpf_map_lookup_elem(map, &k, &values[k]);
  return values;
}

void ExpectLayoutsMatchBtf(const std::vector<Field>& fields, bool nonempty) {
  std::string error;
  std::vector<uint64_t> bcc = BccLayouts(fields, &error);
  ASSERT_EQ(bcc.size(), 2 * fields.size()) << error;
  btf* btf = btf__parse("/sys/kernel/btf/vmlinux", nullptr);
  ASSERT_NE(btf, nullptr);
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    uint64_t btf_offset = 0, btf_size = 0;
    ASSERT_TRUE(BtfLayout(btf, f, &btf_offset, &btf_size)) << f.type << "." << f.path;
    EXPECT_EQ(bcc[2 * i], btf_offset) << "offsetof(struct " << f.type << ", " << f.path << ")";
    EXPECT_EQ(bcc[2 * i + 1], btf_size) << "sizeof(struct " << f.type << "." << f.path << ")";
    if (nonempty) EXPECT_GT(bcc[2 * i + 1], 0u) << f.type << "." << f.path;
  }
  btf__free(btf);
}

TEST(LayoutTest, EveryFieldTheProbesReadMatchesTheKernelsBtf) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  std::vector<Field> listed = ListedFields();
  ASSERT_GE(listed.size(), 10u);
  btf* btf = btf__parse("/sys/kernel/btf/vmlinux", nullptr);
  ASSERT_NE(btf, nullptr);
  std::vector<Field> fields;
  for (const Field& f : listed) {
    uint64_t offset, size;
    if (f.optional && !BtfLayout(btf, f, &offset, &size)) {
      std::cout << "not on this kernel (optional): " << f.type << "." << f.path << "\n";
      continue;
    }
    fields.push_back(f);
  }
  btf__free(btf);
  ExpectLayoutsMatchBtf(fields, /*nonempty=*/false);
}

// A layout trap shifts every member after it, so also check all named,
// byte-aligned members of each struct the probes read: a field added to
// kernel_fields.def later is then already known to be right.
TEST(LayoutTest, EveryMemberOfTheStructsTheProbesReadMatches) {
  if (!testing::IsRoot()) GTEST_SKIP() << "needs root to load BPF programs";
  btf* btf = btf__parse("/sys/kernel/btf/vmlinux", nullptr);
  ASSERT_NE(btf, nullptr);
  std::set<std::string> structs;
  for (const Field& f : ListedFields()) structs.insert(f.type);
  std::vector<Field> members;
  for (const std::string& name : structs) {
    int id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_STRUCT);
    ASSERT_GE(id, 0) << name;
    const btf_type* t = btf__type_by_id(btf, id);
    const btf_member* m = btf_members(t);
    for (int i = 0; i < btf_vlen(t); ++i, ++m) {
      const char* member = btf__name_by_offset(btf, m->name_off);
      if (member == nullptr || member[0] == '\0') continue;
      if (btf_member_bitfield_size(t, i) != 0) continue;  // offsetof() cannot name these
      members.push_back({name, member});
    }
  }
  btf__free(btf);
  ASSERT_GT(members.size(), 100u);
  // Some members are legitimately empty structs (e.g. kmap_ctrl).
  ExpectLayoutsMatchBtf(members, /*nonempty=*/false);
}

}  // namespace
}  // namespace provtrace::probes
