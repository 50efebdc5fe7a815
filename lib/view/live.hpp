#pragma once
// snitch-view --live: per-process rates from flow events on stdin.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace snitch {

struct LiveOptions {
	double window = 5;  // seconds the rates average over
};

// Totals and recent bytes per process, fed one JSON line at a time.
class LiveTable {
public:
	explicit LiveTable(double window) : window_(window) {}
	// Takes one JSON line; returns false if it was not a usable flow event.
	bool add_line(std::string_view line, double now);
	// A line over the reader's limit, dropped unread: still counted as unreadable.
	void add_oversized()
	{
		++lines_;
		++bad_;
	}
	struct Entry {
		int64_t pid = 0;
		std::string comm, exe;
		uint64_t sent = 0, recv = 0, events = 0;
		double sent_rate = 0, recv_rate = 0, last = 0;
		// bytes (sent + received) in each 5 s of the last minute, oldest first
		std::vector<uint64_t> minute;
	};
	// Entries with rates over the last window ending at `now`, busiest
	// first (by_total: most bytes in total first).
	std::vector<Entry> snapshot(double now, bool by_total = false);
	uint64_t lines() const { return lines_; }
	uint64_t bad_lines() const { return bad_; }

private:
	struct Sample {
		double time;
		uint64_t sent, recv;
	};
	struct Proc {
		Entry e;
		std::vector<Sample> recent;
	};
	double window_;
	std::map<std::pair<int64_t, std::string>, Proc> procs_;
	uint64_t lines_ = 0, bad_ = 0;
};

class LineReader;
// Reads what the input has into the table (one read); false once it has ended.
bool read_live_input(LineReader& in, LiveTable& t);

// The last minute as eighth blocks, one cell per 5 s, scaled to `top`.
std::string sparkline(const std::vector<uint64_t>& minute, uint64_t top);

int run_live(const LiveOptions& o);

} // namespace snitch
