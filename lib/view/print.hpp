#pragma once
// snitch-view --print: one screen as a plain table, CSV, JSON or JSON Lines.
#include "view/query.hpp"
#include "view/table.hpp"
#include <optional>
#include <ostream>

namespace snitch {

enum class PrintFormat { table, csv, json, jsonl };
std::optional<PrintFormat> print_format_by_name(std::string_view s);

// Columns EVENTS SENT RECEIVED LAST_SEEN (local time) and the key last, so
// that keys with spaces stay parseable; bytes exact; text escaped.
void print_table(std::ostream& out, ScreenKind screen, const std::vector<Row>& rows);
void print_detail(std::ostream& out, const ExeDetail& d);

// Any result: `table` prints the columns with a header (times in local
// time, text escaped, the last column unpadded); csv has a header line
// (RFC 4180 quoting, text escaped as on screen, a cell that a spreadsheet
// would run as a formula prefixed with '); json is one array of objects,
// jsonl one object per line (text exact, times as epoch seconds, null for
// unknown).
void print_result(std::ostream& out, const ResultTable& t, PrintFormat f);

// The key as shown: escaped, with placeholders for empty keys, local time
// for the Connection time screen and the user name for a uid.
std::string display_key(ScreenKind screen, const std::string& key);

} // namespace snitch
