#!/bin/sh
# snitch-store ingest rate into SQLite against a bare prepared-statement insert
# loop of the same rows (bench/store_ref.cpp) in the same run, on the same
# deterministic 1M-event file; plus database bytes per million events.
# Usage: sh bench/store.sh [EVENTS] [RUNS]   (defaults 1000000 3)
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-store >/dev/null
STORE=.output/bin/snitch-store
REF="$OUT/store_ref"
g++ -O2 -std=c++20 -Wall -Wextra -Ilib bench/store_ref.cpp .output/libsnitch.a -lsqlite3 -o "$REF"
EVENTS="$OUT/store-events-$N.jsonl"
[ -s "$EVENTS" ] || "$REF" gen "$N" >"$EVENTS"
NOCONF="$OUT/no-such-config.json"

now() { date +%s.%N; }
# Prints the seconds one command took (database made fresh first).
timed() { # DB CMD...
	db=$1; shift
	rm -f "$db" "$db-wal" "$db-shm"
	"$STORE" --init-schema --config "$NOCONF" --db "$db"
	cat "$EVENTS" >/dev/null  # same page-cache state for both
	t0=$(now); "$@"; t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: >"$OUT/store-ref.times"; : >"$OUT/store-w0.times"; : >"$OUT/store-w1.times"
i=0
while [ "$i" -lt "$RUNS" ]; do
	timed "$OUT/ref.db" "$REF" insert "$N" "$OUT/ref.db" >>"$OUT/store-ref.times"
	timed "$OUT/w0.db" sh -c "$STORE --config $NOCONF --db $OUT/w0.db --window 0 <$EVENTS >/dev/null" >>"$OUT/store-w0.times"
	timed "$OUT/w1.db" sh -c "$STORE --config $NOCONF --db $OUT/w1.db --window 1 <$EVENTS >/dev/null" >>"$OUT/store-w1.times"
	i=$((i + 1))
done
bytes() { sqlite3 "$1" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null; stat -c %s "$1"; }
rows() { sqlite3 "$1" 'SELECT count(*) FROM connections'; }
ref=$(median <"$OUT/store-ref.times")
{
	echo "# snitch-store ingest, $N events, median of $RUNS runs"
	echo
	echo "commit $(git rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs, SQLite $(sqlite3 --version | cut -d' ' -f1)"
	echo
	echo "| command | seconds | events/s | relative to reference | rows | DB bytes per 1M events |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for k in ref w0 w1; do
		t=$(median <"$OUT/store-$k.times")
		case $k in
		ref) name="bare prepared-statement insert loop (store_ref)";;
		w0) name="snitch-store --window 0 (one row per event)";;
		w1) name="snitch-store --window 1 (default merging)";;
		esac
		awk -v n="$name" -v t="$t" -v r="$ref" -v N="$N" -v rows="$(rows "$OUT/$k.db")" -v b="$(bytes "$OUT/$k.db")" \
			'BEGIN { printf "| %s | %.2f | %.0f | %.2f | %d | %.0f |\n", n, t, N / t, r / t, rows, b * 1e6 / N }'
	done
} | tee "$OUT/store.md"
