// File, task and argument names chosen to break outputs: control bytes,
// terminal escape sequences, quotes and backslashes, invalid UTF-8,
// characters that reorder text, the longest name a file may have; with what
// each output must make of them.
#ifndef PROVTRACE_TESTS_NAMES_HOSTILE_NAMES_H_
#define PROVTRACE_TESTS_NAMES_HOSTILE_NAMES_H_

#include <string>
#include <vector>

namespace provtrace::testing {

struct HostileName {
  std::string raw;      // the bytes: a valid file name (no '/', no NUL, <= 255 bytes)
  std::string escaped;  // as the text format and DOT labels show them
  std::string json;     // as a JSON reader reads them back (U+FFFD per invalid byte)
};

const std::vector<HostileName>& HostileNames();

// The text format's field for text already escaped from raw: quoted, with
// its quotes escaped, when raw holds a space or a quote.
std::string TextField(const std::string& raw, const std::string& escaped);

// "" when text is what a terminal may safely be given: valid UTF-8 (no
// overlong forms, no surrogates) with no control character (C0 but the
// newline ending each line, and tabs when allowed; DEL; C1) and no
// bidirectional control, and no empty line. Otherwise what was found where.
std::string UnsafeForTerminal(const std::string& text, bool tabs = false);

}  // namespace provtrace::testing

#endif  // PROVTRACE_TESTS_NAMES_HOSTILE_NAMES_H_
