#include "view/text.hpp"
#include "core/utf8_text.hpp"
#include <cwchar>
#include <ctime>
#include <cstdio>
#include <vector>

namespace snitch {
namespace {

void append_hex(std::string& out, const char* prefix, unsigned v, int digits)
{
	char buf[16];
	std::snprintf(buf, sizeof(buf), "%s%0*x", prefix, digits, v);
	out += buf;
}

void append_escape(std::string& out, char32_t cp)
{
	switch (cp) {
	case '\n': out += "\\n"; return;
	case '\t': out += "\\t"; return;
	case '\r': out += "\\r"; return;
	case 0x1b: out += "\\e"; return;
	default: break;
	}
	if (cp < 0x100)
		append_hex(out, "\\x", static_cast<unsigned>(cp), 2);
	else
		append_hex(out, "\\u", static_cast<unsigned>(cp), 4);
}

int cell_width(char32_t cp)
{
	int w = ::wcwidth(static_cast<wchar_t>(cp));
	if (w >= 0)
		return w;
	// C/POSIX locale: count East Asian wide ranges ourselves.
	bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
		    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
		    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd);
	return wide ? 2 : 1;
}

} // namespace

std::string escape_text(std::string_view s)
{
	std::string out;
	out.reserve(s.size());
	for (size_t i = 0; i < s.size();) {
		char32_t cp = 0;
		size_t n = decode_utf8(s, i, cp);
		if (n == 0) {
			append_hex(out, "\\x", static_cast<unsigned char>(s[i]), 2);
			++i;
			continue;
		}
		if (cp == '\\')
			out += "\\\\";
		else if (is_unsafe_code_point(cp))
			append_escape(out, cp);
		else
			out.append(s.substr(i, n));
		i += n;
	}
	return out;
}

int display_width(std::string_view s)
{
	int w = 0;
	for (size_t i = 0; i < s.size();) {
		char32_t cp = 0;
		size_t n = decode_utf8(s, i, cp);
		w += n ? cell_width(cp) : 1;
		i += n ? n : 1;
	}
	return w;
}

std::string fit(std::string_view s, int cells, bool right)
{
	if (cells <= 0)
		return {};
	std::string out;
	int w = 0;
	bool cut = display_width(s) > cells;
	int room = cut ? cells - 1 : cells;
	for (size_t i = 0; i < s.size();) {
		char32_t cp = 0;
		size_t n = decode_utf8(s, i, cp);
		int cw = n ? cell_width(cp) : 1;
		if (w + cw > room)
			break;
		out.append(s.substr(i, n ? n : 1));
		w += cw;
		i += n ? n : 1;
	}
	if (cut) {
		out += '~';
		++w;
	}
	std::string pad(static_cast<size_t>(cells - w), ' ');
	return right ? pad + out : out + pad;
}

std::string fit_middle(std::string_view s, int cells)
{
	if (cells <= 1 || display_width(s) <= cells)
		return fit(s, cells);
	// cell offsets of every code point
	std::vector<std::pair<size_t, int>> cps;  // byte offset, cells before it
	int w = 0;
	for (size_t i = 0; i < s.size();) {
		char32_t cp = 0;
		size_t n = decode_utf8(s, i, cp);
		cps.push_back({i, w});
		w += n ? cell_width(cp) : 1;
		i += n ? n : 1;
	}
	int room = cells - 1;
	size_t slash = s.rfind('/');
	int base = slash == std::string_view::npos ? w : display_width(s.substr(slash));
	int tail = std::min(room, std::max(room / 2, base));
	size_t head_end = 0, tail_start = s.size();
	for (const auto& [off, before] : cps)
		if (before <= room - tail)
			head_end = off;
	if (display_width(s.substr(0, head_end)) > room - tail)
		head_end = 0;
	for (auto it = cps.rbegin(); it != cps.rend(); ++it)
		if (w - it->second <= tail)
			tail_start = it->first;
	std::string out = std::string(s.substr(0, head_end)) + "~" + std::string(s.substr(tail_start));
	return fit(out, cells);
}

std::string human_bytes(uint64_t n)
{
	static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = static_cast<double>(n);
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		++u;
	}
	char buf[32];
	if (u == 0)
		std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(n));
	else
		std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
	return buf;
}

std::string local_time(double t)
{
	if (t <= 0)
		return {};
	std::time_t s = static_cast<std::time_t>(t);
	std::tm tm{};
	if (!::localtime_r(&s, &tm))
		return {};
	char buf[32];
	std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

} // namespace snitch
