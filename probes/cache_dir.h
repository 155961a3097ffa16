// The files provtrace keeps under its cache root (/var/cache/provtrace):
// kernel trees made from BTF and compiled program images. They hold code
// that goes into the kernel, so nothing here is reached by a path name that
// someone else could redirect: the cache root is walked from "/" one
// component at a time by file descriptor, without following symbolic
// links, each component checked on its descriptor (fstat), and every entry
// is opened relative to the verified directory's descriptor and checked the
// same way before its content is used. Content is bound to its name by a
// SHA-256 (Seal), so a file modified in place is refused too.
#ifndef PROVTRACE_PROBES_CACHE_DIR_H_
#define PROVTRACE_PROBES_CACHE_DIR_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/status.h"

namespace provtrace::probes {

// FNV-1a over 8-byte words, for cache keys (not for security: the
// directory chain's ownership and the content's SHA-256 are).
uint64_t Fnv1a(const std::string& data, uint64_t hash = 1469598103934665603ULL);
std::string HexKey(uint64_t hash);

// SHA-256 (FIPS 180-4).
std::array<uint8_t, 32> Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

// content followed by the SHA-256 of name and content: a file's bytes bound
// to the name it is stored under (a file moved to another key's name, cut
// short or modified no longer unseals).
std::string Seal(std::string_view name, std::string_view content);
// The content, if sealed is Seal(name, content) for some content.
bool Unseal(std::string_view name, std::string_view sealed, std::string_view* content);

// Why a directory may not be trusted on the way to the cache ("" if it may
// be): it must be a directory (not a symbolic link) owned by root or this
// user and writable by nobody else, except that a root-owned sticky
// directory (/tmp) may be writable by all: others cannot remove or rename
// what root creates in it, and what they create there is theirs, which the
// next component's owner check refuses.
std::string AncestorProblem(const struct stat& st);

// A directory held open by descriptor, reached and checked as above. Move
// only; closes its descriptor.
class TrustedDir {
 public:
  TrustedDir() = default;
  ~TrustedDir();
  TrustedDir(TrustedDir&& other) noexcept;
  TrustedDir& operator=(TrustedDir&& other) noexcept;
  TrustedDir(const TrustedDir&) = delete;
  TrustedDir& operator=(const TrustedDir&) = delete;

  // Walks path from "/" (a relative path from the working directory),
  // creating missing components (0700). Every ancestor must pass
  // AncestorProblem; path itself must be a directory owned by this user
  // with no group or other permissions. Fails (kPermissionDenied) with one
  // line naming the component at fault and why.
  static Status OpenPrivate(const std::string& path, TrustedDir* dir);

  // A subdirectory, opened without following a symbolic link and held to
  // the same rule as the root. *missing tells a name that is not there
  // from one that is refused.
  Status OpenSubdir(const std::string& name, TrustedDir* sub, bool* missing = nullptr) const;

  // A file's content, opened without following a symbolic link (nor
  // blocking on a FIFO) and checked on its descriptor: a regular file with
  // one link, owned by this user, writable by nobody else.
  Status ReadFile(const std::string& name, std::string* content, bool* missing = nullptr) const;

  // Every regular file below this directory, by relative path, each read
  // and checked as by ReadFile, each directory as by OpenSubdir; anything
  // else (a symbolic link, a device) is refused. At most max_files.
  Status ReadTree(std::map<std::string, std::string>* files, size_t max_files = 256) const;

  // Writes name whole: a fresh private file (0600) beside it, then renamed
  // over whatever had the name (a refused file, symbolic link or tree).
  Status WriteFile(const std::string& name, const std::string& content) const;
  // Creates relative path (its missing directories 0700) as a new 0600
  // file, failing if it exists.
  Status CreateFile(const std::string& relative, const std::string& content) const;
  // A new private subdirectory with a fresh name (".tmp-" and random).
  Status MakeTempSubdir(TrustedDir* sub, std::string* name) const;
  // Removes name: a file, a symbolic link (not what it points to) or a
  // directory tree, never following a link.
  Status Remove(const std::string& name) const;
  // Renames from to `to` (replacing an empty directory or a file); moved,
  // if given, is the renamed directory, named anew.
  Status Rename(const std::string& from, const std::string& to, TrustedDir* moved = nullptr) const;

  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // A path to this very directory that is not resolved by name again
  // (/proc/self/fd/N), for code that takes a path (BCC); path() when /proc
  // does not show this descriptor.
  std::string PinnedPath() const;

 private:
  TrustedDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  void Reset();

  int fd_ = -1;
  std::string path_;
};

// Reads the file at path (the kernel's BTF): its ancestors walked from "/"
// as above, the file opened without following a symbolic link and checked
// on its descriptor: a regular file owned by root or this user and
// writable by nobody else.
Status ReadTrustedFile(const std::string& path, std::string* content);

}  // namespace provtrace::probes

#endif  // PROVTRACE_PROBES_CACHE_DIR_H_
