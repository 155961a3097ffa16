#include "formats/kernel_string.h"

#include <rapidjson/encodings.h>

#include <cstdint>

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

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Printable ASCII other than the backslash: copied as it is.
constexpr bool Plain(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '\\'; }

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF) at s, and its code point;
// 0 when the bytes there are not one.
size_t DecodeUtf8(const unsigned char* s, size_t n, uint32_t* codepoint) {
  unsigned char c = s[0];
  size_t length;
  unsigned char low = 0x80, high = 0xbf;  // the second byte's range
  // A continuation byte, or the lead of an overlong two-byte form.
  if (c < 0xc2) return 0;
  if (c < 0xe0) {
    length = 2;
    *codepoint = c & 0x1f;
  } else if (c < 0xf0) {
    length = 3;
    *codepoint = c & 0x0f;
    if (c == 0xe0) low = 0xa0;   // overlong
    if (c == 0xed) high = 0x9f;  // surrogates
  } else if (c < 0xf5) {
    length = 4;
    *codepoint = c & 0x07;
    if (c == 0xf0) low = 0x90;   // overlong
    if (c == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (n < length || s[1] < low || s[1] > high) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    *codepoint = (*codepoint << 6) | (s[i] & 0x3f);
  }
  return length;
}

// Characters that change how the text around them is shown: bidirectional
// marks, overrides and isolates (a name that reads backwards), zero-width
// characters, line and paragraph separators, the BOM.
bool Hidden(uint32_t c) {
  return c == 0x061c || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
         (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

void AppendByte(std::string* out, unsigned char c) {
  const char escape[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
  out->append(escape, 4);
}

// A byte below 0x80 that is not copied as it is.
void AppendControl(std::string* out, unsigned char c) {
  char named = 0;
  switch (c) {
    case '\\':
      named = '\\';
      break;
    case '\a':
      named = 'a';
      break;
    case '\b':
      named = 'b';
      break;
    case '\t':
      named = 't';
      break;
    case '\n':
      named = 'n';
      break;
    case '\v':
      named = 'v';
      break;
    case '\f':
      named = 'f';
      break;
    case '\r':
      named = 'r';
      break;
    default:
      return AppendByte(out, c);
  }
  out->push_back('\\');
  out->push_back(named);
}

void Escape(std::string* out, std::string_view bytes, bool utf8, bool quoted) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    size_t plain = i;
    while (plain < n && Plain(s[plain]) && !(quoted && s[plain] == '"')) ++plain;
    out->append(bytes.data() + i, plain - i);
    i = plain;
    if (i == n) break;
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c == '"') {
        out->append("\\\"");
      } else {
        AppendControl(out, c);
      }
      ++i;
      continue;
    }
    uint32_t codepoint = 0;
    size_t length = DecodeUtf8(s + i, n - i, &codepoint);
    if (length == 0 || !utf8 || codepoint <= 0x9f) {
      // Invalid, or a C1 control (terminals may obey U+009B as CSI), or a
      // terminal that is not UTF-8: each byte on its own. After an invalid
      // byte the next one may start a valid sequence.
      size_t end = length == 0 ? i + 1 : i + length;
      for (; i < end; ++i) AppendByte(out, s[i]);
      continue;
    }
    if (Hidden(codepoint)) {
      const char escape[6] = {'\\',
                              'u',
                              kHex[(codepoint >> 12) & 15],
                              kHex[(codepoint >> 8) & 15],
                              kHex[(codepoint >> 4) & 15],
                              kHex[codepoint & 15]};
      out->append(escape, 6);
    } else {
      out->append(bytes.data() + i, length);
    }
    i += length;
  }
}

}  // namespace

size_t EscapedUnitLength(std::string_view escaped, size_t i) {
  size_t left = escaped.size() - i;
  unsigned char c = static_cast<unsigned char>(escaped[i]);
  size_t length = 1;
  if (c == '\\' && left > 1) {
    length = escaped[i + 1] == 'x' ? 4 : escaped[i + 1] == 'u' ? 6 : 2;
  } else if (c >= 0xf0) {
    length = 4;
  } else if (c >= 0xe0) {
    length = 3;
  } else if (c >= 0xc0) {
    length = 2;
  }
  return length < left ? length : left;
}

bool NeedsNoEscape(std::string_view bytes) {
  for (unsigned char c : bytes) {
    if (!Plain(c)) return false;
  }
  return true;
}

void AppendEscaped(std::string* out, std::string_view bytes, bool utf8) {
  Escape(out, bytes, utf8, false);
}

void AppendEscapedField(std::string* out, std::string_view bytes, bool utf8) {
  bool quote = bytes.empty() || bytes.find_first_of(" \"") != std::string_view::npos;
  if (!quote) return Escape(out, bytes, utf8, false);
  out->push_back('"');
  Escape(out, bytes, utf8, true);
  out->push_back('"');
}

}  // namespace provtrace::formats
