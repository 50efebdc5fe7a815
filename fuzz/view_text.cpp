// snitch-view's text handling and the UTF-8 decoder under it: whatever the
// bytes, escape_text gives valid UTF-8 without control characters, bidi
// overrides or other unsafe code points, and fit() gives exactly `cells` cells.
#include "fuzz_input.hpp"
#include "core/utf8_text.hpp"
#include "view/text.hpp"

namespace {

void check_safe(std::string_view escaped, std::string_view input)
{
	for (size_t i = 0; i < escaped.size();) {
		char32_t cp = 0;
		size_t n = snitch::decode_utf8(escaped, i, cp);
		if (n == 0 || n > 4 || i + n > escaped.size())
			snitch::fuzz::property_failed("escape_text gave invalid UTF-8", input);
		if (snitch::is_unsafe_code_point(cp))
			snitch::fuzz::property_failed("escape_text let an unsafe code point through", input);
		i += n;
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	if (size == 0)
		return 0;
	int cells = data[0] % 64;
	std::string_view text = fuzz::as_text(data + 1, size - 1);
	for (size_t i = 0; i < text.size();) {
		char32_t cp = 0;
		size_t n = decode_utf8(text, i, cp);
		if (n > 4 || i + n > text.size())
			fuzz::property_failed("decode_utf8 read past the sequence", text);
		is_unsafe_code_point(cp);
		i += n ? n : 1;
	}
	std::string escaped = escape_text(text);
	check_safe(escaped, text);
	std::string fitted = fit(escaped, cells, data[0] & 0x80);
	if (display_width(fitted) != cells)
		fuzz::property_failed("fit() did not give exactly the cells asked for", text);
	check_safe(fitted, text);
	return 0;
}
