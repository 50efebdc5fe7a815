#include "core/filter_loop.hpp"
#include "core/event.hpp"
#include "core/stop_flag.hpp"
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <iostream>
#include <poll.h>
#include <system_error>

namespace snitch {

void MalformedReporter::report(unsigned long line_no, std::string_view why)
{
	++total_;
	++unsummarized_;
	if (total_ <= 5)
		std::cerr << source_ << ": input line " << line_no << " skipped: " << why << '\n';
	summarize();
}

void MalformedReporter::summarize(bool force)
{
	double now = epoch_now();
	if (!unsummarized_ || (!force && now - last_summary_ < period_))
		return;
	std::string msg = "skipped " + std::to_string(unsummarized_) + " malformed input line" +
		(unsummarized_ == 1 ? "" : "s") + " (" + std::to_string(total_) + " in total)";
	if (total_ > 5)
		std::cerr << source_ << ": " << msg << '\n';
	out_.write_line(dump_line(error_event(source_, msg, unsummarized_)));
	unsummarized_ = 0;
	last_summary_ = now;
}

namespace {

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
		} catch (const FilterFailed&) {
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

void tick_if_due(const FilterLoop& cfg, JsonlWriter& out)
{
	if (!cfg.on_tick)
		return;
	double now = epoch_now();
	if ((cfg.next_deadline && now >= cfg.next_deadline()) || (cfg.wake_fd && readable_now(cfg.wake_fd())))
		cfg.on_tick(now, out);
}

int poll_timeout_ms(const FilterLoop& cfg)
{
	if (!cfg.next_deadline)
		return -1;
	double wait = std::clamp(cfg.next_deadline() - epoch_now(), 0.0, 60.0);
	return static_cast<int>(std::ceil(wait * 1000));
}

// Sleeps until the input (while open) or the wake descriptor is readable, the
// next deadline, the reader of the output going away, or a signal. True when the
// input has something (data or EOF).
bool wait_for_input(const FilterLoop& cfg, bool input_open, int out_fd)
{
	struct pollfd p[3] = {{input_open ? cfg.in_fd : -1, POLLIN, 0}, {cfg.wake_fd ? cfg.wake_fd() : -1, POLLIN, 0},
		{out_fd, 0, 0}};
	int timeout = poll_timeout_ms(cfg);
	if (!input_open && p[1].fd < 0 && timeout < 0)
		timeout = 100;  // lingering with nothing to wait on: check again soon
	if (::poll(p, 3, timeout) < 0 && errno != EINTR)
		throw std::system_error(errno, std::generic_category(), "poll");
	return input_open && p[0].revents;
}

} // namespace

int run_filter(const FilterLoop& cfg, const LineHandler& handle)
{
	install_stop_handlers();
	LineReader in(cfg.in_fd, cfg.max_line);
	JsonlWriter out(cfg.out_fd);
	MalformedReporter bad(cfg.source, out);
	for (;;) {
		drain(in, out, bad, handle);
		if (stop_requested() || (in.eof() && !(cfg.linger && cfg.linger())))
			break;
		bool busy = !in.eof() && in.pending();
		tick_if_due(cfg, out);
		if (busy) {
			in.fill();
			continue;
		}
		bad.summarize();
		if (cfg.on_idle)
			cfg.on_idle(out);
		out.flush();
		out.check_reader();
		if (wait_for_input(cfg, !in.eof(), cfg.out_fd))
			in.fill();
		out.check_reader();
	}
	drain(in, out, bad, handle);
	bad.summarize(true);
	if (cfg.on_idle)
		cfg.on_idle(out);
	if (cfg.on_finish)
		cfg.on_finish(out);
	out.flush();
	return 0;
}

} // namespace snitch
