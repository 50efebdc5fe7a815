#pragma once
// snitch-store's rows and schema (documented in snitch-store(1)): one schema
// for SQLite and PostgreSQL, so that snitch-view runs the same queries on both.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace snitch {

enum class Dialect { sqlite, postgresql };

// The schema version written by this binary (PRAGMA user_version in SQLite,
// snitch_meta.schema_version in PostgreSQL). Version 3 adds the rollup,
// version 4 the (exe_id, last_time) and (domain, last_time) indexes, version 5
// interned rows behind the view `connections` (snitch-store(1)), PostgreSQL's
// version 6 each batch's seq in `batches` instead of an index on the rows'
// and SQLite's version 6 time_slots instead of a time index, and rollup_pairs.
int store_schema_version(Dialect d);

// A "connections c" row's time compared by `op` (">=" or "<") with a bound
// time in seconds, through the time index (SQLite: time_slots, the rowid
// range of each time_ms / time_slot_ms): SQL in which the bound appears
// time_compare_binds(d) times.
inline constexpr int64_t time_slot_ms = 600000;
std::string time_compare(Dialect d, const char* op);
int time_compare_binds(Dialect d);

// The rollup: per UTC day, per screen dimension and key, the sums of the
// connections rows it covers, so that snitch-view answers long ranges without
// reading every row. SQLite: the rows up to rollup_state.hwm (a rowid);
// PostgreSQL (append-only, many hosts): per host the rows up to that host's
// highest rollup_marks.seq (connections.seq, numbered by each host's store).
// A row's day is rollup_day_sql(): exact integer arithmetic, so that
// "bucket < b" and "last_time < b" agree for any whole day b.
inline constexpr int64_t rollup_bucket = 86400;
std::string rollup_day_sql(Dialect d, int64_t bucket = rollup_bucket);
// exe_hour (SQLite): the executable per hour, for the Executables screen of
// ranges under two days; rolled up with rollup_pairs, up to its mark.
enum class RollupDim { exe = 1, parent, domain, raddr, rport, uid, exe_hour };
inline constexpr int64_t rollup_hour = 3600;
struct RollupColumns {
	RollupDim dim;
	const char* id;     // SQL over connections: the process id (exe, parent), else 0
	const char* value;  // SQL over connections: the key as text (other dimensions), else ''
};
const std::vector<RollupColumns>& rollup_columns();
// INSERT INTO rollup the day sums of one dimension of the connections rows
// matching `where` (SQL text of ours; its placeholders are the caller's).
// SQLite's SUM fails on overflow: `saturate` sums in floating point and
// clamps (exact up to 2^53), for the rows where exact sums overflow.
std::string rollup_insert_sql(Dialect d, const RollupColumns& c, const std::string& where, bool saturate = false);
// SQLite's exe_hour rows: the executable's dimension, bucketed by the hour.
const RollupColumns& rollup_hour_columns();
// SQLite: INSERT INTO rollup_pairs the day sums per (context, domain) of the
// connection_rows r matching `where` (r.id, r.time_ms ...).
std::string rollup_pairs_insert_sql(const std::string& where, bool saturate = false);
// PostgreSQL: the same for every dimension in one statement (GROUPING SETS),
// reading the rows once.
std::string pg_rollup_insert_all_sql(const std::string& where);

// A stable 63-bit hash (FNV-1a) of the fields, never 0: ids that every host
// computes alike, so that interning needs no round trip.
int64_t stable_id(std::initializer_list<std::string_view> fields);

// One executable identity: id is a stable 63-bit hash of the four strings
// (and of exe_unverified when there is one, so that a path the process chose
// never shares the id of the file at that path), computed on the host, so
// rows refer to it without a round trip.
struct ProcessRow {
	int64_t id = 0;
	std::string exe, name, cmdline, sha256;
	double first_seen = 0;
	std::string exe_unverified;  // stored from SQLite schema version 5
};

int64_t process_id(std::string_view exe, std::string_view name, std::string_view cmdline, std::string_view sha256,
		   std::string_view exe_unverified = {});

// Connections merged over one write window.
struct ConnRow {
	double first_time = 0, last_time = 0;
	int64_t exe_id = 0, parent_id = 0, grandparent_id = 0;  // 0: unknown (NULL)
	int64_t pid = 0, uid = 0;
	uint64_t netns = 0;
	std::string cgroup, family, proto, laddr, raddr, domain;
	int64_t lport = 0, rport = 0;
	uint64_t sent = 0, recv = 0, events = 0;
};

struct VerdictRow {
	double time = 0;
	std::string sha256, event;  // event: the whole vt line as received
};

struct ErrorRow {
	double time = 0;
	std::string source, message;
	uint64_t lost = 0;
};

// What one committed window writes.
struct Batch {
	std::vector<ProcessRow> processes;
	std::vector<ConnRow> connections;
	std::vector<VerdictRow> verdicts;
	std::vector<ErrorRow> errors;
	uint64_t events = 0;  // input events the batch accounts for
	bool empty() const { return processes.empty() && connections.empty() && verdicts.empty() && errors.empty(); }
};

// SQLite's view `connections` (version 5) as a SELECT, with `extra` columns
// (", r.context_id") after the view's own.
std::string sqlite_connections_select(const std::string& extra = "");

// DDL taking a database from version `from` to `from + 1` (index from - 0).
// Version 0 is an empty database.
const std::vector<std::string>& schema_migration(Dialect d, int from);
// PostgreSQL's version 5 in two parts: schema_migration(postgresql, 4) keeps
// version 4's rows in connections_v4 and creates the interned tables, the
// caller fills pg_migrate_contexts and pg_migrate_peers (id and the
// coalesced key columns, ids as it computes them) and the hosts, then
// pg_version_5_rows() moves the rows and makes the views.
const std::vector<std::string>& pg_version_5_rows();

// Where the backends write to.
class StoreSink {
public:
	virtual ~StoreSink() = default;
	// Writes one batch atomically (or queues it); returns error rows to report, if any.
	virtual std::vector<ErrorRow> write(const Batch& b) = 0;
	// Called regularly (timer ticks, idle): retries, retention.
	virtual std::vector<ErrorRow> tick() { return {}; }
	// Called once at exit: a last attempt at anything still pending.
	virtual std::vector<ErrorRow> finish() { return {}; }
};

} // namespace snitch
