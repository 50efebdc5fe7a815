#!/bin/bash
# snitch-view on a 10-million-row SQLite database: time to the first screen
# (--print, and the TUI drawing its first screen in a pty) against the bare
# SQL aggregate of the same screen run by the sqlite3 shell, in the same run.
# Ranges of two days or more read snitch-store's daily rollup, which the
# store brings up to date when it opens the database (timed here once).
# The TUI's lower pane alone is timed as its own --print: the Host names
# screen filtered on the executable the first screen selects (the top one).
# snitch-web's API is timed the same way: /api/rows (the same screen) and
# /api/series (the overview's first chart), each a curl against a running
# snitch-web.
# With REF_VIEW=path/to/an/older/snitch-view, that binary's --print and TUI
# are timed in the same runs, and the candidate's given relative to them.
# Usage: [REF_VIEW=...] bench/view.sh [ROWS] [RUNS]   (defaults 10000000 3)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
N=${1:-10000000}
RUNS=${2:-3}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-store .output/bin/snitch-view .output/bin/snitch-web all >/dev/null
VIEW=.output/bin/snitch-view
DB="$OUT/view-$N.db"
NOCONF="$OUT/no-such-config.json"
NOW=1795000000

# shellcheck source=bench/view-log.sh
source bench/view-log.sh
build_db() {
	build_view_log .output/bin/snitch-store "$DB" "$N" "$NOW" 0
}
rows=$( [ -s "$DB" ] && sqlite3 "$DB" 'SELECT count(*) FROM connections' 2>/dev/null || echo 0)
if [ "$rows" != "$N" ]; then
	t0=$(now); build_db; t1=$(now)
	echo "built $DB ($N rows) in $(elapsed "$t0" "$t1" 1) s" >&2
fi
# Rows written behind the store's back, or an older schema: the store
# migrates and rolls the rows up when it opens the database.
PAST=$(sqlite3 "$DB" 'SELECT count(*) FROM connections WHERE rowid > (SELECT hwm FROM rollup_state)' 2>/dev/null || echo "$N, version 2")
# Once, not through hyperfine: the second run would find nothing to do.
t0=$(now)
.output/bin/snitch-store --init-schema --config "$NOCONF" --db "$DB" --retention-days 0
t1=$(now)
ROLLUP_TIME=$(elapsed "$t0" "$t1" 1)

# The plain aggregate a user would type for the Executables screen, with
# the range on time_ms bounded through time_slots' rowids, as snitch-store(1)
# spells it (since schema 6 there is no time index: without the rowid bound
# it reads every row whatever the range).
bare_sql() { # FROM (0: all)
	local ms=$(($1 * 1000))
	sqlite3 "file:$DB?mode=ro" "SELECT e.exe, SUM(c.events), SUM(c.sent), SUM(c.recv), MAX(c.last_time)
		FROM connections c JOIN processes e ON e.id = c.exe_id
		WHERE c.rowid >= (SELECT COALESCE(MIN(lo), 0) FROM time_slots WHERE slot >= $ms / 600000) AND c.time_ms >= $ms
		GROUP BY e.exe"
}
# The TUI in a 100x30 tmux pane: it draws the first screen (list and lower
# pane), then reads the q already waiting in the pty and exits. Includes
# starting a tmux server (about 0.02 s here).
TMUX_SOCK=snitch-view-bench-$$
tui() { # RANGE [BINARY]
	tmux -L "$TMUX_SOCK" new-session -d -x 100 -y 30 \
		"$(realpath "${2:-$VIEW}") --db $PWD/$DB --range $1 --now $NOW; tmux -L $TMUX_SOCK wait-for -S view-done"
	# the server is gone if the TUI already ended
	tmux -L "$TMUX_SOCK" send-keys q 2>/dev/null || true
	tmux -L "$TMUX_SOCK" wait-for view-done 2>/dev/null || true
}

# snitch-web on a free port for the whole run (stopped on exit).
WEB_OUT="$OUT/view-web.url"
.output/bin/snitch-web --db "$DB" --config "$NOCONF" --listen 127.0.0.1 --port 0 --now "$NOW" \
	--token-file "$OUT/view-web.token" >"$WEB_OUT" 2>&1 </dev/null &
WEB_PID=$!
trap 'kill $WEB_PID 2>/dev/null' EXIT
wait_for_line "$WEB_OUT" '^http://'
WEB_BASE=$(sed -n '1s|/?token=.*||p' "$WEB_OUT")
web_api() { # NAME QUERY
	curl -sf -H "Authorization: Bearer $(cat "$OUT/view-web.token")" "$WEB_BASE/api/$1?$2"
}

# What the overview asks first: whole days for a range of days (web/app.js).
first_chart() { # RANGE
	case $1 in
	3d | 7d) echo "range=$1&step=86400" ;;
	*) echo "range=$1" ;;
	esac
}

# hyperfine runs the shell functions above in bash children.
export DB VIEW NOW TMUX_SOCK OUT WEB_BASE
export -f bare_sql tui web_api
run_case() { # LABEL RANGE FROM
	local json="$OUT/view-$2.json" refs=() top
	top=$(printf %q "$("$VIEW" --db "$DB" --print --screen exe --range "$2" --now $NOW --format jsonl --limit 1 | jq -r .exe)")
	if [ -n "${REF_VIEW:-}" ]; then
		refs=(-n refprint "'$REF_VIEW' --db '$DB' --print --screen exe --range $2 --now $NOW" -n reftui "tui $2 '$REF_VIEW'")
	fi
	time_commands "$json" "$RUNS" --shell bash \
		-n bare "bare_sql $3" \
		-n print "'$VIEW' --db '$DB' --print --screen exe --range $2 --now $NOW" \
		-n tui "tui $2" \
		-n pane "'$VIEW' --db '$DB' --print --screen domain --filter exe=$top --range $2 --now $NOW" \
		-n rows "web_api rows 'screen=exe&range=$2'" \
		-n series "web_api series '$(first_chart "$2")'" \
		"${refs[@]}"
	b=$(timed_stat "$json" bare median); p=$(timed_stat "$json" print median); t=$(timed_stat "$json" tui median)
	l=$(timed_stat "$json" pane median)
	r=$(timed_stat "$json" rows median); s=$(timed_stat "$json" series median)
	ref=""
	if [ -n "${REF_VIEW:-}" ]; then
		rp=$(timed_stat "$json" refprint median); rt=$(timed_stat "$json" reftui median)
		ref=$(awk -v p="$p" -v t="$t" -v rp="$rp" -v rt="$rt" 'BEGIN { printf " %.3f | %.3f | %.2f | %.2f |", rp, rt, p / rp, t / rt }')
	fi
	awk -v n="$1" -v b="$b" -v p="$p" -v t="$t" -v l="$l" -v r="$r" -v s="$s" -v ref="$ref" \
		'BEGIN { printf "| %s | %.3f | %.3f (%.2f) | %.3f (%.2f) | %.3f (%.2f) | %.3f (%.2f) | %.3f (%.2f) |%s\n", n, b, p, p / b, t, t / b, l, l / b, r, r / b, s, s / b, ref }'
}

sqlite3 "$DB" 'SELECT count(*) FROM connections' >/dev/null  # warm the page cache
{
	echo "# snitch-view first screen, $N connections, median of $RUNS runs"
	echo
	echo "commit $(git rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs, SQLite $(sqlite3 --version | cut -d' ' -f1)"
	echo
	echo "Seconds; in parentheses relative to the bare SQL aggregate of the same screen (sqlite3 shell, same WHERE)."
	echo "snitch-store opened it (migrating an older schema if need be, rolling up the rows past the mark: $PAST) in $ROLLUP_TIME s;"
	echo "it holds $(sqlite3 "$DB" 'SELECT count(*) FROM rollup WHERE dim = 1') rows for the Executables screen,"
	echo "rollup_pairs $(sqlite3 "$DB" 'SELECT count(*) FROM rollup_pairs') rows for the lower pane."
	echo
	echo "Lower pane: its own query as --print (Host names of the first screen's top executable)."
	echo "snitch-web: /api/rows is the same screen; /api/series the overview's first chart (bytes over time; for 7d and more whole days, from the rollup)."
	echo
	if [ -n "${REF_VIEW:-}" ]; then
		echo "Reference: $REF_VIEW ($("$REF_VIEW" --version)), timed in the same runs."
		echo
		echo "| Executables screen, range | bare SQL aggregate | snitch-view --print | TUI first screen | lower pane --print | web /api/rows | web /api/series | reference --print | reference TUI | --print / reference | TUI / reference |"
		echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	else
		echo "| Executables screen, range | bare SQL aggregate | snitch-view --print | TUI first screen | lower pane --print | web /api/rows | web /api/series |"
		echo "| --- | --- | --- | --- | --- | --- | --- |"
	fi
	run_case "all (365 days)" all 0
	run_case "1d" 1d $((NOW - 86400))
	run_case "30d" 30d $((NOW - 2592000))
	run_case "7d" 7d $((NOW - 604800))
	run_case "1h" 1h $((NOW - 3600))
} | tee "$OUT/view.md"
