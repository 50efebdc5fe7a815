#pragma once
// snitch-view's queries: one SQL per screen over snitch-store's schema
// (lib/db/schema.cpp), the same text for SQLite and PostgreSQL.
#include "db/schema.hpp"
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace snitch {

// The aggregate screens (one row per key: fetch_rows), then the two list
// screens: What's new (first sightings: fetch_sightings) and Connections
// (the rows behind a selection: fetch_connections).
enum class ScreenKind { exe, name, sha256, parent, domain, raddr, rport, uid, time, cmdline, news, conns };

struct ScreenInfo {
	ScreenKind kind;
	const char* id;     // --screen name
	const char* title;  // tab and column title
};

// The aggregate screens, in the left/right cycle order; cmdline ("Commands")
// last, offered only in a filtered view.
const std::vector<ScreenInfo>& all_screens();
// The aggregate screens, then news ("new") and conns ("conn").
const std::vector<ScreenInfo>& every_screen();
const ScreenInfo& screen_info(ScreenKind k);
std::optional<ScreenKind> screen_by_id(std::string_view id);
bool is_aggregate(ScreenKind k);

struct Filter {
	ScreenKind kind;    // an aggregate screen
	std::string value;  // the row key as fetch_rows gives it (unescaped)
};

// A filter value as a user writes it, as the key fetch_rows gives: port and
// time (epoch seconds of the minute, or local "YYYY-MM-DD HH:MM[:SS]") must
// be numbers, user a uid or a user name; throws std::invalid_argument.
std::string filter_value(ScreenKind k, const std::string& text);

struct Query {
	ScreenKind screen = ScreenKind::exe;
	std::vector<Filter> filters;
	double from = 0, to = 0;  // last_time in [from, to); 0: unbounded
	double span = 0;          // the range's length in seconds (0: all time)
};

struct Row {
	std::string key;
	uint64_t events = 0, sent = 0, recv = 0;
	double last = 0;
};

enum class SortKey { sent, recv, events, name, last };
const char* sort_name(SortKey k);
std::optional<SortKey> sort_by_name(std::string_view s);
void sort_rows(std::vector<Row>& rows, SortKey k, ScreenKind screen);

using SqlParam = std::variant<std::string, double>;
using SqlRows = std::vector<std::vector<std::string>>;  // NULL reads as ""

// A read-only connection to snitch-store's database.
class ViewDb {
public:
	virtual ~ViewDb() = default;
	virtual Dialect dialect() const = 0;
	// Whether the database has snitch-store's rollup (SQLite: rollup_state,
	// PostgreSQL: rollup_marks).
	virtual bool has_rollup() const { return false; }
	// SQLite's rollup_pairs (schema 6): day sums per context and domain.
	virtual bool has_rollup_pairs() const { return false; }
	// `sql` uses ? placeholders (rewritten to $n for PostgreSQL).
	virtual SqlRows query(const std::string& sql, const std::vector<SqlParam>& params) = 0;
	// Queries from begin_snapshot() to end_snapshot() read one state of the
	// database (a read transaction), so that panes fetched apart agree.
	virtual void begin_snapshot() {}
	virtual void end_snapshot() {}
};

// A SQLite path (opened read-only, also while snitch-store writes in WAL
// mode) or a postgresql:// URI.
std::unique_ptr<ViewDb> open_view_db(const std::string& where);

// The SQL (and its parameters) of one screen: one row per key with events,
// bytes sent and received, last seen. With `rollup`, unfiltered screens of a
// range holding a whole day read that day's sums from the rollup; with
// `pairs` (SQLite), so does the domain screen filtered on what a process
// context decides (the lower pane of an executable), from rollup_pairs.
std::string screen_sql(Dialect d, const Query& q, std::vector<SqlParam>& params, bool rollup = false, bool pairs = false);
std::vector<Row> fetch_rows(ViewDb& db, const Query& q);

// The connections rows the rollup does not cover yet: a FROM clause naming
// connections c, and the condition on c that picks them.
struct RollupTail {
	std::string from, where;
};
RollupTail rollup_tail(Dialect d);

// The detail panel of one executable path.
struct ExeDetail {
	std::string exe;
	struct Hash {
		std::string sha256, verdict;
	};
	std::vector<Hash> hashes;
	std::vector<std::string> parents;
	double first = 0, last = 0;
};
ExeDetail fetch_detail(ViewDb& db, const std::string& exe);

// What's new: the first time each executable, each sha256 of an executable,
// each domain and each (executable, domain) pair was seen, for those first
// seen in [q.from, q.to) (0: unbounded), newest first. Filters do not apply.
struct Sighting {
	double time = 0;
	std::string kind;  // "exe", "sha256", "domain", "pair"
	std::string exe;   // "" for domain
	std::string value; // sha256 or domain; "" for exe
};
std::vector<Sighting> fetch_sightings(ViewDb& db, const Query& q, size_t limit = 0);

// One connections row (one flow over one write window) with its process.
struct Connection {
	double first = 0, last = 0;
	std::string host, exe, name, cmdline, sha256, parent_exe, parent_name;
	std::string exe_unverified;  // why exe may not name the file that ran (SQLite)
	int64_t pid = 0, uid = -1, lport = 0, rport = 0;  // uid -1: unknown
	std::string family, proto, laddr, raddr, domain, cgroup;
	uint64_t sent = 0, recv = 0, events = 0;
};
// The rows behind q's filters and range, newest first; at most `limit`
// (0: all) after skipping `offset`.
std::vector<Connection> fetch_connections(ViewDb& db, const Query& q, size_t limit = 0, size_t offset = 0);

// Time ranges of the t/T cycle ("all", "1m" ... "365d"); seconds (0 = all).
const std::vector<std::pair<std::string, double>>& time_ranges();
// "all" or <n><unit>: "90s", "15m", "2h", "1.5d", "2w"; throws
// std::invalid_argument on anything else.
double parse_range(const std::string& s);
// A span as parse_range reads it: "all", "2h", "90s", "1w".
std::string range_text(double span);

} // namespace snitch
