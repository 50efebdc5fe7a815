#include "store_runner.hpp"
#include "event.hpp"
#include "stop_flag.hpp"
#include <cerrno>
#include <cmath>
#include <csignal>
#include <iostream>
#include <sys/time.h>
#include <system_error>

namespace snitch {
namespace {

extern "C" void on_wake(int) {}

itimerval interval_of(double seconds)
{
	itimerval t = {};
	t.it_interval.tv_sec = static_cast<time_t>(seconds);
	t.it_interval.tv_usec = static_cast<suseconds_t>(std::fmod(seconds, 1.0) * 1e6);
	t.it_value = t.it_interval;
	return t;
}

} // namespace

WakeTimer::WakeTimer(double seconds)
{
	struct sigaction sa = {};
	sa.sa_handler = on_wake;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, nullptr) != 0)
		throw std::system_error(errno, std::generic_category(), "sigaction SIGALRM");
	itimerval t = interval_of(seconds);
	if (setitimer(ITIMER_REAL, &t, nullptr) != 0)
		throw std::system_error(errno, std::generic_category(), "setitimer");
}

WakeTimer::~WakeTimer()
{
	itimerval off = {};
	setitimer(ITIMER_REAL, &off, nullptr);
}

void StoreRunner::line(std::string_view line, JsonlWriter& out)
{
	window_.add(line);
	if (!quiet_)
		out.write_line(line);
	if ((++check_ & 63) == 0 && window_.due(monotonic_now()))
		commit(&out);
}

void StoreRunner::idle(JsonlWriter& out)
{
	if (!window_.empty() && (stop_requested() || window_.idle_commit() || window_.due(monotonic_now())))
		commit(&out);
	report(sink_.tick(), &out);
}

void StoreRunner::finish()
{
	if (!window_.empty())
		commit(nullptr);
	report(sink_.finish(), nullptr);
}

void StoreRunner::commit(JsonlWriter* out)
{
	Batch b = window_.take();
	uint64_t n = b.events;
	std::vector<ErrorRow> errors;
	try {
		errors = sink_.write(b);
	} catch (const std::exception& e) {
		throw StoreFailed{e.what()};
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
