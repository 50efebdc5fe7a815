#pragma once
#include "core/jsonl_writer.hpp"
#include "core/line_reader.hpp"
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace snitch {

// Counts malformed input lines: the first few go to stderr with their line
// numbers, then a summary at most every `period` seconds; each summary also
// becomes one `error` event in the output stream, so nothing is lost silently.
class MalformedReporter {
public:
	MalformedReporter(std::string source, JsonlWriter& out, double period = 10.0)
		: source_(std::move(source)), out_(out), period_(period) {}
	void report(unsigned long line_no, std::string_view why);
	// Emits the pending summary, if any (called at idle and at exit).
	void summarize(bool force = false);

private:
	std::string source_;
	JsonlWriter& out_;
	double period_;
	unsigned long total_ = 0, unsummarized_ = 0;
	double last_summary_ = 0;
};

// Thrown by a handler when the filter cannot go on (its database cannot be
// written, say): run_filter passes it on instead of counting a bad line.
struct FilterFailed : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// What a filter does with one valid-looking line: write it (annotated or not)
// to `out`. Throwing marks the line malformed: it is reported and skipped,
// unless what is thrown is a FilterFailed.
using LineHandler = std::function<void(std::string_view line, JsonlWriter& out)>;
using IdleHandler = std::function<void(JsonlWriter& out)>;
using TickHandler = std::function<void(double now, JsonlWriter& out)>;

struct FilterLoop {
	std::string source;  // the tool's name, for error events
	int in_fd = 0, out_fd = 1;
	size_t max_line = 1 << 20;
	// Input has nothing more to read right now (also once at the end);
	// runs before output is flushed.
	IdleHandler on_idle = nullptr;
	// Timed work that cannot wait for input, busy or idle: on_tick runs when
	// next_deadline() (epoch seconds) has passed or wake_fd() is readable.
	TickHandler on_tick = nullptr;
	std::function<double()> next_deadline = nullptr;
	std::function<int()> wake_fd = nullptr;
	// After end of input the loop goes on ticking while this says true.
	std::function<bool()> linger = nullptr;
	// At the end (EOF or SIGINT/SIGTERM), before the final flush.
	IdleHandler on_finish = nullptr;
};

// Reads JSON Lines until EOF or SIGINT/SIGTERM: batches output while input is
// pending, flushes when idle, and sleeps in poll(2) on the input, the wake
// descriptor and the next deadline. Returns 0, or throws OutputClosed on EPIPE
// and a handler's FilterFailed.
int run_filter(const FilterLoop& cfg, const LineHandler& handle);

} // namespace snitch
