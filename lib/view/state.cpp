#include "view/state.hpp"
#include <algorithm>
#include <cctype>
#include <curses.h>

namespace snitch {
namespace {

bool filtered_on(const ViewState& s, ScreenKind k)
{
	return std::any_of(s.filters.begin(), s.filters.end(), [k](const Filter& f) { return f.kind == k; });
}

// Where a new filter leads: exe, then domain, then port, then the rest.
ScreenKind next_unfiltered(const ViewState& s)
{
	for (auto k : {ScreenKind::exe, ScreenKind::domain, ScreenKind::rport, ScreenKind::raddr, ScreenKind::name,
		       ScreenKind::sha256, ScreenKind::parent, ScreenKind::uid, ScreenKind::time, ScreenKind::cmdline})
		if (!filtered_on(s, k))
			return k;
	return s.screen;
}

std::string lower(std::string s)
{
	std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
	return s;
}

void set_time(Query& q, const ViewState& s, double now)
{
	double span = s.span;
	if (span <= 0)
		return;
	q.span = span;
	q.to = s.period > 0 ? now - span * s.period : 0;
	q.from = now - span * (s.period + 1);
}

void cycle(ViewState& s, int step)
{
	auto all = cycle_screens(s);
	if (all.empty())
		return;
	auto it = std::find(all.begin(), all.end(), s.screen);
	long i = it == all.end() ? 0 : (it - all.begin()) + step;
	long n = static_cast<long>(all.size());
	s.screen = all[static_cast<size_t>(((i % n) + n) % n)];
	s.selected = s.top = 0;
}

void cycle_secondary(ViewState& s, int step)
{
	const auto& all = all_screens();
	long n = static_cast<long>(all.size()), i = 0;
	for (long k = 0; k < n; ++k)
		if (all[static_cast<size_t>(k)].kind == s.secondary)
			i = k;
	for (long tries = 0; tries < n; ++tries) {
		i = (((i + step) % n) + n) % n;
		auto k = all[static_cast<size_t>(i)].kind;
		if (k != s.screen && !filtered_on(s, k))
			break;
	}
	s.secondary = all[static_cast<size_t>(i)].kind;
}

bool move_selection(ViewState& s, int key, int count, int page)
{
	switch (key) {
	case KEY_UP: --s.selected; break;
	case KEY_DOWN: ++s.selected; break;
	case KEY_PPAGE: s.selected -= page; break;
	case KEY_NPAGE: s.selected += page; break;
	case KEY_HOME: s.selected = 0; break;
	case KEY_END: s.selected = count - 1; break;
	default: return false;
	}
	s.selected = std::clamp(s.selected, 0, std::max(0, count - 1));
	return true;
}

} // namespace

std::vector<ScreenKind> cycle_screens(const ViewState& s)
{
	std::vector<ScreenKind> out;
	for (const auto& i : every_screen())
		if (!filtered_on(s, i.kind) && (i.kind != ScreenKind::cmdline || !s.filters.empty()))
			out.push_back(i.kind);
	return out;
}

Query primary_query(const ViewState& s, double now)
{
	Query q;
	q.screen = s.screen;
	q.filters = s.filters;
	set_time(q, s, now);
	return q;
}

Query secondary_query(const ViewState& s, const std::string& key, double now)
{
	Query q = primary_query(s, now);
	q.filters.push_back({s.screen, key});
	q.screen = s.secondary;
	return q;
}

bool search_keeps(const ViewState& s, std::initializer_list<std::string_view> texts)
{
	if (s.search.empty())
		return true;
	std::string needle = lower(s.search);
	return std::any_of(texts.begin(), texts.end(), [&](std::string_view t) { return lower(std::string(t)).find(needle) != std::string::npos; });
}

std::vector<Sighting> visible_sightings(std::vector<Sighting> rows, const ViewState& s, size_t limit)
{
	std::erase_if(rows, [&](const Sighting& x) { return !search_keeps(s, {x.exe, x.value}); });
	if (limit && rows.size() > limit)
		rows.resize(limit);
	return rows;
}

std::vector<Connection> visible_connections(std::vector<Connection> rows, const ViewState& s, size_t limit)
{
	std::erase_if(rows, [&](const Connection& c) { return !search_keeps(s, {c.exe, c.name, c.domain, c.raddr}); });
	if (limit && rows.size() > limit)
		rows.resize(limit);
	return rows;
}

std::vector<Row> visible_rows(std::vector<Row> rows, const ViewState& s)
{
	if (!s.search.empty()) {
		std::string needle = lower(s.search);
		std::erase_if(rows, [&](const Row& r) { return lower(r.key).find(needle) == std::string::npos; });
	}
	sort_rows(rows, s.sort, s.screen);
	return rows;
}

std::string range_label(const ViewState& s)
{
	if (s.span <= 0)
		return "all time";
	std::string r = range_text(s.span), out = "last " + r;
	if (s.period > 0)
		out = r + ", " + std::to_string(s.period) + " period" + (s.period > 1 ? "s" : "") + " back";
	return out;
}

void push_filter(ViewState& s, const std::vector<Row>& rows)
{
	if (s.selected < 0 || static_cast<size_t>(s.selected) >= rows.size())
		return;
	push_filter(s, rows[static_cast<size_t>(s.selected)].key);
}

void push_sighting(ViewState& s, const Sighting& x)
{
	auto add = [&s](ScreenKind k, const std::string& v) {
		if (!filtered_on(s, k))
			s.filters.push_back({k, v});
	};
	if (!x.exe.empty())
		add(ScreenKind::exe, x.exe);
	if (x.kind == "sha256")
		add(ScreenKind::sha256, x.value);
	if (x.kind == "domain" || x.kind == "pair")
		add(ScreenKind::domain, x.value);
	s.screen = ScreenKind::conns;
	s.selected = s.top = 0;
	s.search.clear();
	s.select_key.clear();
}

void push_filter(ViewState& s, const std::string& key)
{
	if (!is_aggregate(s.screen))
		return;
	s.filters.push_back({s.screen, key});
	s.screen = next_unfiltered(s);
	if (s.secondary == s.screen || filtered_on(s, s.secondary))
		cycle_secondary(s, 1);
	s.selected = s.top = 0;
	s.search.clear();
}

void pop_filter(ViewState& s)
{
	if (s.filters.empty())
		return;
	s.screen = s.filters.back().kind;
	s.select_key = s.filters.back().value;
	s.filters.pop_back();
	s.selected = s.top = 0;
	s.search.clear();
}

namespace {

// The next (step 1) or previous (-1) range of the t/T cycle from any span.
double step_range(double span, int step)
{
	const auto& r = time_ranges();
	if (step > 0) {
		for (const auto& x : r)
			if (x.second > span)
				return x.second;
		return 0;
	}
	if (span <= 0)
		return r.back().second;
	double prev = 0;
	for (const auto& x : r)
		if (x.second < span)
			prev = x.second;
	return prev;
}

} // namespace

KeyResult apply_key(ViewState& s, int key, int count, int page)
{
	if (s.help) {
		s.help = false;
		return KeyResult::redraw;
	}
	switch (key) {
	case 'q': case 27: return KeyResult::quit;
	case KEY_LEFT: cycle(s, -1); return KeyResult::requery;
	case KEY_RIGHT: cycle(s, 1); return KeyResult::requery;
	case ' ': case '\n': case '\r': case KEY_ENTER: return KeyResult::enter;
	case KEY_BACKSPACE: case 127: case 8: pop_filter(s); return KeyResult::requery;
	case 'h': ++s.period; return KeyResult::requery;
	case 'H': s.period = std::max(0, s.period - 1); return KeyResult::requery;
	case 't': s.span = step_range(s.span, 1); s.period = 0; return KeyResult::requery;
	case 'T': s.span = step_range(s.span, -1); s.period = 0; return KeyResult::requery;
	case 's': cycle_secondary(s, 1); return KeyResult::redraw;
	case 'S': cycle_secondary(s, -1); return KeyResult::redraw;
	case 'd': s.pane = s.pane == Pane::detail ? Pane::secondary : Pane::detail; return KeyResult::redraw;
	case 'o': s.sort = static_cast<SortKey>((static_cast<int>(s.sort) + 1) % 5); return KeyResult::redraw;
	case 'r': return KeyResult::requery;
	case '?': s.help = true; return KeyResult::redraw;
	case '/': return KeyResult::search;
	default: break;
	}
	return move_selection(s, key, count, page) ? KeyResult::redraw : KeyResult::none;
}

} // namespace snitch
