// snitch-vt's handling of each line (VtEventScanner, then is_sha256 before a
// hash reaches the worker): the sha256 fields of the event, or
// std::runtime_error.
#include "fuzz_input.hpp"
#include "vt/event_scan.hpp"
#include "vt/reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	VtEventScanner scanner;
	fuzz::for_each_line(fuzz::as_text(data, size), [&](std::string_view line) {
		try {
			for (const HashRef& h : scanner.scan(line))
				if (is_sha256(h.sha256) && h.sha256.size() != 64)
					fuzz::property_failed("is_sha256 accepted a string not 64 long", line);
		} catch (const std::exception&) {
		}
	});
	return 0;
}
