#include "core/jsonl_writer.hpp"
#include <cerrno>
#include <poll.h>
#include <system_error>
#include <unistd.h>

namespace snitch {

JsonlWriter::~JsonlWriter()
{
	try {
		flush();
	} catch (...) {
	}
}

void JsonlWriter::write_line(std::string_view line)
{
	buf_.append(line);
	if (line.empty() || line.back() != '\n')
		buf_.push_back('\n');
	if (buf_.size() >= high_water_)
		flush();
}

void JsonlWriter::check_reader() const
{
	struct pollfd p = {fd_, 0, 0};
	if (::poll(&p, 1, 0) > 0 && (p.revents & POLLERR))
		throw OutputClosed();
}

void JsonlWriter::flush()
{
	size_t done = 0;
	while (done < buf_.size()) {
		ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf_.clear();
			if (errno == EPIPE)
				throw OutputClosed();
			throw std::system_error(errno, std::generic_category(), "write");
		}
		done += static_cast<size_t>(n);
	}
	buf_.clear();
}

} // namespace snitch
