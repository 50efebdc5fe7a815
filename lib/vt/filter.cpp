#include "vt/filter.hpp"
#include "core/clock.hpp"
#include "core/event.hpp"
#include "core/filter_loop.hpp"
#include "vt/event_scan.hpp"
#include "vt/reply.hpp"
#include <cctype>
#include <cmath>
#include <iostream>
#include <unordered_set>

namespace snitch {
namespace {

// Hands the hashes of one event (and of its parent and grandparent) not seen
// in this run to the worker.
class HashCollector {
public:
	explicit HashCollector(VtWorker& worker) : worker_(worker) {}
	void collect(const std::vector<HashRef>& refs)
	{
		for (const HashRef& r : refs)
			offer(r);
	}

private:
	void offer(const HashRef& ref)
	{
		std::string sha = ref.sha256;
		if (!is_sha256(sha))
			return;
		for (char& c : sha)
			c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		if (seen_.insert(sha).second)
			worker_.submit(std::move(sha), ref.exe);
	}
	VtWorker& worker_;
	std::unordered_set<std::string> seen_;
};

void write_lines(JsonlWriter& out, const std::vector<std::string>& lines)
{
	for (const std::string& line : lines)
		out.write_line(line);
}

} // namespace

int run_vt_filter(VtWorker& worker, double drain_seconds, int in_fd, int out_fd)
{
	VtEventScanner scanner;
	HashCollector hashes(worker);
	double drain_until = HUGE_VAL; // epoch seconds, set at end of input
	FilterLoop loop{.source = "snitch-vt", .in_fd = in_fd, .out_fd = out_fd};
	loop.wake_fd = [&] { return worker.wake_fd(); };
	loop.next_deadline = [&] { return drain_until; };
	loop.on_tick = [&](double, JsonlWriter& out) { write_lines(out, worker.take_output()); };
	loop.linger = [&] {
		if (drain_until == HUGE_VAL) {
			drain_until = epoch_now() + drain_seconds;
			worker.finish_input();
		}
		return !worker.finished() && epoch_now() < drain_until;
	};
	loop.on_finish = [&](JsonlWriter& out) {
		worker.join();
		write_lines(out, worker.take_output());  // rethrows what stopped the worker, if anything did
		if (long left = worker.queued())
			std::cerr << "snitch-vt: " << left << " hash" << (left == 1 ? "" : "es")
				  << " not yet answered " << (left == 1 ? "stays" : "stay") << " queued for the next run\n";
	};
	worker.start();
	return run_filter(loop, [&](std::string_view line, JsonlWriter& out) {
		hashes.collect(scanner.scan(line));
		out.write_line(line);
	});
}

int run_passthrough(int in_fd, int out_fd)
{
	VtEventScanner scanner;
	FilterLoop loop{.source = "snitch-vt", .in_fd = in_fd, .out_fd = out_fd};
	return run_filter(loop, [&](std::string_view line, JsonlWriter& out) {
		scanner.scan(line);
		out.write_line(line);
	});
}

} // namespace snitch
