// LineReader on a stream of any bytes: the first byte picks the line limit.
// Every byte ends up in a line, a newline or an oversized line, never twice.
#include "fuzz_input.hpp"
#include "core/line_reader.hpp"
#include <sys/mman.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	if (size == 0)
		return 0;
	size_t max_line = data[0] + 1;
	std::string_view text = fuzz::as_text(data + 1, size - 1);
	UniqueFd fd(::memfd_create("line_reader", MFD_CLOEXEC));
	if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
	    ::lseek(fd.get(), 0, SEEK_SET) != 0)
		throw std::system_error(errno, std::generic_category(), "memfd");
	LineReader reader(fd.get(), max_line);
	size_t bytes = 0;
	unsigned long lines = 0;
	for (bool more = true;;) {
		std::string_view line;
		auto next = reader.next(line);
		if (next == LineReader::Next::line) {
			if (line.size() > max_line || line.find('\n') != std::string_view::npos)
				fuzz::property_failed("a line longer than the limit or with a newline", text);
			bytes += line.size();
			++lines;
		} else if (next == LineReader::Next::oversized) {
			++lines;
		} else if (!more) {
			break;
		} else {
			more = reader.fill();
		}
	}
	if (bytes > text.size() || reader.line_number() != lines)
		fuzz::property_failed("line bytes or line numbers do not add up", text);
	return 0;
}
