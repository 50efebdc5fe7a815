#!/bin/bash
# The Connections list (its first page: 2000 rows, newest first) and the
# detail panel's first and last seen, on a 10-million-row SQLite log: schema
# 6 (time_slots, no time index) against schema 5 (the time index), the same
# rows, in the same hyperfine runs. The schema-5 log is built by REF's
# snitch-store (a worktree of a commit before schema 6, built), the schema-6
# one is a copy that this tree's snitch-store migrates and rolls up.
# One executable, /usr/bin/rare, holds one row in 10,000; the others 1 in 200.
# Usage: REF=/path/to/schema-5/worktree bench/view-conn.sh [ROWS] [RUNS]   (defaults 10000000 5)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
N=${1:-10000000}
RUNS=${2:-5}
REF=${REF:?REF: a built worktree of a schema-5 commit (git worktree add ... 64cc76c)}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-store .output/bin/snitch-view >/dev/null
VIEW=$PWD/.output/bin/snitch-view REF_VIEW=$REF/.output/bin/snitch-view
DB5="$OUT/conn5-$N.db" DB6="$OUT/conn6-$N.db"
NOCONF="$OUT/no-such-config.json"
NOW=1795000000

# bench/view.sh's schema-5 log (400 contexts, 62,500 peers, N rows over 365
# days in time order) and one row in 10,000 from context 401, /usr/bin/rare.
build_db5() {
	rm -f "$DB5" "$DB5-wal" "$DB5-shm"
	"$REF/.output/bin/snitch-store" --init-schema --config "$NOCONF" --db "$DB5"
	local rows="type = 'index' AND tbl_name = 'connection_rows'"
	idx=$(sqlite3 "$DB5" "SELECT sql || ';' FROM sqlite_master WHERE $rows")
	drops=$(sqlite3 "$DB5" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master WHERE $rows")
	sqlite3 "$DB5" >/dev/null <<SQL
PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
$drops
BEGIN;
WITH RECURSIVE p(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM p WHERE i < 400)
INSERT INTO processes (id, exe, name, cmdline, sha256, first_seen) SELECT i, '/usr/bin/prog' || (i % 200),
	'prog' || (i % 200), 'prog --run ' || i, printf('%064x', i % 250), $NOW - 31536000 FROM p;
INSERT INTO processes (id, exe, name, cmdline, sha256, first_seen) VALUES (401, '/usr/bin/rare', 'rare', 'rare', '', $NOW - 31536000);
INSERT OR IGNORE INTO hosts (name) VALUES ('bench');
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 399)
INSERT INTO contexts SELECT 1 + i, (SELECT id FROM hosts WHERE name = 'bench'), 1 + (i * 7919) % 400, 1 + (i * 104729) % 400, 0, 1000 + i % 4, 4026531840, '/' FROM k;
INSERT INTO contexts SELECT 401, (SELECT id FROM hosts WHERE name = 'bench'), 401, 1, 0, 1000, 4026531840, '/';
WITH RECURSIVE j(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM j WHERE i < 62499)
INSERT INTO peers SELECT 1 + i, 'ipv4', 'tcp', '10.0.0.2', '10.' || (i % 250) || '.' || (i / 250 % 250) || '.1',
	(i % 20) * 100 + 22, 'host' || (i % 5000) || '.example' FROM j;
WITH RECURSIVE s(i) AS (SELECT $N - 1 UNION ALL SELECT i - 1 FROM s WHERE i > 0)
INSERT INTO connection_rows (time_ms, span_ms, context_id, peer_id, pid, lport, sent, recv, events)
	SELECT CAST(round(($NOW - i * (31536000.0 / $N)) * 1000) AS INTEGER), 1000,
	CASE WHEN i % 10000 = 5000 THEN 401 ELSE 1 + i % 400 END, 1 + i % 62500,
	1000 + i % 5000, 40000, 100 + i % 1000, 1000 + i % 10000, 1 + i % 3 FROM s;
COMMIT;
$idx
ANALYZE;
SQL
	sqlite3 "$DB5" 'PRAGMA journal_mode = WAL' >/dev/null
}
rows=$( [ -s "$DB5" ] && sqlite3 "$DB5" 'SELECT count(*) FROM connection_rows' 2>/dev/null || echo 0)
if [ "$rows" != "$N" ]; then
	t0=$(now); build_db5; t1=$(now)
	echo "built $DB5 ($N rows) in $(elapsed "$t0" "$t1" 1) s" >&2
	# the rollup, by REF's store; then the copy that this tree's migrates to schema 6
	"$REF/.output/bin/snitch-store" --init-schema --config "$NOCONF" --db "$DB5" --retention-days 0
	rm -f "$DB6" "$DB6-wal" "$DB6-shm"
	sqlite3 "$DB5" ".backup '$DB6'"
	t0=$(now)
	.output/bin/snitch-store --init-schema --config "$NOCONF" --db "$DB6" --retention-days 0
	t1=$(now)
	echo "migrated $DB6 to schema 6 in $(elapsed "$t0" "$t1" 1) s" >&2
fi
for db in "$DB5" "$DB6"; do
	echo "$db: schema $(sqlite3 "$db" 'PRAGMA user_version'), $(du -m "$db" | cut -f1) MB" >&2
done

# each case: schema 5 (REF's snitch-view on DB5), then schema 6, and the same output
cases=(
	"conn, all|--print --screen conn --limit 2000 --range all"
	"conn, 1d|--print --screen conn --limit 2000 --range 1d"
	"conn, 1d, a day back|--print --screen conn --limit 2000 --range 1d --period 1"
	"conn of exe=/usr/bin/prog3, all|--print --screen conn --limit 2000 --filter exe=/usr/bin/prog3"
	"conn of exe=/usr/bin/rare (1,000 rows), all|--print --screen conn --limit 2000 --filter exe=/usr/bin/rare"
	"conn of exe=/usr/bin/rare, 30d|--print --screen conn --limit 2000 --range 30d --filter exe=/usr/bin/rare"
	"detail of /usr/bin/prog3|--print --detail /usr/bin/prog3"
	"detail of /usr/bin/rare|--print --detail /usr/bin/rare"
)
echo "| query | schema 5 (time index) | schema 6 (time_slots) | 6 / 5 |"
echo "| --- | --- | --- | --- |"
i=0
for c in "${cases[@]}"; do
	label=${c%%|*} args=${c#*|}
	# shellcheck disable=SC2086 # the case's arguments, split into words
	diff <("$REF_VIEW" --db "$DB5" --config "$NOCONF" --now $NOW $args) <("$VIEW" --db "$DB6" --config "$NOCONF" --now $NOW $args) >/dev/null ||
		echo "note: $label: the outputs differ (ties ordered by rowid in schema 6)" >&2
	json="$OUT/view-conn-$i.json"
	time_commands "$json" "$RUNS" -N --warmup 1 \
		-n five "$REF_VIEW --db $DB5 --config $NOCONF --now $NOW $args" \
		-n six "$VIEW --db $DB6 --config $NOCONF --now $NOW $args"
	a=$(timed_stat "$json" five median); b=$(timed_stat "$json" six median)
	awk -v n="$label" -v a="$a" -v b="$b" 'BEGIN { printf "| %s | %.3f | %.3f | %.2f |\n", n, a, b, b / a }'
	i=$((i + 1))
done
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
