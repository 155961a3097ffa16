// The man page and --help describe the same options.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "cli/options.h"

namespace provtrace::cli {
namespace {

std::string ManPage() {
  const char* srcdir = getenv("TEST_SRCDIR");
  std::ifstream in(std::string(srcdir ? srcdir : ".") + "/provtrace/man/provtrace.8");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ManPageTest, DocumentsExactlyTheOptionsHelpLists) {
  std::string man = ManPage();
  ASSERT_FALSE(man.empty());
  std::set<std::string> documented;
  std::regex option(R"(\\-\\-([a-z][a-z\\-]*[a-z]))");
  for (auto it = std::sregex_iterator(man.begin(), man.end(), option); it != std::sregex_iterator();
       ++it) {
    std::string name = (*it)[1].str();
    size_t pos;
    while ((pos = name.find("\\-")) != std::string::npos) name.replace(pos, 2, "-");
    documented.insert(name);
  }
  std::vector<std::string> names = LongOptionNames();
  std::set<std::string> real(names.begin(), names.end());
  for (const std::string& name : real) EXPECT_TRUE(documented.count(name)) << "--" << name;
  for (const std::string& name : documented) {
    EXPECT_TRUE(real.count(name)) << "the man page documents --" << name
                                  << ", which provtrace does not have";
  }
}

}  // namespace
}  // namespace provtrace::cli
