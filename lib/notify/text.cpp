#include "notify/text.hpp"
#include "core/utf8_text.hpp"
#include <cstdint>

namespace snitch {
namespace {

void append_safe(std::string& out, std::string_view seq, char32_t cp)
{
	switch (cp) {
	case '&': out += "&amp;"; break;
	case '<': out += "&lt;"; break;
	case '>': out += "&gt;"; break;
	case '"': out += "&quot;"; break;
	case '\'': out += "&apos;"; break;
	default:
		if (is_unsafe_code_point(cp))
			out += replacement_char;
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
		char32_t cp = 0;
		size_t len = decode_utf8(s, i, cp);
		if (!len) {
			out += replacement_char;
			++i;
			continue;
		}
		append_safe(out, s.substr(i, len), cp);
		i += len;
	}
	return out;
}

} // namespace snitch
