#include "core/utf8_text.hpp"

namespace snitch {

size_t decode_utf8(std::string_view s, size_t i, char32_t& cp)
{
	auto b = static_cast<unsigned char>(s[i]);
	size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
	if (n == 0 || i + n > s.size())
		return 0;
	cp = n == 1 ? b : n == 2 ? (b & 0x1f) : n == 3 ? (b & 0x0f) : (b & 0x07);
	for (size_t k = 1; k < n; ++k) {
		auto c = static_cast<unsigned char>(s[i + k]);
		if ((c >> 6) != 0x2)
			return 0;
		cp = (cp << 6) | (c & 0x3f);
	}
	static constexpr char32_t min_of[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min_of[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool is_unsafe_code_point(char32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xfeff;
}

std::string utf8_repaired(std::string_view s)
{
	std::string out;
	out.reserve(s.size() + 8);
	for (size_t i = 0; i < s.size();) {
		char32_t cp = 0;
		size_t len = decode_utf8(s, i, cp);
		if (len)
			out.append(s.substr(i, len));
		else
			out += replacement_char;
		i += len ? len : 1;
	}
	return out;
}

} // namespace snitch
