# A throwaway PostgreSQL server for tests (snitch-store, snitch-view): load
# inside setup() after helpers, call pg_start, and pg_stop_all in teardown.
#   pg_start            initdb into a temp dir, listen on 127.0.0.1:$PG_PORT and
#                       a unix socket in the temp dir; database "snitch";
#                       server options $PG_SERVER_OPTS (default -c fsync=off;
#                       bench/store-fleet.sh runs with PostgreSQL's defaults)
#   pg_sql SQL          runs SQL as the superuser, prints unaligned rows
#   pg_sql_as ROLE SQL  the same as another role (exit status kept)
#   pg_store_schema     snitch-store --init-schema as the owner, then a role
#                       $PG_HOST_ROLE with only INSERT and SELECT; $PG_URI is its URI
#   pg_stop / pg_restart  fast shutdown / start again on the same port
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
# A version 4 PostgreSQL log (the last before interned rows), from pg_dump:
# tests/fixtures/view-events.jsonl as snitch-store wrote it then, for two hosts.
PG_VERSION_4_SQL="${SNITCH_ROOT:-.}/tests/fixtures/pg-schema-4.sql"
# A version 5 log (the last with an index on the rows' (host_id, seq)), one of
# its hosts killed before its rollup: tests/fixtures/pg-schema-5.sql says how.
PG_VERSION_5_SQL="${SNITCH_ROOT:-.}/tests/fixtures/pg-schema-5.sql"

require_pg() {
	[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]] || skip_or_fail "PostgreSQL server not installed ($PG_BIN)"
	command -v psql >/dev/null || skip_or_fail "psql not installed"
	[[ $EUID -eq 0 ]] || command -v runuser >/dev/null || skip_or_fail "runuser needed"
	if [[ $EUID -eq 0 ]]; then
		id postgres >/dev/null 2>&1 || skip_or_fail "no postgres user to run the server as (postgres refuses root)"
	fi
}

# The server must not hold the test's descriptors (bats' fd 3, a test's fifo
# writer): pg_start closes fds 3-9 for it.
# Runs a server binary as the postgres user when we are root.
pg_as_owner() {
	if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
	require_pg
	if [[ -z "${PG_DIR:-}" ]]; then
		PG_DIR=$(mktemp -d /tmp/snitch-pg.XXXXXX)
		chmod 0755 "$PG_DIR"
		[[ $EUID -ne 0 ]] || chown postgres: "$PG_DIR"
		pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
			|| { cat "$PG_DIR/initdb.log" >&2; return 1; }
		PG_PORT=$(free_port)
		export PG_DIR PG_PORT
	fi
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-h 127.0.0.1 -p $PG_PORT -k $PG_DIR ${PG_SERVER_OPTS--c fsync=off}" start >/dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- \
		|| { cat "$PG_DIR/server.log" >&2; return 1; }
	if [[ -z "${PG_CREATED:-}" ]]; then
		psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "CREATE DATABASE snitch" >/dev/null
		PG_CREATED=1
	fi
	PG_OWNER_URI="postgresql://postgres@127.0.0.1:$PG_PORT/snitch"
	export PG_OWNER_URI
}

pg_stop() {
	[[ -n "${PG_DIR:-}" ]] || return 0
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_restart() {
	pg_start
}

# Teardown: stop the server and remove its files.
pg_stop_all() {
	[[ -n "${PG_DIR:-}" ]] || return 0
	pg_stop
	rm -rf "$PG_DIR"
	PG_DIR= PG_CREATED=
}

pg_sql() {
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d snitch -v ON_ERROR_STOP=1 -qAtc "$1"
}

pg_sql_as() { # ROLE SQL
	psql -h 127.0.0.1 -p "$PG_PORT" -U "$1" -d snitch -v ON_ERROR_STOP=1 -qAtc "$2"
}

pg_store_schema() {
	snitch-store --config "$BATS_TEST_TMPDIR/none.json" --db "$PG_OWNER_URI" --init-schema
	PG_HOST_ROLE=snitch_host
	pg_sql "CREATE ROLE $PG_HOST_ROLE LOGIN; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO $PG_HOST_ROLE"
	PG_URI="postgresql://$PG_HOST_ROLE@127.0.0.1:$PG_PORT/snitch"
	export PG_HOST_ROLE PG_URI
}
