#include "db/schema.hpp"

namespace snitch {

int64_t stable_id(std::initializer_list<std::string_view> fields)
{
	uint64_t h = 1469598103934665603ull;  // FNV-1a 64, fields separated by a 0xff byte
	for (std::string_view s : fields) {
		for (unsigned char c : s)
			h = (h ^ c) * 1099511628211ull;
		h = (h ^ 0xffu) * 1099511628211ull;
	}
	h &= 0x7fffffffffffffffull;  // positive in every SQL dialect
	return static_cast<int64_t>(h ? h : 1);
}

int64_t process_id(std::string_view exe, std::string_view name, std::string_view cmdline, std::string_view sha256,
		   std::string_view exe_unverified)
{
	if (exe_unverified.empty())
		return stable_id({exe, name, cmdline, sha256});
	return stable_id({exe, name, cmdline, sha256, exe_unverified});
}

namespace {

// Types spelled per dialect: I integer, R real, T text.
std::string ddl(Dialect d, std::string s)
{
	bool pg = d == Dialect::postgresql;
	std::string out;
	for (size_t i = 0; i < s.size(); ++i) {
		if (s[i] == '%' && i + 1 < s.size()) {
			char c = s[++i];
			out += c == 'I' ? (pg ? "BIGINT" : "INTEGER") : c == 'R' ? (pg ? "DOUBLE PRECISION" : "REAL") : "TEXT";
		} else {
			out += s[i];
		}
	}
	return out;
}

// What a person queries by hand: a connection with its processes spelled out
// (and from SQLite's version 5 why its exe may not name the file that ran).
std::string connection_log_view(bool unverified = false)
{
	return std::string("CREATE VIEW connection_log AS SELECT c.host, c.first_time, c.last_time, ") +
		(unverified ? "e.exe_unverified, " : "") +
		"e.exe, e.name, e.cmdline, e.sha256, p.exe AS parent_exe, p.name AS parent_name, "
		"p.cmdline AS parent_cmdline, p.sha256 AS parent_sha256, g.exe AS grandparent_exe, "
		"g.name AS grandparent_name, g.sha256 AS grandparent_sha256, c.pid, c.uid, c.netns, c.cgroup, "
		"c.family, c.proto, c.laddr, c.lport, c.raddr, c.rport, c.domain, c.sent, c.recv, c.events "
		"FROM connections c JOIN processes e ON e.id = c.exe_id "
		"LEFT JOIN processes p ON p.id = c.parent_id LEFT JOIN processes g ON g.id = c.grandparent_id";
}

std::vector<std::string> version_1(Dialect d)
{
	std::vector<std::string> v = {
		"CREATE TABLE processes (id %I PRIMARY KEY, exe %T NOT NULL, name %T NOT NULL, "
		"cmdline %T NOT NULL, sha256 %T NOT NULL, first_seen %R NOT NULL)",
		"CREATE TABLE connections (host %T NOT NULL, first_time %R NOT NULL, last_time %R NOT NULL, "
		"exe_id %I NOT NULL, parent_id %I, grandparent_id %I, pid %I, uid %I, netns %I, cgroup %T, "
		"family %T, proto %T, laddr %T, lport %I, raddr %T, rport %I, domain %T, "
		"sent %I NOT NULL, recv %I NOT NULL, events %I NOT NULL)",
		"CREATE INDEX connections_time ON connections (last_time)",
		"CREATE INDEX connections_exe ON connections (exe_id)",
		"CREATE INDEX connections_parent ON connections (parent_id)",
		"CREATE INDEX connections_domain ON connections (domain)",
		"CREATE INDEX connections_raddr ON connections (raddr)",
		"CREATE INDEX connections_rport ON connections (rport)",
		"CREATE INDEX connections_uid ON connections (uid)",
		"CREATE INDEX processes_sha256 ON processes (sha256)",
		"CREATE TABLE errors (host %T NOT NULL, time %R NOT NULL, source %T NOT NULL, message %T NOT NULL)",
		"CREATE INDEX errors_time ON errors (time)",
		connection_log_view(),
	};
	if (d == Dialect::postgresql) {
		v.push_back("CREATE TABLE snitch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
		v.push_back("CREATE TABLE batches (host TEXT NOT NULL, id TEXT NOT NULL, time DOUBLE PRECISION NOT NULL, "
			    "events BIGINT NOT NULL, PRIMARY KEY (host, id))");
	}
	for (auto& s : v)
		s = ddl(d, s);
	return v;
}

std::vector<std::string> version_2(Dialect d)
{
	std::vector<std::string> v = {
		"ALTER TABLE errors ADD COLUMN lost %I NOT NULL DEFAULT 0",
		"CREATE TABLE verdicts (host %T NOT NULL, time %R NOT NULL, sha256 %T NOT NULL, event %T NOT NULL)",
		"CREATE INDEX verdicts_sha256 ON verdicts (sha256, time)",
	};
	for (auto& s : v)
		s = ddl(d, s);
	return v;
}

// Builds nothing: SqliteStore rolls every row past hwm 0 up right after.
// (PostgreSQL's version 3 is below, after rollup_columns.)
std::vector<std::string> version_3_sqlite()
{
	return {
		"CREATE TABLE rollup (dim INTEGER NOT NULL, bucket INTEGER NOT NULL, host TEXT NOT NULL, "
		"id INTEGER NOT NULL, value TEXT NOT NULL, events INTEGER NOT NULL, sent INTEGER NOT NULL, "
		"recv INTEGER NOT NULL, last_time REAL NOT NULL, PRIMARY KEY (dim, bucket, host, id, value)) WITHOUT ROWID",
		"CREATE TABLE rollup_state (hwm INTEGER NOT NULL)",
		"INSERT INTO rollup_state (hwm) VALUES (0)",
	};
}

} // namespace

int store_schema_version(Dialect)
{
	return 6;
}

// SQLite: the rows of the bound's slot and after (or before) lie past the
// lowest (up to the highest) rowid time_slots gives those slots: a rowid range
// of the table, then time_ms picks the rows. A slot is time_ms / time_slot_ms,
// truncated, so that it never decreases with time.
std::string time_compare(Dialect d, const char* op)
{
	// time_ms >= x and time_ms < x are time_ms >= ceil(x) and time_ms < ceil(x)
	if (d == Dialect::postgresql)
		return std::string("c.time_ms ") + op + " CAST(CEIL(CAST(? AS DOUBLE PRECISION) * 1000) AS BIGINT)";
	bool since = std::string_view(op) == ">=";
	std::string slot = "CAST(? * 1000 AS INTEGER) / " + std::to_string(time_slot_ms);
	std::string rowid = since ? "c.rowid >= (SELECT COALESCE(MIN(lo), 9223372036854775807) FROM time_slots WHERE slot >= " + slot + ")"
				  : "c.rowid <= (SELECT COALESCE(MAX(hi), -1) FROM time_slots WHERE slot <= " + slot + ")";
	return rowid + " AND c.time_ms " + op + " ? * 1000";
}

int time_compare_binds(Dialect d)
{
	return d == Dialect::sqlite ? 2 : 1;
}

std::string rollup_day_sql(Dialect d, int64_t bucket)
{
	// PostgreSQL's cast rounds and overflows: floor first, clamp
	std::string seconds = d == Dialect::sqlite ? "CAST(last_time AS INTEGER)"
						   : "CAST(LEAST(GREATEST(FLOOR(last_time), 0), 9e15) AS BIGINT)";
	return seconds + " / " + std::to_string(bucket) + " * " + std::to_string(bucket);
}

std::string rollup_insert_sql(Dialect d, const RollupColumns& c, const std::string& where, bool saturate)
{
	// PostgreSQL sums BIGINT into NUMERIC: exact, and clamped to fit.
	auto sum = [&](const char* col) {
		std::string x(col);
		if (d == Dialect::postgresql)
			return "LEAST(SUM(" + x + "), 9223372036854775807)";
		return saturate ? "CAST(MIN(TOTAL(" + x + "), 9223372036854775807.0) AS INTEGER)" : "SUM(" + x + ")";
	};
	return "INSERT INTO rollup (dim, bucket, host, id, value, events, sent, recv, last_time) SELECT " +
	       std::to_string(static_cast<int>(c.dim)) + ", " +
	       rollup_day_sql(d, c.dim == RollupDim::exe_hour ? rollup_hour : rollup_bucket) + ", host, " + c.id + ", " + c.value + ", " +
	       sum("events") + ", " + sum("sent") + ", " + sum("recv") + ", MAX(last_time) FROM connections WHERE " + where +
	       " GROUP BY 2, 3, 4, 5";
}

std::string pg_rollup_insert_all_sql(const std::string& where)
{
	std::string keys, sets, dim = "CASE", ids = "COALESCE(", values = "COALESCE(";
	for (const RollupColumns& c : rollup_columns()) {
		std::string k = "k" + std::to_string(static_cast<int>(c.dim));
		bool by_id = c.dim == RollupDim::exe || c.dim == RollupDim::parent;
		keys += std::string(by_id ? c.id : c.value) + " AS " + k + ", ";
		sets += (sets.empty() ? "(b, host, " : ", (b, host, ") + k + ")";
		dim += " WHEN GROUPING(" + k + ") = 0 THEN " + std::to_string(static_cast<int>(c.dim));
		(by_id ? ids : values) += k + ", ";
	}
	auto sum = [](const char* x) { return "LEAST(SUM(" + std::string(x) + "), 9223372036854775807)"; };
	return "INSERT INTO rollup (dim, bucket, host, id, value, events, sent, recv, last_time) SELECT " + dim + " END, b, host, " + ids +
	       "0), " + values + "''), " + sum("events") + ", " + sum("sent") + ", " + sum("recv") + ", MAX(last_time) FROM (SELECT " +
	       rollup_day_sql(Dialect::postgresql) + " AS b, host, " + keys + "events, sent, recv, last_time FROM connections WHERE " +
	       where + ") s GROUP BY GROUPING SETS (" + sets + ")";
}

const RollupColumns& rollup_hour_columns()
{
	static const RollupColumns c = {RollupDim::exe_hour, "exe_id", "''"};
	return c;
}

const std::vector<RollupColumns>& rollup_columns()
{
	static const std::vector<RollupColumns> c = {
		{RollupDim::exe, "exe_id", "''"},
		{RollupDim::parent, "COALESCE(parent_id, 0)", "''"},
		{RollupDim::domain, "0", "COALESCE(CAST(domain AS TEXT), '')"},
		{RollupDim::raddr, "0", "COALESCE(CAST(raddr AS TEXT), '')"},
		{RollupDim::rport, "0", "COALESCE(CAST(rport AS TEXT), '')"},
		{RollupDim::uid, "0", "COALESCE(CAST(uid AS TEXT), '')"},
	};
	return c;
}

namespace {

// connections.seq: 0 for the rows before, which this migration rolls up; no
// default after, so that a host still running an older snitch-store cannot
// add rows the rollup would never see. Every host with rows gets its mark.
std::vector<std::string> version_3_pg()
{
	std::vector<std::string> v = {
		"ALTER TABLE connections ADD COLUMN seq BIGINT NOT NULL DEFAULT 0",
		"ALTER TABLE connections ALTER COLUMN seq DROP DEFAULT",
		"CREATE INDEX connections_seq ON connections (host, seq)",
		"CREATE TABLE rollup (dim INTEGER NOT NULL, bucket BIGINT NOT NULL, host TEXT NOT NULL, id BIGINT NOT NULL, "
		"value TEXT NOT NULL, events BIGINT NOT NULL, sent BIGINT NOT NULL, recv BIGINT NOT NULL, "
		"last_time DOUBLE PRECISION NOT NULL)",
		"CREATE INDEX rollup_day ON rollup (dim, bucket)",
		"CREATE TABLE rollup_marks (host TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (host, seq))",
	};
	for (const RollupColumns& c : rollup_columns())
		v.push_back(rollup_insert_sql(Dialect::postgresql, c, "true"));
	v.push_back("INSERT INTO rollup_marks (host, seq) SELECT DISTINCT host, 0 FROM connections");
	return v;
}

// A filter on the executable or the domain within a time range reads just
// its rows through (column, last_time); the single-column indexes go, as
// these serve every query they did.
std::vector<std::string> version_4()
{
	return {
		"CREATE INDEX connections_exe_time ON connections (exe_id, last_time)",
		"DROP INDEX connections_exe",
		"CREATE INDEX connections_domain_time ON connections (domain, last_time)",
		"DROP INDEX connections_domain",
	};
}


} // namespace

std::string sqlite_connections_select(const std::string& extra)
{
	return "SELECT r.id AS rowid, h.name AS host, (r.time_ms - r.span_ms) / 1000.0 AS first_time, "
	       "r.time_ms / 1000.0 AS last_time, r.time_ms, x.exe_id, NULLIF(x.parent_id, 0) AS parent_id, "
	       "NULLIF(x.grandparent_id, 0) AS grandparent_id, r.pid, x.uid, x.netns, x.cgroup, p.family, p.proto, p.laddr, "
	       "r.lport, p.raddr, p.rport, p.domain, r.sent, r.recv, r.events" + extra +
	       " FROM connection_rows r JOIN contexts x ON x.id = r.context_id JOIN hosts h ON h.id = x.host_id "
	       "JOIN peers p ON p.id = r.peer_id";
}

namespace {

// SQLite, version 5: a row holds its time (ms, indexed), two ids of small
// interned tables and what differs per connection; the view `connections`
// reads as versions 1 to 4 did. Rowids carry over, and with them the
// rollup's mark. Unknown parent or grandparent is 0 in `contexts`, so that
// UNIQUE holds (NULL would be distinct).
std::vector<std::string> version_5_sqlite()
{
	return {
		"CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT",
		"CREATE TABLE contexts (id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL, exe_id INTEGER NOT NULL, "
		"parent_id INTEGER NOT NULL, grandparent_id INTEGER NOT NULL, uid INTEGER NOT NULL, netns INTEGER NOT NULL, "
		"cgroup TEXT NOT NULL, UNIQUE (exe_id, host_id, parent_id, grandparent_id, uid, netns, cgroup)) STRICT",
		"CREATE TABLE peers (id INTEGER PRIMARY KEY, family TEXT NOT NULL, proto TEXT NOT NULL, laddr TEXT NOT NULL, "
		"raddr TEXT NOT NULL, rport INTEGER NOT NULL, domain TEXT NOT NULL, "
		"UNIQUE (domain, raddr, rport, laddr, family, proto)) STRICT",
		"CREATE TABLE connection_rows (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, span_ms INTEGER NOT NULL, "
		"context_id INTEGER NOT NULL, peer_id INTEGER NOT NULL, pid INTEGER NOT NULL, lport INTEGER NOT NULL, "
		"sent INTEGER NOT NULL, recv INTEGER NOT NULL, events INTEGER NOT NULL) STRICT",
		"INSERT INTO hosts (name) SELECT DISTINCT host FROM connections",
		"INSERT OR IGNORE INTO contexts (host_id, exe_id, parent_id, grandparent_id, uid, netns, cgroup) "
		"SELECT DISTINCT h.id, c.exe_id, COALESCE(c.parent_id, 0), COALESCE(c.grandparent_id, 0), COALESCE(c.uid, -1), "
		"COALESCE(c.netns, 0), COALESCE(c.cgroup, '') FROM connections c JOIN hosts h ON h.name = c.host",
		"INSERT OR IGNORE INTO peers (family, proto, laddr, raddr, rport, domain) SELECT DISTINCT COALESCE(family, ''), "
		"COALESCE(proto, ''), COALESCE(laddr, ''), COALESCE(raddr, ''), COALESCE(rport, 0), COALESCE(domain, '') FROM connections",
		"INSERT INTO connection_rows (id, time_ms, span_ms, context_id, peer_id, pid, lport, sent, recv, events) "
		"SELECT c.rowid, CAST(ROUND(c.last_time * 1000) AS INTEGER), CAST(ROUND(c.last_time * 1000) - ROUND(c.first_time * 1000) AS INTEGER), "
		"x.id, p.id, COALESCE(c.pid, 0), COALESCE(c.lport, 0), c.sent, c.recv, c.events "
		"FROM connections c JOIN hosts h ON h.name = c.host "
		"JOIN contexts x ON x.exe_id = c.exe_id AND x.host_id = h.id AND x.parent_id = COALESCE(c.parent_id, 0) "
		"AND x.grandparent_id = COALESCE(c.grandparent_id, 0) AND x.uid = COALESCE(c.uid, -1) "
		"AND x.netns = COALESCE(c.netns, 0) AND x.cgroup = COALESCE(c.cgroup, '') "
		"JOIN peers p ON p.domain = COALESCE(c.domain, '') AND p.raddr = COALESCE(c.raddr, '') AND p.rport = COALESCE(c.rport, 0) "
		"AND p.laddr = COALESCE(c.laddr, '') AND p.family = COALESCE(c.family, '') AND p.proto = COALESCE(c.proto, '') "
		"ORDER BY c.rowid",
		"DROP VIEW connection_log",
		"DROP TABLE connections",
		"CREATE INDEX connection_rows_time ON connection_rows (time_ms / " + std::to_string(time_slot_ms) + ")",
		"CREATE VIEW connections AS " + sqlite_connections_select(),
		"ALTER TABLE processes ADD COLUMN exe_unverified TEXT NOT NULL DEFAULT ''",
		connection_log_view(true),
	};
}

// PostgreSQL, version 5: ids are stable_id()s computed by every host alike,
// so that interning is INSERT ... ON CONFLICT DO NOTHING without a reply to
// wait for, race-free across hosts. Only the time and (host, seq) indexes:
// the contexts and peers a filter names are few, their rows found by time.
std::vector<std::string> version_5_pg()
{
	return {
		"DROP VIEW connection_log",
		"ALTER TABLE connections RENAME TO connections_v4",
		"CREATE TABLE hosts (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
		"CREATE TABLE contexts (id BIGINT PRIMARY KEY, exe_id BIGINT NOT NULL, parent_id BIGINT NOT NULL, "
		"grandparent_id BIGINT NOT NULL, uid BIGINT NOT NULL, netns BIGINT NOT NULL, cgroup TEXT NOT NULL)",
		"CREATE TABLE peers (id BIGINT PRIMARY KEY, rport INTEGER NOT NULL, family TEXT NOT NULL, proto TEXT NOT NULL, "
		"laddr TEXT NOT NULL, raddr TEXT NOT NULL, domain TEXT NOT NULL)",
		"CREATE TABLE connection_rows (host_id BIGINT NOT NULL, seq BIGINT NOT NULL, time_ms BIGINT NOT NULL, "
		"span_ms BIGINT NOT NULL, context_id BIGINT NOT NULL, peer_id BIGINT NOT NULL, pid BIGINT NOT NULL, "
		"sent BIGINT NOT NULL, recv BIGINT NOT NULL, events BIGINT NOT NULL, lport INTEGER NOT NULL)",
		"ALTER TABLE processes ADD COLUMN exe_unverified TEXT NOT NULL DEFAULT ''",
		"CREATE TEMP TABLE pg_migrate_contexts (LIKE contexts) ON COMMIT DROP",
		"CREATE TEMP TABLE pg_migrate_peers (LIKE peers) ON COMMIT DROP",
	};
}

// Each old row joins its coalesced key: a key whose id another key already
// holds keeps its row (the id of the first), so no row and no byte is lost.
std::vector<std::string> version_5_pg_rows()
{
	return {
		"INSERT INTO contexts SELECT DISTINCT ON (id) * FROM pg_migrate_contexts ORDER BY id ON CONFLICT DO NOTHING",
		"INSERT INTO peers SELECT DISTINCT ON (id) * FROM pg_migrate_peers ORDER BY id ON CONFLICT DO NOTHING",
		"INSERT INTO connection_rows (host_id, seq, time_ms, span_ms, context_id, peer_id, pid, sent, recv, events, lport) "
		"SELECT h.id, c.seq, CAST(ROUND(c.last_time * 1000) AS BIGINT), "
		"CAST(ROUND(c.last_time * 1000) - ROUND(c.first_time * 1000) AS BIGINT), x.id, p.id, COALESCE(c.pid, 0), "
		"c.sent, c.recv, c.events, COALESCE(c.lport, 0) FROM connections_v4 c JOIN hosts h ON h.name = c.host "
		"JOIN pg_migrate_contexts x ON x.exe_id = c.exe_id AND x.parent_id = COALESCE(c.parent_id, 0) "
		"AND x.grandparent_id = COALESCE(c.grandparent_id, 0) AND x.uid = COALESCE(c.uid, -1) "
		"AND x.netns = COALESCE(c.netns, 0) AND x.cgroup = COALESCE(c.cgroup, '') "
		"JOIN pg_migrate_peers p ON p.domain = COALESCE(c.domain, '') AND p.raddr = COALESCE(c.raddr, '') "
		"AND p.rport = COALESCE(c.rport, 0) AND p.laddr = COALESCE(c.laddr, '') AND p.family = COALESCE(c.family, '') "
		"AND p.proto = COALESCE(c.proto, '') ORDER BY c.last_time",
		"DROP TABLE connections_v4",
		"CREATE INDEX connection_rows_time ON connection_rows (time_ms)",
		"CREATE INDEX connection_rows_seq ON connection_rows (host_id, seq)",  // dropped by version 6
		"CREATE VIEW connections AS SELECT h.name AS host, r.seq, CAST(r.time_ms - r.span_ms AS DOUBLE PRECISION) / 1000 "
		"AS first_time, CAST(r.time_ms AS DOUBLE PRECISION) / 1000 AS last_time, r.time_ms, x.exe_id, "
		"NULLIF(x.parent_id, 0) AS parent_id, NULLIF(x.grandparent_id, 0) AS grandparent_id, r.pid, x.uid, x.netns, "
		"x.cgroup, p.family, p.proto, p.laddr, r.lport, p.raddr, p.rport, p.domain, r.sent, r.recv, r.events, r.host_id "
		"FROM connection_rows r JOIN hosts h ON h.id = r.host_id JOIN contexts x ON x.id = r.context_id "
		"JOIN peers p ON p.id = r.peer_id",
		connection_log_view(true),
	};
}

// PostgreSQL, version 6: a host's last seq is its last batch's (one row per
// batch, indexed), so that the rows need no (host_id, seq) index: COPY spent
// most of its time in its two btrees. A batch also holds its rows' time_ms
// range: the rollup after a crash finds a host's rows past its mark through
// the time index within their batches' range. Each host with rows gets a
// batch carrying their last seq and the range of those past its mark.
std::vector<std::string> version_6_pg()
{
	return {
		"ALTER TABLE batches ADD COLUMN seq BIGINT, ADD COLUMN min_time_ms BIGINT, ADD COLUMN max_time_ms BIGINT",
		"INSERT INTO batches (host, id, time, events, seq, min_time_ms, max_time_ms) "
		"SELECT h.name, 'schema-6', EXTRACT(EPOCH FROM now()), 0, m.seq, t.lo, t.hi FROM hosts h "
		"CROSS JOIN LATERAL (SELECT MAX(r.seq) AS seq FROM connection_rows r WHERE r.host_id = h.id) m "
		"CROSS JOIN LATERAL (SELECT MIN(r.time_ms) AS lo, MAX(r.time_ms) AS hi FROM connection_rows r WHERE r.host_id = h.id "
		"AND r.seq > (SELECT COALESCE(MAX(k.seq), 0) FROM rollup_marks k WHERE k.host = h.name)) t WHERE m.seq IS NOT NULL",
		"CREATE INDEX batches_seq ON batches (host, seq)",
		"DROP INDEX connection_rows_seq",
	};
}

// SQLite, version 6: no time index. The rows are written nearly in time
// order, so that each 10-minute slot's rows lie within a rowid range:
// time_slots holds it (and the slot's row count), written in the same
// transaction as the rows, and a time range reads the table between two
// rowids (time_compare). The bytes freed (the index was a fifth of the file)
// hold rollup_pairs: per day, per context and domain, the sums that the
// lower pane (an executable's host names) reads for long ranges. A domain is
// named by the lowest peer id of its rows that day: a peer that a row of the
// same day holds, so that the sweep after retention keeps it as long as the
// day. The rows up to rollup_state.pairs_hwm are in it (snitch-store fills it
// when it opens the database after migrating).
std::vector<std::string> version_6_sqlite()
{
	return {
		"CREATE TABLE time_slots (slot INTEGER PRIMARY KEY, lo INTEGER NOT NULL, hi INTEGER NOT NULL, "
		"rows INTEGER NOT NULL) STRICT",
		"INSERT INTO time_slots (slot, lo, hi, rows) SELECT time_ms / " + std::to_string(time_slot_ms) +
		", MIN(id), MAX(id), COUNT(*) FROM connection_rows GROUP BY 1",
		"DROP INDEX connection_rows_time",
		"CREATE TABLE rollup_pairs (context_id INTEGER NOT NULL, day INTEGER NOT NULL, domain_id INTEGER NOT NULL, "
		"events INTEGER NOT NULL, sent INTEGER NOT NULL, recv INTEGER NOT NULL, last_ms INTEGER NOT NULL, "
		"PRIMARY KEY (context_id, day, domain_id)) STRICT, WITHOUT ROWID",
		"ALTER TABLE rollup_state ADD COLUMN pairs_hwm INTEGER NOT NULL DEFAULT 0",
	};
}

} // namespace

std::string rollup_pairs_insert_sql(const std::string& where, bool saturate)
{
	auto sum = [&](const char* x) {
		std::string c = std::string("r.") + x;
		return saturate ? "CAST(MIN(TOTAL(" + c + "), 9223372036854775807.0) AS INTEGER)" : "SUM(" + c + ")";
	};
	return "INSERT INTO rollup_pairs (context_id, day, domain_id, events, sent, recv, last_ms) SELECT r.context_id, "
	       "r.time_ms / " + std::to_string(rollup_bucket * 1000) + " AS d, MIN(r.peer_id), " + sum("events") + ", " + sum("sent") +
	       ", " + sum("recv") + ", MAX(r.time_ms) FROM connection_rows r JOIN peers p ON p.id = r.peer_id WHERE " + where +
	       " GROUP BY r.context_id, d, p.domain";
}

const std::vector<std::string>& pg_version_5_rows()
{
	static const std::vector<std::string> v = version_5_pg_rows();
	return v;
}

const std::vector<std::string>& schema_migration(Dialect d, int from)
{
	static const std::vector<std::vector<std::string>> sqlite = {version_1(Dialect::sqlite), version_2(Dialect::sqlite),
								     version_3_sqlite(), version_4(),
								     version_5_sqlite(), version_6_sqlite()};
	static const std::vector<std::vector<std::string>> pg = {version_1(Dialect::postgresql), version_2(Dialect::postgresql),
								 version_3_pg(), version_4(), version_5_pg(),
								 version_6_pg()};
	const auto& all = d == Dialect::sqlite ? sqlite : pg;
	return all.at(static_cast<size_t>(from));
}

} // namespace snitch
