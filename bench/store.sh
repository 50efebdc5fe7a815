#!/bin/bash
# snitch-store on a generated desktop day (bench/store_ref.cpp gen: 40
# programs, 3,000 remote addresses, 600 domains, ephemeral ports, parent and
# grandparent): ingest rate into SQLite against a bare prepared-statement
# insert loop of the same rows, in the same run; bytes per row and per event
# next to picosnitch 2.2's documented schema loaded with the same rows
# (bench/picosnitch-load.sql); a year at the default settings; fleet ingest
# into PostgreSQL (bench/store-fleet.sh: FLEET_HOSTS hosts at once, default 20,
# FLEET_EVENTS events each, default EVENTS / 10; STORE_OLD=path adds an older
# snitch-store to compare with, e.g. schema 4's).
# Usage: bench/store.sh [EVENTS] [RUNS]   (defaults 200000 3)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
N=${1:-200000}
RUNS=${2:-3}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-store >/dev/null
STORE=.output/bin/snitch-store
REF="$OUT/store_ref"
g++ -O2 -std=c++20 -Wall -Wextra -Ilib bench/store_ref.cpp .output/libsnitch.a -lsqlite3 -o "$REF"
EVENTS="$OUT/store-desktop-$N.jsonl"
[ -s "$EVENTS" ] || "$REF" gen "$N" >"$EVENTS"
NOCONF="$OUT/no-such-config.json"

# hyperfine's --prepare for a timed command: its database made fresh, the same
# page-cache state for all.
fresh() { # DB
	echo "rm -f '$1' '$1-wal' '$1-shm' && '$STORE' --init-schema --config '$NOCONF' --db '$1' && cat '$EVENTS' >/dev/null"
}
JSON="$OUT/store.json"
time_commands "$JSON" "$RUNS" \
	--prepare "$(fresh "$OUT/ref.db")" --prepare "$(fresh "$OUT/w0.db")" --prepare "$(fresh "$OUT/w1.db")" \
	-n ref "'$REF' insert '$N' '$OUT/ref.db'" \
	-n w0 "'$STORE' --config '$NOCONF' --host-id bench --db '$OUT/w0.db' --window 0 <'$EVENTS' >/dev/null" \
	-n w1 "'$STORE' --config '$NOCONF' --host-id bench --db '$OUT/w1.db' --window 1 <'$EVENTS' >/dev/null"
bytes() { stat -c %s "$1"; }
rows() { sqlite3 "$1" 'SELECT count(*) FROM connections'; }
# picosnitch's schema holding the rows of snitch-store database $1.
picosnitch() { # SNITCH_DB PICO_DB
	rm -f "$2"
	sqlite3 "$2" "ATTACH '$1' AS s" ".read bench/picosnitch-load.sql" >/dev/null
}
# sizes are of what the databases hold, not of what they grew through
for w in 0 1; do
	picosnitch "$OUT/w$w.db" "$OUT/pico$w.db"
	for db in "$OUT/w$w.db" "$OUT/pico$w.db"; do
		sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE)' 'VACUUM' >/dev/null
	done
done
ref=$(timed_stat "$JSON" ref median)
{
	echo "# snitch-store on a desktop day, $N events, median of $RUNS runs"
	echo
	echo "commit $(git rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs, SQLite $(sqlite3 --version | cut -d' ' -f1)." \
		"Reproduce: bench/store.sh $N $RUNS"
	echo
	echo "| command | seconds | events/s | relative to reference | rows |"
	echo "| --- | --- | --- | --- | --- |"
	for k in ref w0 w1; do
		t=$(timed_stat "$JSON" "$k" median)
		case $k in
		ref) name="bare prepared-statement insert loop (store_ref)";;
		w0) name="snitch-store --window 0 (one row per event)";;
		w1) name="snitch-store --window 1 (default merging)";;
		esac
		awk -v n="$name" -v t="$t" -v r="$ref" -v N="$N" -v rows="$(rows "$OUT/$k.db")" \
			'BEGIN { printf "| %s | %.2f | %.0f | %.2f | %d |\n", n, t, N / t, r / t, rows }'
	done
	echo
	echo "Database bytes after VACUUM; picosnitch 2.2's schema loaded with the same rows in this run."
	echo
	echo "| rows from | schema | rows | bytes | bytes per row | bytes per event | relative to picosnitch |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for w in 0 1; do
		pico=$(bytes "$OUT/pico$w.db")
		for k in "snitch-store $(bytes "$OUT/w$w.db")" "picosnitch-2.2 $pico"; do
			awk -v w="$w" -v k="${k% *}" -v b="${k#* }" -v p="$pico" -v rows="$(rows "$OUT/w$w.db")" -v N="$N" \
				'BEGIN { printf "| --window %s | %s | %d | %d | %.1f | %.1f | %.2f |\n", w, k, rows, b, b / rows, b / N, b / p }'
		done
	done
	echo
	awk -v b="$(bytes "$OUT/w1.db")" -v p="$(bytes "$OUT/pico1.db")" -v rows="$(rows "$OUT/w1.db")" 'BEGIN {
		printf "A year at the default settings (--window 1, 365 days retention), this day 365 times: %.1f GB (picosnitch 2.2: %.1f GB);", 365 * b / 1e9, 365 * p / 1e9
		printf " at the 1.7M rows a day of 20 active flows (issue 19): %.0f GB (picosnitch 2.2: %.0f GB).\n", 365 * 1.7e6 * b / rows / 1e9, 365 * 1.7e6 * p / rows / 1e9
	}'
} | tee "$OUT/store.md"
echo
bench/store-fleet.sh "$EVENTS" "${FLEET_EVENTS:-$((N / 10))}" "$RUNS" "${FLEET_HOSTS:-20}" | tee -a "$OUT/store.md"
