#include "web/live.hpp"
#include "core/event.hpp"
#include "core/line_reader.hpp"
#include <poll.h>

namespace snitch {

LiveFeed::LiveFeed(int fd, double window) : window_(window), table_(window), reader_([this, fd] { run(fd); }) {}

LiveFeed::~LiveFeed()
{
	stop_ = true;
	reader_.join();
}

void LiveFeed::run(int fd)
{
	LineReader in(fd);
	while (!stop_) {
		pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, 200) <= 0)
			continue;
		std::lock_guard lock(mu_);
		if (!read_live_input(in, table_))
			break;
	}
	ended_ = true;
}

LiveFeed::Snapshot LiveFeed::snapshot()
{
	std::lock_guard lock(mu_);
	return {table_.snapshot(epoch_now()), table_.lines(), table_.bad_lines(), ended_};
}

} // namespace snitch
