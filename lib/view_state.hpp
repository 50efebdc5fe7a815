#pragma once
// snitch-view's browser state and its keys, free of curses so that the
// same rules drive the TUI and are easy to reason about.
#include "view_query.hpp"
#include <string>
#include <vector>

namespace snitch {

enum class Pane { secondary, detail };

struct ViewState {
	ScreenKind screen = ScreenKind::exe;
	ScreenKind secondary = ScreenKind::domain;
	std::vector<Filter> filters;
	size_t range = 0;  // index into time_ranges()
	int period = 0;    // 0: the latest period; h goes back one
	SortKey sort = SortKey::sent;
	std::string search;
	Pane pane = Pane::secondary;
	bool help = false;
	int selected = 0, top = 0;
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

// "1d, 2 periods back" or "all time".
std::string range_label(const ViewState& s);

enum class KeyResult { none, redraw, requery, quit, search };

// Applies one key (curses key code) to the state; `rows` are the visible
// rows, `page` the list height.
KeyResult apply_key(ViewState& s, int key, const std::vector<Row>& rows, int page);

// Filters on the selected row and moves to the next unfiltered screen.
void push_filter(ViewState& s, const std::vector<Row>& rows);
// Drops the last filter and returns to its screen.
void pop_filter(ViewState& s);

} // namespace snitch
