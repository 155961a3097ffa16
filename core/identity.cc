#include "core/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace provtrace {
namespace {

Status WriteAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return IoError("cannot write " + tmp + ": " + strerror(errno));
  bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = (fsync(fd) == 0) && ok;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return IoError("cannot write " + path + ": " + strerror(errno));
  }
  return Status::Ok();
}

uint32_t RandomNonZero() {
  std::random_device rd;
  uint32_t value = 0;
  while (value == 0) value = rd();
  return value;
}

}  // namespace

Status LoadIdentity(const std::string& state_dir, const std::string& kernel_boot_uuid,
                    Identity* identity) {
  if (mkdir(state_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("cannot create " + state_dir + ": " + strerror(errno));
  }
  // Concurrent provtrace starts must agree on the ids.
  std::string lock_path = state_dir + "/lock";
  int lock = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (lock < 0) return IoError("cannot open " + lock_path + ": " + strerror(errno));
  flock(lock, LOCK_EX);

  Status status;
  std::string machine_path = state_dir + "/machine_id";
  std::ifstream machine_in(machine_path);
  if (!(machine_in >> identity->machine_id) || identity->machine_id == 0) {
    identity->machine_id = RandomNonZero();
    status = WriteAtomically(machine_path, std::to_string(identity->machine_id) + "\n");
  }

  // boot_id file: "<counter> <kernel boot uuid>"
  std::string boot_path = state_dir + "/boot_id";
  std::ifstream boot_in(boot_path);
  uint32_t counter = 0;
  std::string seen_uuid;
  boot_in >> counter >> seen_uuid;
  if (status.ok() && (seen_uuid != kernel_boot_uuid || counter == 0)) {
    counter += 1;
    status = WriteAtomically(boot_path, std::to_string(counter) + " " + kernel_boot_uuid + "\n");
  }
  identity->boot_id = counter;
  flock(lock, LOCK_UN);
  close(lock);
  return status;
}

}  // namespace provtrace
