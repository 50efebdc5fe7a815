#!/bin/bash
# Fleet ingest for bench/store.sh (issue 19): HOSTS simulated hosts append at
# once into one PostgreSQL 15 with its default settings (fsync on), started by
# tests/pg_helpers.bash. Each host is a snitch-store --window 0 (one row per
# event) with its own --host-id and on-disk queue, fed the first PER_HOST
# events of the desktop-day stream; rows/s = rows in the database / wall time,
# from the first start to the last exit, on a fresh database each time.
# In the same run: STORE_OLD, when set (a snitch-store of PostgreSQL schema 4,
# e.g. commit 7c05aa6 built in a scratch worktree), and the ceiling: the same
# rows by bare COPY (psql \copy), one transaction per host; STORE_PREV, when
# set, a snitch-store of PostgreSQL schema 5 (e.g. commit 766e213: the rows'
# (host_id, seq) index), 20 hosts.
# Prints a Markdown table. Usage: bench/store-fleet.sh EVENTS PER_HOST RUNS [HOSTS]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
EVENTS=$1 PER_HOST=$2 RUNS=$3 HOSTS=${4:-20}
OUT=$PWD/.output/bench
STORE=$PWD/.output/bin/snitch-store
NOCONF="$OUT/no-such-config.json"
SNITCH_ROOT=$PWD
skip_or_fail() { echo "store-fleet: $1: fleet ingest not measured" >&2; exit 0; }
PG_SERVER_OPTS=""
# shellcheck source=tests/pg_helpers.bash
source tests/pg_helpers.bash
trap pg_stop_all EXIT
pg_start
IN="$OUT/fleet-$PER_HOST.jsonl"
head -n "$PER_HOST" "$EVENTS" >"$IN"
admin() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAtc "$1" >/dev/null; }

fresh_db() { # STORE
	admin "DROP DATABASE IF EXISTS snitch"
	admin "CREATE DATABASE snitch"
	"$1" --config "$NOCONF" --db "$PG_OWNER_URI" --init-schema
	rm -rf "$OUT/fleet-q"
}

rate() { awk -v t0="$1" -v t1="$2" -v n="$3" 'BEGIN { printf "%.0f\n", n / (t1 - t0) }'; }

# Prints the rows/s of N hosts running STORE.
fleet() { # STORE N
	local i t0 t1
	fresh_db "$1"
	t0=$(now)
	for ((i = 1; i <= $2; i++)); do
		"$1" --config "$NOCONF" --db "$PG_OWNER_URI" --host-id "h$i" -q -w 0 --queue-dir "$OUT/fleet-q/h$i" <"$IN" >/dev/null &
	done
	wait
	t1=$(now)
	rate "$t0" "$t1" "$(pg_sql "SELECT count(*) FROM connections")"
}

# The rows one host wrote, as COPY text, and the rows/s of N psql loading them at once.
copy_rows() {
	fresh_db "$STORE"
	"$STORE" --config "$NOCONF" --db "$PG_OWNER_URI" --host-id h1 -q -w 0 --queue-dir "$OUT/fleet-q/h1" <"$IN" >/dev/null
	pg_sql "COPY (SELECT * FROM connection_rows) TO STDOUT" >"$OUT/fleet-rows.copy"
}
bare_copy() { # N
	local i t0 t1
	fresh_db "$STORE"
	t0=$(now)
	for ((i = 1; i <= $1; i++)); do
		psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d snitch -qc "\\copy connection_rows FROM '$OUT/fleet-rows.copy'" >/dev/null &
	done
	wait
	t1=$(now)
	rate "$t0" "$t1" "$(pg_sql "SELECT count(*) FROM connection_rows")"
}

keys=()
[[ -n "${STORE_OLD:-}" ]] && keys+=(old1 old)
[[ -n "${STORE_PREV:-}" ]] && keys+=(prev)
keys+=(new1 new copy)
copy_rows
for ((r = 0; r < RUNS; r++)); do
	for k in "${keys[@]}"; do
		case $k in
		old1) fleet "$STORE_OLD" 1;;
		old) fleet "$STORE_OLD" "$HOSTS";;
		prev) fleet "$STORE_PREV" "$HOSTS";;
		new1) fleet "$STORE" 1;;
		new) fleet "$STORE" "$HOSTS";;
		copy) bare_copy "$HOSTS";;
		esac >>"$OUT/fleet-$k.rates"
	done
done
declare -A med
for k in "${keys[@]}"; do
	med[$k]=$(median <"$OUT/fleet-$k.rates")
	rm -f "$OUT/fleet-$k.rates"
done
base=${med[old]:-${med[copy]}}
echo "Fleet ingest: $HOSTS hosts at once, $PER_HOST events each (--window 0), into PostgreSQL" \
	"$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d snitch -qAtc 'SHOW server_version') with default settings" \
	"(fsync $(pg_sql 'SHOW fsync'), synchronous_commit $(pg_sql 'SHOW synchronous_commit')); median of $RUNS rounds, a fresh database each."
echo
echo "| writer | hosts | rows/s | relative to $([[ -n "${STORE_OLD:-}" ]] && echo "schema 4, $HOSTS hosts" || echo "bare COPY") |"
echo "| --- | --- | --- | --- |"
for k in "${keys[@]}"; do
	case $k in
	old1) name="snitch-store, PostgreSQL schema 4 (multi-row INSERT, commit $(git -C "$(dirname "$STORE_OLD")" rev-parse --short HEAD))" n=1;;
	old) n=$HOSTS;;
	prev) name="snitch-store, PostgreSQL schema 5 (COPY, index on (host_id, seq), commit $(git -C "$(dirname "$STORE_PREV")" rev-parse --short HEAD))" n=$HOSTS;;
	new1) name="snitch-store, schema 6 (COPY)" n=1;;
	new) n=$HOSTS;;
	copy) name="bare COPY of the same rows (psql \\copy), one transaction per host" n=$HOSTS;;
	esac
	awk -v name="$name" -v n="$n" -v r="${med[$k]}" -v b="$base" 'BEGIN { printf "| %s | %d | %d | %.2f |\n", name, n, r, r / b }'
done
