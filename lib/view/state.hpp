#pragma once
// snitch-view's browser state and its keys, free of curses so that the
// same rules drive the TUI and are easy to reason about.
#include "view/query.hpp"
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace snitch {

enum class Pane { secondary, detail };

struct ViewState {
	ScreenKind screen = ScreenKind::exe;
	ScreenKind secondary = ScreenKind::domain;
	std::vector<Filter> filters;
	double span = 0;  // the time range in seconds (0: all time); t/T step through time_ranges()
	int period = 0;   // 0: the latest period; h goes back one
	SortKey sort = SortKey::sent;
	std::string search;
	Pane pane = Pane::secondary;
	bool help = false;
	int selected = 0, top = 0;
	std::string select_key;  // after a requery, select the row with this key (backspace returns to it)
};

// The screens left/right cycle through (Commands only when filtered),
// skipping those already filtered on.
std::vector<ScreenKind> cycle_screens(const ViewState& s);

// The primary list's query; `now` anchors the time range.
Query primary_query(const ViewState& s, double now);
// The lower pane's query: the primary one narrowed to `key`.
Query secondary_query(const ViewState& s, const std::string& key, double now);

// Rows the search keeps (case-insensitive substring of the key), sorted.
std::vector<Row> visible_rows(std::vector<Row> rows, const ViewState& s);
// What's new entries and connections the search keeps (in the executable,
// domain, sha256 or address), at most `limit` (0: all).
std::vector<Sighting> visible_sightings(std::vector<Sighting> rows, const ViewState& s, size_t limit = 0);
std::vector<Connection> visible_connections(std::vector<Connection> rows, const ViewState& s, size_t limit = 0);
// Whether the search keeps a row with these texts (any of them matches).
bool search_keeps(const ViewState& s, std::initializer_list<std::string_view> texts);

// "1d, 2 periods back" or "all time".
std::string range_label(const ViewState& s);

enum class KeyResult { none, redraw, requery, quit, search, enter };

// Applies one key (curses key code) to the state; `count` visible rows,
// `page` the list height. Enter is the caller's (it knows the rows).
KeyResult apply_key(ViewState& s, int key, int count, int page);

// Filters on `key` of the current screen and moves to the next unfiltered one.
void push_filter(ViewState& s, const std::string& key);
// Filters on the selected row and moves to the next unfiltered screen.
void push_filter(ViewState& s, const std::vector<Row>& rows);
// Filters on a What's new entry's executable (and domain or sha256) and
// shows its connections.
void push_sighting(ViewState& s, const Sighting& x);
// Drops the last filter and returns to its screen.
void pop_filter(ViewState& s);

} // namespace snitch
