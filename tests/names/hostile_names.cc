#include "tests/names/hostile_names.h"

#include <cstdint>

namespace provtrace::testing {

const std::vector<HostileName>& HostileNames() {
  static const std::vector<HostileName> names = {
      {"nl\nx", "nl\\nx", "nl\nx"},
      {"endnl\n", "endnl\\n", "endnl\n"},
      {"tab\tx", "tab\\tx", "tab\tx"},
      {"cr\rx", "cr\\rx", "cr\rx"},
      {"q\"x", "q\"x", "q\"x"},
      {"endbs\\", "endbs\\\\", "endbs\\"},
      {"bsq\\\"x", "bsq\\\\\"x", "bsq\\\"x"},
      {"osc\x1b]0;TITLE\x07x", "osc\\x1b]0;TITLE\\ax", "osc\x1b]0;TITLE\x07x"},
      {"csi\x1b[2J\x1b[31mx", "csi\\x1b[2J\\x1b[31mx", "csi\x1b[2J\x1b[31mx"},
      {"del\x7fx", "del\\x7fx", "del\x7fx"},
      {"bad\xff\xfex", "bad\\xff\\xfex", "bad\xEF\xBF\xBD\xEF\xBF\xBDx"},
      {"over\xc0\xafx", "over\\xc0\\xafx", "over\xEF\xBF\xBD\xEF\xBF\xBDx"},
      {"sur\xed\xa0\x80x", "sur\\xed\\xa0\\x80x", "sur\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"},
      {"cut\xe2\x82", "cut\\xe2\\x82", "cut\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"c1\xc2\x9bx", "c1\\xc2\\x9bx", "c1\xc2\x9bx"},
      {"bidi\xe2\x80\xaex", "bidi\\u202ex", "bidi\xe2\x80\xaex"},
      {"utf8 \xc3\xa9\xe6\x97\xa5", "utf8 \xc3\xa9\xe6\x97\xa5", "utf8 \xc3\xa9\xe6\x97\xa5"},
      {std::string(255, 'n'), std::string(255, 'n'), std::string(255, 'n')},
  };
  return names;
}

std::string TextField(const std::string& raw, const std::string& escaped) {
  if (!raw.empty() && raw.find_first_of(" \"") == std::string::npos) return escaped;
  std::string quoted = "\"";
  for (char c : escaped) {
    if (c == '"') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted + "\"";
}

std::string UnsafeForTerminal(const std::string& text, bool tabs) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    std::string where = " at byte " + std::to_string(i);
    unsigned char c = s[i];
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && !(tabs && c == '\t')) || c == 0x7f) {
        return "control byte " + std::to_string(c) + where;
      }
      if (c == '\n' && (i == 0 || s[i - 1] == '\n')) return "empty line" + where;
      ++i;
      continue;
    }
    size_t length = c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (length == 0 || i + length > n) return "invalid UTF-8" + where;
    uint32_t cp = c & (length == 2 ? 0x1f : length == 3 ? 0x0f : 0x07);
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return "invalid UTF-8" + where;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    bool overlong = (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000);
    if (overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
      return "invalid UTF-8" + where;
    }
    if (cp <= 0x9f) return "C1 control" + where;
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
      return "bidirectional control" + where;
    }
    i += length;
  }
  return "";
}

}  // namespace provtrace::testing
