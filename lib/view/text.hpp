#pragma once
// snitch-view's text handling: strings from other processes reach the
// terminal only through escape_text; columns are measured in display cells.
#include <cstdint>
#include <string>
#include <string_view>

namespace snitch {

// Control characters (C0, DEL, C1), bidi overrides and invalid UTF-8 become
// visible escapes (\n, \t, \e, \xNN, \u202e); a backslash becomes "\\".
std::string escape_text(std::string_view s);

// Display cells of valid UTF-8 text (wide CJK = 2, combining = 0).
int display_width(std::string_view s);

// Cuts to at most `cells` cells (ending in "~" when cut) and pads with
// spaces to exactly `cells` (left-aligned, or right-aligned when `right`).
std::string fit(std::string_view s, int cells, bool right = false);

// As fit, but a cut keeps the end, where a path has the program's name:
// "/opt/vendor/toolch~.11.7/bin/python3"; text longer than the cells loses
// its start ("~python3-very-long-name").
std::string fit_middle(std::string_view s, int cells);

// "1.5 MiB", "512 B".
std::string human_bytes(uint64_t n);

// Seconds since the epoch as local "YYYY-MM-DD HH:MM:SS" (empty for 0).
std::string local_time(double t);

} // namespace snitch
