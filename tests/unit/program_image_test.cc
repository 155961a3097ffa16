// The cached program image: what goes in comes out, and bytes that are
// not a whole, consistent image are refused (a refused cache only costs a
// compile).
#include "probes/program_image.h"

#include <gtest/gtest.h>

namespace provtrace::probes {
namespace {

ProgramImage Sample() {
  ProgramImage image;
  image.license = "GPL";
  image.kern_version = 0x060100;
  image.maps.push_back({"pt_events", 4, 4, 4, 2, 0});
  image.maps.push_back({"pt_tasks", 1, 8, 64, 65536, 1});
  FunctionImage f;
  f.name = "raw_tracepoint__sys_exit";
  f.insns = {0x18, 0, 0x95, 7, 9};  // ld_imm64 (two halves), exit, ...
  f.relocations.push_back({0, 1});
  image.functions.push_back(f);
  return image;
}

TEST(ProgramImageTest, RoundTrips) {
  ProgramImage in = Sample();
  ProgramImage out;
  ASSERT_TRUE(ParseImage(SerializeImage(in), &out).ok());
  EXPECT_EQ(out.license, "GPL");
  EXPECT_EQ(out.kern_version, 0x060100u);
  ASSERT_EQ(out.maps.size(), 2u);
  EXPECT_EQ(out.maps[1].name, "pt_tasks");
  EXPECT_EQ(out.maps[1].value_size, 64u);
  EXPECT_EQ(out.maps[1].max_entries, 65536u);
  EXPECT_EQ(out.maps[1].flags, 1u);
  EXPECT_EQ(out.MapIndex("pt_tasks"), 1);
  EXPECT_EQ(out.MapIndex("nope"), -1);
  const FunctionImage* f = out.Function("raw_tracepoint__sys_exit");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->insns, in.functions[0].insns);
  ASSERT_EQ(f->relocations.size(), 1u);
  EXPECT_EQ(f->relocations[0].map, 1u);
}

TEST(ProgramImageTest, RefusesEveryTruncation) {
  std::string bytes = SerializeImage(Sample());
  ProgramImage out;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(ParseImage(bytes.substr(0, n), &out).ok()) << n;
  }
  EXPECT_FALSE(ParseImage(bytes + "x", &out).ok());
}

TEST(ProgramImageTest, RefusesAForeignFileAndBadRelocations) {
  ProgramImage out;
  std::string bytes = SerializeImage(Sample());
  std::string foreign = bytes;
  foreign[0] = 'X';
  EXPECT_FALSE(ParseImage(foreign, &out).ok());

  ProgramImage bad_map = Sample();
  bad_map.functions[0].relocations[0].map = 2;  // only two maps
  EXPECT_FALSE(ParseImage(SerializeImage(bad_map), &out).ok());

  ProgramImage bad_insn = Sample();
  bad_insn.functions[0].relocations[0].insn = 4;  // the last: no second half
  EXPECT_FALSE(ParseImage(SerializeImage(bad_insn), &out).ok());
}

}  // namespace
}  // namespace provtrace::probes
