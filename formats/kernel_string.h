// Kernel strings (file names, comm, argv) are bytes; JSON must be UTF-8.
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

}  // namespace provtrace::formats

#endif  // PROVTRACE_FORMATS_KERNEL_STRING_H_
