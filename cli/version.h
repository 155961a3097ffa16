#ifndef PROVTRACE_CLI_VERSION_H_
#define PROVTRACE_CLI_VERSION_H_

namespace provtrace::cli {
inline constexpr const char kVersion[] = "0.1.0";
}  // namespace provtrace::cli

#endif  // PROVTRACE_CLI_VERSION_H_
