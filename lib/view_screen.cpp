#include "view_screen.hpp"
#include "event.hpp"
#include "view_print.hpp"
#include "view_text.hpp"
#include <algorithm>
#include <stdexcept>
#include <unistd.h>

namespace snitch {

Terminal::Terminal()
{
	FILE* in = stdin;
	if (!::isatty(STDIN_FILENO)) {
		tty_.reset(std::fopen("/dev/tty", "r"));
		if (!tty_)
			throw std::system_error(errno, std::generic_category(), "open /dev/tty for keys");
		in = tty_.get();
	}
	screen_.reset(newterm(nullptr, stdout, in));
	if (!screen_)
		throw std::runtime_error("cannot start curses on this terminal (TERM=" + std::string(getenv("TERM") ? getenv("TERM") : "") + ")");
	if (cbreak() == ERR || noecho() == ERR || keypad(stdscr, TRUE) == ERR)
		throw std::runtime_error("cannot set the terminal's input modes");
	set_escdelay(25);
	curs_set(0);  // ERR on terminals without cursor control: harmless
}

Terminal::~Terminal()
{
	endwin();
}

int Terminal::input_fd() const
{
	return tty_ ? ::fileno(tty_.get()) : STDIN_FILENO;
}

int Terminal::key(int timeout_ms)
{
	timeout(timeout_ms);
	return getch();
}

std::optional<std::string> Terminal::prompt(const std::string& prompt, const std::string& initial)
{
	std::string text = initial;
	curs_set(1);
	for (;;) {
		std::string shown = prompt + escape_text(text);
		put_line(LINES - 1, 0, shown, COLS);
		move(LINES - 1, std::min(display_width(shown), COLS - 1));
		refresh();
		int k = key(-1);
		if (k == 27) {
			curs_set(0);
			return std::nullopt;
		}
		if (k == '\n' || k == '\r' || k == KEY_ENTER)
			break;
		if ((k == KEY_BACKSPACE || k == 127 || k == 8) && !text.empty())
			text.pop_back();
		else if (k >= 32 && k < 256 && k != 127)
			text += static_cast<char>(k);
	}
	curs_set(0);
	return text;
}

void put_line(int y, int x, const std::string& text, int cells, attr_t attr)
{
	if (y < 0 || y >= LINES || cells <= 0)
		return;
	attron(attr);
	mvaddstr(y, x, fit(text, std::min(cells, COLS - x)).c_str());
	attroff(attr);
}

Columns columns_for(int width, bool with_last)
{
	Columns c;
	if (!with_last)
		c.last = 0;
	int fixed = (c.events + 1) + (c.sent + 1) + (c.recv + 1) + (c.last ? c.last + 1 : 0);
	int rest = width - fixed;
	c.bar = rest >= 40 ? std::min(20, rest - 30) : rest >= 28 ? 6 : 0;
	c.key = std::max(8, rest - (c.bar ? c.bar + 1 : 0));
	return c;
}

std::string column_header(const Columns& c, const std::string& title)
{
	std::string s = fit(title, c.key) + ' ' + fit("EVENTS", c.events, true) + ' ' + fit("SENT", c.sent, true) + ' ' +
			fit("RECEIVED", c.recv, true);
	if (c.last)
		s += ' ' + fit("LAST SEEN", c.last);
	if (c.bar)
		s += ' ' + fit(c.bar >= 9 ? "BANDWIDTH" : "", c.bar);
	return s;
}

std::string format_row(const Columns& c, const std::string& key, uint64_t events, uint64_t sent, uint64_t recv,
		       const std::string& last, uint64_t scale)
{
	std::string s = fit(key, c.key) + ' ' + fit(std::to_string(events), c.events, true) + ' ' +
			fit(human_bytes(sent), c.sent, true) + ' ' + fit(human_bytes(recv), c.recv, true);
	if (c.last)
		s += ' ' + fit(last, c.last);
	if (c.bar) {
		double share = scale ? static_cast<double>(sent + recv) / static_cast<double>(scale) : 0;
		int n = static_cast<int>(share * c.bar + 0.5);
		if (n == 0 && sent + recv > 0)
			n = 1;
		s += ' ' + std::string(static_cast<size_t>(n), '#');
	}
	return s;
}

namespace {

std::string short_time(double t)
{
	std::string s = local_time(t);
	return s.size() > 5 ? s.substr(5) : s;  // MM-DD HH:MM:SS
}

uint64_t bar_scale(const std::vector<Row>& rows)
{
	uint64_t m = 0;
	for (const auto& r : rows)
		m = std::max(m, r.sent + r.recv);
	return m;
}

class Browser {
public:
	Browser(ViewDb& db, ViewState s, double fixed_now) : db_(db), s_(std::move(s)), fixed_now_(fixed_now) {}
	void run();

private:
	double now() const { return fixed_now_ > 0 ? fixed_now_ : epoch_now(); }
	void requery();
	void resort();
	void draw();
	void draw_top();
	void draw_list(int y, int height);
	void draw_pane(int y, int height);
	void draw_secondary(int y, int height, const Row& sel);
	void draw_detail(int y, int height);
	void draw_help();
	std::string detail_exe() const;
	int list_height() const;

	ViewDb& db_;
	ViewState s_;
	double fixed_now_;
	Terminal term_;
	std::vector<Row> raw_, rows_;
	std::string error_;
	std::string pane_key_;  // what pane_rows_ / detail_ were fetched for
	std::vector<Row> pane_rows_;
	ExeDetail detail_;
};

int Browser::list_height() const
{
	int pane = LINES >= 14 ? std::max(4, (LINES - 4) / 3) : 0;
	return std::max(1, LINES - 4 - pane);
}

void Browser::requery()
{
	try {
		raw_ = fetch_rows(db_, primary_query(s_, now()));
		error_.clear();
	} catch (const std::exception& e) {
		raw_.clear();
		error_ = e.what();
	}
	resort();
}

void Browser::resort()
{
	rows_ = visible_rows(raw_, s_);
	pane_key_ = "\x01invalid";
	s_.selected = std::clamp(s_.selected, 0, std::max(0, static_cast<int>(rows_.size()) - 1));
}

void Browser::draw_top()
{
	auto cyc = cycle_screens(s_);
	auto pos = std::find(cyc.begin(), cyc.end(), s_.screen) - cyc.begin() + 1;
	std::string title = std::string(" snitch-view | ") + screen_info(s_.screen).title + " (" + std::to_string(pos) + "/" +
			    std::to_string(cyc.size()) + ") | " + range_label(s_) + " | sort: " + sort_name(s_.sort) + " | " +
			    std::to_string(rows_.size()) + " rows";
	put_line(0, 0, title, COLS, A_REVERSE);
	std::string f = "filters:";
	for (size_t i = 0; i < s_.filters.size(); ++i)
		f += std::string(i ? " >" : "") + " " + screen_info(s_.filters[i].kind).id + "=" +
		     display_key(s_.filters[i].kind, s_.filters[i].value);
	if (s_.filters.empty())
		f += " none";
	if (!s_.search.empty())
		f += "  search: " + escape_text(s_.search);
	put_line(1, 0, f, COLS);
}

void Browser::draw_list(int y, int height)
{
	Columns c = columns_for(COLS - 2);
	put_line(y, 0, "  " + column_header(c, screen_info(s_.screen).title), COLS, A_BOLD);
	if (!error_.empty()) {
		put_line(y + 1, 0, "error: " + escape_text(error_), COLS);
		return;
	}
	if (s_.selected < s_.top)
		s_.top = s_.selected;
	if (s_.selected >= s_.top + height)
		s_.top = s_.selected - height + 1;
	uint64_t scale = bar_scale(rows_);
	for (int i = 0; i < height; ++i) {
		size_t r = static_cast<size_t>(s_.top + i);
		if (r >= rows_.size())
			break;
		const Row& row = rows_[r];
		bool sel = static_cast<int>(r) == s_.selected;
		put_line(y + 1 + i, 0,
			 (sel ? "> " : "  ") + format_row(c, display_key(s_.screen, row.key), row.events, row.sent, row.recv, short_time(row.last), scale),
			 COLS, sel ? A_REVERSE : A_NORMAL);
	}
}

std::string Browser::detail_exe() const
{
	if (s_.screen == ScreenKind::exe && !rows_.empty())
		return rows_[static_cast<size_t>(s_.selected)].key;
	for (const auto& f : s_.filters)
		if (f.kind == ScreenKind::exe)
			return f.value;
	return {};
}

void Browser::draw_secondary(int y, int height, const Row& sel)
{
	std::string want = std::to_string(static_cast<int>(s_.secondary)) + '\0' + sel.key;
	if (want != pane_key_) {
		try {
			pane_rows_ = fetch_rows(db_, secondary_query(s_, sel.key, now()));
			sort_rows(pane_rows_, s_.sort, s_.secondary);
		} catch (const std::exception& e) {
			pane_rows_ = {{"error: " + std::string(e.what())}};
		}
		pane_key_ = want;
	}
	Columns c = columns_for(COLS, false);
	std::string title = std::string(screen_info(s_.secondary).title) + " of " + display_key(s_.screen, sel.key) + " (s/S)";
	put_line(y, 0, column_header(c, title), COLS, A_BOLD);
	uint64_t scale = bar_scale(pane_rows_);
	for (int i = 0; i + 1 < height && static_cast<size_t>(i) < pane_rows_.size(); ++i) {
		const Row& r = pane_rows_[static_cast<size_t>(i)];
		put_line(y + 1 + i, 0, format_row(c, display_key(s_.secondary, r.key), r.events, r.sent, r.recv, "", scale), COLS);
	}
}

void Browser::draw_detail(int y, int height)
{
	std::string exe = detail_exe();
	if (exe.empty()) {
		put_line(y, 0, "Detail: select an executable (Executables screen or an exe filter)", COLS, A_BOLD);
		return;
	}
	std::string want = std::string("\x02") + exe;
	if (want != pane_key_) {
		try {
			detail_ = fetch_detail(db_, exe);
		} catch (const std::exception& e) {
			detail_ = ExeDetail{};
			detail_.exe = std::string("error: ") + e.what();
		}
		pane_key_ = want;
	}
	std::vector<std::string> lines;
	for (const auto& h : detail_.hashes)
		lines.push_back(escape_text(h.verdict) + "  " + (h.sha256.empty() ? std::string("(no sha256)") : escape_text(h.sha256)));
	std::string parents = "parents:";
	for (const auto& p : detail_.parents)
		parents += " " + escape_text(p);
	lines.push_back(parents);
	lines.push_back("first seen " + local_time(detail_.first) + "  last seen " + local_time(detail_.last));
	put_line(y, 0, "Detail: " + escape_text(detail_.exe) + " (d)", COLS, A_BOLD);
	for (int i = 0; i + 1 < height && static_cast<size_t>(i) < lines.size(); ++i)
		put_line(y + 1 + i, 0, lines[static_cast<size_t>(i)], COLS);
}

void Browser::draw_pane(int y, int height)
{
	if (height <= 1)
		return;
	if (s_.pane == Pane::detail)
		draw_detail(y, height);
	else if (!rows_.empty())
		draw_secondary(y, height, rows_[static_cast<size_t>(s_.selected)]);
}

void Browser::draw_help()
{
	static const char* lines[] = {
		"left/right       cycle screens",
		"up/down PgUp/PgDn Home/End  move",
		"space/enter      filter on the entry",
		"backspace        remove the last filter",
		"t/T              cycle the time range",
		"h/H              previous/next period",
		"s/S              cycle the lower pane's screen",
		"d                detail panel / breakdown",
		"o                cycle the sort",
		"/                search (empty: clear)",
		"r                refresh",
		"q/Esc            quit",
		"",
		"any key closes this help",
	};
	int y = std::max(0, (LINES - 16) / 2);
	int w = std::min(COLS, 50);
	int x = std::max(0, (COLS - w) / 2);
	put_line(y, x, " snitch-view keys", w, A_REVERSE);
	int i = 1;
	for (const char* l : lines)
		put_line(y + i++, x, std::string(" ") + l, w, A_REVERSE);
}

void Browser::draw()
{
	erase();
	if (LINES < 8 || COLS < 40) {
		put_line(0, 0, "terminal too small", COLS);
		refresh();
		return;
	}
	int list = list_height();
	draw_top();
	draw_list(2, list);
	draw_pane(3 + list, LINES - 4 - list);
	put_line(LINES - 1, 0, " ? help  q quit  / search  o sort  t range  space filter  d detail", COLS, A_REVERSE);
	if (s_.help)
		draw_help();
	refresh();
}

void Browser::run()
{
	requery();
	for (;;) {
		draw();
		int k = term_.key(-1);
		if (k == KEY_RESIZE || k == ERR)
			continue;
		switch (apply_key(s_, k, rows_, list_height())) {
		case KeyResult::quit: return;
		case KeyResult::requery: requery(); break;
		case KeyResult::redraw: resort(); break;
		case KeyResult::search:
			if (auto t = term_.prompt("/", s_.search)) {
				s_.search = *t;
				s_.selected = s_.top = 0;
				resort();
			}
			break;
		case KeyResult::none: break;
		}
	}
}

} // namespace

void run_browser(ViewDb& db, ViewState state, double fixed_now)
{
	Browser(db, std::move(state), fixed_now).run();
}

} // namespace snitch
