#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace snitch {

// Splits a byte stream into lines without copying them; lines longer than
// max_line are reported as oversized and their bytes discarded, so memory stays
// bounded whatever the input.
class LineReader {
public:
	enum class Next { line, oversized, need_input };

	explicit LineReader(int fd = 0, size_t max_line = 1 << 20) : fd_(fd), max_line_(max_line) {}

	// The next complete line (without '\n') from the buffer. `line` stays valid
	// until the next call to fill().
	Next next(std::string_view& line);
	// Blocks for more input. False at EOF (a final unterminated line is then
	// returned by next()) or when interrupted by a signal.
	bool fill();
	// True when the buffer or the descriptor has more to read right now.
	bool pending() const;
	bool eof() const { return eof_; }
	unsigned long line_number() const { return line_no_; }

private:
	int fd_;
	size_t max_line_;
	std::string buf_;
	size_t pos_ = 0;
	bool skipping_ = false;
	bool eof_ = false;
	unsigned long line_no_ = 0;
};

} // namespace snitch
