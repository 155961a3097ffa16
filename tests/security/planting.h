// What an attacker would leave in provtrace's cache, made for tests: a
// program image whose exec handler does nothing (a capture loaded from it
// has no exec relations), a kernel tree whose header stops any compile that
// reads it, and the files' ownership and modes.
#ifndef PROVTRACE_TESTS_SECURITY_PLANTING_H_
#define PROVTRACE_TESTS_SECURITY_PLANTING_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace provtrace::testing {

// The tracepoint backend's exec handler, and the program text a header
// plant makes fail (matched in compiler output).
inline constexpr char kExecHandler[] = "raw_tracepoint__sched_process_exec";
inline constexpr char kPlantedError[] = "planted header used";

std::string ReadBytes(const std::string& path);
// Writes path whole, then sets its mode and owner.
void WriteBytes(const std::string& path, const std::string& content, mode_t mode = 0600,
                uid_t owner = 0);
// Names in dir that start with prefix.
std::vector<std::string> EntriesStartingWith(const std::string& dir, const std::string& prefix);
// cp -a: modes and owners kept.
bool CopyTree(const std::string& from, const std::string& to);

// The image file `sealed` (as stored under `name`) with `function`'s code
// replaced by "r0 = 0; exit". reseal: sealed again for its name, so that
// only where it is and who owns it can give it away; otherwise the old seal
// is kept, which no longer matches. An image file that is not sealed (a
// provtrace from before images were sealed, as run to check that these
// tests fail without the checks) is patched in its own format.
std::string DisarmedImage(const std::string& name, const std::string& sealed,
                          const std::string& function, bool reseal);

// Appends `#error planted header used` to a header's content.
std::string PlantedHeader(const std::string& content);
// Rewrites tree/KEY for the files now in the tree (read through links), as
// provtrace's builder writes it: a plant that only its place gives away.
void ResealTree(const std::string& tree);

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_SECURITY_PLANTING_H_
