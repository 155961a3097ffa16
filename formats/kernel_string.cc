#include "formats/kernel_string.h"

#include <rapidjson/encodings.h>

namespace provtrace::formats {

// Kernel strings (file names, comm) are bytes, not necessarily UTF-8; JSON
// must be. Invalid sequences become U+FFFD, found with RapidJSON's own
// UTF-8 validator.
void WriteKernelString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view bytes,
                       std::string& scratch) {
  bool ascii = true;
  for (unsigned char c : bytes) ascii &= c < 0x80;
  if (ascii) {
    w.String(bytes.data(), static_cast<rapidjson::SizeType>(bytes.size()));
    return;
  }
  // Decode reads up to four bytes of a sequence whatever they are: the copy
  // has four NULs after the end, so a sequence cut short there reads them
  // and fails, never past the buffer (found by tests/fuzz).
  std::string copy(bytes);
  copy.append(4, '\0');
  const size_t size = bytes.size();
  scratch.clear();
  size_t i = 0;
  while (i < size) {
    rapidjson::StringStream in(copy.c_str() + i);
    unsigned codepoint = 0;
    bool valid = rapidjson::UTF8<>::Decode(in, &codepoint);
    size_t used = in.Tell();
    if (valid && used > 0 && i + used <= size) {
      scratch.append(copy, i, used);
      i += used;
    } else {
      scratch.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  w.String(scratch.data(), static_cast<rapidjson::SizeType>(scratch.size()));
}

}  // namespace provtrace::formats
