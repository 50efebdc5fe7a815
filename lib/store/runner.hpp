#pragma once
// Drives snitch-store: lines into the window, windows into the sink when due
// (per line while busy; on the filter loop's idle and tick hooks while quiet).
// Rows of the newest event-time window are held back until input is quiet for
// a window, ends or is stopped.
#include "core/filter_loop.hpp"
#include "core/jsonl_writer.hpp"
#include "store/window.hpp"
#include <string>

namespace snitch {

// Thrown out of the filter loop when the database cannot be written.
struct StoreFailed : FilterFailed {
	using FilterFailed::FilterFailed;
};

class StoreRunner {
public:
	StoreRunner(EventWindow& window, StoreSink& sink, bool quiet) : window_(window), sink_(sink), quiet_(quiet) {}
	void line(std::string_view line, JsonlWriter& out);
	void idle(JsonlWriter& out);
	// Commits what is left (end of input); error rows go to stderr only.
	void finish();

private:
	void commit(JsonlWriter* out, bool all);
	void report(const std::vector<ErrorRow>& errors, JsonlWriter* out);

	EventWindow& window_;
	StoreSink& sink_;
	bool quiet_;
	uint64_t committed_ = 0;
	unsigned check_ = 0;
};

} // namespace snitch
