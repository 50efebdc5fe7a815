#include "view/query.hpp"
#include "core/event.hpp"
#include "db/handles.hpp"
#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <limits>
#include <pwd.h>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace snitch {
namespace {

// file: URI of a path, with the characters URIs reserve percent-encoded.
std::string sqlite_ro_uri(const std::string& path)
{
	std::string out = "file:";
	for (unsigned char c : path) {
		if (c == '%' || c == '?' || c == '#' || c < 0x20) {
			char buf[4];
			std::snprintf(buf, sizeof(buf), "%%%02X", c);
			out += buf;
		} else {
			out += static_cast<char>(c);
		}
	}
	return out + "?mode=ro";
}

class SqliteView : public ViewDb {
public:
	explicit SqliteView(const std::string& path)
	{
		if (::access(path.c_str(), R_OK) != 0) {
			if (errno == ENOENT)
				throw std::runtime_error(path + ": no database here: nothing has been logged yet (snitch-store creates it "
							 "when it stores the first event: sudo picosnitch start; or give another with --db)");
			throw std::system_error(errno, std::generic_category(), path);
		}
		sqlite3* raw = nullptr;
		int rc = sqlite3_open_v2(sqlite_ro_uri(path).c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
		db_.reset(raw);
		if (rc != SQLITE_OK)
			throw std::runtime_error(path + ": " + (db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc)));
		// Fail now, naming the file, if it is not a snitch-store database.
		try {
			check(sqlite3_busy_timeout(db_.get(), 10000), "busy_timeout");
			query("PRAGMA cache_size = -65536", {});
			query("PRAGMA mmap_size = 1073741824", {});
			query("SELECT 1 FROM connections LIMIT 1", {});
			rollup_ = !query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rollup_state'", {}).empty();
			pairs_ = !query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'rollup_pairs'", {}).empty();
		} catch (const std::exception& e) {
			throw std::runtime_error(path + ": not a snitch-store database (" + e.what() + ")");
		}
	}
	Dialect dialect() const override { return Dialect::sqlite; }
	bool has_rollup() const override { return rollup_; }
	bool has_rollup_pairs() const override { return pairs_; }
	void begin_snapshot() override
	{
		end_snapshot();
		query("BEGIN", {});
		in_snapshot_ = true;
		query("SELECT 1 FROM connections LIMIT 1", {});  // the read transaction starts here
	}
	void end_snapshot() override
	{
		if (in_snapshot_)
			query("COMMIT", {});
		in_snapshot_ = false;
	}
	SqlRows query(const std::string& sql, const std::vector<SqlParam>& params) override
	{
		sqlite3_stmt* raw = nullptr;
		int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), -1, &raw, nullptr);
		SqliteStmt s(raw);
		check(rc, "prepare");
		for (size_t i = 0; i < params.size(); ++i)
			bind(s.get(), static_cast<int>(i + 1), params[i]);
		SqlRows out;
		for (;;) {
			rc = sqlite3_step(s.get());
			if (rc == SQLITE_DONE)
				return out;
			if (rc != SQLITE_ROW)
				check(rc, "query");
			int n = sqlite3_column_count(s.get());
			auto& row = out.emplace_back();
			for (int c = 0; c < n; ++c) {
				auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), c));
				row.emplace_back(t ? std::string(t, static_cast<size_t>(sqlite3_column_bytes(s.get(), c))) : std::string());
			}
		}
	}

private:
	void check(int rc, const std::string& what)
	{
		if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
			throw std::runtime_error(what + ": " + sqlite3_errmsg(db_.get()));
	}
	void bind(sqlite3_stmt* s, int i, const SqlParam& p)
	{
		if (auto* d = std::get_if<double>(&p))
			check(sqlite3_bind_double(s, i, *d), "bind");
		else {
			const auto& t = std::get<std::string>(p);
			check(sqlite3_bind_text(s, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT), "bind");
		}
	}
	Sqlite db_;
	bool rollup_ = false, pairs_ = false, in_snapshot_ = false;
};

// ? placeholders to $1, $2 ... (our SQL has no ? inside literals).
std::string pg_placeholders(const std::string& sql)
{
	std::string out;
	int n = 0;
	for (char c : sql) {
		if (c == '?')
			out += "$" + std::to_string(++n);
		else
			out += c;
	}
	return out;
}

class PgView : public ViewDb {
public:
	explicit PgView(const std::string& uri) : conn_(PQconnectdb(uri.c_str()))
	{
		if (!conn_)
			throw std::runtime_error("PostgreSQL: out of memory");
		if (PQstatus(conn_.get()) != CONNECTION_OK)
			throw std::runtime_error(std::string("PostgreSQL: ") + PQerrorMessage(conn_.get()));
		query("SET default_transaction_read_only = on", {});
		rollup_ = query("SELECT to_regclass('rollup_marks') IS NOT NULL", {}).at(0).at(0) == "t";
	}
	Dialect dialect() const override { return Dialect::postgresql; }
	bool has_rollup() const override { return rollup_; }
	void begin_snapshot() override
	{
		end_snapshot();
		query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {});
		in_snapshot_ = true;
	}
	void end_snapshot() override
	{
		if (in_snapshot_)
			query("COMMIT", {});
		in_snapshot_ = false;
	}
	SqlRows query(const std::string& sql, const std::vector<SqlParam>& params) override
	{
		std::vector<std::string> text;
		for (const auto& p : params) {
			if (auto* d = std::get_if<double>(&p)) {
				// whole numbers without a fraction, so that a BIGINT parameter reads them
				char buf[64];
				bool whole = std::fabs(*d) < 1e15 && *d == std::trunc(*d);
				std::snprintf(buf, sizeof(buf), whole ? "%.0f" : "%.6f", *d);
				text.emplace_back(buf);
			} else {
				text.push_back(std::get<std::string>(p));
			}
		}
		std::vector<const char*> values;
		for (const auto& t : text)
			values.push_back(t.c_str());
		PgResult r(PQexecParams(conn_.get(), pg_placeholders(sql).c_str(), static_cast<int>(values.size()), nullptr,
				     values.data(), nullptr, nullptr, 0));
		auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
			throw std::runtime_error(std::string("PostgreSQL: ") + PQerrorMessage(conn_.get()));
		SqlRows out(static_cast<size_t>(PQntuples(r.get())));
		for (int i = 0; i < PQntuples(r.get()); ++i)
			for (int c = 0; c < PQnfields(r.get()); ++c)
				out[static_cast<size_t>(i)].emplace_back(PQgetvalue(r.get(), i, c), static_cast<size_t>(PQgetlength(r.get(), i, c)));
		return out;
	}

private:
	PgConn conn_;
	bool rollup_ = false, in_snapshot_ = false;
};

bool is_process_screen(ScreenKind k)
{
	return k == ScreenKind::exe || k == ScreenKind::name || k == ScreenKind::sha256 || k == ScreenKind::cmdline;
}

const char* process_column(ScreenKind k)
{
	switch (k) {
	case ScreenKind::name: return "name";
	case ScreenKind::sha256: return "sha256";
	case ScreenKind::cmdline: return "cmdline";
	default: return "exe";
	}
}

std::string time_bucket(Dialect d)
{
	return d == Dialect::sqlite ? "CAST(c.last_time / 60 AS INTEGER) * 60" : "CAST(FLOOR(c.last_time / 60) AS BIGINT) * 60";
}

// The connections column (or expression) a screen groups by.
std::string group_expr(Dialect d, ScreenKind k)
{
	switch (k) {
	case ScreenKind::parent: return "c.parent_id";
	case ScreenKind::domain: return "c.domain";
	case ScreenKind::raddr: return "c.raddr";
	case ScreenKind::rport: return "c.rport";
	case ScreenKind::uid: return "c.uid";
	case ScreenKind::time: return time_bucket(d);
	default: return "c.exe_id";
	}
}

// SQLite would rather walk the index of the grouped column (no sort) than
// the time index, reading every row of the table: a unary + keeps the
// grouped column off its index. PostgreSQL's planner needs no hint.
std::string no_index(Dialect d, const std::string& expr)
{
	return d == Dialect::sqlite ? "+" + expr : expr;
}

// Within a range of up to 30 days the time index reads contiguous rows,
// where the index of a filtered column jumps all over the table: on 10M rows
// over a year, one executable over 7 days took 9 s through connections_exe
// and 0.3 s through connections_time. SQLite's estimates for a range cannot
// tell; PostgreSQL's planner has histograms and needs no hint. Filters on
// the executable (and name, sha256, command) or the domain have indexes on
// (column, last_time) since schema version 4, which beat both: bench/view.sh's
// 30-day lower pane took 0.49 s through the time index, 0.02 s through
// (exe_id, last_time).
bool has_time_pair_index(ScreenKind k)
{
	return is_process_screen(k) || k == ScreenKind::domain;
}

bool prefer_time_index(Dialect d, const Query& q)
{
	return d == Dialect::sqlite && q.span > 0 && q.span <= 30 * 86400;
}

bool is_numeric(ScreenKind k)
{
	return k == ScreenKind::rport || k == ScreenKind::uid || k == ScreenKind::time;
}

// The rows as the view `connections` reads them; in SQLite with each row's
// own context_id and peer_id beside.
std::string rows_from(Dialect d)
{
	if (d == Dialect::postgresql)
		return "connections c";
	return "(" + sqlite_connections_select(", r.context_id, r.peer_id") + ") c";
}

// What a screen of q reads of the rows: in SQLite only the interned tables
// its key and filters name (a row's context, for the process columns, parent
// and uid; its peer, for domain, address and port). Joining every table of
// the view took a 7-day first screen 4.5 ms more than the flat rows of
// schema 4 (its partial day's rows), 1d's too.
std::string screen_rows_from(Dialect d, const Query& q)
{
	if (d == Dialect::postgresql)
		return rows_from(d);
	auto on_context = [](ScreenKind k) { return is_process_screen(k) || k == ScreenKind::parent || k == ScreenKind::uid; };
	auto on_peer = [](ScreenKind k) { return k == ScreenKind::domain || k == ScreenKind::raddr || k == ScreenKind::rport; };
	bool context = on_context(q.screen), peer = on_peer(q.screen);
	for (const auto& f : q.filters)
		context = context || on_context(f.kind), peer = peer || on_peer(f.kind);
	std::string cols = "r.id AS rowid, r.time_ms / 1000.0 AS last_time, r.time_ms, r.context_id, r.peer_id, r.sent, r.recv, r.events";
	std::string from = " FROM connection_rows r";
	if (context) {
		cols += ", x.exe_id, NULLIF(x.parent_id, 0) AS parent_id, x.uid";
		from += " JOIN contexts x ON x.id = r.context_id";
	}
	if (peer) {
		cols += ", p.raddr, p.rport, p.domain";
		from += " JOIN peers p ON p.id = r.peer_id";
	}
	return "(SELECT " + cols + from + ") c";
}

// SQLite: a filter on what a context or a peer holds picks rows by the ids
// they hold. Through the view's columns each row's context is looked up
// before the filter can reject it: bench/view.sh's lower pane of all time
// took 1.07 s of CPU that way, 0.6 s this way.
std::optional<std::string> interned_condition(ScreenKind k)
{
	auto in = [](const char* ids, const std::string& where) { return std::string("c.") + ids + " IN (SELECT id FROM " + where + ")"; };
	if (is_process_screen(k))
		return in("context_id", "contexts WHERE exe_id IN (SELECT id FROM processes WHERE " + std::string(process_column(k)) + " = ?)");
	switch (k) {
	case ScreenKind::parent: return in("context_id", "contexts WHERE parent_id IN (SELECT id FROM processes WHERE exe = ?)");
	case ScreenKind::uid: return in("context_id", "contexts WHERE uid = ?");
	case ScreenKind::domain: return in("peer_id", "peers WHERE domain = ?");
	case ScreenKind::raddr: return in("peer_id", "peers WHERE raddr = ?");
	case ScreenKind::rport: return in("peer_id", "peers WHERE rport = ?");
	default: return std::nullopt;
	}
}

// Numeric keys are bound as numbers: SQLite compares a text parameter with
// a computed number (the time bucket, or +c.rport) as unequal.
std::string filter_condition(Dialect d, const Filter& f, bool time_index, std::vector<SqlParam>& params)
{
	time_index = time_index && !has_time_pair_index(f.kind);
	std::string col = time_index ? "+c." : "c.";
	if (f.kind == ScreenKind::parent && f.value.empty())
		return "c.parent_id IS NULL";
	if (is_numeric(f.kind) && f.value.empty())
		return group_expr(d, f.kind) + " IS NULL";
	if (is_numeric(f.kind))
		params.emplace_back(std::stod(f.value));
	else
		params.emplace_back(f.value);
	if (auto by_id = interned_condition(f.kind); by_id && d == Dialect::sqlite)
		return *by_id;
	if (is_process_screen(f.kind))
		return col + "exe_id IN (SELECT id FROM processes WHERE " + process_column(f.kind) + " = ?)";
	if (f.kind == ScreenKind::parent)
		return col + "parent_id IN (SELECT id FROM processes WHERE exe = ?)";
	if (time_index)
		return no_index(d, group_expr(d, f.kind)) + " = ?";
	return group_expr(d, f.kind) + " = ?";
}

std::optional<RollupDim> rollup_dim(ScreenKind k)
{
	switch (k) {
	case ScreenKind::exe:
	case ScreenKind::name:
	case ScreenKind::sha256: return RollupDim::exe;
	case ScreenKind::parent: return RollupDim::parent;
	case ScreenKind::domain: return RollupDim::domain;
	case ScreenKind::raddr: return RollupDim::raddr;
	case ScreenKind::rport: return RollupDim::rport;
	case ScreenKind::uid: return RollupDim::uid;
	default: return std::nullopt;
	}
}

constexpr const char* sums = " SUM(c.events) AS ev, SUM(c.sent) AS se, SUM(c.recv) AS re, MAX(c.last_time) AS lt ";

// One screen's aggregate of the connections rows matching `where`, keyed as
// the rollup keys it (text, but for process ids).
std::string raw_part(Dialect d, ScreenKind k, const std::string& where, const std::string& from)
{
	std::string g = group_expr(d, k);
	if (k != ScreenKind::parent && !is_process_screen(k))
		g = "CAST(" + g + " AS TEXT)";
	return "SELECT " + g + " AS g," + sums + "FROM " + from + " WHERE " + where + " GROUP BY " + no_index(d, group_expr(d, k));
}

std::string time_bound(Dialect d, const char* op, double t, std::vector<SqlParam>& params)
{
	params.insert(params.end(), static_cast<size_t>(time_compare_binds(d)), t);
	return time_compare(d, op);
}

std::string where_sql(Dialect d, const Query& q, std::vector<SqlParam>& params)
{
	std::string where;
	auto add = [&](const std::string& cond) { where += (where.empty() ? " WHERE " : " AND ") + cond; };
	if (q.from > 0)
		add(time_bound(d, ">=", q.from, params));
	if (q.to > 0)
		add(time_bound(d, "<", q.to, params));
	for (const auto& f : q.filters)
		add(filter_condition(d, f, prefer_time_index(d, q), params));
	return where;
}

std::string raw_sql(Dialect d, const Query& q, std::vector<SqlParam>& params)
{
	std::string where = where_sql(d, q, params);
	// Aggregate connections by their own column first (an integer id for the
	// process screens), then join the few groups to processes.
	return "SELECT " + group_expr(d, q.screen) + " AS g," + sums + "FROM " + screen_rows_from(d, q) + where + " GROUP BY " +
	       no_index(d, group_expr(d, q.screen));
}

// Whether f is on what a process context decides (exe, name, sha256,
// command, parent, uid): rollup_pairs keys the context.
bool context_filter(const Filter& f)
{
	return is_process_screen(f.kind) || f.kind == ScreenKind::parent || (f.kind == ScreenKind::uid && !f.value.empty());
}

// f (a context_filter) on "c.context_id", as interned_condition gives it but
// for the unknown parent (a row's parent_id NULL: the context's 0).
std::string context_condition(const Filter& f, std::vector<SqlParam>& params)
{
	if (f.kind == ScreenKind::parent && f.value.empty())
		return "c.context_id IN (SELECT id FROM contexts WHERE parent_id = 0)";
	return filter_condition(Dialect::sqlite, f, false, params);
}

// " AND " each of q's filters on the rows.
std::string row_filters(Dialect d, const Query& q, std::vector<SqlParam>& params)
{
	std::string out;
	for (const auto& f : q.filters)
		out += " AND " + filter_condition(d, f, prefer_time_index(d, q), params);
	return out;
}

// The whole days [lo, hi) up to the mark of the rollup of `dim` (a screen
// without filters) or, for nullopt, of SQLite's rollup_pairs (the domain
// screen filtered on contexts), keyed as raw_part keys them. rollup_pairs
// names a domain by one of its peers: grouped by the peer's domain.
std::string days_sql(const Query& q, std::optional<RollupDim> dim, double lo, double hi, std::vector<SqlParam>& params)
{
	std::string days;
	if (dim) {
		days = "r.dim = " + std::to_string(static_cast<int>(*dim));
		if (q.from > 0) {
			days += " AND r.bucket >= CAST(? AS DOUBLE PRECISION)";
			params.emplace_back(lo);
		}
		if (q.to > 0) {
			days += " AND r.bucket < CAST(? AS DOUBLE PRECISION)";
			params.emplace_back(hi);
		}
		bool by_id = *dim == RollupDim::exe || *dim == RollupDim::exe_hour || *dim == RollupDim::parent;
		std::string key = by_id ? "r.id" : "r.value";
		return "SELECT " + key + " AS g, SUM(r.events) AS ev, SUM(r.sent) AS se, SUM(r.recv) AS re, "
		       "MAX(r.last_time) AS lt FROM rollup r WHERE " + days + " GROUP BY " + key;
	}
	for (const auto& f : q.filters)
		days += (days.empty() ? "" : " AND ") + context_condition(f, params);
	const double day = static_cast<double>(rollup_bucket);
	if (q.from > 0) {
		days += " AND c.day >= ?";
		params.emplace_back(lo / day);
	}
	if (q.to > 0) {
		days += " AND c.day < ?";
		params.emplace_back(hi / day);
	}
	return "SELECT p.domain AS g, SUM(c.events) AS ev, SUM(c.sent) AS se, SUM(c.recv) AS re, MAX(c.last_ms) / 1000.0 AS lt "
	       "FROM rollup_pairs c JOIN peers p ON p.id = c.domain_id WHERE " + days + " GROUP BY p.domain";
}

// c's time in [a, b). SQLite: within the rowids of the time slots from a's to
// b's (time_compare bounds each end alone: the rowids below b are those of
// every slot before it, a read of time_slots from the oldest; on a year's
// log that was most of a 7-day lower pane's 10 ms).
std::string time_between(Dialect d, double a, double b, std::vector<SqlParam>& params)
{
	if (d != Dialect::sqlite) {
		std::string since = time_bound(d, ">=", a, params);
		return since + " AND " + time_bound(d, "<", b, params);
	}
	const std::string slot = "CAST(? * 1000 AS INTEGER) / " + std::to_string(time_slot_ms);
	const std::string slots = " FROM time_slots WHERE slot BETWEEN " + slot + " AND " + slot + ")";
	for (double t : {a, b, a, b, a, b})
		params.emplace_back(t);
	return "c.rowid >= (SELECT COALESCE(MIN(lo), 9223372036854775807)" + slots + " AND c.rowid <= (SELECT COALESCE(MAX(hi), -1)" +
	       slots + " AND c.time_ms >= ? * 1000 AND c.time_ms < ? * 1000";
}

// Rows in [from, to) = the rollup's whole days [lo, hi) up to the mark
// + rows past the mark within [lo, hi) (by rowid or per host by seq: few,
// whatever their time) + the partial days [from, lo) and [hi, to) (by the
// time index; SQLite's executables by the hourly rollup for their whole
// hours), the last two with q's filters.
std::string rollup_sql(Dialect d, const Query& q, std::optional<RollupDim> dim, double lo, double hi,
		       std::vector<SqlParam>& params, bool hours = false);

// The rows in [a, b) of a part of q's range: SQLite's executables (`hours`)
// from the hourly rollup for the whole hours in it, else from rows.
std::string edge_sql(Dialect d, const Query& q, double a, double b, bool hours, std::vector<SqlParam>& params)
{
	const double hour = static_cast<double>(rollup_hour);
	const double lo = std::ceil(a / hour) * hour, hi = std::floor(b / hour) * hour;
	if (hours && lo < hi) {
		Query part = q;
		part.from = a, part.to = b;
		return rollup_sql(d, part, RollupDim::exe_hour, lo, hi, params);
	}
	std::string edge = time_between(d, a, b, params);
	return raw_part(d, q.screen, edge + row_filters(d, q, params), screen_rows_from(d, q));
}

std::string rollup_sql(Dialect d, const Query& q, std::optional<RollupDim> dim, double lo, double hi,
		       std::vector<SqlParam>& params, bool hours)
{
	auto [tail_from, tail] = rollup_tail(d);
	if (!dim || *dim == RollupDim::exe_hour)  // rolled up with the pairs, to their mark
		tail_from = screen_rows_from(d, q), tail = "c.rowid > (SELECT pairs_hwm FROM rollup_state)";
	std::string sql = days_sql(q, dim, lo, hi, params);
	if (q.from > 0) {
		tail += " AND +c.last_time >= ?";
		params.emplace_back(lo);
	}
	if (q.to > 0) {
		tail += " AND +c.last_time < ?";
		params.emplace_back(hi);
	}
	sql += " UNION ALL " + raw_part(d, q.screen, tail + row_filters(d, q, params), tail_from);
	const bool edge_hours = hours && dim == RollupDim::exe;
	if (q.from > 0 && q.from < lo)
		sql += " UNION ALL " + edge_sql(d, q, q.from, lo, edge_hours, params);
	if (q.to > 0 && hi < q.to)
		sql += " UNION ALL " + edge_sql(d, q, hi, q.to, edge_hours, params);
	return sql;
}

} // namespace

RollupTail rollup_tail(Dialect d)
{
	if (d == Dialect::postgresql)
		return {"connections c JOIN (SELECT host, MAX(seq) AS m FROM rollup_marks GROUP BY host) k ON k.host = c.host", "c.seq > k.m"};
	return {"connections c", "c.rowid > (SELECT hwm FROM rollup_state)"};
}

namespace {

uint64_t to_u64(const std::string& s)
{
	return s.empty() ? 0 : std::stoull(s);
}

std::string verdict_text(const std::string& event)
{
	Json j;
	try {
		j = parse_event(event);
	} catch (const std::exception&) {
		return "unreadable verdict";
	}
	auto st = j.find("status");
	std::string status = st != j.end() && st->is_string() ? st->get<std::string>() : "?";
	if (!j.contains("malicious"))
		return status;
	auto count = [&j](const char* k) {
		auto it = j.find(k);
		return it != j.end() && it->is_number() ? std::to_string(it->get<int64_t>()) : std::string("?");
	};
	return status + ": " + count("malicious") + " malicious, " + count("suspicious") + " suspicious";
}

} // namespace

const std::vector<ScreenInfo>& every_screen()
{
	static const std::vector<ScreenInfo> s = {
		{ScreenKind::exe, "exe", "Executables"},   {ScreenKind::name, "name", "Names"},
		{ScreenKind::sha256, "sha256", "SHA256"},  {ScreenKind::parent, "parent", "Parents"},
		{ScreenKind::domain, "domain", "Host names"}, {ScreenKind::raddr, "ip", "Host IPs"},
		{ScreenKind::rport, "port", "Ports"},      {ScreenKind::uid, "user", "Users"},
		{ScreenKind::time, "time", "Connection time"}, {ScreenKind::cmdline, "cmdline", "Commands"},
		{ScreenKind::news, "new", "What's new"},   {ScreenKind::conns, "conn", "Connections"},
	};
	return s;
}

const std::vector<ScreenInfo>& all_screens()
{
	static const std::vector<ScreenInfo> s(every_screen().begin(), every_screen().end() - 2);
	return s;
}

bool is_aggregate(ScreenKind k)
{
	return k != ScreenKind::news && k != ScreenKind::conns;
}

const ScreenInfo& screen_info(ScreenKind k)
{
	for (const auto& s : every_screen())
		if (s.kind == k)
			return s;
	throw std::logic_error("unknown screen");
}

std::optional<ScreenKind> screen_by_id(std::string_view id)
{
	for (const auto& s : every_screen())
		if (id == s.id)
			return s.kind;
	return std::nullopt;
}

std::string screen_sql(Dialect d, const Query& q, std::vector<SqlParam>& params, bool rollup, bool pairs)
{
	const double day = static_cast<double>(rollup_bucket), hour = static_cast<double>(rollup_hour);
	double lo = q.from > 0 ? std::ceil(q.from / day) * day : 0, hi = q.to > 0 ? std::floor(q.to / day) * day : 0;
	auto dim = rollup_dim(q.screen);
	std::string inner;
	// A range of two days or more holds a whole day; shorter ones read few rows anyway.
	bool long_range = q.span <= 0 || q.span >= 2 * day;
	bool by_contexts = !q.filters.empty() && std::all_of(q.filters.begin(), q.filters.end(), context_filter);
	// SQLite's executables per hour: a day's rows are the first screen of 1d (27k rows took 30 ms to group)
	bool hours = pairs && rollup && dim == RollupDim::exe && q.filters.empty() && !long_range && q.span >= 2 * hour && q.from > 0;
	if (hours)
		inner = rollup_sql(d, q, RollupDim::exe_hour, std::ceil(q.from / hour) * hour, q.to > 0 ? std::floor(q.to / hour) * hour : 0,
				   params);
	else if (rollup && dim && q.filters.empty() && long_range)
		inner = rollup_sql(d, q, dim, lo, hi, params, pairs && d == Dialect::sqlite);
	else if (pairs && d == Dialect::sqlite && q.screen == ScreenKind::domain && by_contexts && long_range)
		inner = rollup_sql(d, q, std::nullopt, lo, hi, params);
	else
		inner = raw_sql(d, q, params);
	std::string key = "COALESCE(CAST(s.g AS TEXT), '')", join;
	if (is_process_screen(q.screen) || q.screen == ScreenKind::parent) {
		key = std::string("COALESCE(p.") + (q.screen == ScreenKind::parent ? "exe" : process_column(q.screen)) + ", '')";
		join = " LEFT JOIN processes p ON p.id = s.g";
	}
	return "SELECT " + key + ", SUM(s.ev), SUM(s.se), SUM(s.re), MAX(s.lt) FROM (" + inner + ") s" + join + " GROUP BY 1";
}

std::vector<Row> fetch_rows(ViewDb& db, const Query& q)
{
	std::vector<SqlParam> params;
	std::string sql = screen_sql(db.dialect(), q, params, db.has_rollup(), db.has_rollup_pairs());
	std::vector<Row> rows;
	for (auto& r : db.query(sql, params))
		rows.push_back({r.at(0), to_u64(r.at(1)), to_u64(r.at(2)), to_u64(r.at(3)), r.at(4).empty() ? 0 : std::stod(r.at(4))});
	return rows;
}

namespace {

// PostgreSQL: an executable's first and last rows: the oldest and the newest
// time with a row of it are found walking the time index (no scan of every
// row), then its rows in the oldest 10 minutes are read.
std::string detail_times_sql(const std::string& ids)
{
	const std::string ms = std::to_string(time_slot_ms);
	auto edge = [&](const char* dir) {
		return "(SELECT r.time_ms FROM connection_rows r WHERE r.context_id IN (SELECT id FROM contexts WHERE exe_id " + ids +
		       ") ORDER BY r.time_ms " + dir + " LIMIT 1)";
	};
	auto of = [&](const std::string& agg, const std::string& rows) {
		return "(SELECT " + agg + " FROM connections c WHERE c.exe_id " + ids + " AND " + rows + ")";
	};
	return "SELECT " + of("MIN(c.first_time)", "c.time_ms >= e.lo AND c.time_ms < e.lo + " + ms) + ", " +
	       of("MAX(c.last_time)", "c.time_ms = e.hi") + " FROM (SELECT " + edge("ASC") + " AS lo, " + edge("DESC") + " AS hi) e";
}

// SQLite, without a time index: the daily rollup (up to its mark) and the
// few rows past the mark give the executable's oldest day and its last
// time; the rows of that day (time_slots: their rowid range) its oldest
// slot, and the rows of that slot the first time: the earliest first_time
// of the rows in the oldest 10 minutes, as PostgreSQL's.
std::pair<std::string, std::string> detail_times_sqlite(ViewDb& db, const std::string& exe)
{
	const std::string ms = std::to_string(time_slot_ms), day = std::to_string(rollup_bucket);
	const std::string rows = "connection_rows r WHERE r.context_id IN (SELECT id FROM contexts WHERE exe_id IN "
				 "(SELECT id FROM processes WHERE exe = ?))";
	// without the rollup (a copy that dropped it), every row is past the mark
	const std::string rollup = "FROM rollup WHERE dim = " + std::to_string(static_cast<int>(RollupDim::exe)) +
				   " AND id IN (SELECT id FROM processes WHERE exe = ?)",
			  tail = db.has_rollup() ? " AND r.id > (SELECT hwm FROM rollup_state)" : "";
	// the rollup's key begins (dim, bucket): its oldest and newest day of the
	// executable are found walking it from either end, the last time in the newest
	auto edge_day = [&](const char* dir) { return "(SELECT bucket " + rollup + " ORDER BY bucket " + dir + " LIMIT 1)"; };
	std::string sql = db.has_rollup() ? "SELECT " + edge_day("ASC") + ", (SELECT MAX(last_time) " + rollup + " AND bucket = " +
						    edge_day("DESC") + ")"
					  : "SELECT NULL, NULL";
	sql += ", (SELECT CAST(MIN(r.time_ms) / 1000.0 AS INTEGER) / " + day + " * " + day + " FROM " + rows + tail +
	       "), (SELECT MAX(r.time_ms) / 1000.0 FROM " + rows + tail + ")";
	const std::vector<SqlParam> params(static_cast<size_t>(std::count(sql.begin(), sql.end(), '?')), exe);
	auto e = db.query(sql, params);
	if (e.empty() || (e[0].at(0).empty() && e[0].at(2).empty()))
		return {};
	auto pick = [](const std::string& a, const std::string& b, bool low) {
		if (a.empty() || b.empty())
			return a.empty() ? b : a;
		return (std::stod(a) < std::stod(b)) == low ? a : b;
	};
	const int64_t first_day = std::stoll(pick(e[0][0], e[0][2], true));
	const std::string last = pick(e[0][1], e[0][3], false);
	// a day holds the times that truncate to it: before 1970, the day before it too
	const int64_t lo_ms = (first_day - (first_day > 0 ? 0 : rollup_bucket)) * 1000, hi_ms = (first_day + rollup_bucket) * 1000;
	auto within = [&](int64_t lo_slot, int64_t hi_slot) {
		std::string a = std::to_string(lo_slot), b = std::to_string(hi_slot);
		return " AND r.id BETWEEN (SELECT MIN(lo) FROM time_slots WHERE slot BETWEEN " + a + " AND " + b +
		       ") AND (SELECT MAX(hi) FROM time_slots WHERE slot BETWEEN " + a + " AND " + b + ") AND r.time_ms / " + ms +
		       " BETWEEN " + a + " AND " + b;
	};
	// the day's slots in turn, up to the first holding a row of the executable
	auto slot = db.query("SELECT s.slot FROM time_slots s WHERE s.slot BETWEEN " + std::to_string(lo_ms / time_slot_ms) + " AND " +
				     std::to_string(hi_ms / time_slot_ms) + " AND EXISTS (SELECT 1 FROM " + rows +
				     " AND r.id BETWEEN s.lo AND s.hi AND r.time_ms / " + ms + " = s.slot) ORDER BY s.slot LIMIT 1",
			     {exe});
	if (slot.empty() || slot[0].at(0).empty())  // a rollup that its rows do not match: read them all
		slot = db.query("SELECT MIN(r.time_ms) / " + ms + " FROM " + rows, {exe});
	if (slot.empty() || slot[0].at(0).empty())
		return {};
	const int64_t s = std::stoll(slot[0][0]);
	auto first = db.query("SELECT MIN((r.time_ms - r.span_ms) / 1000.0) FROM " + rows + within(s, s), {exe});
	return {first.empty() ? "" : first[0].at(0), last};
}

} // namespace

ExeDetail fetch_detail(ViewDb& db, const std::string& exe)
{
	ExeDetail d;
	d.exe = exe;
	for (auto& r : db.query("SELECT sha256 FROM processes WHERE exe = ? GROUP BY sha256 ORDER BY MIN(first_seen)", {exe})) {
		auto v = r.at(0).empty() ? SqlRows{} : db.query("SELECT event FROM verdicts WHERE sha256 = ? ORDER BY time DESC LIMIT 1", {r.at(0)});
		d.hashes.push_back({r.at(0), v.empty() ? "no verdict" : verdict_text(v.at(0).at(0))});
	}
	const std::string ids = "IN (SELECT id FROM processes WHERE exe = ?)";
	// contexts, not rows: a parent is in the context of every row it started
	for (auto& r : db.query("SELECT DISTINCT p.exe FROM contexts x JOIN processes p ON p.id = x.parent_id WHERE x.exe_id " +
					ids + " ORDER BY 1 LIMIT 20",
				{exe}))
		d.parents.push_back(r.at(0));
	std::pair<std::string, std::string> t;
	if (db.dialect() == Dialect::sqlite) {
		t = detail_times_sqlite(db, exe);
	} else {
		const std::string times = detail_times_sql(ids);
		auto r = db.query(times, std::vector<SqlParam>(std::count(times.begin(), times.end(), '?'), exe));
		if (!r.empty())
			t = {r[0].at(0), r[0].at(1)};
	}
	if (!t.first.empty()) {
		d.first = std::stod(t.first);
		d.last = t.second.empty() ? d.first : std::stod(t.second);
	}
	return d;
}

const char* sort_name(SortKey k)
{
	switch (k) {
	case SortKey::sent: return "sent";
	case SortKey::recv: return "received";
	case SortKey::events: return "events";
	case SortKey::name: return "name";
	case SortKey::last: return "last seen";
	}
	return "?";
}

std::optional<SortKey> sort_by_name(std::string_view s)
{
	for (auto k : {SortKey::sent, SortKey::recv, SortKey::events, SortKey::name, SortKey::last})
		if (s == sort_name(k) || (k == SortKey::recv && s == "recv") || (k == SortKey::last && s == "last"))
			return k;
	return std::nullopt;
}

void sort_rows(std::vector<Row>& rows, SortKey k, ScreenKind screen)
{
	bool numeric = screen == ScreenKind::rport || screen == ScreenKind::uid || screen == ScreenKind::time;
	auto name_less = [numeric](const Row& a, const Row& b) {
		if (numeric && a.key.size() != b.key.size())
			return a.key.size() < b.key.size();
		return a.key < b.key;
	};
	std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
		switch (k) {
		case SortKey::sent: if (a.sent != b.sent) return a.sent > b.sent; break;
		case SortKey::recv: if (a.recv != b.recv) return a.recv > b.recv; break;
		case SortKey::events: if (a.events != b.events) return a.events > b.events; break;
		case SortKey::last: if (a.last != b.last) return a.last > b.last; break;
		case SortKey::name: break;
		}
		return name_less(a, b);
	});
}

const std::vector<std::pair<std::string, double>>& time_ranges()
{
	static const std::vector<std::pair<std::string, double>> r = {
		{"all", 0}, {"1m", 60}, {"3m", 180}, {"5m", 300}, {"10m", 600}, {"15m", 900}, {"30m", 1800},
		{"1h", 3600}, {"3h", 10800}, {"6h", 21600}, {"12h", 43200}, {"1d", 86400}, {"3d", 259200},
		{"7d", 604800}, {"30d", 2592000}, {"365d", 31536000},
	};
	return r;
}

namespace {

double unit_seconds(char u)
{
	switch (u) {
	case 's': return 1;
	case 'm': return 60;
	case 'h': return 3600;
	case 'd': return 86400;
	case 'w': return 604800;
	default: return 0;
	}
}

} // namespace

double parse_range(const std::string& s)
{
	if (s == "all")
		return 0;
	size_t digits = 0, dots = 0;
	for (size_t i = 0; i + 1 < s.size(); ++i) {
		digits += s[i] >= '0' && s[i] <= '9';
		dots += s[i] == '.';
	}
	double mult = s.empty() ? 0 : unit_seconds(s.back());
	bool shape = s.size() >= 2 && s.size() <= 16 && digits > 0 && digits + dots == s.size() - 1 && dots <= 1 && s[0] != '.';
	double n = shape ? std::stod(s.substr(0, s.size() - 1)) : 0;
	if (!shape || mult == 0 || n <= 0)
		throw std::invalid_argument("bad time range '" + s + "' (all, or a number with s, m, h, d or w: 90s, 2h, 2w)");
	return n * mult;
}

std::string range_text(double span)
{
	if (span <= 0)
		return "all";
	for (const auto& r : time_ranges())
		if (r.second == span)
			return r.first;
	for (char u : {'w', 'd', 'h', 'm'}) {
		double n = span / unit_seconds(u);
		if (n >= 1 && n == std::trunc(n))
			return std::to_string(static_cast<int64_t>(n)) + u;
	}
	char buf[32];
	std::snprintf(buf, sizeof(buf), "%gs", span);
	return buf;
}

namespace {

bool all_digits(const std::string& s)
{
	return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
}

// Local "YYYY-MM-DD HH:MM[:SS]" as epoch seconds.
std::optional<double> parse_local_time(const std::string& s)
{
	for (const char* f : {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"}) {
		std::tm tm{};
		const char* end = ::strptime(s.c_str(), f, &tm);
		if (end && *end == '\0') {
			tm.tm_isdst = -1;
			std::time_t t = std::mktime(&tm);
			if (t != static_cast<std::time_t>(-1))
				return static_cast<double>(t);
		}
	}
	return std::nullopt;
}

std::optional<uint64_t> user_uid(const std::string& name)
{
	struct passwd pw, *found = nullptr;
	std::vector<char> buf(16384);
	if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
		return std::nullopt;
	return found->pw_uid;
}

} // namespace

std::string filter_value(ScreenKind k, const std::string& text)
{
	std::string what = std::string(screen_info(k).id) + "=" + text;
	if (!is_aggregate(k))
		throw std::invalid_argument(what + ": this screen cannot be filtered on");
	if (text.empty())
		return text;
	switch (k) {
	case ScreenKind::rport:
		if (!all_digits(text) || std::stoull(text) > 65535)
			throw std::invalid_argument(what + ": not a port number (0-65535)");
		return std::to_string(std::stoull(text));
	case ScreenKind::uid:
		if (all_digits(text))
			return std::to_string(std::stoull(text));
		if (auto uid = user_uid(text))
			return std::to_string(*uid);
		throw std::invalid_argument(what + ": no such user (give a uid or a user name)");
	case ScreenKind::time: {
		std::optional<double> t = all_digits(text) ? std::optional<double>(std::stod(text)) : parse_local_time(text);
		if (!t)
			throw std::invalid_argument(what + ": not a time (epoch seconds, or local YYYY-MM-DD HH:MM)");
		return std::to_string(static_cast<int64_t>(std::floor(*t / 60) * 60));
	}
	default: return text;
	}
}

std::vector<Sighting> fetch_sightings(ViewDb& db, const Query& q, size_t limit)
{
	std::vector<SqlParam> params;
	auto having = [&](const std::string& t) {
		std::string h;
		if (q.from > 0) {
			h += (h.empty() ? " HAVING " : " AND ") + t + " >= ?";
			params.emplace_back(q.from);
		}
		if (q.to > 0) {
			h += (h.empty() ? " HAVING " : " AND ") + t + " < ?";
			params.emplace_back(q.to);
		}
		return h;
	};
	std::string sql = "SELECT 'exe', exe, '', MIN(first_seen) FROM processes GROUP BY exe" + having("MIN(first_seen)");
	sql += " UNION ALL SELECT 'sha256', exe, sha256, MIN(first_seen) FROM processes WHERE sha256 <> '' GROUP BY exe, sha256" +
	       having("MIN(first_seen)");
	sql += " UNION ALL SELECT 'domain', '', domain, MIN(first_time) FROM connections WHERE domain <> '' GROUP BY domain" +
	       having("MIN(first_time)");
	// per executable id first (the few groups), then per path
	sql += " UNION ALL SELECT 'pair', p.exe, s.domain, MIN(s.t) FROM (SELECT exe_id, domain, MIN(first_time) AS t "
	       "FROM connections WHERE domain <> '' GROUP BY exe_id, domain) s JOIN processes p ON p.id = s.exe_id "
	       "GROUP BY p.exe, s.domain" + having("MIN(s.t)");
	sql += " ORDER BY 4 DESC, 1, 2, 3";
	if (limit)
		sql += " LIMIT " + std::to_string(limit);
	std::vector<Sighting> out;
	for (auto& r : db.query(sql, params))
		out.push_back({r.at(3).empty() ? 0 : std::stod(r.at(3)), r.at(0), r.at(1), r.at(2)});
	return out;
}

namespace {

const char* const connection_columns =
	"SELECT c.first_time, c.last_time, c.host, e.exe, e.name, e.cmdline, e.sha256, COALESCE(p.exe, ''), "
	"COALESCE(p.name, ''), c.pid, c.uid, c.lport, c.rport, c.family, c.proto, c.laddr, c.raddr, c.domain, "
	"c.cgroup, c.sent, c.recv, c.events, e.exe_unverified FROM ";

// Newest first; SQLite's rowid last breaks the ties that remain, so that the
// newest rows of a slot range (connection_rows_newest) are those of the
// whole sort, and pages neither repeat nor skip a row.
std::string connection_order(Dialect d)
{
	return std::string(" ORDER BY c.time_ms DESC, c.first_time DESC, e.exe, c.domain, c.raddr, c.rport, c.sent, c.recv, c.host") +
	       (d == Dialect::sqlite ? ", c.rowid DESC" : "");
}

Connection connection_of(const std::vector<std::string>& r)
{
	auto i64 = [](const std::string& s, int64_t none) { return s.empty() ? none : std::stoll(s); };
	Connection c;
	c.first = r.at(0).empty() ? 0 : std::stod(r.at(0));
	c.last = r.at(1).empty() ? 0 : std::stod(r.at(1));
	c.host = r.at(2), c.exe = r.at(3), c.name = r.at(4), c.cmdline = r.at(5), c.sha256 = r.at(6);
	c.parent_exe = r.at(7), c.parent_name = r.at(8);
	c.pid = i64(r.at(9), 0), c.uid = i64(r.at(10), -1), c.lport = i64(r.at(11), 0), c.rport = i64(r.at(12), 0);
	c.family = r.at(13), c.proto = r.at(14), c.laddr = r.at(15), c.raddr = r.at(16), c.domain = r.at(17), c.cgroup = r.at(18);
	c.sent = to_u64(r.at(19)), c.recv = to_u64(r.at(20)), c.events = to_u64(r.at(21));
	c.exe_unverified = r.at(22);
	return c;
}

// The slot of a time in seconds: what time_slots keys (truncated, as SQLite divides).
int64_t slot_of(double seconds)
{
	return static_cast<int64_t>(std::ceil(seconds * 1000)) / time_slot_ms;
}

// SQLite has no time index: the newest `want` rows of `q` are read from the
// newest slots, time_slots giving their rowid range. A chunk is the slots
// from the newest down to those whose rows (time_slots.rows) add up to what
// is still wanted; when the filters (or counts that retention left high)
// keep fewer, the next chunk, below it, is wider. The rows of a chunk sort
// before those of every slot below (a slot never decreases with time), so
// the chunks' rows in turn are the sort's first rows.
std::vector<std::vector<std::string>> connection_rows_newest(ViewDb& db, const Query& q, size_t want)
{
	constexpr int64_t none_below = std::numeric_limits<int64_t>::min(), none_above = std::numeric_limits<int64_t>::max();
	const int64_t floor = q.from > 0 ? slot_of(q.from) : none_below;
	int64_t top = q.to > 0 ? slot_of(q.to) : none_above;
	Query filters = q;  // the time range is bound here, by rowid range and time_ms
	filters.from = filters.to = 0;
	std::vector<std::vector<std::string>> out;
	int64_t scanned = 0, estimate = static_cast<int64_t>(want);
	while (out.size() < want) {
		// the chunk's lowest slot: where the slots from `top` down hold `estimate` rows
		int64_t bottom = floor, sum = 0;
		bool reached = false;
		for (int64_t from = top; !reached;) {
			auto slots = db.query("SELECT slot, rows FROM time_slots WHERE slot BETWEEN " + std::to_string(floor) + " AND " +
						      std::to_string(from) + " ORDER BY slot DESC LIMIT 512", {});
			for (const auto& s : slots) {
				sum += std::stoll(s.at(1));
				if (sum >= estimate) {
					bottom = std::stoll(s.at(0));
					reached = true;
					break;
				}
			}
			if (slots.size() < 512)
				break;
			from = std::stoll(slots.back().at(0)) - 1;
		}
		auto range = db.query("SELECT MIN(lo), MAX(hi) FROM time_slots WHERE slot BETWEEN " + std::to_string(bottom) + " AND " +
					      std::to_string(top), {});
		if (!range.empty() && !range[0].at(0).empty()) {
			std::vector<SqlParam> params;
			std::string where = where_sql(Dialect::sqlite, filters, params);
			where += std::string(where.empty() ? " WHERE " : " AND ") + "c.rowid BETWEEN " + range[0][0] + " AND " + range[0][1] +
				 " AND c.time_ms / " + std::to_string(time_slot_ms) + " BETWEEN " + std::to_string(bottom) + " AND " +
				 std::to_string(top);
			// as time_compare bounds them
			if (q.from > 0) {
				where += " AND c.time_ms >= ? * 1000";
				params.emplace_back(q.from);
			}
			if (q.to > 0) {
				where += " AND c.time_ms < ? * 1000";
				params.emplace_back(q.to);
			}
			std::string sql = connection_columns + rows_from(Dialect::sqlite) +
					  " JOIN processes e ON e.id = c.exe_id LEFT JOIN processes p ON p.id = c.parent_id" + where +
					  connection_order(Dialect::sqlite) + " LIMIT " + std::to_string(want - out.size());
			for (auto& r : db.query(sql, params))
				out.push_back(std::move(r));
			scanned += sum;
			// the rows kept per row read so far tell how many more to read: at least 4 times as many
			int64_t kept = static_cast<int64_t>(out.size()), left = static_cast<int64_t>(want - out.size());
			estimate = std::max(4 * scanned, kept > 0 ? left * scanned / kept * 5 / 4 : 0);
		}
		if (!reached || bottom <= floor)
			break;
		top = bottom - 1;
	}
	return out;
}

} // namespace

std::vector<Connection> fetch_connections(ViewDb& db, const Query& q, size_t limit, size_t offset)
{
	std::vector<Connection> out;
	if (db.dialect() == Dialect::sqlite && limit) {
		auto rows = connection_rows_newest(db, q, limit + offset);
		for (size_t i = offset; i < rows.size(); ++i)
			out.push_back(connection_of(rows[i]));
		return out;
	}
	std::vector<SqlParam> params;
	std::string sql = connection_columns + rows_from(db.dialect()) + " JOIN processes e ON e.id = c.exe_id "
			  "LEFT JOIN processes p ON p.id = c.parent_id" + where_sql(db.dialect(), q, params) + connection_order(db.dialect());
	if (limit)
		sql += " LIMIT " + std::to_string(limit);
	if (offset)
		sql += " OFFSET " + std::to_string(offset);
	for (auto& r : db.query(sql, params))
		out.push_back(connection_of(r));
	return out;
}

std::unique_ptr<ViewDb> open_view_db(const std::string& where)
{
	if (where.rfind("postgresql://", 0) == 0 || where.rfind("postgres://", 0) == 0)
		return std::make_unique<PgView>(where);
	return std::make_unique<SqliteView>(where);
}

} // namespace snitch
