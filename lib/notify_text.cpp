#include "notify_text.hpp"
#include <cstdint>

namespace snitch {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at s[i] and its code point, or 0.
size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp)
{
	auto b = static_cast<unsigned char>(s[i]);
	size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
	if (!len || i + len > s.size())
		return 0;
	cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
	for (size_t k = 1; k < len; ++k) {
		auto c = static_cast<unsigned char>(s[i + k]);
		if ((c >> 6) != 0x2)
			return 0;
		cp = (cp << 6) | (c & 0x3F);
	}
	static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

bool is_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
		(cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0xFEFF;
}

void append_safe(std::string& out, std::string_view seq, uint32_t cp)
{
	switch (cp) {
	case '&': out += "&amp;"; break;
	case '<': out += "&lt;"; break;
	case '>': out += "&gt;"; break;
	case '"': out += "&quot;"; break;
	case '\'': out += "&apos;"; break;
	default:
		if (is_unsafe(cp))
			out += replacement;
		else
			out += seq;
	}
}

} // namespace

std::string notify_escape(std::string_view s, size_t max_bytes)
{
	std::string out;
	out.reserve(s.size() + 8);
	size_t i = 0;
	while (i < s.size()) {
		if (out.size() >= max_bytes) {
			out += "\xE2\x80\xA6";  // U+2026, the rest is cut
			break;
		}
		uint32_t cp = 0;
		size_t len = decode_utf8(s, i, cp);
		if (!len) {
			out += replacement;
			++i;
			continue;
		}
		append_safe(out, s.substr(i, len), cp);
		i += len;
	}
	return out;
}

std::string utf8_repaired(std::string_view s)
{
	std::string out;
	out.reserve(s.size() + 8);
	for (size_t i = 0; i < s.size();) {
		uint32_t cp = 0;
		size_t len = decode_utf8(s, i, cp);
		if (len)
			out.append(s.substr(i, len));
		else
			out += replacement;
		i += len ? len : 1;
	}
	return out;
}

} // namespace snitch
