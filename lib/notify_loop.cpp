#include "notify_loop.hpp"
#include "event.hpp"
#include "stop_flag.hpp"
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <poll.h>
#include <system_error>

namespace snitch {
namespace {

constexpr double max_sleep = 60;

void drain(LineReader& in, JsonlWriter& out, MalformedReporter& bad, const LineHandler& handle)
{
	std::string_view line;
	for (;;) {
		switch (in.next(line)) {
		case LineReader::Next::need_input:
			return;
		case LineReader::Next::oversized:
			bad.report(in.line_number(), "line longer than the limit");
			continue;
		case LineReader::Next::line:
			break;
		}
		if (line.find_first_not_of(" \t\r") == std::string_view::npos)
			continue;
		try {
			handle(line, out);
		} catch (const OutputClosed&) {
			throw;
		} catch (const std::exception& e) {
			bad.report(in.line_number(), e.what());
		}
	}
}

bool readable_now(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return fd >= 0 && ::poll(&p, 1, 0) > 0;
}

// Sleeps until stdin is readable, the wake descriptor is, or the deadline.
// True when stdin has something (data or EOF).
bool wait_input(int in_fd, const TimedHooks& h, double now)
{
	double until = std::min(h.next_deadline() - now, max_sleep);
	int timeout_ms = static_cast<int>(std::ceil(std::max(until, 0.0) * 1000));
	struct pollfd p[2] = {{in_fd, POLLIN, 0}, {h.wake_fd(), POLLIN, 0}};
	int n = ::poll(p, p[1].fd >= 0 ? 2 : 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		throw std::system_error(errno, std::generic_category(), "poll");
	return n > 0 && p[0].revents;
}

} // namespace

int run_timed_filter(const FilterLoop& cfg, const TimedHooks& h)
{
	install_stop_handlers();
	LineReader in(cfg.in_fd, cfg.max_line);
	JsonlWriter out(cfg.out_fd);
	MalformedReporter bad(cfg.source, out);
	for (;;) {
		drain(in, out, bad, h.on_line);
		if (stop_requested() || in.eof())
			break;
		double now = epoch_now();
		if (in.pending()) {
			if (now >= h.next_deadline() || readable_now(h.wake_fd()))
				h.on_tick(now, out);
			in.fill();
			continue;
		}
		bad.summarize();
		h.on_tick(now, out);
		out.flush();
		if (wait_input(cfg.in_fd, h, now))
			in.fill();
	}
	drain(in, out, bad, h.on_line);
	bad.summarize(true);
	h.on_finish(out);
	out.flush();
	return 0;
}

} // namespace snitch
