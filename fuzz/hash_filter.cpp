// snitch-hash's handling of each line (ExeHashFilter): a line is rejected
// with std::runtime_error or written out; every line it writes for an input
// event is an event again (fields spliced into the original bytes).
#include "hash/filter.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	std::string_view text = fuzz::as_text(data, size);
	HashLimits limits;
	limits.inline_max = 0;  // no thread per input
	ExeHashCache cache(8, false, limits);
	ExeHashFilter filter(cache);
	fuzz::for_each_line(text, [&](std::string_view line) {
		fuzz::CapturedOutput out;
		try {
			filter.handle(line, out.writer());
		} catch (const std::exception&) {
			return;
		}
		if (fuzz::is_event(line))
			fuzz::require_event_lines(out, line);
	});
	return 0;
}
