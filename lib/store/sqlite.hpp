#pragma once
// snitch-store's SQLite backend: one file in WAL mode, one transaction per window.
#include "db/handles.hpp"
#include "db/schema.hpp"
#include <sqlite3.h>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

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
	void add_sums(const std::string& insert, const char* key, const char* last, int64_t hwm, int64_t top);
	void roll_up_dim(const RollupColumns& c, int64_t hwm, int64_t top, bool saturate);
	void roll_up_pairs(int64_t hwm, int64_t top, bool saturate);
	void add_slots();
	SqliteStmt prepare(const char* sql);
	void insert_all(const Batch& b);
	int64_t intern(SqliteStmt& find, SqliteStmt& add, const std::string& key, const std::function<void(sqlite3_stmt*)>& bind);
	int64_t context_id(const ConnRow& c);
	int64_t peer_id(const ConnRow& c);
	void sweep_step();
	void delete_unused(const char* table, const std::vector<bool>& used);

	SqliteOptions o_;
	Sqlite db_;
	SqliteStmt process_, connection_, verdict_, error_, slot_;
	SqliteStmt find_context_, add_context_, find_peer_, add_peer_;
	int64_t host_id_ = 0;
	struct SlotRows {
		int64_t lo, hi, rows;
	};
	std::map<int64_t, SlotRows> slots_;  // the transaction's rows by time_slots.slot
	// ids of interned rows by their fields; cleared when a write rolls back
	std::unordered_map<std::string, int64_t> ids_;
	double last_retention_ = 0, last_roll_up_ = 0;
	// After retention deleted rows: the contexts and peers that rows still
	// use, gathered a chunk of rows per tick, then the rest deleted at once.
	struct Sweep {
		bool active = false;
		int64_t next_row = 0;
		std::vector<bool> contexts, peers;  // by id
	} sweep_;
};

} // namespace snitch
