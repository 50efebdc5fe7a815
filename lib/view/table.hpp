#pragma once
// Every screen's result as named, typed columns of cells: what --print
// writes as a table, CSV or JSON (snitch-view(1) lists the columns), so
// that every output and every tool built on lib/view/query shows the same
// numbers. No formatting for a terminal here.
#include "view/query.hpp"
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace snitch {

// text: a string from the database (untrusted); integer: exact; time: epoch
// seconds (a double); null where the database has none.
enum class CellType { text, integer, time };
using Cell = std::variant<std::monostate, std::string, int64_t, uint64_t, double>;

struct TableColumn {
	std::string name;    // CSV header, JSON key
	CellType type;
	std::string header;  // --print table header; "" keeps the column out of the table
	int width = 0;       // table cells (right-aligned numbers); 0: the last, unpadded column
};

struct ResultTable {
	std::vector<TableColumn> columns;
	std::vector<std::vector<Cell>> rows;
};

// The user name of a uid ("" when the system does not know it).
std::string user_name(int64_t uid);

// An aggregate screen: events, sent, received, last_seen, then the key
// (named by the screen: exe, name, sha256, parent, domain, ip, port, uid
// with user, time, cmdline).
ResultTable rows_table(ScreenKind screen, const std::vector<Row>& rows);
ResultTable sightings_table(const std::vector<Sighting>& rows);
ResultTable connections_table(const std::vector<Connection>& rows);
// The detail panel: one row per fact (field, value, verdict).
ResultTable detail_table(const ExeDetail& d);

} // namespace snitch
