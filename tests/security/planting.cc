#include "tests/security/planting.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "probes/cache_dir.h"
#include "probes/kernel_tree.h"
#include "probes/program_image.h"
#include "tests/testing/subprocess.h"

namespace provtrace::testing {

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& content, mode_t mode, uid_t owner) {
  unlink(path.c_str());
  std::ofstream(path, std::ios::binary) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
  ASSERT_EQ(chown(path.c_str(), owner, owner), 0) << path;
}

std::vector<std::string> EntriesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    if (std::string(e->d_name).rfind(prefix, 0) == 0) names.push_back(e->d_name);
  }
  closedir(d);
  return names;
}

bool CopyTree(const std::string& from, const std::string& to) {
  return RunProgram({"/bin/cp", "-a", from, to}).exit_code == 0;
}

std::string DisarmedImage(const std::string& name, const std::string& sealed,
                          const std::string& function, bool reseal) {
  std::string_view body;
  bool was_sealed = probes::Unseal(name, sealed, &body);
  if (!was_sealed) body = sealed;
  // The layout is the same in every version: an older image (version 1,
  // before sealing) is parsed as the current version and written back as
  // its own. The version is the word after the 8-byte magic.
  constexpr size_t kVersionAt = 8;
  std::string bytes(body);
  if (bytes.size() < kVersionAt + 4) {
    ADD_FAILURE() << name << " is not a program image";
    return sealed;
  }
  std::string current = probes::SerializeImage(probes::ProgramImage());
  std::string version = bytes.substr(kVersionAt, 4);
  bytes.replace(kVersionAt, 4, current.substr(kVersionAt, 4));
  probes::ProgramImage image;
  Status parsed = probes::ParseImage(bytes, &image);
  EXPECT_TRUE(parsed.ok()) << parsed.ToString();
  bool found = false;
  for (probes::FunctionImage& f : image.functions) {
    if (f.name != function) continue;
    // BPF_ALU64 | BPF_MOV | BPF_K (r0 = 0), then BPF_JMP | BPF_EXIT.
    f.insns = {0xb7, 0x95};
    f.relocations.clear();
    found = true;
  }
  EXPECT_TRUE(found) << "the image has no " << function;
  std::string patched = probes::SerializeImage(image);
  patched.replace(kVersionAt, 4, version);
  if (!was_sealed) return patched;
  return reseal ? probes::Seal(name, patched) : patched + sealed.substr(sealed.size() - 32);
}

std::string PlantedHeader(const std::string& content) {
  return content + "\n#error " + kPlantedError + "\n";
}

void ResealTree(const std::string& tree) {
  std::string manifest = ReadBytes(tree + "/KEY");
  std::string key = manifest.substr(0, manifest.find('\n'));
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(tree)) {
    if (!entry.is_regular_file()) continue;  // follows links, as a reader would
    std::string relative = std::filesystem::relative(entry.path(), tree).string();
    if (relative != "KEY") files[relative] = ReadBytes(entry.path().string());
  }
  WriteBytes(tree + "/KEY", probes::TreeManifest(key, files));
}

}  // namespace provtrace::testing
