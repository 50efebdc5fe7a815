#include "core/jsonl_writer.hpp"
#include "core/file_io.hpp"
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
	try {
		write_all(fd_, buf_, "write");
	} catch (const std::system_error& e) {
		buf_.clear();
		if (e.code().value() == EPIPE)
			throw OutputClosed();
		throw;
	}
	buf_.clear();
}

} // namespace snitch
