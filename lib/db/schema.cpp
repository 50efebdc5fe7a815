#include "db/schema.hpp"

namespace snitch {

int64_t process_id(std::string_view exe, std::string_view name, std::string_view cmdline, std::string_view sha256)
{
	uint64_t h = 1469598103934665603ull;  // FNV-1a 64, fields separated by a 0 byte
	for (std::string_view s : {exe, name, cmdline, sha256}) {
		for (unsigned char c : s)
			h = (h ^ c) * 1099511628211ull;
		h = (h ^ 0xffu) * 1099511628211ull;
	}
	h &= 0x7fffffffffffffffull;  // positive in every SQL dialect
	return static_cast<int64_t>(h ? h : 1);
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
		"CREATE VIEW connection_log AS SELECT c.host, c.first_time, c.last_time, "
		"e.exe, e.name, e.cmdline, e.sha256, p.exe AS parent_exe, p.name AS parent_name, "
		"p.cmdline AS parent_cmdline, p.sha256 AS parent_sha256, g.exe AS grandparent_exe, "
		"g.name AS grandparent_name, g.sha256 AS grandparent_sha256, c.pid, c.uid, c.netns, c.cgroup, "
		"c.family, c.proto, c.laddr, c.lport, c.raddr, c.rport, c.domain, c.sent, c.recv, c.events "
		"FROM connections c JOIN processes e ON e.id = c.exe_id "
		"LEFT JOIN processes p ON p.id = c.parent_id LEFT JOIN processes g ON g.id = c.grandparent_id",
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
	return 4;
}

std::string rollup_day_sql(Dialect d)
{
	// PostgreSQL's cast rounds and overflows: floor first, clamp
	std::string seconds = d == Dialect::sqlite ? "CAST(last_time AS INTEGER)"
						   : "CAST(LEAST(GREATEST(FLOOR(last_time), 0), 9e15) AS BIGINT)";
	return seconds + " / " + std::to_string(rollup_bucket) + " * " + std::to_string(rollup_bucket);
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
	       std::to_string(static_cast<int>(c.dim)) + ", " + rollup_day_sql(d) + ", host, " + c.id + ", " + c.value + ", " +
	       sum("events") + ", " + sum("sent") + ", " + sum("recv") + ", MAX(last_time) FROM connections WHERE " + where +
	       " GROUP BY 2, 3, 4, 5";
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

const std::vector<std::string>& schema_migration(Dialect d, int from)
{
	static const std::vector<std::vector<std::string>> sqlite = {version_1(Dialect::sqlite), version_2(Dialect::sqlite),
								     version_3_sqlite(), version_4()};
	static const std::vector<std::vector<std::string>> pg = {version_1(Dialect::postgresql), version_2(Dialect::postgresql),
								 version_3_pg(), version_4()};
	const auto& all = d == Dialect::sqlite ? sqlite : pg;
	return all.at(static_cast<size_t>(from));
}

} // namespace snitch
