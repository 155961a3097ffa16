#include "core/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace provtrace {
namespace {

// The state files are trusted the way the cache is (probes/cache_dir.h,
// which core cannot use): the directory is walked from "/" by descriptor
// without following symbolic links, every ancestor root's (or this user's)
// and writable by nobody else unless it is a root-owned sticky directory
// (/tmp), the directory itself this user's and writable by nobody else;
// each file is opened relative to it without following a link and checked
// on its descriptor. The ids are not secret (0644), only their integrity
// matters.

constexpr off_t kMaxStateFileBytes = 4096;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(-1); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string ModeText(mode_t mode) {
  char text[16];
  snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string OwnerText(uid_t uid) { return uid == 0 ? "root" : "uid " + std::to_string(uid); }

// Why a directory on the way to the state (or, last, the state directory
// itself) may not be trusted; "" if it may.
std::string DirProblem(const struct stat& st, bool last) {
  if (S_ISLNK(st.st_mode)) return "is a symbolic link";
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (st.st_uid != 0 && st.st_uid != geteuid()) return "is owned by " + OwnerText(st.st_uid);
  bool root_sticky = (st.st_mode & S_ISVTX) && st.st_uid == 0;
  if ((st.st_mode & 022) && (last || !root_sticky)) {
    return "is writable by group or others (mode " + ModeText(st.st_mode) + ")";
  }
  return "";
}

std::string FileProblem(const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  if (st.st_uid != geteuid()) {
    return "is owned by " + OwnerText(st.st_uid) + ", not " + OwnerText(geteuid());
  }
  if (st.st_mode & 022) return "is writable by group or others (mode " + ModeText(st.st_mode) + ")";
  if (st.st_nlink != 1) return "has " + std::to_string(st.st_nlink) + " hard links";
  if (st.st_size > kMaxStateFileBytes) return "is too large";
  return "";
}

std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

// The state directory, walked from "/" and created (0755) where missing.
Status OpenStateDir(const std::string& state_dir, Fd* out) {
  std::string absolute = state_dir;
  if (absolute.empty() || absolute[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      return IoError("cannot resolve " + state_dir + ": " + strerror(errno));
    }
    absolute = Join(cwd, state_dir);
  }
  std::vector<std::string> parts;
  for (size_t start = 0; start <= absolute.size();) {
    size_t end = absolute.find('/', start);
    if (end == std::string::npos) end = absolute.size();
    std::string part = absolute.substr(start, end - start);
    if (part == "..") return InvalidArgument("state directory " + state_dir + " contains '..'");
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  struct stat st;
  std::string shown = "/";
  Fd dir(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || fstat(dir.get(), &st) != 0) {
    return IoError("cannot open /: " + std::string(strerror(errno)));
  }
  for (size_t i = 0; i <= parts.size(); ++i) {
    bool last = i == parts.size();
    std::string problem = DirProblem(st, last);
    if (!problem.empty()) {
      return Status(StatusCode::kPermissionDenied,
                    "state directory " + state_dir + " is not safe: " + shown + " " + problem,
                    "every directory up to it must be root's and writable by nobody else");
    }
    if (last) break;
    shown = Join(shown, parts[i]);
    const char* name = parts[i].c_str();
    int fd = openat(dir.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(dir.get(), name, 0755) != 0 && errno != EEXIST) {
        return IoError("cannot create " + shown + ": " + strerror(errno));
      }
      fd = openat(dir.get(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) return IoError("cannot open " + shown + ": " + strerror(errno));
    dir.Reset(fd);
    if (fstat(dir.get(), &st) != 0)
      return IoError("cannot inspect " + shown + ": " + strerror(errno));
  }
  // "." relative to the checked descriptor: no name is resolved again.
  out->Reset(openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (out->get() < 0) return IoError("cannot open " + shown + ": " + strerror(errno));
  return Status::Ok();
}

// A state file's content. False with *why empty: there is none; with *why
// set: refused (one line naming the path and why).
bool ReadStateFile(int dir, const std::string& shown, const char* name, std::string* content,
                   std::string* why) {
  why->clear();
  content->clear();
  Fd fd(openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return false;
    *why = shown + (errno == ELOOP ? " is a symbolic link" : ": " + std::string(strerror(errno)));
    return false;
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    *why = shown + ": " + strerror(errno);
    return false;
  }
  std::string problem = FileProblem(st);
  if (!problem.empty()) {
    *why = shown + " " + problem;
    return false;
  }
  char buffer[kMaxStateFileBytes + 1];
  ssize_t n;
  while ((n = read(fd.get(), buffer, sizeof(buffer))) < 0 && errno == EINTR) {
  }
  if (n < 0) {
    *why = shown + ": " + strerror(errno);
    return false;
  }
  content->assign(buffer, static_cast<size_t>(n));
  return true;
}

// Replaces name whole (0644, fsync'd): a new file beside it, renamed over
// whatever had the name (a refused file or link is replaced, not followed).
Status WriteStateFile(int dir, const std::string& shown, const char* name,
                      const std::string& content) {
  std::string tmp = std::string(name) + ".tmp";
  unlinkat(dir, tmp.c_str(), 0);  // a leftover; the lock is held
  Fd fd(openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (fd.get() < 0) return IoError("cannot write " + shown + ".tmp: " + strerror(errno));
  bool ok = write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = fsync(fd.get()) == 0 && ok;
  fd.Reset(-1);
  if (!ok) {
    int err = errno;
    unlinkat(dir, tmp.c_str(), 0);
    return IoError("cannot write " + shown + ": " + strerror(err));
  }
  if (renameat(dir, tmp.c_str(), dir, name) != 0) {
    // An empty directory planted under the name is removed; a full one
    // is an error.
    bool replaced = errno == EISDIR && unlinkat(dir, name, AT_REMOVEDIR) == 0 &&
                    renameat(dir, tmp.c_str(), dir, name) == 0;
    if (!replaced) {
      int err = errno;
      unlinkat(dir, tmp.c_str(), 0);
      return IoError("cannot write " + shown + ": " + strerror(err));
    }
  }
  return Status::Ok();
}

// The lock file, replaced if it is not a private regular file of ours.
Status OpenLock(int dir, const std::string& shown, std::vector<std::string>* warnings, Fd* lock) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int flags = O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    lock->Reset(openat(dir, "lock", attempt == 0 ? flags : flags | O_EXCL, 0644));
    std::string problem;
    struct stat st;
    if (lock->get() < 0) {
      if (errno != ELOOP) return IoError("cannot open " + shown + ": " + strerror(errno));
      problem = "is a symbolic link";
    } else if (fstat(lock->get(), &st) != 0) {
      return IoError("cannot inspect " + shown + ": " + strerror(errno));
    } else {
      problem = FileProblem(st);
      if (problem.empty()) return Status::Ok();
    }
    warnings->push_back("ignoring state file: " + shown + " " + problem + "; replacing it");
    lock->Reset(-1);
    if (unlinkat(dir, "lock", 0) != 0 && errno == EISDIR) unlinkat(dir, "lock", AT_REMOVEDIR);
  }
  return IoError("cannot replace " + shown);
}

// "<digits>\n" with a value in (0, 2^32).
bool ParseId(const std::string& text, uint32_t* id) {
  char* end = nullptr;
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  unsigned long long value = strtoull(text.c_str(), &end, 10);
  if (*end == '\n') ++end;
  if (*end != '\0' || value == 0 || value > 0xffffffffULL) return false;
  *id = static_cast<uint32_t>(value);
  return true;
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
  identity->warnings.clear();
  Fd dir;
  PT_RETURN_IF_ERROR(OpenStateDir(state_dir, &dir));
  // Concurrent provtrace starts must agree on the ids.
  Fd lock;
  PT_RETURN_IF_ERROR(OpenLock(dir.get(), Join(state_dir, "lock"), &identity->warnings, &lock));
  flock(lock.get(), LOCK_EX);

  auto refuse = [&](const std::string& why, const char* remedy) {
    identity->warnings.push_back("ignoring state file: " + why + "; " + remedy);
  };
  Status status;
  std::string text, why;
  std::string machine_path = Join(state_dir, "machine_id");
  bool have_machine = ReadStateFile(dir.get(), machine_path, "machine_id", &text, &why) &&
                      ParseId(text, &identity->machine_id);
  if (!have_machine) {
    if (!why.empty()) {
      refuse(why, "making a new machine id");
    } else if (!text.empty()) {
      refuse(machine_path + " holds no machine id", "making a new machine id");
    }
    identity->machine_id = RandomNonZero();
    status = WriteStateFile(dir.get(), machine_path, "machine_id",
                            std::to_string(identity->machine_id) + "\n");
  }

  // boot_id file: "<counter> <kernel boot uuid>"
  std::string boot_path = Join(state_dir, "boot_id");
  uint32_t counter = 0;
  std::string seen_uuid;
  if (ReadStateFile(dir.get(), boot_path, "boot_id", &text, &why)) {
    size_t space = text.find(' ');
    if (space == std::string::npos || !ParseId(text.substr(0, space), &counter)) {
      refuse(boot_path + " holds no boot counter", "counting boots again");
      counter = 0;
    } else {
      seen_uuid = text.substr(space + 1);
      if (!seen_uuid.empty() && seen_uuid.back() == '\n') seen_uuid.pop_back();
    }
  } else if (!why.empty()) {
    refuse(why, "counting boots again");
  }
  if (status.ok() && (seen_uuid != kernel_boot_uuid || counter == 0)) {
    counter += 1;
    status = WriteStateFile(dir.get(), boot_path, "boot_id",
                            std::to_string(counter) + " " + kernel_boot_uuid + "\n");
  }
  identity->boot_id = counter;
  flock(lock.get(), LOCK_UN);
  return status;
}

}  // namespace provtrace
