// parse_event and dump_line (nlohmann): every stage that reads events off the
// hot path. A line either throws std::runtime_error or gives an object that
// dumps to one line that parses back to the same value.
#include "core/event.hpp"
#include "fuzz_input.hpp"
#include <stdexcept>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	std::string_view line = fuzz::as_text(data, size);
	Json e;
	try {
		e = parse_event(line);
	} catch (const std::exception&) {
		return 0;
	}
	std::string out = dump_line(e);
	if (out.find('\n') != std::string::npos)
		fuzz::property_failed("dump_line wrote a newline", line);
	Json back = parse_event(out);
	if (dump_line(back) != out)
		fuzz::property_failed("dump_line output does not survive a round trip", line);
	return 0;
}
