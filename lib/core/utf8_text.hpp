#pragma once
// UTF-8 decoding and the code points that must never reach a terminal or a
// notification raw: text from other processes (names, paths, command lines).
#include <cstddef>
#include <string>
#include <string_view>

namespace snitch {

constexpr std::string_view replacement_char = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i] and its code point in `cp`;
// 0 for an invalid, overlong, surrogate or truncated sequence.
size_t decode_utf8(std::string_view s, size_t i, char32_t& cp);

// C0/C1 controls, DEL, bidi overrides and isolates, direction marks, line and
// paragraph separators, the byte-order mark.
bool is_unsafe_code_point(char32_t cp);

// `s` with every invalid UTF-8 byte replaced by U+FFFD (so that a JSON
// parser that insists on UTF-8 can read a line an odd producer wrote).
std::string utf8_repaired(std::string_view s);

} // namespace snitch
