#include "store/runner.hpp"
#include "core/event.hpp"
#include "core/stop_flag.hpp"
#include <iostream>

namespace snitch {

void StoreRunner::line(std::string_view line, JsonlWriter& out)
{
	window_.add(line);
	if (!quiet_)
		out.write_line(line);
	if ((++check_ & 63) == 0 && window_.due(monotonic_now()))
		commit(&out, false);
}

void StoreRunner::idle(JsonlWriter& out)
{
	double now = monotonic_now();
	if (!window_.empty() && (stop_requested() || window_.idle_commit() || window_.quiet(now)))
		commit(&out, true);
	else if (!window_.empty() && window_.due(now))
		commit(&out, false);
	report(sink_.tick(), &out);
}

void StoreRunner::finish()
{
	if (!window_.empty())
		commit(nullptr, true);
	report(sink_.finish(), nullptr);
}

void StoreRunner::commit(JsonlWriter* out, bool all)
{
	Batch b = window_.take(all);
	uint64_t n = b.events;
	if (b.empty() && !n)
		return;
	std::vector<ErrorRow> errors;
	try {
		errors = sink_.write(b);
	} catch (const std::exception& e) {
		// already passed on downstream, but not stored: say how many (held rows too, the run ends here)
		n += window_.pending_events();
		throw StoreFailed(std::string(e.what()) + " (" + std::to_string(n) + " event" + (n == 1 ? "" : "s") +
				  " of this window not stored, " + std::to_string(committed_) + " stored before)");
	}
	committed_ += n;
	report(errors, out);
}

void StoreRunner::report(const std::vector<ErrorRow>& errors, JsonlWriter* out)
{
	for (const ErrorRow& e : errors) {
		if (e.lost)
			window_.forget_processes();
		std::cerr << "snitch-store: " << e.message << '\n';
		if (out && !quiet_)
			out->write_line(dump_line(error_event("snitch-store", e.message, e.lost)));
	}
}

} // namespace snitch
