// Kernel strings (file names, comm, argv) are bytes: anything but NUL, not
// necessarily UTF-8, and chosen by whoever named the file or the task.
// JSON must be UTF-8; a terminal must not receive control sequences.
#ifndef PROVTRACE_FORMATS_KERNEL_STRING_H_
#define PROVTRACE_FORMATS_KERNEL_STRING_H_

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace provtrace::formats {

// Writes bytes as a JSON string with RapidJSON's escaping; invalid UTF-8
// sequences become U+FFFD. scratch is reused between calls.
void WriteKernelString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view bytes,
                       std::string& scratch);

// Appends bytes for a person to read, escaped as `ls -b` and strace do, so
// that the result is printable UTF-8 with no control character in it:
//   \  -> \\     BEL BS TAB LF VT FF CR -> \a \b \t \n \v \f \r
//   other bytes below 0x20, DEL, bytes of invalid UTF-8 (overlong forms,
//   surrogates, cut sequences) and C1 controls (U+0080..U+009F, which
//   terminals may obey) -> \xHH per byte
//   characters that reorder or hide text (bidirectional controls, zero
//   widths, line and paragraph separators, BOM) -> \uHHHH
// Everything else is copied; with utf8 false (a terminal in another
// character set), every byte from 0x80 up is \xHH too. A backslash in the
// result always starts an escape, so the escaping can be undone exactly.
void AppendEscaped(std::string* out, std::string_view bytes, bool utf8 = true);

// The same, as one field of a line: in double quotes (a quote inside as
// \") when the bytes hold a space or a quote, or are empty.
void AppendEscapedField(std::string* out, std::string_view bytes, bool utf8 = true);

// The length in bytes of the character or escape at escaped[i] in the
// output of AppendEscaped: a cut between two of them keeps the rest
// readable.
size_t EscapedUnitLength(std::string_view escaped, size_t i);

// Whether AppendEscaped would copy bytes unchanged (the common case, so
// callers can skip the work).
bool NeedsNoEscape(std::string_view bytes);

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KERNEL_STRING_H_
