#pragma once
// snitch-store's PostgreSQL backend: append-only (INSERT and SELECT grants
// suffice), every batch first goes through a bounded on-disk queue so that an
// outage or a restart loses nothing within the bound.
#include "db/handles.hpp"
#include "store/pg_rollup.hpp"
#include "store/queue.hpp"
#include "db/schema.hpp"
#include <postgresql/libpq-fe.h>
#include <string>
#include <unordered_set>

namespace snitch {

// Connects (throws with PQerrorMessage on failure), with sslmode=verify-full
// (system CAs unless the URI names sslrootcert) when pg_needs_verify_full.
PgConn pg_connect(const std::string& uri);
// True when neither the URI nor PGSSLMODE chooses an sslmode and a host is
// not loopback (localhost, 127.0.0.0/8, ::1) or a Unix socket directory.
bool pg_needs_verify_full(const std::string& uri);
// Creates or migrates the schema to store_schema_version(Dialect::postgresql) (needs the owner's rights).
void init_pg_schema(const std::string& uri);

struct PgOptions {
	std::string uri, host, queue_dir;
	uint64_t queue_bytes = 64ull << 20;
};

class PgStore : public StoreSink {
public:
	explicit PgStore(PgOptions o);
	std::vector<ErrorRow> write(const Batch& b) override;
	std::vector<ErrorRow> tick() override;
	std::vector<ErrorRow> finish() override;

private:
	void drain();
	bool connect();
	void prepare_statements();
	void send(const QueuedBatch& q);
	struct RowIds {
		int64_t context, peer;
	};
	std::string copy_rows(const Batch& b, const std::vector<RowIds>& ids, int64_t seq) const;
	void copy_in(const char* copy, const std::string& data);
	void roll_up();
	void roll_up_rows(int64_t mark);
	void maybe_roll_up(bool now);
	static constexpr double roll_up_interval = 600;
	std::vector<ErrorRow> note_dropped();

	PgOptions o_;
	DiskQueue queue_;
	PgConn conn_;
	double next_try_ = 0, backoff_ = 0.5, last_roll_up_ = 0;
	int64_t host_id_;
	int64_t seq_ = 0;  // the last connections.seq this host wrote
	// interned ids known to be committed (cleared on reconnect)
	std::unordered_set<int64_t> known_contexts_, known_peers_;
	PendingRollup pending_;
	int64_t rollup_mark();
	void insert_pending_rollup();
	uint64_t dropped_ = 0, announced_ = 0, recorded_ = 0;
	std::string last_problem_;
};

} // namespace snitch
