#include "store/sqlite.hpp"
#include "core/event.hpp"
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace snitch {
namespace {

void check(sqlite3* db, int rc, const char* what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}

void exec_sql(sqlite3* db, const std::string& sql)
{
	check(db, sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), sql.c_str());
}

class Binder {
public:
	Binder(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
	Binder& text(std::string_view v)
	{
		check(db_, sqlite3_bind_text(s_, ++i_, v.data(), static_cast<int>(v.size()), SQLITE_STATIC), "bind");
		return *this;
	}
	Binder& integer(int64_t v)
	{
		check(db_, sqlite3_bind_int64(s_, ++i_, v), "bind");
		return *this;
	}
	Binder& id(int64_t v)  // 0: NULL
	{
		check(db_, v ? sqlite3_bind_int64(s_, ++i_, v) : sqlite3_bind_null(s_, ++i_), "bind");
		return *this;
	}
	Binder& real(double v)
	{
		check(db_, sqlite3_bind_double(s_, ++i_, v), "bind");
		return *this;
	}
	void step()
	{
		int rc = sqlite3_step(s_);
		sqlite3_reset(s_);
		check(db_, rc, "insert");
	}

private:
	sqlite3* db_;
	sqlite3_stmt* s_;
	int i_ = 0;
};

} // namespace

int sqlite_schema_version(sqlite3* db)
{
	sqlite3_stmt* raw = nullptr;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &raw, nullptr);
	SqliteStmt s(raw);
	check(db, rc, "PRAGMA user_version");
	check(db, sqlite3_step(s.get()), "PRAGMA user_version");
	return sqlite3_column_int(s.get(), 0);
}

Sqlite open_sqlite_store(const std::string& path)
{
	sqlite3* raw = nullptr;
	int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
	Sqlite db(raw);
	if (rc != SQLITE_OK)
		throw std::runtime_error(path + ": " + (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
	check(db.get(), sqlite3_busy_timeout(db.get(), 10000), path.c_str());
	exec_sql(db.get(), "PRAGMA journal_mode=WAL");
	exec_sql(db.get(), "PRAGMA synchronous=NORMAL");
	exec_sql(db.get(), "PRAGMA cache_size=-65536");
	int version = sqlite_schema_version(db.get());
	const int want = store_schema_version(Dialect::sqlite);
	if (version > want)
		throw std::runtime_error(path + ": schema version " + std::to_string(version) +
					 " is newer than this snitch-store knows (" + std::to_string(want) + ")");
	for (; version < want; ++version) {
		exec_sql(db.get(), "BEGIN IMMEDIATE");
		try {
			for (const std::string& ddl : schema_migration(Dialect::sqlite, version))
				exec_sql(db.get(), ddl);
			// an integer of ours: PRAGMA takes no bound parameters
			exec_sql(db.get(), "PRAGMA user_version=" + std::to_string(version + 1));
			exec_sql(db.get(), "COMMIT");
		} catch (...) {
			sqlite3_exec(db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
			throw;
		}
	}
	return db;
}

SqliteStore::SqliteStore(SqliteOptions o) : o_(std::move(o)), db_(open_sqlite_store(o_.path))
{
	process_ = prepare("INSERT OR IGNORE INTO processes (id, exe, name, cmdline, sha256, first_seen) VALUES (?,?,?,?,?,?)");
	connection_ = prepare("INSERT INTO connections (host, first_time, last_time, exe_id, parent_id, grandparent_id, "
			      "pid, uid, netns, cgroup, family, proto, laddr, lport, raddr, rport, domain, sent, recv, events) "
			      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	verdict_ = prepare("INSERT INTO verdicts (host, time, sha256, event) VALUES (?,?,?,?)");
	error_ = prepare("INSERT INTO errors (host, time, source, message, lost) VALUES (?,?,?,?,?)");
	apply_retention();
	roll_up();
}

void SqliteStore::exec(const char* sql)
{
	exec_sql(db_.get(), sql);
}

SqliteStmt SqliteStore::prepare(const char* sql)
{
	sqlite3_stmt* raw = nullptr;
	int rc = sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr);
	SqliteStmt s(raw);
	check(db_.get(), rc, sql);
	return s;
}

void SqliteStore::insert_all(const Batch& b)
{
	sqlite3* db = db_.get();
	for (const ProcessRow& p : b.processes)
		Binder(db, process_.get()).integer(p.id).text(p.exe).text(p.name).text(p.cmdline).text(p.sha256).real(p.first_seen).step();
	for (const ConnRow& c : b.connections)
		Binder(db, connection_.get()).text(o_.host).real(c.first_time).real(c.last_time)
			.integer(c.exe_id).id(c.parent_id).id(c.grandparent_id).integer(c.pid).integer(c.uid)
			.integer(static_cast<int64_t>(c.netns)).text(c.cgroup).text(c.family).text(c.proto)
			.text(c.laddr).integer(c.lport).text(c.raddr).integer(c.rport).text(c.domain)
			.integer(static_cast<int64_t>(c.sent)).integer(static_cast<int64_t>(c.recv))
			.integer(static_cast<int64_t>(c.events)).step();
	for (const VerdictRow& v : b.verdicts)
		Binder(db, verdict_.get()).text(o_.host).real(v.time).text(v.sha256).text(v.event).step();
	for (const ErrorRow& e : b.errors)
		Binder(db, error_.get()).text(o_.host).real(e.time).text(e.source).text(e.message)
			.integer(static_cast<int64_t>(e.lost)).step();
}

template <class F> void SqliteStore::transaction(F&& body)
{
	exec("BEGIN IMMEDIATE");
	try {
		body();
		exec("COMMIT");
	} catch (...) {
		sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
		throw;
	}
}

std::vector<ErrorRow> SqliteStore::write(const Batch& b)
{
	if (b.empty())
		return {};
	transaction([&] { insert_all(b); });
	return {};
}

int64_t SqliteStore::single_integer(const char* sql)
{
	SqliteStmt s = prepare(sql);
	check(db_.get(), sqlite3_step(s.get()), sql);
	return sqlite3_column_int64(s.get(), 0);
}

// A sum past 2^63 - 1 stays there, as the write window's sums do.
void SqliteStore::roll_up_dim(const RollupColumns& c, int64_t hwm, int64_t top, bool saturate)
{
	std::string sql = rollup_insert_sql(Dialect::sqlite, c, "rowid > ? AND rowid <= ?", saturate) +
			  " ON CONFLICT (dim, bucket, host, id, value) DO UPDATE SET "
			  "events = MIN(events + excluded.events, 9223372036854775807), "
			  "sent = MIN(sent + excluded.sent, 9223372036854775807), "
			  "recv = MIN(recv + excluded.recv, 9223372036854775807), "
			  "last_time = MAX(last_time, excluded.last_time)";
	SqliteStmt s = prepare(sql.c_str());
	Binder(db_.get(), s.get()).integer(hwm).integer(top).step();
}

// Adds the rows past the high-water mark to their days' sums and moves the
// mark, in one transaction: a reader sees every row counted exactly once,
// whatever its time, however late it came.
void SqliteStore::roll_up()
{
	last_roll_up_ = monotonic_now();
	transaction([&] {
		int64_t hwm = single_integer("SELECT hwm FROM rollup_state");
		int64_t top = single_integer("SELECT COALESCE(MAX(rowid), 0) FROM connections");
		if (top <= hwm)
			return;
		for (const RollupColumns& c : rollup_columns()) {
			try {
				roll_up_dim(c, hwm, top, false);
			} catch (const std::runtime_error& e) {
				if (!std::string_view(e.what()).ends_with(": integer overflow"))
					throw;
				roll_up_dim(c, hwm, top, true);  // SQLite undid only that statement
			}
		}
		SqliteStmt s = prepare("UPDATE rollup_state SET hwm = ?");
		Binder(db_.get(), s.get()).integer(top).step();
	});
}

// The cutoff is a whole day, so that the rollup loses exactly the days whose
// rows go. Deleting the newest rows would let SQLite hand their rowids out
// again: the mark comes down to the highest rowid left.
long long SqliteStore::apply_retention()
{
	last_retention_ = monotonic_now();
	if (o_.retention_days <= 0)
		return 0;
	double cutoff = std::floor((epoch_now() - o_.retention_days * 86400) / rollup_bucket) * rollup_bucket;
	long long deleted = 0;
	transaction([&] {
		for (const char* sql : {"DELETE FROM connections WHERE last_time < ?", "DELETE FROM errors WHERE time < ?",
					"DELETE FROM verdicts WHERE time < ?"}) {
			SqliteStmt s = prepare(sql);
			Binder(db_.get(), s.get()).real(cutoff).step();
			deleted += sqlite3_changes(db_.get());
		}
		for (const RollupColumns& c : rollup_columns()) {
			SqliteStmt s = prepare("DELETE FROM rollup WHERE dim = ? AND bucket < ?");
			Binder(db_.get(), s.get()).integer(static_cast<int>(c.dim)).real(cutoff).step();
		}
		exec("UPDATE rollup_state SET hwm = MIN(hwm, COALESCE((SELECT MAX(rowid) FROM connections), 0))");
	});
	return deleted;
}

std::vector<ErrorRow> SqliteStore::tick()
{
	if (monotonic_now() - last_retention_ >= 3600)
		apply_retention();
	if (monotonic_now() - last_roll_up_ >= roll_up_interval)
		roll_up();
	return {};
}

std::vector<ErrorRow> SqliteStore::finish()
{
	roll_up();
	return {};
}

} // namespace snitch
