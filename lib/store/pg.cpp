#include "store/pg.hpp"
#include <cstdlib>
#include "core/event.hpp"
#include <algorithm>
#include <charconv>
#include <cmath>
#include <iostream>
#include <optional>
#include <unordered_set>
#include <stdexcept>
#include <type_traits>

namespace snitch {
namespace {

// Parameters as text (PostgreSQL's text input format); nullopt is NULL.
class Params {
public:
	Params& text(std::string_view v) { values_.emplace_back(std::string(v)); return *this; }
	Params& integer(int64_t v) { values_.emplace_back(std::to_string(v)); return *this; }
	Params& maybe(std::optional<int64_t> v)
	{
		if (v)
			return integer(*v);
		values_.emplace_back(std::nullopt);
		return *this;
	}
	Params& id(int64_t v) { return maybe(v ? std::optional(v) : std::nullopt); }
	Params& real(double v)
	{
		char buf[64];
		auto r = std::to_chars(buf, buf + sizeof(buf), v);
		values_.emplace_back(std::string(buf, r.ptr));
		return *this;
	}
	std::vector<const char*> pointers() const
	{
		std::vector<const char*> p;
		for (const auto& v : values_)
			p.push_back(v ? v->c_str() : nullptr);
		return p;
	}

private:
	std::vector<std::optional<std::string>> values_;
};

PgResult exec_prepared(PGconn* c, const char* name, const Params& p, ExecStatusType want)
{
	auto ptrs = p.pointers();
	PgResult r(PQexecPrepared(c, name, static_cast<int>(ptrs.size()), ptrs.data(), nullptr, nullptr, 0));
	if (!r || PQresultStatus(r.get()) != want)
		throw std::runtime_error(std::string("PostgreSQL ") + name + ": " + PQerrorMessage(c));
	return r;
}

PgResult exec_params(PGconn* c, const std::string& sql, const Params& p, ExecStatusType want)
{
	auto ptrs = p.pointers();
	PgResult r(PQexecParams(c, sql.c_str(), static_cast<int>(ptrs.size()), nullptr, ptrs.data(), nullptr, nullptr, 0));
	if (!r || PQresultStatus(r.get()) != want)
		throw std::runtime_error("PostgreSQL: " + std::string(PQerrorMessage(c)));
	return r;
}

void exec_command(PGconn* c, const std::string& sql)
{
	exec_params(c, sql, Params(), PGRES_COMMAND_OK);
}

// The schema version, 0 when there is no schema yet.
int pg_schema_version(PGconn* c)
{
	PgResult r = exec_params(c, "SELECT to_regclass('snitch_meta') IS NOT NULL", Params(), PGRES_TUPLES_OK);
	if (std::string_view(PQgetvalue(r.get(), 0, 0)) != "t")
		return 0;
	r = exec_params(c, "SELECT value FROM snitch_meta WHERE key = $1", Params().text("schema_version"), PGRES_TUPLES_OK);
	return PQntuples(r.get()) ? std::stoi(PQgetvalue(r.get(), 0, 0)) : 0;
}

const struct {
	const char* name;
	const char* sql;
} statements[] = {
	{"batch", "INSERT INTO batches (host, id, time, events, seq, min_time_ms, max_time_ms) VALUES ($1,$2,$3,$4,$5,$6,$7) "
		  "ON CONFLICT DO NOTHING"},
};

// Rows as one PostgreSQL array literal per column, each column's type taken
// from the first row: an INSERT ... SELECT FROM unnest() of these has the
// same short text however many rows it carries, so the server parses and
// plans a few parameters instead of thousands.
class ArrayParams {
public:
	ArrayParams& integer(int64_t v)
	{
		char buf[24];
		auto r = std::to_chars(buf, buf + sizeof(buf), v);
		return next("bigint").append(buf, r.ptr), *this;
	}
	ArrayParams& real(double v)
	{
		char buf[64];
		auto r = std::to_chars(buf, buf + sizeof(buf), v);
		return next("double precision").append(buf, r.ptr), *this;
	}
	ArrayParams& text(std::string_view v)
	{
		std::string& out = next("text");
		out += '"';
		for (char ch : v) {
			if (ch == '"' || ch == '\\')
				out += '\\';
			out += ch;
		}
		out += '"';
		return *this;
	}
	void end_row() { column_ = 0, ++rows_; }
	bool empty() const { return !rows_; }
	// "unnest($1::bigint[], $2::text[], ...)"
	std::string unnest() const
	{
		std::string sql = "unnest(";
		for (size_t i = 0; i < types_.size(); ++i)
			sql += (i ? ", $" : "$") + std::to_string(i + 1) + "::" + types_[i] + "[]";
		return sql + ")";
	}
	Params params() const
	{
		Params p;
		for (const std::string& c : columns_)
			p.text(c + "}");
		return p;
	}

private:
	std::string& next(const char* type)
	{
		if (!rows_) {
			types_.emplace_back(type);
			columns_.emplace_back("{");
		}
		std::string& c = columns_.at(column_++);
		if (rows_)
			c += ',';
		return c;
	}
	std::vector<std::string> types_, columns_;
	size_t column_ = 0, rows_ = 0;
};

// One INSERT INTO `into` SELECT * FROM unnest(...) + `tail` for all rows;
// bind(ArrayParams&, row) gives each row's values in column order.
template <class Rows, class Bind>
void insert_rows(PGconn* c, const std::string& into, const Rows& rows, const char* tail, Bind bind)
{
	ArrayParams a;
	for (const auto& r : rows) {
		bind(a, r);
		a.end_row();
	}
	if (!a.empty())
		exec_params(c, into + " SELECT * FROM " + a.unnest() + tail, a.params(), PGRES_COMMAND_OK);
}

int64_t context_id(int64_t exe_id, int64_t parent_id, int64_t grandparent_id, int64_t uid, int64_t netns, std::string_view cgroup)
{
	std::string a = std::to_string(exe_id), b = std::to_string(parent_id), c = std::to_string(grandparent_id),
		    d = std::to_string(uid), e = std::to_string(netns);
	return stable_id({a, b, c, d, e, cgroup});
}

int64_t context_id(const ConnRow& r)
{
	return context_id(r.exe_id, r.parent_id, r.grandparent_id, r.uid, static_cast<int64_t>(r.netns), r.cgroup);
}

int64_t peer_id(std::string_view family, std::string_view proto, std::string_view laddr, std::string_view raddr, int64_t rport,
		std::string_view domain)
{
	std::string port = std::to_string(rport);
	return stable_id({family, proto, laddr, raddr, port, domain});
}

int64_t peer_id(const ConnRow& r)
{
	return peer_id(r.family, r.proto, r.laddr, r.raddr, r.rport, r.domain);
}

int64_t host_id(std::string_view name)
{
	return stable_id({name});
}

// Version 4's distinct keys, with the ids this binary gives them, for
// pg_version_5_rows() to join; hosts directly (a clash of two names fails here).
void fill_version_5_keys(PGconn* c)
{
	PgResult r = exec_params(c, "SELECT DISTINCT exe_id, COALESCE(parent_id, 0), COALESCE(grandparent_id, 0), COALESCE(uid, -1), "
				    "COALESCE(netns, 0), COALESCE(cgroup, '') FROM connections_v4", Params(), PGRES_TUPLES_OK);
	auto value = [&](int i, int j) { return std::string(PQgetvalue(r.get(), i, j)); };
	std::vector<int> rows(static_cast<size_t>(PQntuples(r.get())));
	for (size_t i = 0; i < rows.size(); ++i)
		rows[i] = static_cast<int>(i);
	insert_rows(c, "INSERT INTO pg_migrate_contexts (id, exe_id, parent_id, grandparent_id, uid, netns, cgroup)", rows, "",
		    [&](ArrayParams& p, int i) {
			    int64_t k[5];
			    for (int j = 0; j < 5; ++j)
				    k[j] = std::stoll(value(i, j));
			    p.integer(context_id(k[0], k[1], k[2], k[3], k[4], value(i, 5)));
			    for (int64_t v : k)
				    p.integer(v);
			    p.text(value(i, 5));
		    });
	r = exec_params(c, "SELECT DISTINCT COALESCE(family, ''), COALESCE(proto, ''), COALESCE(laddr, ''), COALESCE(raddr, ''), "
			   "COALESCE(rport, 0), COALESCE(domain, '') FROM connections_v4", Params(), PGRES_TUPLES_OK);
	rows.resize(static_cast<size_t>(PQntuples(r.get())));
	for (size_t i = 0; i < rows.size(); ++i)
		rows[i] = static_cast<int>(i);
	insert_rows(c, "INSERT INTO pg_migrate_peers (id, family, proto, laddr, raddr, rport, domain)", rows, "",
		    [&](ArrayParams& p, int i) {
			    int64_t port = std::stoll(value(i, 4));
			    p.integer(peer_id(value(i, 0), value(i, 1), value(i, 2), value(i, 3), port, value(i, 5)))
				    .text(value(i, 0)).text(value(i, 1)).text(value(i, 2)).text(value(i, 3)).integer(port).text(value(i, 5));
		    });
	r = exec_params(c, "SELECT DISTINCT host FROM connections_v4", Params(), PGRES_TUPLES_OK);
	rows.resize(static_cast<size_t>(PQntuples(r.get())));
	for (size_t i = 0; i < rows.size(); ++i)
		rows[i] = static_cast<int>(i);
	insert_rows(c, "INSERT INTO hosts (id, name)", rows, "",
		    [&](ArrayParams& p, int i) { p.integer(host_id(value(i, 0))).text(value(i, 0)); });
}

// The roles that could read or append version 4's rows may do the same on
// version 5's tables and views (hosts keep writing after the owner migrates):
// the GRANTs, read before the old table goes.
std::vector<std::string> version_4_grants(PGconn* c)
{
	PgResult r = exec_params(c, "SELECT format('GRANT %s ON hosts, contexts, peers, connection_rows%s TO %I', privilege_type, "
				    "CASE privilege_type WHEN 'SELECT' THEN ', connections, connection_log' ELSE '' END, grantee) "
				    "FROM information_schema.role_table_grants WHERE table_name = 'connections_v4' "
				    "AND table_schema = current_schema() AND privilege_type IN ('SELECT', 'INSERT') AND grantee <> current_user",
				 Params(), PGRES_TUPLES_OK);
	std::vector<std::string> grants;
	for (int i = 0; i < PQntuples(r.get()); ++i)
		grants.emplace_back(PQgetvalue(r.get(), i, 0));
	return grants;
}

void migrate_pg_to_5(PGconn* c)
{
	for (const std::string& ddl : schema_migration(Dialect::postgresql, 4))
		exec_command(c, ddl);
	fill_version_5_keys(c);
	std::vector<std::string> grants = version_4_grants(c);
	for (const std::string& sql : pg_version_5_rows())
		exec_command(c, sql);
	for (const std::string& sql : grants)
		exec_command(c, sql);
}

bool loopback_host(std::string_view h)
{
	return h.empty() || h.front() == '/' || h.front() == '@' || h == "localhost" || h == "::1" ||
	       h.rfind("127.", 0) == 0;
}

} // namespace

bool pg_needs_verify_full(const std::string& uri)
{
	if (const char* env = std::getenv("PGSSLMODE"); env && *env)
		return false;
	char* err = nullptr;
	std::unique_ptr<PQconninfoOption, CFree<PQconninfoFree>> opts(PQconninfoParse(uri.c_str(), &err));
	if (!opts) {
		std::string why = err ? err : "out of memory";
		PQfreemem(err);
		throw std::runtime_error("PostgreSQL URI: " + why);
	}
	std::string hosts;
	for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
		if (std::string_view(o->keyword) == "sslmode" && o->val && *o->val)
			return false;
		if (std::string_view(o->keyword) == "host" && o->val)
			hosts = o->val;
	}
	if (hosts.empty())
		if (const char* env = std::getenv("PGHOST"))
			hosts = env;
	for (size_t start = 0;;) {
		size_t end = hosts.find(',', start);
		if (!loopback_host(std::string_view(hosts).substr(start, end - start)))
			return true;
		if (end == std::string::npos)
			return false;
		start = end + 1;
	}
}

PgConn pg_connect(const std::string& uri)
{
	// libpq's default (prefer) accepts any server, or none: a host beyond
	// loopback is verified against the system's CAs unless the URI says otherwise.
	bool verify = pg_needs_verify_full(uri);
	const char* keys[] = {"dbname", "connect_timeout", "application_name", "sslmode", "sslrootcert", nullptr};
	const char* values[] = {uri.c_str(), "5", "snitch-store", "verify-full", "/etc/ssl/certs/ca-certificates.crt", nullptr};
	if (!verify)
		keys[3] = nullptr;
	else if (uri.find("sslrootcert") != std::string::npos)
		keys[4] = nullptr;
	PgConn c(PQconnectdbParams(keys, values, 1));
	if (!c)
		throw std::runtime_error("PostgreSQL: out of memory");
	if (PQstatus(c.get()) != CONNECTION_OK)
		throw std::runtime_error("PostgreSQL: " + std::string(PQerrorMessage(c.get())));
	return c;
}

void init_pg_schema(const std::string& uri)
{
	PgConn c = pg_connect(uri);
	exec_command(c.get(), "BEGIN");
	int version = pg_schema_version(c.get());
	if (version > store_schema_version(Dialect::postgresql))
		throw std::runtime_error("PostgreSQL schema version " + std::to_string(version) + " is newer than this snitch-store knows");
	for (; version < store_schema_version(Dialect::postgresql); ++version) {
		if (version == 4) {
			migrate_pg_to_5(c.get());
			continue;
		}
		for (const std::string& ddl : schema_migration(Dialect::postgresql, version))
			exec_command(c.get(), ddl);
	}
	exec_params(c.get(), "INSERT INTO snitch_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2",
		    Params().text("schema_version").integer(store_schema_version(Dialect::postgresql)), PGRES_COMMAND_OK);
	exec_command(c.get(), "COMMIT");
}

PgStore::PgStore(PgOptions o)
	: o_(std::move(o)), queue_(o_.queue_dir, o_.queue_bytes), last_roll_up_(monotonic_now()), host_id_(host_id(o_.host))
{
}

bool PgStore::connect()
{
	if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK)
		return true;
	conn_.reset();
	conn_ = pg_connect(o_.uri);
	int version = pg_schema_version(conn_.get());
	if (version != store_schema_version(Dialect::postgresql)) {
		conn_.reset();
		throw std::logic_error("PostgreSQL schema version is " + std::to_string(version) + ", this snitch-store writes " +
				       std::to_string(store_schema_version(Dialect::postgresql)) + ": run snitch-store --init-schema as the database owner");
	}
	prepare_statements();
	known_contexts_.clear();
	known_peers_.clear();
	exec_params(conn_.get(), "INSERT INTO hosts (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		    Params().integer(host_id_).text(o_.host), PGRES_COMMAND_OK);
	PgResult r = exec_params(conn_.get(), "SELECT name FROM hosts WHERE id = $1", Params().integer(host_id_), PGRES_TUPLES_OK);
	if (PQgetvalue(r.get(), 0, 0) != o_.host) {
		conn_.reset();
		throw std::logic_error("host id " + o_.host + " has the stable id of host " + PQgetvalue(r.get(), 0, 0) + ": choose another --host-id");
	}
	// the mark before any row: the view finds every host's rows past its mark
	exec_params(conn_.get(), "INSERT INTO rollup_marks (host, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING", Params().text(o_.host),
		    PGRES_COMMAND_OK);
	r = exec_params(conn_.get(), "SELECT COALESCE(MAX(seq), 0) FROM batches WHERE host = $1", Params().text(o_.host), PGRES_TUPLES_OK);
	seq_ = std::stoll(PQgetvalue(r.get(), 0, 0));
	if (int64_t mark = rollup_mark(); mark != pending_.from())
		pending_.start(mark == seq_ ? mark : -1);
	return true;
}

int64_t PgStore::rollup_mark()
{
	PgResult r = exec_params(conn_.get(), "SELECT COALESCE(MAX(seq), 0) FROM rollup_marks WHERE host = $1", Params().text(o_.host),
				 PGRES_TUPLES_OK);
	return std::stoll(PQgetvalue(r.get(), 0, 0));
}

namespace {

// COPY's text format: backslash, tab, newline and carriage return escaped.
void copy_text(std::string& out, std::string_view s)
{
	for (char c : s) {
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r')
			out += '\\', out += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
		else
			out += c;
	}
}

} // namespace

void PgStore::insert_pending_rollup()
{
	std::string data, host;
	copy_text(host, o_.host);
	char buf[32];
	auto put = [&](auto v) {
		auto r = std::to_chars(buf, buf + sizeof(buf), v);
		data.append(buf, r.ptr).push_back('\t');
	};
	for (const auto& [key, sums] : pending_.sums()) {
		const auto& [dim, bucket, id, value] = key;
		put(dim), put(bucket);
		data.append(host).push_back('\t');
		put(id);
		copy_text(data, value);
		data.push_back('\t');
		put(sums.events), put(sums.sent), put(sums.recv), put(sums.last_time);
		data.back() = '\n';
	}
	if (!data.empty())
		copy_in("COPY rollup (dim, bucket, host, id, value, events, sent, recv, last_time) FROM STDIN", data);
}

// Adds this host's rows past its mark to their days and inserts the new
// mark, in one transaction: INSERT and SELECT only, nothing rewritten. The
// sums come from memory when this run wrote every row past the mark.
void PgStore::roll_up()
{
	PGconn* c = conn_.get();
	last_roll_up_ = monotonic_now();
	exec_command(c, "BEGIN");
	int64_t mark = rollup_mark();
	if (seq_ > mark) {
		if (pending_.from() == mark)
			insert_pending_rollup();
		else
			roll_up_rows(mark);
		exec_params(c, "INSERT INTO rollup_marks (host, seq) VALUES ($1, $2)", Params().text(o_.host).integer(seq_), PGRES_COMMAND_OK);
	}
	exec_command(c, "COMMIT");
	pending_.start(seq_);
}

// The rows past the mark from the table: those of the host's batches after
// it, within their time range (by the time index, not a scan of every row).
// Hash joins: past the statistics' last seq the planner expects one row.
void PgStore::roll_up_rows(int64_t mark)
{
	const std::string batches = "FROM batches WHERE host = $4 AND seq > $2 AND seq <= $3)";
	exec_command(conn_.get(), "SET LOCAL enable_nestloop = off");
	exec_params(conn_.get(), pg_rollup_insert_all_sql("host_id = $1 AND seq > $2 AND seq <= $3 AND time_ms >= (SELECT MIN(min_time_ms) " +
							  batches + " AND time_ms <= (SELECT MAX(max_time_ms) " + batches),
		    Params().integer(host_id_).integer(mark).integer(seq_).text(o_.host), PGRES_COMMAND_OK);
}

void PgStore::maybe_roll_up(bool now)
{
	if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK || (!now && monotonic_now() - last_roll_up_ < roll_up_interval))
		return;
	try {
		roll_up();
	} catch (const std::exception& e) {
		conn_.reset();  // rolled back with it; the next connection tries again
		std::cerr << "snitch-store: rollup: " << e.what() << '\n';
	}
}

void PgStore::prepare_statements()
{
	for (const auto& s : statements) {
		PgResult r(PQprepare(conn_.get(), s.name, s.sql, 0, nullptr));
		if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK)
			throw std::runtime_error(std::string("PostgreSQL prepare ") + s.name + ": " + PQerrorMessage(conn_.get()));
	}
}

namespace {

// The rows of `all` whose id (`ids[i]` of row i, by `key`) is not yet in
// `known`, one per id, in the order of their ids: hosts interning the same
// keys at once take their locks in one order, so that they wait for each
// other, never deadlock.
template <class Row, class Ids, class Key>
std::vector<std::pair<int64_t, const Row*>> new_keys(const std::vector<Row>& all, const Ids& ids, const std::unordered_set<int64_t>& known,
						     Key key)
{
	std::vector<std::pair<int64_t, const Row*>> out;
	for (size_t i = 0; i < all.size(); ++i)
		if (int64_t id = key(ids[i]); !known.count(id))
			out.emplace_back(id, &all[i]);
	std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
	out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first == b.first; }), out.end());
	return out;
}

} // namespace

namespace {

// COPY's binary format: a field is its length and its value in network order.
template <class T> void put_binary(std::string& out, T v)
{
	using U = std::make_unsigned_t<T>;
	auto u = static_cast<U>(v);
	char b[sizeof(T)];
	for (size_t i = 0; i < sizeof(T); ++i)
		b[i] = static_cast<char>(u >> (8 * (sizeof(T) - 1 - i)));
	out.append(b, sizeof(T));
}

template <class T> void put_field(std::string& out, T v)
{
	put_binary<int32_t>(out, sizeof(T));
	put_binary(out, v);
}

int64_t row_time_ms(const ConnRow& x)
{
	return std::llround(x.last_time * 1000);
}

// The batch's rows' time_ms, lowest and highest (none without rows).
std::pair<std::optional<int64_t>, std::optional<int64_t>> time_ms_range(const Batch& b)
{
	std::optional<int64_t> lo, hi;
	for (const ConnRow& x : b.connections) {
		int64_t t = row_time_ms(x);
		lo = std::min(lo.value_or(t), t), hi = std::max(hi.value_or(t), t);
	}
	return {lo, hi};
}

} // namespace

// The batch's rows in COPY's binary format (the columns are all integers):
// the server converts no text.
std::string PgStore::copy_rows(const Batch& b, const std::vector<RowIds>& ids, int64_t seq) const
{
	std::string out("PGCOPY\n\377\r\n\0", 11);
	put_binary<int32_t>(out, 0), put_binary<int32_t>(out, 0);  // flags, header extension
	out.reserve(out.size() + b.connections.size() * 126 + 2);
	for (size_t i = 0; i < b.connections.size(); ++i) {
		const ConnRow& x = b.connections[i];
		int64_t last = row_time_ms(x), first = std::llround(x.first_time * 1000);
		put_binary<int16_t>(out, 11);
		for (int64_t v : {host_id_, seq, last, last - first, ids[i].context, ids[i].peer, x.pid,
				  static_cast<int64_t>(x.sent), static_cast<int64_t>(x.recv), static_cast<int64_t>(x.events)})
			put_field(out, v);
		put_field(out, static_cast<int32_t>(x.lport));
	}
	put_binary<int16_t>(out, -1);
	return out;
}

void PgStore::copy_in(const char* copy, const std::string& data)
{
	PGconn* c = conn_.get();
	PgResult r(PQexec(c, copy));
	if (!r || PQresultStatus(r.get()) != PGRES_COPY_IN)
		throw std::runtime_error("PostgreSQL COPY: " + std::string(PQerrorMessage(c)));
	if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(c, nullptr) != 1)
		throw std::runtime_error("PostgreSQL COPY: " + std::string(PQerrorMessage(c)));
	bool ok = true;
	while (PgResult end{PQgetResult(c)})
		ok = ok && PQresultStatus(end.get()) == PGRES_COMMAND_OK;
	if (!ok)
		throw std::runtime_error("PostgreSQL COPY: " + std::string(PQerrorMessage(c)));
}

// One transaction per batch; its id in `batches` makes a batch sent again
// (written before a crash, not yet popped from the queue) a no-op, and its
// seq there is where the next run goes on.
void PgStore::send(const QueuedBatch& q)
{
	PGconn* c = conn_.get();
	const int64_t seq = seq_ + 1;
	exec_command(c, "BEGIN");
	auto [lo, hi] = time_ms_range(q.get());
	PgResult r = exec_prepared(c, "batch", Params().text(o_.host).text(q.id).real(epoch_now()).integer(static_cast<int64_t>(q.get().events))
				   .integer(seq).maybe(lo).maybe(hi), PGRES_COMMAND_OK);
	if (std::string_view(PQcmdTuples(r.get())) == "0") {
		exec_command(c, "ROLLBACK");
		pending_.start(-1);  // its rows may be past the mark, not in the sums
		return;
	}
	const Batch& b = q.get();
	std::vector<RowIds> ids;
	ids.reserve(b.connections.size());
	for (const ConnRow& x : b.connections)
		ids.push_back({context_id(x), peer_id(x)});
	auto processes = new_keys(b.processes, b.processes, {}, [](const ProcessRow& p) { return p.id; });
	insert_rows(c, "INSERT INTO processes (id, exe, name, cmdline, sha256, first_seen, exe_unverified)", processes,
		    " ON CONFLICT DO NOTHING", [](ArrayParams& p, const auto& k) {
			    const ProcessRow& r = *k.second;
			    p.integer(r.id).text(r.exe).text(r.name).text(r.cmdline).text(r.sha256).real(r.first_seen).text(r.exe_unverified);
		    });
	auto contexts = new_keys(b.connections, ids, known_contexts_, [](const RowIds& x) { return x.context; });
	insert_rows(c, "INSERT INTO contexts (id, exe_id, parent_id, grandparent_id, uid, netns, cgroup)", contexts,
		    " ON CONFLICT DO NOTHING", [](ArrayParams& p, const auto& k) {
			    const ConnRow& x = *k.second;
			    p.integer(k.first).integer(x.exe_id).integer(x.parent_id).integer(x.grandparent_id).integer(x.uid)
				    .integer(static_cast<int64_t>(x.netns)).text(x.cgroup);
		    });
	auto peers = new_keys(b.connections, ids, known_peers_, [](const RowIds& x) { return x.peer; });
	insert_rows(c, "INSERT INTO peers (id, family, proto, laddr, raddr, rport, domain)", peers, " ON CONFLICT DO NOTHING",
		    [](ArrayParams& p, const auto& k) {
			    const ConnRow& x = *k.second;
			    p.integer(k.first).text(x.family).text(x.proto).text(x.laddr).text(x.raddr).integer(x.rport).text(x.domain);
		    });
	if (!b.connections.empty())
		copy_in("COPY connection_rows (host_id, seq, time_ms, span_ms, context_id, peer_id, pid, sent, recv, events, lport) "
			"FROM STDIN (FORMAT binary)", copy_rows(b, ids, seq));
	insert_rows(c, "INSERT INTO verdicts (host, time, sha256, event)", b.verdicts, "", [&](ArrayParams& p, const VerdictRow& v) {
		p.text(o_.host).real(v.time).text(v.sha256).text(v.event);
	});
	insert_rows(c, "INSERT INTO errors (host, time, source, message, lost)", b.errors, "", [&](ArrayParams& p, const ErrorRow& e) {
		p.text(o_.host).real(e.time).text(e.source).text(e.message).integer(static_cast<int64_t>(e.lost));
	});
	exec_command(c, "COMMIT");
	seq_ = seq;
	if (pending_.from() >= 0)
		for (size_t i = 0; i < b.connections.size(); ++i)
			pending_.add(b.connections[i], ids[i].context, ids[i].peer);
	for (const auto& k : contexts)
		known_contexts_.insert(k.first);
	for (const auto& k : peers)
		known_peers_.insert(k.first);
	if (known_contexts_.size() + known_peers_.size() > 200000)
		known_contexts_.clear(), known_peers_.clear();
}

void PgStore::drain()
{
	if (queue_.empty() || monotonic_now() < next_try_)
		return;
	try {
		connect();
		while (auto q = queue_.front()) {
			send(*q);
			queue_.pop(*q);
		}
		backoff_ = 0.5;
		if (!last_problem_.empty())
			std::cerr << "snitch-store: PostgreSQL reachable again, queue written\n";
		last_problem_.clear();
	} catch (const std::logic_error&) {
		throw;  // a schema the host cannot fix: stop, the queue stays on disk
	} catch (const std::exception& e) {
		conn_.reset();
		next_try_ = monotonic_now() + backoff_;
		backoff_ = std::min(backoff_ * 2, 30.0);
		if (last_problem_.empty())
			std::cerr << "snitch-store: " << e.what() << " (queueing on disk, " << queue_.bytes() << " bytes)\n";
		last_problem_ = e.what();
	}
}

// Drops are announced in the stream at once and recorded in the database as
// soon as the queue has room for the error row.
std::vector<ErrorRow> PgStore::note_dropped()
{
	auto row = [&](uint64_t lost) {
		return ErrorRow{epoch_now(), "snitch-store",
				"PostgreSQL unreachable and the on-disk queue full (" + std::to_string(o_.queue_bytes) +
					" bytes): dropped " + std::to_string(lost) + " events",
				lost};
	};
	std::vector<ErrorRow> out;
	if (dropped_ > announced_) {
		out.push_back(row(dropped_ - announced_));
		announced_ = dropped_;
	}
	if (dropped_ > recorded_) {
		Batch b;
		b.errors.push_back(row(dropped_ - recorded_));
		if (queue_.push(b))
			recorded_ = dropped_;
		queue_.forget_pushed();
	}
	return out;
}

std::vector<ErrorRow> PgStore::write(const Batch& b)
{
	if (!b.empty() && !queue_.push(b)) {
		dropped_ += b.events;
		next_try_ = 0;  // try to make room now
	}
	struct Forget {
		DiskQueue& q;
		~Forget() { q.forget_pushed(); }
	} forget{queue_};  // `b` is the caller's, gone after this returns
	return tick();
}

std::vector<ErrorRow> PgStore::tick()
{
	auto errors = note_dropped();
	drain();
	if (dropped_ > recorded_) {  // the count did not fit before the queue drained
		note_dropped();
		drain();
	}
	maybe_roll_up(false);
	return errors;
}

std::vector<ErrorRow> PgStore::finish()
{
	next_try_ = 0;
	auto errors = tick();
	maybe_roll_up(true);
	if (!queue_.empty())
		std::cerr << "snitch-store: " << queue_.bytes() << " bytes stay queued in " << o_.queue_dir << " for the next run\n";
	return errors;
}

} // namespace snitch
