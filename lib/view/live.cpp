#include "view/live.hpp"
#include "core/event.hpp"
#include "core/line_reader.hpp"
#include "view/screen.hpp"
#include "view/state.hpp"
#include "view/text.hpp"
#include <algorithm>
#include <poll.h>
#include <unistd.h>

namespace snitch {

bool LiveTable::add_line(std::string_view line, double now)
{
	++lines_;
	Json j;
	try {
		j = parse_event(line);
	} catch (const std::exception&) {
		++bad_;
		return false;
	}
	if (j.value("type", "") != "flow")
		return false;
	auto num = [&j](const char* k) -> uint64_t {
		auto it = j.find(k);
		return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
	};
	auto text = [&j](const char* k) {
		auto it = j.find(k);
		return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
	};
	auto pid = static_cast<int64_t>(num("pid"));
	Proc& p = procs_[{pid, text("exe")}];
	p.e.pid = pid;
	p.e.exe = text("exe");
	p.e.comm = text("comm");
	uint64_t sent = num("sent"), recv = num("recv");
	p.e.sent += sent;
	p.e.recv += recv;
	p.e.events += std::max<uint64_t>(1, num("events"));
	p.e.last = now;
	p.recent.push_back({now, sent, recv});
	return true;
}

namespace {

constexpr double minute_span = 60, minute_step = 5;

} // namespace

std::vector<LiveTable::Entry> LiveTable::snapshot(double now, bool by_total)
{
	std::vector<Entry> out;
	for (auto& [key, p] : procs_) {
		std::erase_if(p.recent, [&](const Sample& s) { return s.time < now - std::max(window_, minute_span); });
		uint64_t s = 0, r = 0;
		p.e.minute.assign(static_cast<size_t>(minute_span / minute_step), 0);
		for (const auto& x : p.recent) {
			if (x.time >= now - window_) {
				s += x.sent;
				r += x.recv;
			}
			double age = now - x.time;
			if (age >= 0 && age < minute_span)
				p.e.minute[p.e.minute.size() - 1 - static_cast<size_t>(age / minute_step)] += x.sent + x.recv;
		}
		p.e.sent_rate = static_cast<double>(s) / window_;
		p.e.recv_rate = static_cast<double>(r) / window_;
		out.push_back(p.e);
	}
	std::stable_sort(out.begin(), out.end(), [by_total](const Entry& a, const Entry& b) {
		double ra = a.sent_rate + a.recv_rate, rb = b.sent_rate + b.recv_rate;
		if (!by_total && ra != rb)
			return ra > rb;
		if (a.sent + a.recv != b.sent + b.recv)
			return a.sent + a.recv > b.sent + b.recv;
		return a.pid < b.pid;
	});
	return out;
}

std::string sparkline(const std::vector<uint64_t>& minute, uint64_t top)
{
	static const char* blocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
	std::string out;
	for (uint64_t b : minute) {
		if (!b || !top)
			out += ' ';
		else // in long double: b * 8 and top + 1 overflow on hostile counts near 2^64
			out += blocks[std::min<uint64_t>(7, static_cast<uint64_t>(static_cast<long double>(b) * 8 /
										   (static_cast<long double>(top) + 1)))];
	}
	return out;
}

namespace {

std::string rate(double bytes_per_s)
{
	return human_bytes(static_cast<uint64_t>(bytes_per_s + 0.5)) + "/s";
}

std::string live_row(const LiveTable::Entry& e, int width, uint64_t top)
{
	std::string s = fit(std::to_string(e.pid), 7, true) + ' ' + fit(escape_text(e.comm), 15) + ' ' +
			fit(rate(e.sent_rate), 12, true) + ' ' + fit(rate(e.recv_rate), 12, true) + ' ' +
			fit(human_bytes(e.sent), 10, true) + ' ' + fit(human_bytes(e.recv), 10, true) + ' ' +
			sparkline(e.minute, top) + ' ';
	return s + fit_middle(escape_text(e.exe), std::max(8, width - display_width(s)));
}

struct LiveView {
	int selected = 0;
	bool by_total = false;
	std::string search;
};

// `input`: "" while events come, else why none do.
void draw_live(LiveTable& t, const LiveOptions& o, const std::string& input, LiveView& v)
{
	auto rows = t.snapshot(epoch_now(), v.by_total);
	if (!v.search.empty()) {
		ViewState s;
		s.search = v.search;
		std::erase_if(rows, [&](const LiveTable::Entry& e) { return !search_keeps(s, {e.comm, e.exe}); });
	}
	uint64_t top = 0;
	for (const auto& r : rows)
		for (uint64_t b : r.minute)
			top = std::max(top, b);
	int& selected = v.selected;
	selected = std::clamp(selected, 0, std::max(0, static_cast<int>(rows.size()) - 1));
	erase();
	auto count = [](uint64_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); };
	std::string title = " snitch-view --live | " + (input.empty() ? "" : input + " | ") + count(rows.size(), "process", "processes") + " | " + count(t.lines(), "line", "lines") + (t.bad_lines() ? ", " + std::to_string(t.bad_lines()) + " unreadable" : "") +
			    " | rates over " + std::to_string(static_cast<int>(o.window)) + " s | sort: " + (v.by_total ? "total" : "rate") +
			    (v.search.empty() ? "" : " | search: " + escape_text(v.search));
	put_line(0, 0, title, COLS, A_REVERSE);
	std::string head = fit("PID", 7, true) + ' ' + fit("NAME", 15) + ' ' + fit("SENT/S", 12, true) + ' ' +
			   fit("RECV/S", 12, true) + ' ' + fit("SENT", 10, true) + ' ' + fit("RECEIVED", 10, true) + ' ' +
			   fit("LAST MINUTE", 12) + " EXECUTABLE";
	put_line(1, 0, head, COLS, A_BOLD);
	int height = LINES - 3;
	uint64_t top_bytes = top;
	int top_row = std::max(0, selected - height + 1);
	for (int i = 0; i < height && static_cast<size_t>(top_row + i) < rows.size(); ++i)
		put_line(2 + i, 0, live_row(rows[static_cast<size_t>(top_row + i)], COLS, top_bytes), COLS,
			 top_row + i == selected ? A_REVERSE : A_NORMAL);
	put_line(LINES - 1, 0, " q quit  up/down move  o sort (rate/total)  / search", COLS, A_REVERSE);
	// Other stages write to this terminal too (stderr): repaint it whole.
	clearok(curscr, TRUE);
	refresh();
}

} // namespace

bool read_live_input(LineReader& in, LiveTable& t)
{
	in.fill();
	std::string_view line;
	for (;;) {
		auto n = in.next(line);
		if (n == LineReader::Next::need_input)
			break;
		if (n == LineReader::Next::oversized)
			t.add_oversized();
		else if (!line.empty())
			t.add_line(line, epoch_now());
	}
	return !in.eof();
}

int run_live(const LiveOptions& o)
{
	Terminal term;
	LiveTable table(o.window);
	LineReader in(0);
	// Keys come from a terminal on stdin: there are no events to read.
	const bool tty = ::isatty(STDIN_FILENO);
	bool open = !tty;
	LiveView view;
	for (;;) {
		draw_live(table, o,
			  tty ? "no events: stdin is a terminal; pipe them in: sudo snitch-trace 2>>trace.log | snitch-view --live"
			      : open ? "" : "input ended",
			  view);
		pollfd fds[2] = {{term.input_fd(), POLLIN, 0}, {0, POLLIN, 0}};
		int n = ::poll(fds, open ? 2 : 1, 500);
		if (n < 0 && errno != EINTR)
			throw std::system_error(errno, std::generic_category(), "poll");
		if (open && n > 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
			open = read_live_input(in, table);
		for (int k = term.key(0); k != ERR; k = term.key(0)) {
			if (k == 'q' || k == 27)
				return 0;
			if (k == 'o')
				view.by_total = !view.by_total;
			if (k == '/')
				if (auto t = term.prompt("/", ""))
					view.search = *t;
			view.selected += k == KEY_DOWN ? 1 : k == KEY_UP ? -1 : 0;
		}
	}
}

} // namespace snitch
