#include "formats/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace provtrace::formats {
namespace {

constexpr size_t kMaxNameLength = 255;  // NAME_MAX
constexpr int kTempAttempts = 16;

// "dir/name" -> "dir", "name"; "name" -> ".", "name"; "/name" -> "/".
void SplitPath(const std::string& path, std::string* dir, std::string* name) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    *dir = ".";
    *name = path;
  } else {
    *dir = slash == 0 ? "/" : path.substr(0, slash);
    *name = path.substr(slash + 1);
  }
}

// A name beside `name` that nobody can guess ahead of us: a dot, as much of
// the name as fits, and random hex.
std::string TempName(const std::string& name) {
  unsigned char random[8] = {};
  if (getrandom(random, sizeof(random), 0) != static_cast<ssize_t>(sizeof(random))) {
    // No entropy (never on Linux 3.17+): O_EXCL still makes it safe, only
    // guessable.
    uint64_t fallback = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ULL;
    memcpy(random, &fallback, sizeof(random));
  }
  char hex[2 * sizeof(random) + 1];
  for (size_t i = 0; i < sizeof(random); ++i) snprintf(hex + 2 * i, 3, "%02x", random[i]);
  const std::string suffix = std::string(".provtrace-") + hex;
  size_t room = kMaxNameLength - 1 - suffix.size();
  return "." + name.substr(0, room) + suffix;
}

Status Exists(const std::string& path, const struct stat& st) {
  if (S_ISLNK(st.st_mode)) {
    return InvalidArgument("output file " + path + " is a symbolic link",
                           "provtrace does not write through symlinks; name another file, or "
                           "pass --force to replace the link itself");
  }
  return InvalidArgument("output file " + path + " exists",
                         "remove it, name another file, or pass --force to replace it");
}

// --force: a new file, renamed over `path` (a regular file or a symbolic
// link, or nothing, by now). The directory is held open, so that the new
// file and the rename are in the same directory whatever happens to the
// path's other components meanwhile.
Status ReplaceWithNewFile(const std::string& path, int* out) {
  std::string dir, name;
  SplitPath(path, &dir, &name);
  int dirfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return IoError("cannot open the directory of " + path + ": " + strerror(errno));
  int fd = -1;
  std::string temp;
  for (int attempt = 0; fd < 0 && attempt < kTempAttempts; ++attempt) {
    temp = TempName(name);
    fd = openat(dirfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    int err = errno;
    close(dirfd);
    return IoError("cannot create a file beside " + path + " to replace it: " + strerror(err));
  }
  // Exactly 0600, whatever the umask took away.
  Status status;
  if (fchmod(fd, 0600) != 0) {
    status = IoError("cannot set the mode of " + path + ": " + strerror(errno));
  } else if (renameat(dirfd, temp.c_str(), dirfd, name.c_str()) != 0) {
    status = IoError("cannot replace " + path + ": " + strerror(errno));
  }
  if (!status.ok()) {
    unlinkat(dirfd, temp.c_str(), 0);
    close(fd);
    close(dirfd);
    return status;
  }
  // In a directory others may write (without the sticky bit), the new file
  // could have been swapped for another between its creation and the
  // rename: the name must now be the file provtrace writes.
  struct stat mine, named;
  bool same = fstat(fd, &mine) == 0 &&
              fstatat(dirfd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
              mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
  close(dirfd);
  if (!same) {
    close(fd);
    return IoError("output file " + path + " was replaced by another while provtrace made it",
                   "write into a directory no one else can write");
  }
  *out = fd;
  return Status::Ok();
}

}  // namespace

Status OpenOutputFile(const std::string& path, bool force, int* out) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    *out = fd;
    return Status::Ok();
  }
  if (errno != EEXIST) return IoError("cannot create " + path + ": " + strerror(errno));
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    // Gone again since: as if it had never been there, once.
    if (force) return ReplaceWithNewFile(path, out);
    fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return IoError("cannot create " + path + ": " + strerror(errno));
    *out = fd;
    return Status::Ok();
  }
  if (S_ISDIR(st.st_mode)) return InvalidArgument("output file " + path + " is a directory");
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
    // A device or a FIFO (-o /dev/null, a named pipe): nothing to clobber.
    fd = open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return IoError("cannot open " + path + ": " + strerror(errno));
    *out = fd;
    return Status::Ok();
  }
  if (!force) return Exists(path, st);
  struct stat target;
  if (S_ISLNK(st.st_mode) && stat(path.c_str(), &target) == 0 && !S_ISREG(target.st_mode)) {
    // /dev/stdout, /dev/fd/1 and their like: replacing them would break
    // the system, and writing through them is what provtrace never does.
    return InvalidArgument(
        "output file " + path + " is a symbolic link to a device, a FIFO or a directory",
        "name the device itself, or -o - for standard output");
  }
  return ReplaceWithNewFile(path, out);
}

}  // namespace provtrace::formats
