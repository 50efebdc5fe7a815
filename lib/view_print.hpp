#pragma once
// snitch-view --print: one screen as a plain table for scripts.
#include "view_query.hpp"
#include <ostream>

namespace snitch {

// Columns EVENTS SENT RECEIVED LAST_SEEN (local time) and the key last, so
// that keys with spaces stay parseable; bytes exact; text escaped.
void print_table(std::ostream& out, ScreenKind screen, const std::vector<Row>& rows);
void print_detail(std::ostream& out, const ExeDetail& d);

// The key as shown: escaped, with placeholders for empty keys and local
// time for the Connection time screen.
std::string display_key(ScreenKind screen, const std::string& key);

} // namespace snitch
