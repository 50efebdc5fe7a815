#include "vt/store.hpp"
#include <stdexcept>

namespace snitch {
namespace {

using Stmt = SqliteStmt;

[[noreturn]] void fail(sqlite3* db, const std::string& what)
{
	throw std::runtime_error("VT cache: " + what + ": " + sqlite3_errmsg(db));
}

// A prepared statement with its parameters bound in order (text, double or long).
class Query {
public:
	Query(sqlite3* db, const char* sql) : db_(db)
	{
		sqlite3_stmt* raw = nullptr;
		int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
		stmt_.reset(raw);
		if (rc != SQLITE_OK)
			fail(db, "prepare");
	}
	Query& bind(const std::string& s)
	{
		check(sqlite3_bind_text(stmt_.get(), ++n_, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT));
		return *this;
	}
	Query& bind(double d)
	{
		check(sqlite3_bind_double(stmt_.get(), ++n_, d));
		return *this;
	}
	Query& bind(long v)
	{
		check(sqlite3_bind_int64(stmt_.get(), ++n_, v));
		return *this;
	}
	// True while there is a row to read.
	bool step()
	{
		int rc = sqlite3_step(stmt_.get());
		if (rc == SQLITE_ROW)
			return true;
		if (rc != SQLITE_DONE)
			fail(db_, "step");
		return false;
	}
	std::string text(int col)
	{
		const unsigned char* t = sqlite3_column_text(stmt_.get(), col);
		return t ? reinterpret_cast<const char*>(t) : "";
	}
	double real(int col) { return sqlite3_column_double(stmt_.get(), col); }
	long integer(int col) { return static_cast<long>(sqlite3_column_int64(stmt_.get(), col)); }

private:
	void check(int rc)
	{
		if (rc != SQLITE_OK)
			fail(db_, "bind");
	}
	sqlite3* db_;
	Stmt stmt_;
	int n_ = 0;
};

constexpr const char* schema = R"(
CREATE TABLE IF NOT EXISTS vt_verdict (sha256 TEXT PRIMARY KEY, asked REAL NOT NULL, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vt_queue (sha256 TEXT PRIMARY KEY, exe TEXT NOT NULL, stage TEXT NOT NULL,
	analysis_id TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0, polls INTEGER NOT NULL DEFAULT 0,
	next_try REAL NOT NULL, added REAL NOT NULL);
CREATE TABLE IF NOT EXISTS vt_meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
)";

} // namespace

VtStore::VtStore(const std::string& path)
{
	sqlite3* raw = nullptr;
	int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
	db_.reset(raw);
	if (!db_)
		throw std::runtime_error("VT cache " + path + ": out of memory");
	if (rc != SQLITE_OK)
		fail(db_.get(), "open " + path);
	if (sqlite3_busy_timeout(db_.get(), 5000) != SQLITE_OK)
		fail(db_.get(), "busy timeout");
	exec(schema);
}

void VtStore::exec(const char* sql)
{
	char* err = nullptr;
	int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
	std::unique_ptr<char, CFree<sqlite3_free>> owned(err);
	if (rc != SQLITE_OK)
		throw std::runtime_error(std::string("VT cache: ") + (err ? err : sqlite3_errstr(rc)));
}

bool VtStore::known(const std::string& sha256)
{
	Query q(db_.get(), "SELECT 1 FROM vt_verdict WHERE sha256 = ?1 UNION ALL SELECT 1 FROM vt_queue WHERE sha256 = ?1");
	q.bind(sha256);
	return q.step();
}

void VtStore::enqueue(const std::string& sha256, const std::string& exe, double now)
{
	Query q(db_.get(), "INSERT OR IGNORE INTO vt_queue (sha256, exe, stage, next_try, added) VALUES (?, ?, 'lookup', ?, ?)");
	q.bind(sha256).bind(exe).bind(now).bind(now).step();
}

std::optional<VtQueueItem> VtStore::next_item()
{
	Query q(db_.get(), "SELECT sha256, exe, stage, analysis_id, attempts, polls, next_try, added FROM vt_queue "
			   "ORDER BY next_try, added LIMIT 1");
	if (!q.step())
		return std::nullopt;
	return VtQueueItem{q.text(0), q.text(1), q.text(2), q.text(3), q.integer(4), q.integer(5), q.real(6), q.real(7)};
}

void VtStore::update(const VtQueueItem& i)
{
	Query q(db_.get(), "UPDATE vt_queue SET stage = ?, analysis_id = ?, attempts = ?, polls = ?, next_try = ? WHERE sha256 = ?");
	q.bind(i.stage).bind(i.analysis_id).bind(i.attempts).bind(i.polls).bind(i.next_try).bind(i.sha256).step();
}

void VtStore::answer(const std::string& sha256, double asked, const std::string& event_line)
{
	exec("BEGIN IMMEDIATE");
	try {
		Query(db_.get(), "INSERT OR REPLACE INTO vt_verdict (sha256, asked, event) VALUES (?, ?, ?)")
			.bind(sha256).bind(asked).bind(event_line).step();
		drop(sha256);
		exec("COMMIT");
	} catch (...) {
		sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
		throw;
	}
}

void VtStore::drop(const std::string& sha256)
{
	Query(db_.get(), "DELETE FROM vt_queue WHERE sha256 = ?").bind(sha256).step();
}

std::optional<std::string> VtStore::verdict(const std::string& sha256)
{
	Query q(db_.get(), "SELECT event FROM vt_verdict WHERE sha256 = ?");
	q.bind(sha256);
	if (!q.step())
		return std::nullopt;
	return q.text(0);
}

long VtStore::queued()
{
	Query q(db_.get(), "SELECT count(*) FROM vt_queue");
	q.step();
	return q.integer(0);
}

double VtStore::last_request()
{
	Query q(db_.get(), "SELECT value FROM vt_meta WHERE key = 'last_request'");
	return q.step() ? q.real(0) : 0.0;
}

void VtStore::set_last_request(double t)
{
	Query(db_.get(), "INSERT OR REPLACE INTO vt_meta (key, value) VALUES ('last_request', ?)").bind(t).step();
}

} // namespace snitch
