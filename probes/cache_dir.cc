#include "probes/cache_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

namespace provtrace::probes {
namespace {

// Larger than anything provtrace keeps or reads (BTF ~6 MB, an image
// <1 MB): a planted huge file is refused, not read into memory.
constexpr off_t kMaxFileBytes = 256 << 20;
constexpr int kMaxTreeDepth = 16;

// ---- SHA-256 (FIPS 180-4) ----

constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

class Sha256Hasher {
 public:
  void Update(std::string_view data) {
    length_ += data.size();
    if (buffered_ > 0) {
      size_t take = std::min(data.size(), sizeof(buffer_) - buffered_);
      memcpy(buffer_ + buffered_, data.data(), take);
      buffered_ += take;
      data.remove_prefix(take);
      if (buffered_ < sizeof(buffer_)) return;
      Compress(buffer_);
      buffered_ = 0;
    }
    for (; data.size() >= 64; data.remove_prefix(64)) {
      Compress(reinterpret_cast<const uint8_t*>(data.data()));
    }
    memcpy(buffer_, data.data(), data.size());
    buffered_ = data.size();
  }

  std::array<uint8_t, 32> Final() {
    uint64_t bits = length_ * 8;
    // 0x80, zeros up to 56 bytes into a block, then the length in bits.
    static const uint8_t kPadding[64] = {0x80};
    Update(std::string_view(reinterpret_cast<const char*>(kPadding),
                            buffered_ < 56 ? 56 - buffered_ : 120 - buffered_));
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    Update(std::string_view(reinterpret_cast<const char*>(length), sizeof(length)));
    std::array<uint8_t, 32> digest;
    for (int i = 0; i < 8; ++i) {
      for (int j = 0; j < 4; ++j)
        digest[4 * i + j] = static_cast<uint8_t>(state_[i] >> (24 - 8 * j));
    }
    return digest;
  }

 private:
  void Compress(const uint8_t* block) {
    uint32_t w[64];
    for (int i = 0; i < 16; ++i) {
      w[i] = static_cast<uint32_t>(block[4 * i]) << 24 |
             static_cast<uint32_t>(block[4 * i + 1]) << 16 |
             static_cast<uint32_t>(block[4 * i + 2]) << 8 | block[4 * i + 3];
    }
    for (int i = 16; i < 64; ++i) {
      uint32_t s0 = Rotr(w[i - 15], 7) ^ Rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = Rotr(w[i - 2], 17) ^ Rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (int i = 0; i < 64; ++i) {
      uint32_t t1 = h + (Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                    kRoundConstants[i] + w[i];
      uint32_t t2 = (Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
  }

  uint32_t state_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

std::array<uint8_t, 32> SealDigest(std::string_view name, std::string_view content) {
  Sha256Hasher hasher;
  hasher.Update(name);
  hasher.Update(std::string_view("\0", 1));
  hasher.Update(content);
  return hasher.Final();
}

// ---- file system checks ----

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(-1); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string Join(const std::string& dir, const std::string& name) {
  return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string ModeText(mode_t mode) {
  char text[16];
  snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string OwnerText(uid_t uid) { return uid == 0 ? "root" : "uid " + std::to_string(uid); }

bool TrustedOwner(uid_t uid) { return uid == 0 || uid == geteuid(); }

// Why a directory may not hold cache entries, or be one ("" if it may).
std::string PrivateDirProblem(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "is a symbolic link";
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (st.st_uid != geteuid()) {
    return "is owned by " + OwnerText(st.st_uid) + ", not " + OwnerText(geteuid());
  }
  if (st.st_mode & 077) return "is open to group or others (mode " + ModeText(st.st_mode) + ")";
  return "";
}

// Why a file's content may not be used ("" if it may). The cache's files
// must be this user's; a file provtrace only reads (BTF) may be root's.
std::string FileProblem(const struct stat& st, bool root_may_own) {
  if (S_ISLNK(st.st_mode)) return "is a symbolic link";
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  bool owner_ok = st.st_uid == geteuid() || (root_may_own && st.st_uid == 0);
  if (!owner_ok) return "is owned by " + OwnerText(st.st_uid) + ", not " + OwnerText(geteuid());
  if (st.st_mode & 022) {
    return "is writable by group or others (mode " + ModeText(st.st_mode) + ")";
  }
  // A second name elsewhere is a second way to change it.
  if (st.st_nlink != 1) return "has " + std::to_string(st.st_nlink) + " hard links";
  if (st.st_size > kMaxFileBytes) return "is too large (" + std::to_string(st.st_size) + " bytes)";
  return "";
}

// name in parent, opened as a path (no access yet) without following a
// symbolic link, and its status.
int OpenNoFollow(int parent, const std::string& name, struct stat* st) {
  int fd = openat(parent, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  if (fstat(fd, st) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

// A directory opened as a path, reopened for reading (listing, fchdir):
// "." relative to the descriptor, so no name is resolved again.
int ReopenDir(int path_fd) { return openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); }

Status SplitAbsolute(const std::string& path, std::string* absolute,
                     std::vector<std::string>* parts) {
  if (path.empty()) return InvalidArgument("an empty path names no directory");
  *absolute = path;
  if (path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) {
      return IoError("cannot resolve " + path + ": " + strerror(errno));
    }
    *absolute = Join(cwd, path);
  }
  parts->clear();
  size_t start = 0;
  while (start <= absolute->size()) {
    size_t end = absolute->find('/', start);
    if (end == std::string::npos) end = absolute->size();
    std::string part = absolute->substr(start, end - start);
    if (part == "..") {
      return InvalidArgument(path + " contains '..'", "give the directory's own path");
    }
    if (!part.empty() && part != ".") parts->push_back(part);
    start = end + 1;
  }
  std::string normal = "/";
  for (const std::string& part : *parts) normal = Join(normal, part);
  *absolute = normal;
  return Status::Ok();
}

// Where a walk stopped and why.
struct WalkFailure {
  std::string at;       // the component's path
  std::string problem;  // "is owned by uid 65534", ...
  bool io = false;      // an error from the system, not a refused directory
};

// The directory made of the first n parts, walked from "/" with each
// component checked by AncestorProblem; missing components are created
// (0700) when create is set. A path descriptor, or -1 with *failure set.
int WalkAncestors(const std::vector<std::string>& parts, size_t n, bool create,
                  WalkFailure* failure) {
  struct stat st;
  std::string shown = "/";
  Fd dir(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || fstat(dir.get(), &st) != 0) {
    *failure = {shown, std::string("cannot be opened: ") + strerror(errno), true};
    return -1;
  }
  std::string problem = AncestorProblem(st);
  if (!problem.empty()) {
    *failure = {shown, problem};
    return -1;
  }
  for (size_t i = 0; i < n; ++i) {
    shown = Join(shown, parts[i]);
    int fd = OpenNoFollow(dir.get(), parts[i], &st);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(dir.get(), parts[i].c_str(), 0700) != 0 && errno != EEXIST) {
        *failure = {shown, std::string("cannot be created: ") + strerror(errno), true};
        return -1;
      }
      fd = OpenNoFollow(dir.get(), parts[i], &st);
    }
    if (fd < 0) {
      *failure = {shown, std::string("cannot be opened: ") + strerror(errno), true};
      return -1;
    }
    dir.Reset(fd);
    problem = AncestorProblem(st);
    if (!problem.empty()) {
      *failure = {shown, problem};
      return -1;
    }
  }
  return dir.Release();
}

Status ReadFileAt(int parent, const std::string& name, const std::string& shown, bool root_may_own,
                  std::string* content, bool* missing) {
  if (missing != nullptr) *missing = false;
  // O_NONBLOCK: a FIFO planted under the name must not hang the open.
  Fd fd(openat(parent, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ELOOP) return Status(StatusCode::kPermissionDenied, shown + " is a symbolic link");
    if (err == ENOENT && missing != nullptr) *missing = true;
    return IoError("cannot open " + shown + ": " + strerror(err));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return IoError("cannot inspect " + shown + ": " + strerror(errno));
  std::string problem = FileProblem(st, root_may_own);
  if (!problem.empty()) return Status(StatusCode::kPermissionDenied, shown + " " + problem);
  // sysfs files (the kernel's BTF) report their size; read until the end
  // regardless.
  content->clear();
  content->reserve(static_cast<size_t>(st.st_size));
  std::string chunk(st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 65536, '\0');
  while (true) {
    ssize_t n = read(fd.get(), &chunk[0], chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read " + shown + ": " + strerror(errno));
    if (n == 0) break;
    content->append(chunk.data(), static_cast<size_t>(n));
    if (content->size() > static_cast<size_t>(kMaxFileBytes)) {
      return Status(StatusCode::kPermissionDenied, shown + " is too large");
    }
  }
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& content, const std::string& shown) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot write " + shown + ": " + strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string RandomName() {
  uint8_t bytes[6];
  if (getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    // Only uniqueness matters (creation is exclusive); time and pid will do.
    uint64_t fallback = static_cast<uint64_t>(time(nullptr)) * 1000003u + getpid();
    memcpy(bytes, &fallback, sizeof(bytes));
  }
  char name[32];
  snprintf(name, sizeof(name), ".tmp-%02x%02x%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2],
           bytes[3], bytes[4], bytes[5]);
  return name;
}

std::vector<std::string> ListNames(int dir_fd) {
  std::vector<std::string> names;
  int list_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) return names;
  DIR* dir = fdopendir(list_fd);
  if (dir == nullptr) {
    close(list_fd);
    return names;
  }
  while (struct dirent* entry = readdir(dir)) {
    if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
      names.push_back(entry->d_name);
    }
  }
  closedir(dir);
  return names;
}

Status RemoveAt(int parent, const std::string& name, const std::string& shown, int depth) {
  if (unlinkat(parent, name.c_str(), 0) == 0 || errno == ENOENT) return Status::Ok();
  if (errno != EISDIR) return IoError("cannot remove " + shown + ": " + strerror(errno));
  if (depth > kMaxTreeDepth) return IoError("cannot remove " + shown + ": too deep");
  Fd dir(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() < 0) return IoError("cannot remove " + shown + ": " + strerror(errno));
  for (const std::string& child : ListNames(dir.get())) {
    PT_RETURN_IF_ERROR(RemoveAt(dir.get(), child, Join(shown, child), depth + 1));
  }
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return IoError("cannot remove " + shown + ": " + strerror(errno));
  }
  return Status::Ok();
}

Status ReadTreeAt(const TrustedDir& dir, const std::string& prefix, int depth,
                  std::map<std::string, std::string>* files, size_t max_files) {
  if (depth > kMaxTreeDepth) {
    return Status(StatusCode::kPermissionDenied, dir.path() + " is nested too deep");
  }
  for (const std::string& name : ListNames(dir.fd())) {
    // Only to choose how to open it: the checks are on the descriptor.
    struct stat st;
    if (fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return IoError("cannot inspect " + Join(dir.path(), name) + ": " + strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
      TrustedDir sub;
      PT_RETURN_IF_ERROR(dir.OpenSubdir(name, &sub));
      PT_RETURN_IF_ERROR(ReadTreeAt(sub, prefix + name + "/", depth + 1, files, max_files));
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      return Status(StatusCode::kPermissionDenied,
                    Join(dir.path(), name) +
                        (S_ISLNK(st.st_mode) ? " is a symbolic link" : " is not a regular file"));
    }
    if (files->size() >= max_files) {
      return Status(StatusCode::kPermissionDenied, dir.path() + " holds too many files");
    }
    PT_RETURN_IF_ERROR(dir.ReadFile(name, &(*files)[prefix + name]));
  }
  return Status::Ok();
}

}  // namespace

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

std::array<uint8_t, 32> Sha256(std::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Final();
}

std::string Sha256Hex(std::string_view data) {
  std::array<uint8_t, 32> digest = Sha256(data);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

std::string Seal(std::string_view name, std::string_view content) {
  std::array<uint8_t, 32> digest = SealDigest(name, content);
  std::string sealed(content);
  sealed.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return sealed;
}

bool Unseal(std::string_view name, std::string_view sealed, std::string_view* content) {
  constexpr size_t kDigest = 32;
  if (sealed.size() < kDigest) return false;
  std::string_view body = sealed.substr(0, sealed.size() - kDigest);
  std::array<uint8_t, 32> digest = SealDigest(name, body);
  if (memcmp(digest.data(), sealed.data() + body.size(), kDigest) != 0) return false;
  *content = body;
  return true;
}

std::string AncestorProblem(const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return "is a symbolic link";
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (!TrustedOwner(st.st_uid)) return "is owned by " + OwnerText(st.st_uid);
  bool root_sticky = (st.st_mode & S_ISVTX) && st.st_uid == 0;
  if ((st.st_mode & 022) && !root_sticky) {
    return "is writable by group or others (mode " + ModeText(st.st_mode) + ")";
  }
  return "";
}

TrustedDir::~TrustedDir() { Reset(); }

TrustedDir::TrustedDir(TrustedDir&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

TrustedDir& TrustedDir::operator=(TrustedDir&& other) noexcept {
  if (this != &other) {
    Reset();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

void TrustedDir::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status TrustedDir::OpenPrivate(const std::string& path, TrustedDir* dir) {
  std::string absolute;
  std::vector<std::string> parts;
  PT_RETURN_IF_ERROR(SplitAbsolute(path, &absolute, &parts));
  const std::string hint_private = "remove it, or make it owned by root with mode 0700";
  if (parts.empty()) {
    return Status(StatusCode::kPermissionDenied, "cache directory / is not a private directory",
                  "choose another --cache-dir");
  }
  WalkFailure failure;
  Fd parent(WalkAncestors(parts, parts.size() - 1, true, &failure));
  if (parent.get() < 0) {
    if (failure.io) {
      return IoError("cannot open cache directory " + absolute + ": " + failure.at + " " +
                     failure.problem);
    }
    return Status(
        StatusCode::kPermissionDenied,
        "cache directory " + absolute + " is not safe: " + failure.at + " " + failure.problem,
        "every directory above the cache must be root's and writable by nobody "
        "else; choose another --cache-dir");
  }
  struct stat st;
  const std::string& last = parts.back();
  int fd = OpenNoFollow(parent.get(), last, &st);
  if (fd < 0 && errno == ENOENT) {
    if (mkdirat(parent.get(), last.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError("cannot create cache directory " + absolute + ": " + strerror(errno));
    }
    fd = OpenNoFollow(parent.get(), last, &st);
  }
  if (fd < 0) return IoError("cannot open cache directory " + absolute + ": " + strerror(errno));
  Fd path_fd(fd);
  std::string problem = PrivateDirProblem(st);
  if (!problem.empty()) {
    return Status(StatusCode::kPermissionDenied,
                  "cache directory " + absolute + " is not a private directory: it " + problem,
                  hint_private);
  }
  int read_fd = ReopenDir(path_fd.get());
  if (read_fd < 0)
    return IoError("cannot open cache directory " + absolute + ": " + strerror(errno));
  // Named as the user gave it, in messages.
  std::string shown = path[0] == '/' ? path : absolute;
  while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
  *dir = TrustedDir(read_fd, shown);
  return Status::Ok();
}

Status TrustedDir::OpenSubdir(const std::string& name, TrustedDir* sub, bool* missing) const {
  if (missing != nullptr) *missing = false;
  std::string shown = Join(path_, name);
  struct stat st;
  Fd path_fd(OpenNoFollow(fd_, name, &st));
  if (path_fd.get() < 0) {
    if (errno == ENOENT && missing != nullptr) *missing = true;
    return IoError("cannot open " + shown + ": " + strerror(errno));
  }
  std::string problem = PrivateDirProblem(st);
  if (!problem.empty()) return Status(StatusCode::kPermissionDenied, shown + " " + problem);
  int read_fd = ReopenDir(path_fd.get());
  if (read_fd < 0) return IoError("cannot open " + shown + ": " + strerror(errno));
  *sub = TrustedDir(read_fd, shown);
  return Status::Ok();
}

Status TrustedDir::ReadFile(const std::string& name, std::string* content, bool* missing) const {
  return ReadFileAt(fd_, name, Join(path_, name), false, content, missing);
}

Status TrustedDir::ReadTree(std::map<std::string, std::string>* files, size_t max_files) const {
  files->clear();
  return ReadTreeAt(*this, "", 0, files, max_files);
}

Status TrustedDir::WriteFile(const std::string& name, const std::string& content) const {
  std::string tmp;
  Fd fd;
  for (int attempt = 0; attempt < 16 && fd.get() < 0; ++attempt) {
    tmp = RandomName();
    fd.Reset(openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0 && errno != EEXIST) break;
  }
  if (fd.get() < 0) return IoError("cannot create a file in " + path_ + ": " + strerror(errno));
  Status written = WriteAll(fd.get(), content, Join(path_, tmp));
  if (written.ok() && close(fd.Release()) != 0) {
    written = IoError("cannot write " + Join(path_, tmp) + ": " + strerror(errno));
  }
  if (written.ok() && renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0) {
    // A directory under the name (refused) is not replaced by rename.
    if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) {
      written = Remove(name);
      if (written.ok() && renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0) {
        written = IoError("cannot install " + Join(path_, name) + ": " + strerror(errno));
      }
    } else {
      written = IoError("cannot install " + Join(path_, name) + ": " + strerror(errno));
    }
  }
  if (!written.ok()) unlinkat(fd_, tmp.c_str(), 0);
  return written;
}

Status TrustedDir::CreateFile(const std::string& relative, const std::string& content) const {
  size_t slash = relative.find('/');
  if (slash != std::string::npos) {
    std::string first = relative.substr(0, slash);
    if (mkdirat(fd_, first.c_str(), 0700) != 0 && errno != EEXIST) {
      return IoError("cannot create " + Join(path_, first) + ": " + strerror(errno));
    }
    TrustedDir sub;
    PT_RETURN_IF_ERROR(OpenSubdir(first, &sub));
    return sub.CreateFile(relative.substr(slash + 1), content);
  }
  std::string shown = Join(path_, relative);
  Fd fd(openat(fd_, relative.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return IoError("cannot create " + shown + ": " + strerror(errno));
  PT_RETURN_IF_ERROR(WriteAll(fd.get(), content, shown));
  if (close(fd.Release()) != 0) return IoError("cannot write " + shown + ": " + strerror(errno));
  return Status::Ok();
}

Status TrustedDir::MakeTempSubdir(TrustedDir* sub, std::string* name) const {
  for (int attempt = 0; attempt < 16; ++attempt) {
    *name = RandomName();
    if (mkdirat(fd_, name->c_str(), 0700) == 0) return OpenSubdir(*name, sub);
    if (errno != EEXIST) break;
  }
  return IoError("cannot create a directory in " + path_ + ": " + strerror(errno));
}

Status TrustedDir::Remove(const std::string& name) const {
  return RemoveAt(fd_, name, Join(path_, name), 0);
}

Status TrustedDir::Rename(const std::string& from, const std::string& to, TrustedDir* moved) const {
  if (renameat(fd_, from.c_str(), fd_, to.c_str()) != 0) {
    return IoError("cannot rename " + Join(path_, from) + " to " + to + ": " + strerror(errno));
  }
  if (moved != nullptr) moved->path_ = Join(path_, to);
  return Status::Ok();
}

std::string TrustedDir::PinnedPath() const {
  std::string pinned = "/proc/self/fd/" + std::to_string(fd_);
  struct stat held, shown;
  if (fstat(fd_, &held) == 0 && stat(pinned.c_str(), &shown) == 0 && held.st_dev == shown.st_dev &&
      held.st_ino == shown.st_ino) {
    return pinned;
  }
  return path_;
}

Status ReadTrustedFile(const std::string& path, std::string* content) {
  std::string absolute;
  std::vector<std::string> parts;
  PT_RETURN_IF_ERROR(SplitAbsolute(path, &absolute, &parts));
  if (parts.empty()) return InvalidArgument("/ is not a file");
  WalkFailure failure;
  Fd parent(WalkAncestors(parts, parts.size() - 1, false, &failure));
  if (parent.get() < 0) {
    if (failure.io)
      return IoError("cannot open " + absolute + ": " + failure.at + " " + failure.problem);
    return Status(StatusCode::kPermissionDenied,
                  absolute + " is not safe to read: " + failure.at + " " + failure.problem,
                  "every directory above it must be root's and writable by nobody else");
  }
  return ReadFileAt(parent.get(), parts.back(), absolute, true, content, nullptr);
}

}  // namespace provtrace::probes
