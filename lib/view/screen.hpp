#pragma once
// snitch-view's curses side: the terminal and the browser over a database.
#include "core/c_handle.hpp"
#include "view/state.hpp"
#include <cstdio>
#include <curses.h>
#include <string>
#include <vector>

namespace snitch {

// curses on stdout; keys from stdin when it is a terminal, else from
// /dev/tty (so that --live can read events on stdin).
class Terminal {
public:
	Terminal();
	~Terminal();
	Terminal(const Terminal&) = delete;
	Terminal& operator=(const Terminal&) = delete;
	// A key, or ERR after timeout_ms (-1: wait).
	int key(int timeout_ms);
	// The descriptor keys arrive on (for poll).
	int input_fd() const;
	// Reads a line on the bottom row after `prompt`; nullopt on Esc.
	std::optional<std::string> prompt(const std::string& prompt, const std::string& initial);

private:
	std::unique_ptr<FILE, CFree<std::fclose>> tty_;
	std::unique_ptr<SCREEN, CFree<delscreen>> screen_;
};

// Draws `text` at (y, x) clipped to `cells` cells and padded; text must be
// escaped already.
void put_line(int y, int x, const std::string& text, int cells, attr_t attr = A_NORMAL);

// Column widths of a rows table at `width` cells.
struct Columns {
	int key = 20, events = 8, sent = 10, recv = 10, last = 14, bar = 0;
};
Columns columns_for(int width, bool with_last = true);
std::string column_header(const Columns& c, const std::string& title);
// One table row; `scale` is the largest sent + recv (for the bar).
std::string format_row(const Columns& c, const std::string& key, uint64_t events, uint64_t sent, uint64_t recv,
		       const std::string& last, uint64_t scale);

// Browses the database until q or Esc; `fixed_now` (0: the clock) anchors
// the time ranges.
void run_browser(ViewDb& db, ViewState state, double fixed_now);

} // namespace snitch
