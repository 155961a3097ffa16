#include "core/identity.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

namespace provtrace {
namespace {

std::string TempDir() {
  std::string t =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/identity-XXXXXX";
  EXPECT_NE(mkdtemp(&t[0]), nullptr);
  return t;
}

TEST(IdentityTest, MachineIdPersistsAndBootIdCountsBoots) {
  std::string dir = TempDir() + "/state";
  Identity first, again, next_boot;
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &first).ok());
  EXPECT_NE(first.machine_id, 0u);
  EXPECT_EQ(first.boot_id, 1u);
  ASSERT_TRUE(LoadIdentity(dir, "boot-a", &again).ok());
  EXPECT_EQ(again.machine_id, first.machine_id);
  EXPECT_EQ(again.boot_id, 1u);
  ASSERT_TRUE(LoadIdentity(dir, "boot-b", &next_boot).ok());
  EXPECT_EQ(next_boot.machine_id, first.machine_id);
  EXPECT_EQ(next_boot.boot_id, 2u);
}

TEST(IdentityTest, UnwritableStateDirIsAnError) {
  Identity id;
  Status s = LoadIdentity("/proc/provtrace-cannot-exist", "boot", &id);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.cause().find("/proc/provtrace-cannot-exist"), std::string::npos);
}

}  // namespace
}  // namespace provtrace
