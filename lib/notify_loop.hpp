#pragma once
// A JSON Lines filter loop that also wakes up on a deadline and on one more
// descriptor: run_filter (filter_loop.hpp) blocks on stdin until input comes,
// but notifications must go out when a burst ends even if nothing follows.
// (Candidate for lib/filter_loop: a FilterLoop with an on_tick/next_deadline.)
#include "filter_loop.hpp"
#include <functional>

namespace snitch {

struct TimedHooks {
	LineHandler on_line;
	// Called when idle and whenever a deadline has passed, busy or not.
	std::function<void(double now, JsonlWriter& out)> on_tick;
	std::function<double()> next_deadline;  // epoch seconds; infinity: none
	std::function<int()> wake_fd;           // -1: none
	// At EOF or SIGINT/SIGTERM, before the final flush.
	std::function<void(JsonlWriter& out)> on_finish;
};

int run_timed_filter(const FilterLoop& cfg, const TimedHooks& hooks);

} // namespace snitch
