#pragma once
#include "jsonl_writer.hpp"
#include "line_reader.hpp"
#include <functional>
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
	unsigned long total() const { return total_; }

private:
	std::string source_;
	JsonlWriter& out_;
	double period_;
	unsigned long total_ = 0, unsummarized_ = 0;
	double last_summary_ = 0;
};

// What a filter does with one valid-looking line: write it (annotated or not)
// to `out`. Throwing marks the line malformed: it is reported and skipped.
using LineHandler = std::function<void(std::string_view line, JsonlWriter& out)>;
// Called when input has nothing more to read right now, before output is flushed.
using IdleHandler = std::function<void(JsonlWriter& out)>;

struct FilterLoop {
	std::string source;  // the tool's name, for error events
	int in_fd = 0, out_fd = 1;
	size_t max_line = 1 << 20;
	IdleHandler on_idle = nullptr;
};

// Reads JSON Lines until EOF or SIGINT/SIGTERM: batches output while input is
// pending, flushes when idle. Returns 0, or throws OutputClosed on EPIPE.
int run_filter(const FilterLoop& cfg, const LineHandler& handle);

} // namespace snitch
