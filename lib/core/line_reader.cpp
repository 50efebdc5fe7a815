#include "core/line_reader.hpp"
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <system_error>
#include <unistd.h>

namespace snitch {

LineReader::Next LineReader::next(std::string_view& line)
{
	for (;;) {
		const char* start = buf_.data() + pos_;
		size_t avail = buf_.size() - pos_;
		const void* nl = std::memchr(start, '\n', avail);
		if (skipping_) {
			if (!nl) {
				pos_ = buf_.size();
				return Next::need_input;
			}
			pos_ += static_cast<const char*>(nl) - start + 1;
			skipping_ = false;
			continue;
		}
		if (nl) {
			size_t len = static_cast<const char*>(nl) - start;
			pos_ += len + 1;
			++line_no_;
			if (len > max_line_)
				return Next::oversized;
			line = std::string_view(start, len);
			return Next::line;
		}
		if (avail > max_line_) {
			++line_no_;
			skipping_ = true;
			pos_ = buf_.size();
			return Next::oversized;
		}
		if (eof_ && avail > 0) {
			pos_ = buf_.size();
			++line_no_;
			line = std::string_view(start, avail);
			return Next::line;
		}
		return Next::need_input;
	}
}

bool LineReader::fill()
{
	if (eof_)
		return false;
	buf_.erase(0, pos_);
	pos_ = 0;
	size_t old = buf_.size();
	buf_.resize(old + (1 << 16));
	ssize_t n = ::read(fd_, buf_.data() + old, 1 << 16);
	buf_.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return false;
		throw std::system_error(errno, std::generic_category(), "read");
	}
	if (n == 0) {
		eof_ = true;
		return !buf_.empty();
	}
	return true;
}

bool LineReader::pending() const
{
	if (std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_))
		return true;
	struct pollfd p = {fd_, POLLIN, 0};
	return ::poll(&p, 1, 0) > 0;
}

} // namespace snitch
