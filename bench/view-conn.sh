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

# bench/view.sh's log (bench/view-log.sh) on schema 5, with /usr/bin/rare.
# shellcheck source=bench/view-log.sh
source bench/view-log.sh
build_db5() {
	build_view_log "$REF/.output/bin/snitch-store" "$DB5" "$N" "$NOW" 1
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
