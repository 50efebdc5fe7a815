#pragma once
// snitch-store's SQLite backend: one file in WAL mode, one transaction per window.
#include "db_handles.hpp"
#include "store_schema.hpp"
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
	// Deletes rows older than the retention period; returns how many.
	long long apply_retention();

private:
	void exec(const char* sql);
	SqliteStmt prepare(const char* sql);
	void insert_all(const Batch& b);

	SqliteOptions o_;
	Sqlite db_;
	SqliteStmt process_, connection_, verdict_, error_;
	double last_retention_ = 0;
};

} // namespace snitch
