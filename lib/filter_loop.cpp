#include "filter_loop.hpp"
#include "event.hpp"
#include "stop_flag.hpp"
#include <iostream>

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
		} catch (const std::exception& e) {
			bad.report(in.line_number(), e.what());
		}
	}
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
		if (stop_requested() || in.eof())
			break;
		if (!in.pending()) {
			bad.summarize();
			if (cfg.on_idle)
				cfg.on_idle(out);
			out.flush();
		}
		in.fill();
	}
	drain(in, out, bad, handle);
	bad.summarize(true);
	if (cfg.on_idle)
		cfg.on_idle(out);
	out.flush();
	return 0;
}

} // namespace snitch
