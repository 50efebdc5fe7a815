// config.json (picosnitch-config(5)): a file a user edits by hand. Anything
// that is not a valid config gives std::runtime_error naming the problem.
#include "core/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	try {
		Config c = parse_config(fuzz::as_text(data, size), "config.json");
		if (c.db_retention_days < 0 || c.db_write_limit_seconds < 0 || c.vt_request_limit_seconds < 0)
			fuzz::property_failed("a negative duration accepted", fuzz::as_text(data, size));
	} catch (const std::exception&) {
	}
	return 0;
}
