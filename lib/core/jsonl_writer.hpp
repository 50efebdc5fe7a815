#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

namespace snitch {

// Thrown when the reader of our output has gone away (EPIPE): tools exit 0 quietly.
struct OutputClosed : std::runtime_error {
	OutputClosed() : std::runtime_error("output closed") {}
};

// Fully buffered JSON Lines output on a file descriptor; flush() when idle.
class JsonlWriter {
public:
	explicit JsonlWriter(int fd = 1, size_t high_water = 1 << 16) : fd_(fd), high_water_(high_water) {}
	JsonlWriter(const JsonlWriter&) = delete;
	JsonlWriter& operator=(const JsonlWriter&) = delete;
	~JsonlWriter();

	// Appends one line; a missing trailing newline is added.
	void write_line(std::string_view line);
	void flush();
	bool empty() const { return buf_.empty(); }
	// Throws OutputClosed when the reader has gone, even if nothing is being written:
	// an idle stage would otherwise hold the pipeline open until its next event.
	void check_reader() const;

private:
	int fd_;
	size_t high_water_;
	std::string buf_;
};

} // namespace snitch
