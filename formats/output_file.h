// Opening an output file (-o FILE, -w FILE, and each file rotation makes)
// so that it is provtrace's own: a new file, mode 0600, owned by the user
// running provtrace, never written through a symbolic link, never another
// user's file written into.
#ifndef PROVTRACE_FORMATS_OUTPUT_FILE_H_
#define PROVTRACE_FORMATS_OUTPUT_FILE_H_

#include <string>

#include "core/status.h"

namespace provtrace::formats {

// Opens `path` for writing, in *fd:
// - nothing there: a new file, created with O_EXCL and O_NOFOLLOW;
// - a regular file or a symbolic link: an error (a usage error: the user
//   names another file or passes --force), unless `force`: then a new file
//   is made beside it (O_EXCL, O_NOFOLLOW, mode 0600) and renamed over the
//   name, so the old file (its inode, its owner, its mode, what it holds)
//   or the link's target is never touched, and the name is checked to be
//   the new file after the rename;
// - a device or a FIFO (/dev/null, a named pipe): opened as it is (there
//   is nothing to clobber); a symbolic link to one is refused even with
//   `force` (--force -o /dev/stdout must not replace /dev/stdout);
// - a directory: an error.
Status OpenOutputFile(const std::string& path, bool force, int* fd);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_OUTPUT_FILE_H_
