#pragma once
// snitch-store's SQLite backend: one file in WAL mode, one transaction per window.
#include "db/handles.hpp"
#include "db/schema.hpp"
#include <sqlite3.h>
#include <string>

namespace snitch {

// Opens (creating if needed) and migrates to store_schema_version; throws
// naming the file and SQLite's words on failure.
Sqlite open_sqlite_store(const std::string& path);
int sqlite_schema_version(sqlite3* db);

struct SqliteOptions {
	std::string path;
	std::string host;
	double retention_days = 365;  // 0: keep forever
};

class SqliteStore : public StoreSink {
public:
	explicit SqliteStore(SqliteOptions o);
	std::vector<ErrorRow> write(const Batch& b) override;
	std::vector<ErrorRow> tick() override;
	std::vector<ErrorRow> finish() override;
	// Deletes rows older than the retention period (whole days); returns how many.
	long long apply_retention();
	// Brings the rollup up to the newest row (at open, every
	// roll_up_interval, at exit).
	void roll_up();
	static constexpr double roll_up_interval = 600;

private:
	void exec(const char* sql);
	template <class F> void transaction(F&& body);
	int64_t single_integer(const char* sql);
	void roll_up_dim(const RollupColumns& c, int64_t hwm, int64_t top, bool saturate);
	SqliteStmt prepare(const char* sql);
	void insert_all(const Batch& b);

	SqliteOptions o_;
	Sqlite db_;
	SqliteStmt process_, connection_, verdict_, error_;
	double last_retention_ = 0, last_roll_up_ = 0;
};

} // namespace snitch
