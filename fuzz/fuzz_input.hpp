#pragma once
// Shared by the fuzz targets: the input as text, its lines, an output that
// goes nowhere, and a failed property that libFuzzer reports as a crash.
#include "core/c_handle.hpp"
#include "core/event.hpp"
#include "core/jsonl_writer.hpp"
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace snitch::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size)
{
	return {reinterpret_cast<const char*>(data), size};
}

template <class F> void for_each_line(std::string_view text, F&& f)
{
	while (!text.empty()) {
		size_t nl = text.find('\n');
		f(text.substr(0, nl));
		if (nl == std::string_view::npos)
			break;
		text.remove_prefix(nl + 1);
	}
}

// /dev/null for JsonlWriter, opened once per fuzzing process.
inline int null_fd()
{
	static const UniqueFd fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "open /dev/null");
	return fd.get();
}

[[noreturn]] inline void property_failed(const char* what, std::string_view input)
{
	std::fprintf(stderr, "property failed: %s\ninput: %.*s\n", what, static_cast<int>(input.size()), input.data());
	std::abort();
}

// A filter's output, kept in memory (a memfd) to be checked.
class CapturedOutput {
public:
	CapturedOutput() : fd_(::memfd_create("fuzz-out", MFD_CLOEXEC)), writer_(fd_.get(), 1 << 30)
	{
		if (!fd_)
			throw std::system_error(errno, std::generic_category(), "memfd_create");
	}
	JsonlWriter& writer() { return writer_; }
	std::string text()
	{
		writer_.flush();
		std::string all;
		char buf[1 << 14];
		for (off_t at = 0;;) {
			ssize_t n = ::pread(fd_.get(), buf, sizeof(buf), at);
			if (n <= 0)
				return all;
			all.append(buf, static_cast<size_t>(n));
			at += n;
		}
	}

private:
	UniqueFd fd_;
	JsonlWriter writer_;
};

// Every line a filter writes must be an event the next stage can read.
inline void require_event_lines(CapturedOutput& out, std::string_view input)
{
	for_each_line(out.text(), [&](std::string_view line) {
		try {
			parse_event(line);
		} catch (const std::exception&) {
			property_failed("the filter wrote a line that is no event", input);
		}
	});
}

// True when nlohmann reads `line` as an event (the filters' own precondition).
inline bool is_event(std::string_view line)
{
	try {
		parse_event(line);
		return true;
	} catch (const std::exception&) {
		return false;
	}
}

} // namespace snitch::fuzz
