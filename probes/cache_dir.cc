#include "probes/cache_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace provtrace::probes {

uint64_t Fnv1a(const std::string& data, uint64_t hash) {
  // Eight bytes a step (the kernel's BTF is hashed at every start).
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t word;
    memcpy(&word, data.data() + i, 8);
    hash ^= word;
    hash *= 1099511628211ULL;
  }
  for (; i < data.size(); ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  return hash;
}

std::string HexKey(uint64_t hash) {
  char key[32];
  snprintf(key, sizeof(key), "%016llx", static_cast<unsigned long long>(hash));
  return key;
}

Status MakeDirs(const std::string& dir, mode_t mode) {
  std::string partial;
  std::stringstream parts(dir);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) {
      if (partial.empty()) partial = "/";
      continue;
    }
    if (!partial.empty() && partial.back() != '/') partial += '/';
    partial += part;
    if (mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return IoError("cannot create directory " + partial + ": " + strerror(errno));
    }
  }
  return Status::Ok();
}

Status CheckPrivateDir(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    return IoError("cannot inspect " + dir + ": " + strerror(errno));
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    return Status(StatusCode::kPermissionDenied,
                  "cache " + dir + " is not a private directory owned by this user",
                  "remove it, or make it owned by root with mode 0700");
  }
  return Status::Ok();
}

Status WriteNewFile(const std::string& path, const std::string& content) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot create " + path + ": " + strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return IoError("cannot write " + path + ": " + strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return IoError("cannot write " + path + ": " + strerror(errno));
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = mkstemp(&tmp[0]);
  if (fd < 0) return IoError("cannot create a file beside " + path + ": " + strerror(errno));
  close(fd);
  unlink(tmp.c_str());
  Status written = WriteNewFile(tmp, content);
  if (written.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    written = IoError("cannot install " + path + ": " + strerror(errno));
  }
  if (!written.ok()) unlink(tmp.c_str());
  return written;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  // sysfs files (the kernel's BTF) report their size; others may not.
  size_t want = fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 65536;
  out->clear();
  std::string chunk(want + 1, '\0');
  while (true) {
    ssize_t n = read(fd, &chunk[0], chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      errno = err;
      return false;
    }
    if (n == 0) break;
    out->append(chunk.data(), static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

}  // namespace provtrace::probes
