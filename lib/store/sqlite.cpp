#include "store/sqlite.hpp"
#include "core/event.hpp"
#include <algorithm>
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

void mark(std::vector<bool>& used, int64_t id)
{
	if (id < 0)
		return;
	if (static_cast<size_t>(id) >= used.size())
		used.resize(static_cast<size_t>(id) * 2 + 1024);
	used[static_cast<size_t>(id)] = true;
}

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
	process_ = prepare("INSERT OR IGNORE INTO processes (id, exe, name, cmdline, sha256, first_seen, exe_unverified) "
			   "VALUES (?,?,?,?,?,?,?)");
	connection_ = prepare("INSERT INTO connection_rows (time_ms, span_ms, context_id, peer_id, pid, lport, sent, recv, events) "
			      "VALUES (?,?,?,?,?,?,?,?,?)");
	find_context_ = prepare("SELECT id FROM contexts WHERE exe_id = ? AND host_id = ? AND parent_id = ? AND grandparent_id = ? "
				"AND uid = ? AND netns = ? AND cgroup = ?");
	add_context_ = prepare("INSERT INTO contexts (exe_id, host_id, parent_id, grandparent_id, uid, netns, cgroup) VALUES (?,?,?,?,?,?,?)");
	find_peer_ = prepare("SELECT id FROM peers WHERE domain = ? AND raddr = ? AND rport = ? AND laddr = ? AND family = ? AND proto = ?");
	add_peer_ = prepare("INSERT INTO peers (domain, raddr, rport, laddr, family, proto) VALUES (?,?,?,?,?,?)");
	SqliteStmt add_host = prepare("INSERT OR IGNORE INTO hosts (name) VALUES (?)");
	Binder(db_.get(), add_host.get()).text(o_.host).step();
	SqliteStmt host = prepare("SELECT id FROM hosts WHERE name = ?");
	Binder(db_.get(), host.get()).text(o_.host);
	check(db_.get(), sqlite3_step(host.get()), "hosts");
	host_id_ = sqlite3_column_int64(host.get(), 0);
	slot_ = prepare("INSERT INTO time_slots (slot, lo, hi, rows) VALUES (?,?,?,?) ON CONFLICT (slot) DO UPDATE SET "
			"lo = MIN(lo, excluded.lo), hi = MAX(hi, excluded.hi), rows = rows + excluded.rows");
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

// The id of the row `find` finds, else of the row `add` adds (both bound by
// `bind`), remembered by `key`.
int64_t SqliteStore::intern(SqliteStmt& find, SqliteStmt& add, const std::string& key,
			    const std::function<void(sqlite3_stmt*)>& bind)
{
	if (auto it = ids_.find(key); it != ids_.end())
		return it->second;
	bind(find.get());
	int rc = sqlite3_step(find.get());
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(find.get(), 0) : 0;
	sqlite3_reset(find.get());
	check(db_.get(), rc, "intern");
	if (!id) {
		bind(add.get());
		rc = sqlite3_step(add.get());
		sqlite3_reset(add.get());
		check(db_.get(), rc, "intern");
		id = sqlite3_last_insert_rowid(db_.get());
	}
	if (ids_.size() >= 100000)
		ids_.clear();
	ids_.emplace(key, id);
	return id;
}

int64_t SqliteStore::context_id(const ConnRow& c)
{
	std::string key = "c" + std::to_string(c.exe_id) + ' ' + std::to_string(c.parent_id) + ' ' + std::to_string(c.grandparent_id) +
			  ' ' + std::to_string(c.uid) + ' ' + std::to_string(c.netns) + ' ' + c.cgroup;
	return intern(find_context_, add_context_, key, [&](sqlite3_stmt* s) {
		Binder(db_.get(), s).integer(c.exe_id).integer(host_id_).integer(c.parent_id).integer(c.grandparent_id)
			.integer(c.uid).integer(static_cast<int64_t>(c.netns)).text(c.cgroup);
	});
}

int64_t SqliteStore::peer_id(const ConnRow& c)
{
	std::string key = "p" + c.domain + '\0' + c.raddr + '\0' + std::to_string(c.rport) + ' ' + c.laddr + '\0' + c.family +
			  '\0' + c.proto;
	return intern(find_peer_, add_peer_, key, [&](sqlite3_stmt* s) {
		Binder(db_.get(), s).text(c.domain).text(c.raddr).integer(c.rport).text(c.laddr).text(c.family).text(c.proto);
	});
}

void SqliteStore::insert_all(const Batch& b)
{
	sqlite3* db = db_.get();
	for (const ProcessRow& p : b.processes)
		Binder(db, process_.get()).integer(p.id).text(p.exe).text(p.name).text(p.cmdline).text(p.sha256).real(p.first_seen)
			.text(p.exe_unverified).step();
	for (const ConnRow& c : b.connections) {
		int64_t last = std::llround(c.last_time * 1000);
		int64_t context = context_id(c), peer = peer_id(c);
		if (sweep_.active) { // a row below the sweep's mark (rowids handed out again) keeps its lookups
			mark(sweep_.contexts, context);
			mark(sweep_.peers, peer);
		}
		Binder(db, connection_.get()).integer(last).integer(last - std::llround(c.first_time * 1000))
			.integer(context).integer(peer).integer(c.pid).integer(c.lport)
			.integer(static_cast<int64_t>(c.sent)).integer(static_cast<int64_t>(c.recv))
			.integer(static_cast<int64_t>(c.events)).step();
		int64_t id = sqlite3_last_insert_rowid(db);
		auto [it, added] = slots_.try_emplace(last / time_slot_ms, SlotRows{id, id, 0});
		it->second.lo = std::min(it->second.lo, id);
		it->second.hi = std::max(it->second.hi, id);
		++it->second.rows;
	}
	add_slots();
	for (const VerdictRow& v : b.verdicts)
		Binder(db, verdict_.get()).text(o_.host).real(v.time).text(v.sha256).text(v.event).step();
	for (const ErrorRow& e : b.errors)
		Binder(db, error_.get()).text(o_.host).real(e.time).text(e.source).text(e.message)
			.integer(static_cast<int64_t>(e.lost)).step();
}

void SqliteStore::add_slots()
{
	for (const auto& [slot, r] : slots_)
		Binder(db_.get(), slot_.get()).integer(slot).integer(r.lo).integer(r.hi).integer(r.rows).step();
	slots_.clear();
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
	try {
		transaction([&] { insert_all(b); });
	} catch (...) {
		ids_.clear();  // the rows they name may be gone with the transaction
		slots_.clear();
		throw;
	}
	return {};
}

int64_t SqliteStore::single_integer(const char* sql)
{
	SqliteStmt s = prepare(sql);
	check(db_.get(), sqlite3_step(s.get()), sql);
	return sqlite3_column_int64(s.get(), 0);
}

// Adds what `insert` sums of the rows (hwm, top] to the sums its rows
// already hold (a conflict on `key`); a sum past 2^63 - 1 stays there, as the
// write window's sums do.
void SqliteStore::add_sums(const std::string& insert, const char* key, const char* last, int64_t hwm, int64_t top)
{
	const std::string l(last);
	std::string sql = insert + " ON CONFLICT (" + key + ") DO UPDATE SET "
			  "events = MIN(events + excluded.events, 9223372036854775807), "
			  "sent = MIN(sent + excluded.sent, 9223372036854775807), "
			  "recv = MIN(recv + excluded.recv, 9223372036854775807), " + l + " = MAX(" + l + ", excluded." + l + ")";
	SqliteStmt s = prepare(sql.c_str());
	Binder(db_.get(), s.get()).integer(hwm).integer(top).step();
}

void SqliteStore::roll_up_dim(const RollupColumns& c, int64_t hwm, int64_t top, bool saturate)
{
	add_sums(rollup_insert_sql(Dialect::sqlite, c, "rowid > ? AND rowid <= ?", saturate), "dim, bucket, host, id, value",
		 "last_time", hwm, top);
}

void SqliteStore::roll_up_pairs(int64_t hwm, int64_t top, bool saturate)
{
	add_sums(rollup_pairs_insert_sql("r.id > ? AND r.id <= ?", saturate), "context_id, day, domain_id", "last_ms", hwm, top);
}

namespace {

// Runs `sum` with exact sums, or, where those overflow, saturating ones.
template <class F> void exact_or_saturated(F&& sum)
{
	try {
		sum(false);
	} catch (const std::runtime_error& e) {
		if (!std::string_view(e.what()).ends_with(": integer overflow"))
			throw;
		sum(true);  // SQLite undid only that statement
	}
}

} // namespace

// Adds the rows past the high-water mark to their days' sums and moves the
// mark, in one transaction: a reader sees every row counted exactly once,
// whatever its time, however late it came.
void SqliteStore::roll_up()
{
	last_roll_up_ = monotonic_now();
	transaction([&] {
		int64_t hwm = single_integer("SELECT hwm FROM rollup_state");
		int64_t pairs_hwm = single_integer("SELECT pairs_hwm FROM rollup_state");
		int64_t top = single_integer("SELECT COALESCE(MAX(id), 0) FROM connection_rows");
		if (top <= hwm && top <= pairs_hwm)
			return;
		for (const RollupColumns& c : rollup_columns())
			exact_or_saturated([&](bool saturate) { roll_up_dim(c, hwm, top, saturate); });
		exact_or_saturated([&](bool saturate) { roll_up_pairs(pairs_hwm, top, saturate); });
		exact_or_saturated([&](bool saturate) { roll_up_dim(rollup_hour_columns(), pairs_hwm, top, saturate); });
		SqliteStmt s = prepare("UPDATE rollup_state SET hwm = ?, pairs_hwm = ?");
		Binder(db_.get(), s.get()).integer(top).integer(top).step();
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
	const auto cutoff_ms = static_cast<int64_t>(cutoff) * 1000;
	transaction([&] {
		// the rows before the cutoff lie within the rowids of the slots up to its own
		SqliteStmt rows = prepare("DELETE FROM connection_rows WHERE id <= (SELECT COALESCE(MAX(hi), 0) FROM time_slots "
					  "WHERE slot <= ?) AND time_ms < ?");
		Binder(db_.get(), rows.get()).integer(cutoff_ms / time_slot_ms).integer(cutoff_ms).step();
		deleted += sqlite3_changes(db_.get());
		for (const char* sql : {"DELETE FROM errors WHERE time < ?", "DELETE FROM verdicts WHERE time < ?"}) {
			SqliteStmt s = prepare(sql);
			Binder(db_.get(), s.get()).real(cutoff).step();
			deleted += sqlite3_changes(db_.get());
		}
		for (int dim = 1; dim <= static_cast<int>(RollupDim::exe_hour); ++dim) {
			SqliteStmt s = prepare("DELETE FROM rollup WHERE dim = ? AND bucket < ?");
			Binder(db_.get(), s.get()).integer(dim).real(cutoff).step();
		}
		// by context: the key's prefix, where a scan would read every day of every pair
		SqliteStmt pairs = prepare("DELETE FROM rollup_pairs WHERE context_id IN (SELECT id FROM contexts) AND day < ?");
		Binder(db_.get(), pairs.get()).integer(cutoff_ms / (rollup_bucket * 1000)).step();
		SqliteStmt slots = prepare("DELETE FROM time_slots WHERE slot < ?");
		Binder(db_.get(), slots.get()).integer(cutoff_ms / time_slot_ms).step();
		exec("UPDATE rollup_state SET hwm = MIN(hwm, COALESCE((SELECT MAX(id) FROM connection_rows), 0)), "
		     "pairs_hwm = MIN(pairs_hwm, COALESCE((SELECT MAX(id) FROM connection_rows), 0))");
	});
	if (deleted)
		sweep_ = Sweep{true, 0, {}, {}};
	return deleted;
}

// A full scan at once would hold the write lock for as long as a year of
// rows takes to read, and the pipeline upstream would stall behind it: one
// chunk per tick instead. The last chunk and the deletes share a
// transaction, so no row written meanwhile can use what goes.
void SqliteStore::sweep_step()
{
	constexpr int64_t chunk = 200000;
	auto scan = [&] {
		SqliteStmt s = prepare("SELECT id, context_id, peer_id FROM connection_rows WHERE id > ? ORDER BY id LIMIT ?");
		Binder(db_.get(), s.get()).integer(sweep_.next_row).integer(chunk);
		int64_t n = 0;
		while (sqlite3_step(s.get()) == SQLITE_ROW) {
			sweep_.next_row = sqlite3_column_int64(s.get(), 0);
			mark(sweep_.contexts, sqlite3_column_int64(s.get(), 1));
			mark(sweep_.peers, sqlite3_column_int64(s.get(), 2));
			++n;
		}
		return n;
	};
	if (scan() == chunk)
		return;
	transaction([&] {
		while (scan() == chunk) {
		}
		delete_unused("contexts", sweep_.contexts);
		delete_unused("peers", sweep_.peers);
	});
	ids_.clear();
	sweep_ = Sweep{};
}

void SqliteStore::delete_unused(const char* table, const std::vector<bool>& used)
{
	std::vector<int64_t> unused;
	SqliteStmt all = prepare((std::string("SELECT id FROM ") + table).c_str());
	while (sqlite3_step(all.get()) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(all.get(), 0);
		if (id < 0 || static_cast<size_t>(id) >= used.size() || !used[static_cast<size_t>(id)])
			unused.push_back(id);
	}
	SqliteStmt del = prepare((std::string("DELETE FROM ") + table + " WHERE id = ?").c_str());
	for (int64_t id : unused)
		Binder(db_.get(), del.get()).integer(id).step();
}

std::vector<ErrorRow> SqliteStore::tick()
{
	if (monotonic_now() - last_retention_ >= 3600)
		apply_retention();
	if (sweep_.active)
		sweep_step();
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
