#include "view/screen.hpp"
#include "core/event.hpp"
#include "view/print.hpp"
#include "view/text.hpp"
#include <algorithm>
#include <cstdlib>
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
	std::string s = fit_middle(key, c.key) + ' ' + fit(std::to_string(events), c.events, true) + ' ' +
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

std::string plural(size_t n, const char* one)
{
	return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}

// "bash (/usr/bin/bash)", "/usr/bin/bash", or "(unknown)".
std::string parent_text(const Connection& c)
{
	if (c.parent_exe.empty())
		return c.parent_name.empty() ? "(unknown)" : escape_text(c.parent_name);
	if (c.parent_name.empty())
		return escape_text(c.parent_exe);
	return escape_text(c.parent_name) + " (" + escape_text(c.parent_exe) + ")";
}

std::string user_text(int64_t uid)
{
	if (uid < 0)
		return "(unknown)";
	std::string name = user_name(uid);
	return name.empty() ? std::to_string(uid) : escape_text(name) + " (" + std::to_string(uid) + ")";
}

// The lines of one connection's detail panel.
std::vector<std::string> connection_lines(const Connection& c)
{
	std::string remote = c.raddr.empty() ? "(none)" : escape_text(c.raddr) + ":" + std::to_string(c.rport);
	return {
		"command: " + escape_text(c.cmdline) + "  (name " + escape_text(c.name) + ", pid " + std::to_string(c.pid) + ")",
		"started by " + parent_text(c) + "  user " + user_text(c.uid),
		escape_text(c.proto) + " to " + remote + (c.domain.empty() ? "" : " (" + escape_text(c.domain) + ")") + " from " +
			escape_text(c.laddr) + ":" + std::to_string(c.lport) + "  " + escape_text(c.family),
		"sent " + std::to_string(c.sent) + " B (" + human_bytes(c.sent) + ")  received " + std::to_string(c.recv) + " B (" +
			human_bytes(c.recv) + ")  events " + std::to_string(c.events),
		"first " + local_time(c.first) + "  last " + local_time(c.last) + "  host " + escape_text(c.host),
		"sha256 " + (c.sha256.empty() ? std::string("(none)") : escape_text(c.sha256)) + "  cgroup " + escape_text(c.cgroup),
	};
}

// Text of a What's new entry after its kind.
std::string sighting_text(const Sighting& x)
{
	if (x.kind == "exe")
		return escape_text(x.exe);
	if (x.kind == "domain")
		return escape_text(x.value);
	return escape_text(x.value) + "  " + escape_text(x.exe);
}

// How long a read snapshot may stand while no key comes: after that the
// next pane that needs the database refreshes every pane.
constexpr int snapshot_idle_ms = 5000;

class Browser {
public:
	Browser(ViewDb& db, ViewState s, double fixed_now) : db_(db), s_(std::move(s)), fixed_now_(fixed_now) {}
	void run();

private:
	double clock() const { return fixed_now_ > 0 ? fixed_now_ : epoch_now(); }
	void requery();
	void fetch();
	void resort();
	int count() const;
	void enter();
	void draw();
	void draw_top();
	void draw_list(int y, int height);
	void draw_rows(int y, int height);
	void draw_news(int y, int height);
	void draw_conns(int y, int height);
	void draw_pane(int y, int height);
	void draw_secondary(int y, int height, const Row& sel);
	void draw_detail(int y, int height);
	void draw_connection(int y, int height);
	void draw_chart(int y, int height);
	void draw_help();
	void keep_visible(int height);
	std::string detail_exe() const;
	int list_height() const;
	std::string pane_want() const;

	ViewDb& db_;
	ViewState s_;
	double fixed_now_, now_ = 0;
	bool stale_ = false;  // the snapshot was ended: the next pane fetch requeries
	Terminal term_;
	std::vector<Row> raw_, rows_;
	std::vector<Sighting> news_;
	std::vector<Connection> conns_;
	std::string error_;
	std::string pane_key_;  // what pane_rows_ / detail_ were fetched for
	std::vector<Row> pane_rows_;
	ExeDetail detail_;
};

// The Connections screen holds the newest rows of its selection.
constexpr size_t connection_rows = 2000;

int Browser::list_height() const
{
	int pane = LINES >= 14 ? std::max(4, (LINES - 4) / 3) : 0;
	if (s_.screen == ScreenKind::conns && LINES >= 14)
		pane = std::max(pane, 7);
	return std::max(1, LINES - 4 - pane);
}

void Browser::fetch()
{
	Query q = primary_query(s_, now_);
	raw_.clear();
	news_.clear();
	conns_.clear();
	if (s_.screen == ScreenKind::news)
		news_ = fetch_sightings(db_, q);
	else if (s_.screen == ScreenKind::conns)
		conns_ = fetch_connections(db_, q, connection_rows);
	else
		raw_ = fetch_rows(db_, q);
}

// One snapshot for the list and the panes fetched until the next requery.
void Browser::requery()
{
	now_ = clock();
	try {
		db_.begin_snapshot();
		stale_ = false;
		fetch();
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
	if (!s_.select_key.empty()) {
		for (size_t i = 0; i < rows_.size(); ++i)
			if (rows_[i].key == s_.select_key)
				s_.selected = static_cast<int>(i);
		s_.select_key.clear();
	}
	s_.selected = std::clamp(s_.selected, 0, std::max(0, count() - 1));
}

int Browser::count() const
{
	size_t n = s_.screen == ScreenKind::news ? visible_sightings(news_, s_).size()
		   : s_.screen == ScreenKind::conns ? visible_connections(conns_, s_).size() : rows_.size();
	return static_cast<int>(n);
}

void Browser::enter()
{
	if (s_.screen == ScreenKind::news) {
		auto v = visible_sightings(news_, s_);
		if (static_cast<size_t>(s_.selected) < v.size())
			push_sighting(s_, v[static_cast<size_t>(s_.selected)]);
	} else if (s_.screen != ScreenKind::conns) {
		push_filter(s_, rows_);
	}
}

void Browser::draw_top()
{
	auto cyc = cycle_screens(s_);
	auto pos = std::find(cyc.begin(), cyc.end(), s_.screen) - cyc.begin() + 1;
	std::string title = std::string(" snitch-view | ") + screen_info(s_.screen).title + " (" + std::to_string(pos) + "/" +
			    std::to_string(cyc.size()) + ") | " + range_label(s_) + " | sort: " + sort_name(s_.sort) + " | " +
			    plural(static_cast<size_t>(count()), "row");
	if (s_.screen == ScreenKind::conns && conns_.size() >= connection_rows)
		title += " (newest)";
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

void Browser::keep_visible(int height)
{
	if (s_.selected < s_.top)
		s_.top = s_.selected;
	if (s_.selected >= s_.top + height)
		s_.top = s_.selected - height + 1;
}

void Browser::draw_list(int y, int height)
{
	if (!error_.empty()) {
		put_line(y, 0, std::string("  ") + screen_info(s_.screen).title, COLS, A_BOLD);
		put_line(y + 1, 0, "error: " + escape_text(error_), COLS);
		return;
	}
	keep_visible(height);
	if (s_.screen == ScreenKind::news)
		draw_news(y, height);
	else if (s_.screen == ScreenKind::conns)
		draw_conns(y, height);
	else
		draw_rows(y, height);
}

void Browser::draw_rows(int y, int height)
{
	Columns c = columns_for(COLS - 2);
	put_line(y, 0, "  " + column_header(c, screen_info(s_.screen).title), COLS, A_BOLD);
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

void Browser::draw_news(int y, int height)
{
	auto v = visible_sightings(news_, s_);
	put_line(y, 0, "  " + fit("FIRST SEEN", 14) + ' ' + fit("NEW", 6) + " WHAT (enter: its connections)", COLS, A_BOLD);
	int what = std::max(8, COLS - 2 - 14 - 1 - 6 - 1);
	for (int i = 0; i < height && static_cast<size_t>(s_.top + i) < v.size(); ++i) {
		const Sighting& x = v[static_cast<size_t>(s_.top + i)];
		bool sel = s_.top + i == s_.selected;
		put_line(y + 1 + i, 0, (sel ? "> " : "  ") + fit(short_time(x.time), 14) + ' ' + fit(x.kind, 6) + ' ' + fit_middle(sighting_text(x), what),
			 COLS, sel ? A_REVERSE : A_NORMAL);
	}
}

void Browser::draw_conns(int y, int height)
{
	auto v = visible_connections(conns_, s_);
	int rest = std::max(16, COLS - 2 - (14 + 1) - (5 + 1) - (10 + 1) - (10 + 1));
	int host = rest * 2 / 5, exe = rest - host - 1;
	put_line(y, 0, "  " + fit("LAST SEEN", 14) + ' ' + fit("PORT", 5, true) + ' ' + fit("SENT", 10, true) + ' ' +
			       fit("RECEIVED", 10, true) + ' ' + fit("HOST", host) + ' ' + fit("PROGRAM", exe),
		 COLS, A_BOLD);
	for (int i = 0; i < height && static_cast<size_t>(s_.top + i) < v.size(); ++i) {
		const Connection& c = v[static_cast<size_t>(s_.top + i)];
		bool sel = s_.top + i == s_.selected;
		std::string where = escape_text(c.domain.empty() ? c.raddr : c.domain);
		put_line(y + 1 + i, 0,
			 (sel ? "> " : "  ") + fit(short_time(c.last), 14) + ' ' + fit(std::to_string(c.rport), 5, true) + ' ' +
				 fit(human_bytes(c.sent), 10, true) + ' ' + fit(human_bytes(c.recv), 10, true) + ' ' +
				 fit_middle(where, host) + ' ' + fit_middle(escape_text(c.exe), exe),
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

// What the lower pane needs from the database ("" for nothing).
std::string Browser::pane_want() const
{
	if (s_.screen == ScreenKind::conns || s_.screen == ScreenKind::news)
		return {};
	if (s_.pane == Pane::detail && s_.screen == ScreenKind::time)
		return {};
	if (s_.pane == Pane::detail) {
		std::string exe = detail_exe();
		return exe.empty() ? exe : std::string("\x02") + exe;
	}
	if (rows_.empty())
		return {};
	return std::to_string(static_cast<int>(s_.secondary)) + '\0' + rows_[static_cast<size_t>(s_.selected)].key;
}

void Browser::draw_secondary(int y, int height, const Row& sel)
{
	std::string want = pane_want();
	if (want != pane_key_) {
		try {
			pane_rows_ = fetch_rows(db_, secondary_query(s_, sel.key, now_));
			sort_rows(pane_rows_, s_.sort, s_.secondary);
		} catch (const std::exception& e) {
			pane_rows_ = {{"error: " + std::string(e.what())}};
		}
		pane_key_ = want;
	}
	Columns c = columns_for(COLS, false);
	std::string lead = std::string(screen_info(s_.secondary).title) + " of ";
	int room = std::max(8, c.key - display_width(lead) - 6);
	std::string title = lead + fit_middle(display_key(s_.screen, sel.key), room);
	title.erase(title.find_last_not_of(' ') + 1);
	put_line(y, 0, column_header(c, title + " (s/S)"), COLS, A_BOLD);
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
	std::string want = pane_want();
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

void Browser::draw_connection(int y, int height)
{
	auto v = visible_connections(conns_, s_);
	if (static_cast<size_t>(s_.selected) >= v.size())
		return;
	const Connection& c = v[static_cast<size_t>(s_.selected)];
	put_line(y, 0, "Connection: " + escape_text(c.exe) + " at " + local_time(c.last), COLS, A_BOLD);
	auto lines = connection_lines(c);
	for (int i = 0; i + 1 < height && static_cast<size_t>(i) < lines.size(); ++i)
		put_line(y + 1 + i, 0, lines[static_cast<size_t>(i)], COLS);
}

// The Connection time screen's bytes per minute (or per few minutes) as
// columns of eighth blocks over the time from its first to its last minute.
void Browser::draw_chart(int y, int height)
{
	std::vector<std::pair<double, uint64_t>> points;
	for (const auto& r : raw_)
		if (!r.key.empty())
			points.push_back({std::stod(r.key), r.sent + r.recv});
	int h = height - 2, width = COLS - 1;
	if (points.empty() || h < 2 || width < 10) {
		put_line(y, 0, "Bytes per minute: nothing in this range (d: breakdown)", COLS, A_BOLD);
		return;
	}
	std::sort(points.begin(), points.end());
	double lo = points.front().first, hi = points.back().first;
	long minutes = static_cast<long>((hi - lo) / 60) + 1;
	long per = (minutes + width - 1) / width;
	std::vector<uint64_t> cols(static_cast<size_t>((minutes + per - 1) / per));
	for (const auto& [t, bytes] : points)
		cols[static_cast<size_t>(static_cast<long>((t - lo) / 60) / per)] += bytes;
	uint64_t top = *std::max_element(cols.begin(), cols.end());
	static const char* blocks[] = {" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
	bool utf8 = MB_CUR_MAX > 1;
	for (size_t c = 0; c < cols.size(); ++c) {
		long eighths = top ? static_cast<long>(static_cast<double>(cols[c]) / static_cast<double>(top) * h * 8 + 0.5) : 0;
		if (eighths == 0 && cols[c] > 0)
			eighths = 1;
		for (int r = 0; r < h; ++r) {
			long level = std::clamp(eighths - static_cast<long>(h - 1 - r) * 8, 0L, 8L);
			if (level)
				mvaddstr(y + 1 + r, static_cast<int>(c), utf8 ? blocks[level] : "#");
		}
	}
	std::string unit = per > 1 ? std::to_string(per) + " minutes" : "minute";
	put_line(y, 0, "Bytes per " + unit + ", sent + received: highest " + human_bytes(top) + " (d: breakdown)", COLS, A_BOLD);
	std::string from = local_time(lo), to = local_time(hi);
	put_line(y + height - 1, 0, from + std::string(static_cast<size_t>(std::max(1, COLS - 1 - display_width(from) - display_width(to))), ' ') + to, COLS);
}

void Browser::draw_pane(int y, int height)
{
	if (height <= 1)
		return;
	if (s_.screen == ScreenKind::time && s_.pane == Pane::detail)
		draw_chart(y, height);
	else if (s_.screen == ScreenKind::conns)
		draw_connection(y, height);
	else if (s_.screen == ScreenKind::news)
		put_line(y, 0, "What's new: the first sighting of each program, binary, host and program-host pair", COLS, A_BOLD);
	else if (s_.pane == Pane::detail)
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
		// a pane fetched after the snapshot ended refreshes the list too
		if (stale_ && pane_want() != pane_key_ && !pane_want().empty())
			requery();
		draw();
		int k = term_.key(stale_ ? -1 : snapshot_idle_ms);
		if (k == ERR) {
			db_.end_snapshot();  // do not hold the store's WAL back while idle
			stale_ = true;
			continue;
		}
		if (k == KEY_RESIZE)
			continue;
		switch (apply_key(s_, k, count(), list_height())) {
		case KeyResult::quit: db_.end_snapshot(); return;
		case KeyResult::enter: enter(); requery(); break;
		case KeyResult::requery: requery(); break;
		case KeyResult::redraw: resort(); break;
		case KeyResult::search:
			if (auto t = term_.prompt("/", "")) {
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
