# snitch-view: a database that the real snitch-store wrote from a known event
# file (tests/fixtures/view-events.jsonl), read with --print and in tmux.

setup() {
	load helpers
	setup_view_fixture
	TMUX_SOCK="snitch-view-$$-$BATS_SUITE_TEST_NUMBER"
	# the fixture's reference time: events are at T+10 ... T+80, one at T-2d
	T=1795000000
}

teardown() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	kill_background
	if declare -F pg_stop_all >/dev/null; then pg_stop_all; fi
}

view_print() {
	snitch-view --config "$CONF" --db "$DB" --print "$@"
}

# The fields of one --print row whose key (last column) is KEY:
# "EVENTS SENT RECEIVED".
print_row() { # KEY ARGS...
	local key=$1; shift
	view_print "$@" | awk -v k="$key" 'NR > 1 { line = $0; sub(/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9-]+ [0-9:]+ /, "", line);
		if (line == k) print $1, $2, $3 }'
}

# The TUI in a detached 100x30 tmux session on its own server.
start_view() { # ARGS...
	require_tmux
	tmux -L "$TMUX_SOCK" new-session -d -x 100 -y 30 -s view \
		"env TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 $BUILD_DIR/bin/snitch-view --config $CONF $*; echo view-exited=\$?; sleep 60" 3>&-
	wait_tmux_screen "? help"
}

keys() {
	tmux -L "$TMUX_SOCK" send-keys -t view "$@"
}

# The first screen line containing TEXT as "KEY EVENTS SENT UNIT RECEIVED UNIT"
# (a selection mark "> " dropped).
screen_row() { # TEXT
	tmux_screen | grep -F -- "$1" | head -1 | sed 's/^> //' | awk '{ print $1, $2, $3, $4, $5, $6 }'
}

@test "snitch-view --print totals every executable exactly" {
	store_fixture
	run -0 --separate-stderr view_print --screen exe
	assert_line --index 0 --regexp '^ +EVENTS +SENT +RECEIVED +LAST_SEEN +Executables$'
	assert_equal "${#lines[@]}" 6
	# sorted by bytes sent: firefox, ssh, curl, app, the escaped one
	assert_line --index 1 '        44        1050624        5246976 2026-11-18 11:07:30 /usr/lib/firefox/firefox'
	assert_line --index 2 '        10           5000           7000 2026-11-18 11:08:00 /usr/bin/ssh'
	assert_line --index 3 '        11           1450           4700 2026-11-18 11:07:10 /usr/bin/curl'
	assert_line --index 4 '         2             64            128 2026-11-18 11:07:50 /opt/日本語/app'
	# the sums agree with the event file itself
	want=$(jq -rs '[.[] | select(.type == "flow" and .exe == "/usr/bin/curl")] | "\(map(.events) | add) \(map(.sent) | add) \(map(.recv) | add)"' "$FIXTURE")
	assert_equal "$(print_row /usr/bin/curl)" "$want"
}

@test "snitch-view --print shows every screen's grouping" {
	store_fixture
	assert_equal "$(print_row example.com --screen domain)" "9 2198 7096"
	assert_equal "$(print_row '(none)' --screen domain)" "12 5064 7128"
	assert_equal "$(print_row mozilla.org --screen domain)" "40 1048576 5242880"
	assert_equal "$(print_row 443 --screen port)" "54 1051774 5250976"
	assert_equal "$(print_row 93.184.215.14 --screen ip)" "9 2198 7096"
	assert_equal "$(print_row /usr/bin/bash --screen parent)" "14 1524 4848"
	assert_equal "$(print_row '(unknown)' --screen parent)" "10 5000 7000"
	# users by name where the system knows the uid
	assert_equal "$(print_row root --screen user)" "1 10 20"
	assert_equal "$(print_row "$(getent passwd 1000 | cut -d: -f1 | grep . || echo 1000)" --screen user)" "67 1057138 5258804"
	assert_equal "$(print_row firefox --screen name)" "44 1050624 5246976"
	assert_equal "$(print_row bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb --screen sha256)" "44 1050624 5246976"
	assert_equal "$(print_row '2026-11-16 11:06:00' --screen time)" "5 1000 1000"
}

@test "snitch-view --print stacks filters: exe, then domain, then port" {
	store_fixture
	run -0 --separate-stderr view_print --filter exe=/usr/bin/curl --screen domain --sort name
	assert_equal "${#lines[@]}" 4
	assert_line --index 1 --regexp '^ +5 +150 +3000 .* example\.com$'
	assert_line --index 2 --regexp '^ +5 +1000 +1000 .* example\.net$'
	assert_line --index 3 --regexp '^ +1 +300 +700 .* example\.org$'
	run -0 --separate-stderr view_print --filter exe=/usr/lib/firefox/firefox --filter domain=example.com --screen port
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^ +4 +2048 +4096 .* 443$'
	assert_equal "$(print_row 'curl https://example.com' --filter exe=/usr/bin/curl --screen cmdline)" "5 150 3000"
}

@test "snitch-view --print time ranges and earlier periods" {
	store_fixture
	# one day back from T: curl's event of two days earlier drops out
	assert_equal "$(print_row /usr/bin/curl --range 1d --now $T)" "6 450 3700"
	# the period before holds only that event
	run -0 --separate-stderr view_print --range 1d --now $T --period 1
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^ +5 +1000 +1000 2026-11-16 11:06:40 /usr/bin/curl$'
	run -0 --separate-stderr view_print --range 1m --now $((T + 100))
	assert_equal "${#lines[@]}" 5  # firefox (T+50), ssh (T+80), app (T+70), evil (T+60)
	refute_output --partial curl
}

@test "snitch-view escapes control characters in names, domains and paths" {
	store_fixture
	run -0 --separate-stderr view_print --screen exe
	assert_line --index 5 '         1             10             20 2026-11-18 11:07:40 /tmp/\e[2Jevil\nname'
	refute_output --partial $'\e'
	run -0 --separate-stderr view_print --screen name --search IL
	assert_line --index 1 --regexp ' ev\\e\[31mil$'
	run -0 --separate-stderr view_print --screen domain --search bad
	assert_line --index 1 --regexp ' bad\\x07\.example$'
	run -0 --separate-stderr view_print --screen cmdline --filter name=$'ev\e[31mil'
	assert_line --index 1 --regexp ' evil \\e\]0;pwned\\x07$'
	refute_output --partial $'\a'
}

@test "snitch-view --print --detail lists hashes with verdicts, parents, first and last seen" {
	store_fixture
	run -0 --separate-stderr view_print --detail /usr/bin/curl
	assert_output "path: /usr/bin/curl
sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  found: 0 malicious, 1 suspicious
parent: /usr/bin/bash
first seen: 2026-11-16 11:06:40
last seen: 2026-11-18 11:07:10"
	run -0 --separate-stderr view_print --detail /usr/bin/ssh
	assert_line --index 1 'sha256: dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd  no verdict'
}

@test "snitch-view reports usage errors with 2 and a missing database with 1" {
	store_fixture
	run -2 --separate-stderr view_print --screen nosuch
	assert_equal "$stderr" "snitch-view: --screen: unknown screen 'nosuch'"
	run -2 --separate-stderr view_print --range 2x
	run -2 --separate-stderr view_print --filter exe
	run -1 --separate-stderr snitch-view --print --db "$BATS_TEST_TMPDIR/missing.db"
	assert_output ""
	[[ "$stderr" == *missing.db* ]]
	[[ ! -e "$BATS_TEST_TMPDIR/missing.db" ]] || fail "snitch-view created the database"
	sqlite3 "$BATS_TEST_TMPDIR/other.db" 'CREATE TABLE t (x)'
	run -1 --separate-stderr snitch-view --print --db "$BATS_TEST_TMPDIR/other.db"
	assert_equal "$stderr" "snitch-view: $BATS_TEST_TMPDIR/other.db: not a snitch-store database (prepare: no such table: connections)"
}

@test "snitch-view reads the database read-only while snitch-store writes it" {
	mkfifo "$BATS_TEST_TMPDIR/in"
	snitch-store --config "$CONF" --db "$DB" -q -w 0.1 <"$BATS_TEST_TMPDIR/in" 3>&- &
	BG_PIDS+=("$!")
	exec 5>"$BATS_TEST_TMPDIR/in"
	head -3 "$FIXTURE" >&5
	wait_for_output 10 "6 450 3700" print_row /usr/bin/curl || true
	assert_equal "$(print_row /usr/bin/curl)" "6 450 3700"
	[[ "$(sqlite3 "$DB" 'PRAGMA journal_mode')" == wal ]] || fail "store is not in WAL mode"
	tail -n +4 "$FIXTURE" >&5
	wait_for_output 10 "11 1450 4700" print_row /usr/bin/curl || true
	assert_equal "$(print_row /usr/bin/curl)" "11 1450 4700"
	exec 5>&-
	wait "${BG_PIDS[0]}"
	BG_PIDS=()
	# read-only: no write is possible through the view's connection
	chmod 0444 "$DB"
	run -0 --separate-stderr view_print --screen exe
	chmod 0644 "$DB"
}

@test "snitch-view TUI shows the first screen's numbers and filters with enter" {
	store_fixture
	start_view --db "$DB"
	wait_tmux_screen "/usr/lib/firefox/firefox"
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 11 1.4 KiB 4.6 KiB"
	wait_tmux_screen "  /usr/bin/curl                         11    1.4 KiB    4.6 KiB 11-18 11:07:10 #"
	wait_tmux_screen "> /usr/lib/firefox/firefox"
	assert_equal "$(screen_row firefox/firefox)" "/usr/lib/firefox/firefox 44 1.0 MiB 5.0 MiB"
	assert_equal "$(screen_row /usr/bin/ssh)" "/usr/bin/ssh 10 4.9 KiB 6.8 KiB"
	# the lower pane breaks the selection (firefox) down by host name
	wait_tmux_screen "Host names of /usr/lib/firefox/firefox"
	assert_equal "$(screen_row mozilla.org)" "mozilla.org 40 1.0 MiB 5.0 MiB"
	keys Down Down Enter
	wait_tmux_screen "filters: exe=/usr/bin/curl"
	wait_tmux_screen "Host names (4/11)"
	wait_tmux_screen "> example.net"
	assert_equal "$(screen_row example.com)" "example.com 5 150 B 2.9 KiB"
	assert_equal "$(screen_row example.net)" "example.net 5 1000 B 1000 B"
	assert_equal "$(screen_row example.org)" "example.org 1 300 B 700 B"
	# second filter: domain, then the Ports screen
	keys Enter
	wait_tmux_screen "filters: exe=/usr/bin/curl > domain=example.net"
	wait_tmux_screen "Ports"
	assert_equal "$(screen_row '> 443')" "443 5 1000 B 1000 B"
	keys BSpace BSpace
	wait_tmux_screen "filters: none"
	wait_tmux_screen "Executables (1/11)"
	keys q
	wait_tmux_screen "view-exited=0"
}

@test "snitch-view TUI cycles time ranges and history periods" {
	store_fixture
	start_view --db "$DB" --now $T
	wait_tmux_screen "all time"
	for _ in $(seq 11); do keys t; done
	wait_tmux_screen "last 1d"
	wait_tmux_screen "5 rows"
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 6 450 B 3.6 KiB"
	keys h
	wait_tmux_screen "1d, 1 period back"
	wait_tmux_screen "| 1 row"
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 5 1000 B 1000 B"
	keys H
	wait_tmux_screen "last 1d"
	keys T
	wait_tmux_screen "last 12h"
}

@test "snitch-view TUI screens, search, sort and help" {
	store_fixture
	start_view --db "$DB"
	keys Right
	wait_tmux_screen "Names (2/11)"
	keys Right Right Right
	wait_tmux_screen "Host names (5/11)"
	assert_equal "$(screen_row '(none)')" "(none) 12 4.9 KiB 7.0 KiB"
	keys Left Left Left Left
	wait_tmux_screen "Executables (1/11)"
	keys / s s h Enter
	wait_tmux_screen "search: ssh"
	wait_tmux_screen "| 1 row"
	assert_equal "$(screen_row /usr/bin/ssh)" "/usr/bin/ssh 10 4.9 KiB 6.8 KiB"
	keys / BSpace BSpace BSpace Enter
	wait_tmux_screen "5 rows"
	keys o
	wait_tmux_screen "sort: received"
	keys o o
	wait_tmux_screen "sort: name"
	# by name: /opt first
	[[ "$(tmux_screen | sed -n 4p)" == "> /opt/日本語/app"* ]] || { tmux_screen >&2; fail "not sorted by name"; }
	keys '?'
	wait_tmux_screen "snitch-view keys"
	keys x
	wait_tmux_screen "Executables (1/11)"
	! tmux_screen | grep -qF "snitch-view keys" || fail "help stayed open"
	# the lower pane's screen cycles with s/S
	keys Home
	wait_tmux_screen "Host names of /opt/"
	keys s
	wait_tmux_screen "Host IPs of /opt/"
	assert_equal "$(screen_row 192.0.2.7)" "192.0.2.7 2 64 B 128 B"
	keys S S
	wait_tmux_screen "Parents of /opt/"
	keys Escape
	wait_tmux_screen "view-exited=0"
}

@test "snitch-view TUI shows the detail panel and escaped names" {
	store_fixture
	start_view --db "$DB" --sort name
	wait_tmux_screen 'evil\nname'
	assert_equal "$(screen_row 'evil\nname')" '/tmp/\e[2Jevil\nname 1 10 B 20 B'
	# the escape sequence was not sent to the terminal: the screen is intact
	wait_tmux_screen "snitch-view | Executables"
	keys Down Down
	wait_tmux_screen "> /usr/bin/curl"
	keys d
	wait_tmux_screen "Detail: /usr/bin/curl"
	wait_tmux_screen "found: 0 malicious, 1 suspicious  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	wait_tmux_screen "parents: /usr/bin/bash"
	wait_tmux_screen "first seen 2026-11-16 11:06:40  last seen 2026-11-18 11:07:10"
	# UTF-8 keeps the columns aligned: the events column ends where curl's does
	local a b
	a=$(tmux_screen | grep -F '/opt/日本語/app' | sed 's/\( 2\) .*/\1/')
	b=$(tmux_screen | grep -F '/usr/bin/curl' | head -1 | sed 's/\( 11\) .*/\1/')
	assert_equal "$(printf %s "$a" | wc -L)" "$(printf %s "$b" | wc -L)"
}

@test "snitch-view TUI redraws on resize and is usable at 80x24" {
	store_fixture
	start_view --db "$DB"
	wait_tmux_screen "/usr/bin/curl"
	tmux -L "$TMUX_SOCK" resize-window -t view -x 80 -y 24
	footer_on_24() { [[ "$(tmux_screen | sed -n 24p)" == " ? help"* ]]; }
	wait_until 10 footer_on_24 || { tmux_screen >&2; fail "footer not on line 24"; }
	assert_equal "$(tmux_screen | awk '{ if (length($0) > m) m = length($0) } END { print m <= 80 }')" 1
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 11 1.4 KiB 4.6 KiB"
	wait_tmux_screen "Host names of ~/firefox (s/S)"
	tmux -L "$TMUX_SOCK" resize-window -t view -x 40 -y 6
	wait_tmux_screen "terminal too small"
	tmux -L "$TMUX_SOCK" resize-window -t view -x 100 -y 30
	wait_tmux_screen "BANDWIDTH"
}

@test "snitch-view shows the same screens on a PostgreSQL log" {
	load pg_helpers
	pg_start
	pg_store_schema
	store_fixture
	store_fixture "$PG_URI"
	[[ "$(pg_sql 'SELECT SUM(events) FROM connections')" == 68 ]] || fail "store did not write all events to PostgreSQL"
	local s
	for s in exe name sha256 parent domain ip port user time; do
		diff <(view_print --screen "$s" --sort name) \
			<(snitch-view --config "$CONF" --db "$PG_URI" --print --screen "$s" --sort name) \
			|| fail "screen $s differs between SQLite and PostgreSQL"
	done
	local pv=(snitch-view --config "$CONF" --db "$PG_URI" --print)
	for s in new conn; do
		diff <(view_print --screen "$s" --format json) <("${pv[@]}" --screen "$s" --format json) \
			|| fail "screen $s differs between SQLite and PostgreSQL"
	done
	diff <(view_print --screen new --range 1d --now $T --period 1) <("${pv[@]}" --screen new --range 1d --now $T --period 1) || fail "new, 1d back"
	# numbers bound as numbers: a BIGINT parameter on PostgreSQL
	run -0 --separate-stderr "${pv[@]}" --screen exe --filter time=1794827160
	assert_line --index 1 --regexp '^ +5 +1000 +1000 .* /usr/bin/curl$'
	diff <(view_print --filter port=443 --range 30d --now $((T + 100))) <("${pv[@]}" --filter port=443 --range 30d --now $((T + 100))) || fail "port filter"
	diff <(view_print --screen conn --filter user=root --format csv) <("${pv[@]}" --screen conn --filter user=root --format csv) || fail "user filter"
	run -0 --separate-stderr snitch-view --config "$CONF" --db "$PG_URI" --print --filter exe=/usr/bin/curl --screen domain --range 1d --now $T
	assert_equal "${#lines[@]}" 3
	assert_line --index 1 --regexp '^ +1 +300 +700 .* example\.org$'
	assert_line --index 2 --regexp '^ +5 +150 +3000 .* example\.com$'
	run -0 --separate-stderr snitch-view --config "$CONF" --db "$PG_URI" --print --detail /usr/bin/curl
	assert_line --index 1 'sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa  found: 0 malicious, 1 suspicious'
	# first and last seen from the edge rows, as SQLite finds them (curl: two days apart)
	for s in /usr/bin/curl /usr/lib/firefox/firefox /usr/bin/ssh; do
		diff <(view_print --detail "$s") <("${pv[@]}" --detail "$s") || fail "detail of $s differs between SQLite and PostgreSQL"
	done
	assert_equal "$(view_print --detail /usr/bin/curl | grep seen)" "first seen: 2026-11-16 11:06:40
last seen: 2026-11-18 11:07:10"
	start_view --db "$PG_URI"
	wait_tmux_screen "/usr/bin/curl"
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 11 1.4 KiB 4.6 KiB"
}

@test "snitch-view on PostgreSQL: the rollup of several hosts, late rows and rows past a host's mark give the full scan's numbers" {
	load pg_helpers
	pg_start
	pg_store_schema
	store_fixture
	store_fixture "$PG_URI"
	# late and out of order, from another host
	jq -c '.time -= 172800' "$FIXTURE" | tac >"$BATS_TEST_TMPDIR/late.jsonl"
	snitch-store --config "$CONF" --db "$DB" -q <"$BATS_TEST_TMPDIR/late.jsonl"
	snitch-store --config "$CONF" --db "$PG_URI" --host-id other -q <"$BATS_TEST_TMPDIR/late.jsonl"
	# a store killed before it rolled its rows up: they stay past its mark
	jq -c '.time -= 86400' "$FIXTURE" >"$BATS_TEST_TMPDIR/killed.jsonl"
	snitch-store --config "$CONF" --db "$DB" -q <"$BATS_TEST_TMPDIR/killed.jsonl"
	mkfifo "$BATS_TEST_TMPDIR/in"
	snitch-store --config "$CONF" --db "$PG_URI" --host-id killed -q -w 0.1 <"$BATS_TEST_TMPDIR/in" 3>&- &
	BG_PIDS+=("$!")
	exec 5>"$BATS_TEST_TMPDIR/in"
	cat "$BATS_TEST_TMPDIR/killed.jsonl" >&5
	wait_for_output 30 68 pg_sql "SELECT SUM(events) FROM connections WHERE host = 'killed'" || true
	kill -9 "${BG_PIDS[0]}"
	exec 5>&-
	assert_equal "$(pg_sql "SELECT SUM(events) FROM connections WHERE host = 'killed' AND seq > 0")" 68
	assert_equal "$(pg_sql "SELECT COALESCE(SUM(events), 0) FROM rollup WHERE host = 'killed'")" 0
	assert [ "$(pg_sql "SELECT SUM(events) FROM rollup WHERE host = 'other' AND dim = 1")" -gt 0 ]
	local s r p
	for s in exe name sha256 parent domain ip port user; do
		for r in all 30d 3d; do
			for p in 0 1; do
				diff <(view_print --screen "$s" --range "$r" --period "$p" --now $((T + 100)) --sort name) \
					<(snitch-view --config "$CONF" --db "$PG_URI" --print --screen "$s" --range "$r" --period "$p" --now $((T + 100)) --sort name) \
					|| fail "screen $s, range $r, period $p differs between SQLite and PostgreSQL"
			done
		done
	done
}

@test "snitch-view --live shows per-process rates from stdin and takes keys from the terminal" {
	require_tmux
	local fifo="$BATS_TEST_TMPDIR/live" now
	mkfifo "$fifo"
	tmux -L "$TMUX_SOCK" new-session -d -x 100 -y 30 -s view \
		"env TZ=UTC LANG=C.UTF-8 $BUILD_DIR/bin/snitch-view --live --rate-window 3600 <$fifo; echo view-exited=\$?; sleep 60" 3>&-
	exec 5>"$fifo"
	now=$(date +%s)
	printf '{"type":"flow","time":%s,"pid":4242,"comm":"curl","exe":"/usr/bin/curl","sent":300000,"recv":700000,"events":2}\n' "$now" >&5
	printf '{"type":"flow","time":%s,"pid":4242,"comm":"curl","exe":"/usr/bin/curl","sent":60000,"recv":20000,"events":1}\n' "$now" >&5
	printf 'not json\n' >&5
	printf '{"type":"flow","time":%s,"pid":77,"comm":"ev\\u001b[31mil","exe":"/tmp/x\\u001b[2J","sent":36,"recv":0}\n' "$now" >&5
	wait_tmux_screen "4 lines, 1 unreadable" 20
	wait_tmux_screen "2 processes"
	# 360000 and 720000 bytes over a 3600 s window
	assert_equal "$(tmux_screen | grep -F /usr/bin/curl | tr -s ' ' | sed 's/^ //')" "4242 curl 100 B/s 200 B/s 351.6 KiB 703.1 KiB █ /usr/bin/curl"
	assert_equal "$(tmux_screen | grep -F '/tmp/x' | tr -s ' ' | sed 's/^ //')" '77 ev\e[31mil 0 B/s 0 B/s 36 B 0 B ▁ /tmp/x\e[2J'
	exec 5>&-
	wait_tmux_screen "input ended"
	keys q
	wait_tmux_screen "view-exited=0"
}

@test "snitch-view escapes bidi overrides and shows wide characters whole" {
	printf '{"type":"flow","time":%s.5,"pid":9,"uid":5,"comm":"x","exe":"/usr/bin/\\u202egnp.exe","cmdline":"x","raddr":"10.0.0.1","rport":1,"domain":"\\u4e2d\\u6587.example","sent":7,"recv":9,"events":1}\n' "$T" \
		| snitch-store --config "$CONF" --db "$DB" -q
	run -0 --separate-stderr view_print --screen exe
	assert_line --index 1 --regexp ' /usr/bin/\\u202egnp\.exe$'
	run -0 --separate-stderr view_print --screen domain
	assert_line --index 1 --regexp ' 中文\.example$'
}

@test "snitch-view TUI moves with End, Home, PgDn, PgUp and r reloads what the store wrote since" {
	head -3 "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q
	start_view --db "$DB"
	wait_tmux_screen "| 1 row"
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 6 450 B 3.6 KiB"
	tail -n +4 "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q
	keys r
	wait_tmux_screen "5 rows"
	assert_equal "$(screen_row /usr/bin/curl)" "/usr/bin/curl 11 1.4 KiB 4.6 KiB"
	keys End
	wait_tmux_screen '> /tmp/\e[2Jevil\nname'
	keys Home
	wait_tmux_screen "> /usr/lib/firefox/firefox"
	keys PageDown
	wait_tmux_screen '> /tmp/\e[2Jevil\nname'
	keys PageUp
	wait_tmux_screen "> /usr/lib/firefox/firefox"
	keys Down
	wait_tmux_screen "> /usr/bin/ssh"
	wait_tmux_screen "Host names of /usr/bin/ssh"
}

@test "snitch-view answers long ranges from the rollup with the full scan's numbers, late rows included" {
	store_fixture
	# late and out of order, in later runs: the fixture again 2 and 40 days back, newest first
	jq -c '.time -= 172800' "$FIXTURE" | tac | snitch-store --config "$CONF" --db "$DB" -q
	jq -c '.time -= 3456000' "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q -w 0
	# and a day back from a store still running: rows past the rollup's mark
	mkfifo "$BATS_TEST_TMPDIR/in"
	snitch-store --config "$CONF" --db "$DB" -q -w 0.1 <"$BATS_TEST_TMPDIR/in" 3>&- &
	BG_PIDS+=("$!")
	exec 5>"$BATS_TEST_TMPDIR/in"
	jq -c '.time -= 86400' "$FIXTURE" >&5
	local past="SELECT SUM(events) FROM connections WHERE rowid > (SELECT hwm FROM rollup_state)"
	wait_for_output 30 68 sqlite3 "$DB" "$past" || true
	assert_equal "$(sqlite3 "$DB" "$past")" 68
	# the full scan's answer: a copy without the rollup
	local raw="$BATS_TEST_TMPDIR/raw.db" s r p
	sqlite3 "$DB" ".backup '$raw'"
	sqlite3 "$raw" 'DROP TABLE rollup; DROP TABLE rollup_state'
	for s in exe name sha256 parent domain ip port user; do
		for r in all 365d 30d 7d 3d; do
			for p in 0 1; do
				diff <(view_print --screen "$s" --range "$r" --period "$p" --now $((T + 100))) \
					<(snitch-view --config "$CONF" --db "$raw" --print --screen "$s" --range "$r" --period "$p" --now $((T + 100))) \
					|| fail "screen $s, range $r, period $p differs from the full scan"
			done
		done
	done
	# four copies of the fixture's curl events
	assert_equal "$(print_row /usr/bin/curl)" "44 5800 18800"
	# and it is the rollup that answers
	sqlite3 "$DB" "UPDATE rollup SET events = events + 1000 WHERE dim = 1"
	[[ "$(print_row /usr/bin/curl)" != "44 5800 18800" ]] || fail "range all did not read the rollup"
	exec 5>&-
	wait "${BG_PIDS[0]}"
	BG_PIDS=()
}

# "KEY|EVENTS|SENT|RECEIVED" of each row of a --print screen, sorted.
print_sums() { # ARGS...
	view_print --format jsonl "$@" | jq -r '[.[keys_unsorted[-1]], .events, .sent, .received] | map(tostring) | join("|")' | sort
}

# The same sums straight from the rows (the documented view), with
# last_time in [FROM, TO) (TO 0: unbounded) and the rows' exe in EXE ("": all).
sql_sums() { # COLUMN FROM TO EXE
	local where="last_time >= $2"
	[[ $3 == 0 ]] || where+=" AND last_time < $3"
	[[ -z $4 ]] || where+=" AND exe_id IN (SELECT id FROM processes WHERE exe = '$4')"
	sqlite3 "$DB" "SELECT COALESCE($1, ''), SUM(events), SUM(sent), SUM(recv) FROM connections WHERE $where GROUP BY 1" | sort
}

@test "snitch-view's lower pane and filtered screens give the rows' own sums over ranges with partial edge days" {
	store_fixture
	# copies a day and more back, some straddling a range's first or last second
	local shift
	for shift in 86400 172800 $((259200 - 50)) $((604800 - 50)) 864000 $((2592000 - 50)) 3456000; do
		jq -c ".time -= $shift | .start -= $shift" "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q
	done
	assert_equal "$(sqlite3 "$DB" 'SELECT hwm = (SELECT MAX(rowid) FROM connections) FROM rollup_state')" 1
	local now=$((T + 100)) span p from to col screen exe checked=0
	for span in 259200 604800 2592000; do
		for p in 0 1; do
			from=$((now - span * (p + 1))) to=$((p > 0 ? now - span * p : 0))
			for screen in domain:domain ip:raddr port:rport exe:exe; do
				col=${screen#*:} screen=${screen%%:*}
				[[ $col != exe ]] || col="(SELECT exe FROM processes WHERE id = exe_id)"
				for exe in "" /usr/bin/curl /usr/lib/firefox/firefox; do
					[[ -z $exe || $screen != exe ]] || continue
					local args=(--screen "$screen" --range "${span}s" --period "$p" --now "$now")
					[[ -z $exe ]] || args+=(--filter "exe=$exe")
					diff <(print_sums "${args[@]}") <(sql_sums "$col" "$from" "$to" "$exe") \
						|| fail "${args[*]} differs from the rows' sums"
					checked=$((checked + 1))
				done
			done
		done
	done
	assert_equal "$checked" 60
	# the TUI's lower pane: curl's rows by host name over the last 3 days
	start_view --db "$DB" --range 3d --now "$now"
	keys / c u r l Enter
	wait_tmux_screen "Host names of /usr/bin/curl"
	local want
	want=$(sqlite3 "$DB" "SELECT SUM(events) FROM connections WHERE domain = 'example.com' AND last_time >= $((now - 259200))
		AND exe_id IN (SELECT id FROM processes WHERE exe = '/usr/bin/curl')")
	assert_equal "$(screen_row example.com | cut -d' ' -f2)" "$want"
}

# "KEY|EVENTS|SENT|RECEIVED|LAST_MS" of each row of a --print screen, sorted.
print_sums_last() { # ARGS...
	view_print --format jsonl "$@" |
		jq -r '[.[keys_unsorted[-1]], .events, .sent, .received, (.last_seen * 1000 | round)] | map(tostring) | join("|")' | sort
}

# The same from the rows (the documented view): the domains of the rows
# with last_time >= FROM (0: all) matching WHERE.
sql_domain_sums() { # FROM WHERE
	sqlite3 "$DB" "SELECT domain, SUM(events), SUM(sent), SUM(recv), MAX(time_ms) FROM connections
		WHERE last_time >= $1 AND $2 GROUP BY 1" | sort
}

@test "snitch-view's lower pane of long ranges (rollup_pairs) and the hourly rollup give the rows' sums: late rows, rows past its mark, a domain through two peers" {
	store_fixture
	local shift flows='select(.type == "flow")'
	# late and out of order, some straddling a range's first second
	for shift in 86400 $((259200 - 50)) 172800 $((2592000 - 50)) 864000 3456000; do
		jq -c "$flows | .time -= $shift | .start -= $shift" "$FIXTURE" | tac | snitch-store --config "$CONF" --db "$DB" -q
	done
	# example.com through another address, in a later run, on a day whose pair the rollup already names by the first
	jq -c "$flows | select(.domain == \"example.com\") | .time -= 863000 | .start -= 863000 | .raddr = \"93.184.215.99\"" \
		"$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q
	assert [ "$(sqlite3 "$DB" "SELECT count(*) FROM (SELECT r.context_id FROM rollup_pairs r JOIN peers p ON p.id = r.domain_id
		WHERE p.domain = 'example.com' GROUP BY r.context_id, r.day HAVING count(*) > 1)")" -ge 1 ]
	# rows past rollup_pairs' mark: a store killed before its roll-up, 4 days back and within today
	mkfifo "$BATS_TEST_TMPDIR/in"
	snitch-store --config "$CONF" --db "$DB" -q -w 0.1 <"$BATS_TEST_TMPDIR/in" 3>&- &
	local store=$!
	exec 5>"$BATS_TEST_TMPDIR/in"
	jq -c "$flows | .time -= 345600 | .start -= 345600" "$FIXTURE" >&5
	jq -c "$flows | .time += 5 | .start += 5" "$FIXTURE" >&5
	local past="SELECT count(*) FROM connection_rows WHERE id > (SELECT pairs_hwm FROM rollup_state)"
	wait_for_output 30 18 sqlite3 "$DB" "$past" || true
	kill -KILL "$store"
	wait "$store" || true
	exec 5>&-
	assert_equal "$(sqlite3 "$DB" "$past")" 18
	local now=$((T + 100)) range from filter where checked=0
	for range in all:0 30d:$((now - 2592000)) 3d:$((now - 259200)) 1d:$((now - 86400)); do
		from=${range#*:} range=${range%%:*}
		for filter in "exe=/usr/bin/curl" "exe=/usr/lib/firefox/firefox" "name=curl" "parent=/usr/bin/bash" "user=1000"; do
			case $filter in
			exe=* | name=*) where="exe_id IN (SELECT id FROM processes WHERE ${filter%%=*} = '${filter#*=}')" ;;
			parent=*) where="parent_id IN (SELECT id FROM processes WHERE exe = '${filter#*=}')" ;;
			user=*) where="uid = ${filter#*=}" ;;
			esac
			diff <(print_sums_last --screen domain --filter "$filter" --range "$range" --now "$now") <(sql_domain_sums "$from" "$where") \
				|| fail "the lower pane, --filter $filter --range $range, differs from the rows' sums"
			checked=$((checked + 1))
		done
	done
	assert_equal "$checked" 20
	# the empty domain, and example.com once though two peers name it
	assert_equal "$(print_sums_last --screen domain --filter user=1000 --range all --now "$now" | cut -d'|' -f1 | grep -c '^example.com$')" 1
	print_sums_last --screen domain --filter user=1000 --range all --now "$now" | grep -q '^|'
	# and it is rollup_pairs that answers ranges of days, not shorter ones
	local before1d; before1d=$(print_sums_last --screen domain --filter user=1000 --range 1d --now "$now")
	sqlite3 "$DB" "UPDATE rollup_pairs SET events = events + 1000"
	[[ "$(print_sums_last --screen domain --filter user=1000 --range 30d --now "$now")" != "$(sql_domain_sums $((now - 2592000)) "uid = 1000")" ]] \
		|| fail "range 30d did not read rollup_pairs"
	assert_equal "$(print_sums_last --screen domain --filter user=1000 --range 1d --now "$now")" "$before1d"
	# the process screens of ranges under two days: whole hours from the hourly rollup, the same rows' sums;
	# rows in a whole hour of 3d's first, partial day
	jq -c "$flows | .time -= $((259200 - 7200)) | .start -= $((259200 - 7200))" "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q
	checked=0
	for range in 1d:$((now - 86400)) 12h:$((now - 43200)) 3h:$((now - 10800)) 2h:$((now - 7200)) 1h:$((now - 3600)) \
		3d:$((now - 259200)) 30d:$((now - 2592000)); do
		from=${range#*:} range=${range%%:*}
		for filter in exe name sha256; do
			diff <(print_sums_last --screen "$filter" --range "$range" --now "$now") <(sql_process_sums "$filter" "$from") \
				|| fail "the $filter screen, --range $range, differs from the rows' sums"
			checked=$((checked + 1))
		done
	done
	assert_equal "$checked" 21
	sqlite3 "$DB" "UPDATE rollup SET events = events + 1000 WHERE dim = 7"
	[[ "$(print_sums_last --screen exe --range 1d --now "$now")" != "$(sql_process_sums exe $((now - 86400)))" ]] \
		|| fail "range 1d did not read the hourly rollup"
	# and ranges of days read it for their partial edge days
	[[ "$(print_sums_last --screen exe --range 3d --now "$now")" != "$(sql_process_sums exe $((now - 259200)))" ]] \
		|| fail "range 3d did not read the hourly rollup for its edge days"
}

# The same for a process screen: the rows' sums per processes COLUMN.
sql_process_sums() { # COLUMN FROM
	sqlite3 "$DB" "SELECT p.$1, SUM(c.events), SUM(c.sent), SUM(c.recv), MAX(c.time_ms) FROM connections c
		JOIN processes p ON p.id = c.exe_id WHERE c.last_time >= $2 GROUP BY 1" | sort
}

# One event of a program with a long path and a formula for a name.
long_path_event() { # TIME
	printf '{"type":"flow","time":%s,"start":%s,"pid":77,"uid":0,"comm":"=HYPERLINK(1)","exe":"/opt/vendor/toolchains/versions/3.11.7/bin/python3","cmdline":"-c x, \\"y\\"","raddr":"10.1.2.3","rport":8443,"domain":"pypi.example","proto":"tcp","sent":5,"recv":6,"events":1}\n' "$1" "$1"
}

@test "snitch-view --filter time= and port= match rows (numbers bound as numbers); bad values exit 2" {
	store_fixture
	# was: 0 rows (a text parameter against the computed minute)
	run -0 --separate-stderr view_print --screen exe --filter time=1794827160
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --regexp '^ +5 +1000 +1000 .* /usr/bin/curl$'
	# the minute as --print shows it, in local time
	assert_equal "$(print_row /usr/bin/curl --filter 'time=2026-11-16 11:06')" "5 1000 1000"
	# within 30 days the time index is preferred: was 0 rows for a port
	want=$(sqlite3 "$DB" "SELECT SUM(events) || ' ' || SUM(sent) || ' ' || SUM(recv) FROM connection_log WHERE rport = 443 AND exe = '/usr/lib/firefox/firefox'")
	assert_equal "$(print_row /usr/lib/firefox/firefox --filter port=443 --range 30d --now $((T + 100)))" "$want"
	assert_equal "$(print_row /usr/bin/curl --filter user=root --screen exe)" ""
	assert_equal "$(print_row 6667 --filter user=root --screen port)" "1 10 20"
	run -2 --separate-stderr view_print --filter time=bogus
	[[ "$stderr" == *"time=bogus: not a time"* ]] || fail "$stderr"
	run -2 --separate-stderr view_print --filter port=http
	run -2 --separate-stderr view_print --filter port=70000
	run -2 --separate-stderr view_print --filter user=no-such-user-here
	run -2 --separate-stderr view_print --filter new=x
}

@test "snitch-view --range takes any number with s, m, h, d or w" {
	store_fixture
	assert_equal "$(print_row /usr/bin/curl --range 2h --now $((T + 100)))" "6 450 3700"
	assert_equal "$(print_row /usr/bin/curl --range 2w --now $((T + 100)))" "11 1450 4700"
	assert_equal "$(print_row /usr/bin/curl --range 1.5d --now $((T + 100)))" "6 450 3700"
	assert_equal "$(print_row /usr/bin/curl --range 60s --now $((T + 100)))" ""
	assert_equal "$(print_row /usr/bin/ssh --range 60s --now $((T + 100)))" "10 5000 7000"
	assert_equal "$(print_row /usr/bin/curl --range 90s --now $((T + 100)))" "6 450 3700"
	local r
	for r in 2x 1e3s infh h 1..5d -1h 0h; do
		run -2 --separate-stderr view_print --range "$r"
		[[ "$stderr" == *"bad time range"* ]] || fail "--range $r: $stderr"
	done
}

@test "snitch-view --print --screen new lists first sightings newest first over a range" {
	store_fixture
	run -0 --separate-stderr view_print --screen new --format csv
	assert_line --index 0 "first_seen,kind,value,exe"$'\r'
	# every executable once, at its first event, as the processes table has it
	assert_equal "$(view_print --screen new --format jsonl | jq -r 'select(.kind == "exe") | "\(.first_seen) \(.exe)"')" \
		"$(sqlite3 "$DB" "SELECT MIN(first_seen) || ' ' || exe FROM processes GROUP BY exe ORDER BY MIN(first_seen) DESC, exe")"
	assert_equal "$(view_print --screen new --format jsonl | jq -c 'select(.kind == "pair" and .value == "example.com")' | jq -s -c 'map(.exe)')" '["/usr/lib/firefox/firefox","/usr/bin/curl"]'
	# each domain at the start of its first flow
	assert_equal "$(view_print --screen new --format jsonl | jq -r 'select(.kind == "domain" and .value == "example.com") | .first_seen')" \
		"$(sqlite3 "$DB" "SELECT CAST(MIN(first_time) AS INTEGER) FROM connections WHERE domain = 'example.com'")"
	# newest first
	view_print --screen new --format json | jq -e '[.[].first_seen] as $t | $t == ($t | sort | reverse)'
	# a range keeps only what was first seen in it: curl's domains of two days before drop out
	run -0 --separate-stderr view_print --screen new --range 1d --now $((T + 100))
	assert_line --index 0 --regexp '^FIRST_SEEN +KIND +VALUE +EXECUTABLE$'
	refute_line --regexp ' exe +- +/usr/bin/curl$'
	refute_line --regexp 'example\.net +/usr/bin/curl$'
	assert_line --regexp '^2026-11-18 11:07:10 pair +example\.org +/usr/bin/curl$'
	run -0 --separate-stderr view_print --screen new --range 1d --now $T --period 1
	assert_line --regexp '^2026-11-16 11:06:40 exe +- +/usr/bin/curl$'
	assert_line --regexp '^2026-11-16 11:06:40 pair +example\.net +/usr/bin/curl$'
	# a new binary at a known path is news
	printf '{"type":"flow","time":%s,"pid":1,"uid":0,"comm":"curl","exe":"/usr/bin/curl","cmdline":"curl https://example.com","domain":"example.com","sent":1,"recv":1,"events":1,"sha256":"%s"}\n' $((T + 200)) "$(printf 'f%.0s' {1..64})" \
		| snitch-store --config "$CONF" --db "$DB" -q
	run -0 --separate-stderr view_print --screen new --limit 1
	assert_line --index 1 --regexp "^2026-11-18 11:10:00 sha256 f{64} /usr/bin/curl$"
}

@test "snitch-view --print --screen conn lists each connection with the same numbers as the sums" {
	store_fixture
	run -0 --separate-stderr view_print --screen conn --filter exe=/usr/bin/curl
	assert_line --index 0 --regexp '^LAST_SEEN +EVENTS +SENT +RECEIVED +PROTO +PORT +ADDRESS +DOMAIN +PID +USER +EXECUTABLE$'
	assert_equal "${#lines[@]}" "$(( $(sqlite3 "$DB" "SELECT COUNT(*) FROM connection_log WHERE exe = '/usr/bin/curl'") + 1 ))"
	assert_line --index 1 --regexp '^2026-11-18 11:07:10 +1 +300 +700 tcp +80 93\.184\.216\.34 +example\.org +101 .* /usr/bin/curl$'
	# the rows add up to the screen's sums, in every format
	sum=$(view_print --screen conn --filter exe=/usr/bin/curl --format json | jq -r 'map(.events) as $e | map(.sent) as $s | map(.received) as $r | "\($e | add) \($s | add) \($r | add)"')
	assert_equal "$sum" "$(print_row /usr/bin/curl)"
	sum=$(view_print --screen conn --format jsonl | jq -s -r 'map(.sent) | add')
	assert_equal "$sum" "$(sqlite3 "$DB" 'SELECT SUM(sent) FROM connections')"
	# one connection whole: parent, user, command, local side
	view_print --screen conn --filter exe=/usr/bin/curl --limit 1 --format jsonl | jq -e \
		'.parent_exe == "/usr/bin/bash" and .parent_name == "bash" and .uid == 1000 and .cmdline == "curl http://example.org"
		 and .laddr == "192.168.0.2" and .lport == 40101 and .first_time == 1795000030 and .last_time == 1795000030.5'
	# newest first, and filters and ranges as on the other screens
	view_print --screen conn --format json | jq -e '[.[].last_time] as $t | $t == ($t | sort | reverse)'
	assert_equal "$(view_print --screen conn --filter domain=example.com --filter port=443 --format jsonl | wc -l)" \
		"$(sqlite3 "$DB" "SELECT COUNT(*) FROM connections WHERE domain = 'example.com' AND rport = 443")"
	assert_equal "$(view_print --screen conn --range 1d --now $T --period 1 --format jsonl | jq -r .exe)" /usr/bin/curl
	assert_equal "$(view_print --screen conn --search firefox --limit 2 --format jsonl | jq -r .exe | sort -u)" /usr/lib/firefox/firefox
}

@test "snitch-view --print --format csv, json and jsonl give every screen's table numbers" {
	store_fixture
	long_path_event $((T + 5)) | snitch-store --config "$CONF" --db "$DB" -q
	local s key
	for s in exe name sha256 parent domain ip port user time cmdline; do
		local f=()
		[[ $s != cmdline ]] || f=(--filter name=curl)
		# the table's EVENTS SENT RECEIVED columns, row for row
		want=$(view_print --screen "$s" "${f[@]}" | awk 'NR > 1 { print $1, $2, $3 }')
		assert_equal "$(view_print --screen "$s" "${f[@]}" --format jsonl | jq -r '"\(.events) \(.sent) \(.received)"')" "$want"
		assert_equal "$(view_print --screen "$s" "${f[@]}" --format json | jq -r '.[] | "\(.events) \(.sent) \(.received)"')" "$want"
		assert_equal "$(view_print --screen "$s" "${f[@]}" --format csv | tail -n +2 | cut -d, -f1-3 | tr ',' ' ' | tr -d '\r')" "$want"
		# integers are JSON numbers; the key is named by the screen
		key=$s; [[ $s != user ]] || key=uid
		view_print --screen "$s" "${f[@]}" --format json | jq -e --arg k "$key" \
			'all(.[]; (.events | type) == "number" and (.sent | type) == "number" and (.last_seen | type) == "number" and has($k))'
	done
	view_print --screen port --format json | jq -e 'all(.[]; (.port | type) == "number")'
	view_print --screen user --format json | jq -e '.[] | select(.uid == 0) | .user == "root"'
	# text is exact in JSON, escaped in CSV, and a formula is not a formula
	view_print --screen exe --format json | jq -e 'any(.[]; .exe == "/tmp/\u001b[2Jevil\nname")'
	run -0 --separate-stderr view_print --screen name --format csv
	assert_line "1,5,6,$(date -u -d @$((T + 5)) +%s),'=HYPERLINK(1)"$'\r'
	refute_output --partial $'\e'
	run -0 --separate-stderr view_print --screen cmdline --filter name='=HYPERLINK(1)' --format csv
	assert_line --index 1 "1,5,6,$((T + 5)),\"'-c x, \"\"y\"\"\""$'\r'
	# the detail panel too
	view_print --detail /usr/bin/curl --format json | jq -e '.[0] == {"field":"exe","value":"/usr/bin/curl","verdict":null} and .[1].verdict == "found: 0 malicious, 1 suspicious"'
	run -2 --separate-stderr view_print --format xml
	[[ "$stderr" == *"unknown format 'xml'"* ]] || fail "$stderr"
}

@test "snitch-view says where the log is expected when it is missing and names a file that is not a database" {
	run -1 --separate-stderr snitch-view --print --db "$BATS_TEST_TMPDIR/missing.db"
	assert_equal "$stderr" "snitch-view: $BATS_TEST_TMPDIR/missing.db: no database here: nothing has been logged yet (snitch-store creates it when it stores the first event: sudo picosnitch start; or give another with --db)"
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/junk.db"
	run -1 --separate-stderr snitch-view --print --db "$BATS_TEST_TMPDIR/junk.db"
	assert_equal "$stderr" "snitch-view: $BATS_TEST_TMPDIR/junk.db: not a snitch-store database (prepare: file is not a database)"
	# the default place comes from the config directory
	run -1 --separate-stderr snitch-view --print --config "$CONF"
	[[ "$stderr" == *"/snitch.db: no database here: nothing has been logged yet"* ]] || fail "$stderr"
}

@test "snitch-view TUI: What's new, then a sighting's connections with one connection in the detail panel" {
	store_fixture
	start_view --db "$DB" --screen new
	wait_tmux_screen "What's new (10/11)"
	wait_tmux_screen "FIRST SEEN     NEW    WHAT"
	wait_tmux_screen "> 11-18 11:08:00 exe    /usr/bin/ssh"
	# down to curl's pair with example.org, then enter
	local i
	for ((i = 0; i < 30; i++)); do
		tmux_screen | grep -q '^> .* pair   example.org  /usr/bin/curl' && break
		keys Down
		sleep 0.1
	done
	keys Enter
	wait_tmux_screen "filters: exe=/usr/bin/curl > domain=example.org"
	wait_tmux_screen "snitch-view | Connections ("
	wait_tmux_screen "| 1 row"
	wait_tmux_screen "> 11-18 11:07:10    80      300 B      700 B example.org"
	wait_tmux_screen "Connection: /usr/bin/curl at 2026-11-18 11:07:10"
	wait_tmux_screen "command: curl http://example.org  (name curl, pid 101)"
	wait_tmux_screen "started by bash (/usr/bin/bash)  user "
	wait_tmux_screen "tcp to 93.184.216.34:80 (example.org) from 192.168.0.2:40101  ipv4"
	wait_tmux_screen "sent 300 B (300 B)  received 700 B (700 B)  events 1"
	# backspace twice: back to What's new
	keys BSpace
	wait_tmux_screen "filters: exe=/usr/bin/curl"
	keys BSpace
	wait_tmux_screen "filters: none"
}

@test "snitch-view TUI: the Connection time screen drills into a minute; / starts empty; backspace keeps the selection" {
	store_fixture
	start_view --db "$DB" --screen time
	wait_tmux_screen "> 2026-11-18 11:07:00"
	keys End
	# the first event is in its own minute, not merged into the next one's row
	wait_tmux_screen "> 2026-11-18 11:06:00"
	wait_tmux_screen "Executables of 2026-11-18 11:06:00"
	assert_equal "$(screen_row '/usr/bin/curl')" "/usr/bin/curl 3 100 B 2.0 KiB"
	keys Up
	wait_tmux_screen "> 2026-11-16 11:06:00"
	# the lower pane breaks the minute down: was always empty
	wait_tmux_screen "Executables of 2026-11-16 11:06:00"
	assert_equal "$(screen_row '/usr/bin/curl')" "/usr/bin/curl 5 1000 B 1000 B"
	keys Enter
	wait_tmux_screen "filters: time=2026-11-16 11:06:00"
	wait_tmux_screen "> /usr/bin/curl"
	# backspace returns to the minute that was selected, not to row 1
	keys BSpace
	wait_tmux_screen "> 2026-11-16 11:06:00"
	keys / 1 6 Enter
	wait_tmux_screen "search: 16"
	wait_tmux_screen "| 1 row"
	# / opens empty: enter clears the search
	keys /
	sleep 0.3
	[[ "$(tmux_screen | tail -1)" == "/" ]] || { tmux_screen >&2; fail "the search prompt was pre-filled"; }
	keys Enter
	wait_tmux_screen "| 4 rows"
	! tmux_screen | grep -qF "search:" || fail "search not cleared"
	# d: the bytes as a bar chart, 2 days in 99 columns of 30 minutes
	keys d
	wait_tmux_screen "Bytes per 30 minutes, sent + received: highest 6.0 MiB"
	[[ "$(tmux_screen | sed -n 29p)" == "2026-11-16 11:06:00 "*" 2026-11-18 11:08:00" ]] || { tmux_screen >&2; fail "no time axis"; }
	# the first minute's 2000 bytes: one eighth; the last columns: full height
	[[ "$(tmux_screen | sed -n 28p)" =~ ^▁\ +.*█$ ]] || { tmux_screen >&2; fail "bars"; }
	[[ "$(tmux_screen | sed -n 23p)" =~ ^\ +█+$ ]] || { tmux_screen >&2; fail "top of the tallest bar"; }
}

@test "snitch-view TUI at 80 columns cuts long paths in the middle, keeping the program's name" {
	long_path_event $((T + 5)) | snitch-store --config "$CONF" --db "$DB" -q
	store_fixture
	start_view --db "$DB" --sort name
	tmux -L "$TMUX_SOCK" resize-window -t view -x 80 -y 24
	wait_tmux_screen "~/bin/python3 "
	local row
	row=$(tmux_screen | grep -F 'python3' | head -1)
	[[ "$row" == *"/opt/vendor/"*"~"*"/bin/python3 "* ]] || fail "cut: $row"
	assert_equal "$(tmux_screen | awk '{ if (length($0) > m) m = length($0) } END { print m <= 80 }')" 1
}

@test "snitch-view TUI: both panes show one state of the database while the store writes" {
	head -3 "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q
	start_view --db "$DB"
	wait_tmux_screen "Host names of /usr/bin/curl"
	assert_equal "$(screen_row '> /usr/bin/curl')" "/usr/bin/curl 6 450 B 3.6 KiB"
	# the store writes more; a pane fetched now must not show newer numbers than the list
	tail -n +4 "$FIXTURE" | jq -c 'select(.exe == "/usr/bin/curl")' | snitch-store --config "$CONF" --db "$DB" -q
	keys s
	wait_tmux_screen "Host IPs of /usr/bin/curl"
	sleep 0.3
	assert_equal "$(screen_row '> /usr/bin/curl')" "/usr/bin/curl 6 450 B 3.6 KiB"
	local pane
	pane=$(tmux_screen | sed -n '/Host IPs of/,$p' | awk '$2 ~ /^[0-9]+$/ { n += $2 } END { print n }')
	assert_equal "$pane" 6
	# idle past the snapshot: the next pane refreshes the list with it
	sleep 5.5
	keys S
	wait_tmux_screen "Host names of /usr/bin/curl"
	assert_equal "$(screen_row '> /usr/bin/curl')" "/usr/bin/curl 11 1.4 KiB 4.6 KiB"
	pane=$(tmux_screen | sed -n '/Host names of/,$p' | awk '$2 ~ /^[0-9]+$/ { n += $2 } END { print n }')
	assert_equal "$pane" 11
}

@test "snitch-view --live: with a terminal on stdin it says to pipe events in and q quits; other stages' stderr is wiped" {
	require_tmux
	tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 30 -s view \
		"env TZ=UTC LANG=C.UTF-8 $BUILD_DIR/bin/snitch-view --live; echo view-exited=\$?; sleep 60" 3>&-
	wait_tmux_screen "no events: stdin is a terminal; pipe them in"
	keys q
	wait_tmux_screen "view-exited=0"
	tmux -L "$TMUX_SOCK" kill-server
	TMUX_SOCK=${TMUX_SOCK}-b
	tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 30 -s view \
		"(sleep 1; echo UPSTREAM-SAYS-READY >&2; while sleep 0.2; do echo; done) | env TZ=UTC LANG=C.UTF-8 $BUILD_DIR/bin/snitch-view --live; echo view-exited=\$?; sleep 60" 3>&-
	wait_tmux_screen "snitch-view --live"
	# written at 1 s; the next repaint (every 0.5 s) wipes it
	sleep 2.5
	! tmux_screen | grep -qF UPSTREAM-SAYS-READY || { tmux_screen >&2; fail "stderr stayed on the screen"; }
	wait_tmux_screen " q quit"
	keys Escape
	wait_tmux_screen "view-exited=0"
}

@test "snitch-view --live sorts by rate or total, searches, and shows each row's last minute" {
	require_tmux
	local fifo="$BATS_TEST_TMPDIR/live" now
	mkfifo "$fifo"
	tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 30 -s view \
		"env TZ=UTC LANG=C.UTF-8 $BUILD_DIR/bin/snitch-view --live --rate-window 5 <$fifo; echo view-exited=\$?; sleep 60" 3>&-
	exec 5>"$fifo"
	printf '{"type":"flow","time":1,"pid":11,"comm":"big","exe":"/usr/bin/big","sent":1000000,"recv":0}\n' >&5
	wait_tmux_screen "| 1 line |"
	sleep 6
	printf '{"type":"flow","time":2,"pid":22,"comm":"small","exe":"/usr/bin/small","sent":10,"recv":0}\n' >&5
	wait_tmux_screen "2 lines"
	wait_tmux_screen "sort: rate"
	# big's bytes are older than the 5 s window: small has the higher rate
	[[ "$(tmux_screen | sed -n 3p)" == *" small "* ]] || { tmux_screen >&2; fail "not by rate"; }
	# the last minute: big's megabyte a full block some 6 s back, small's 10 bytes the lowest
	[[ "$(tmux_screen | grep -F /usr/bin/big)" =~ █\ +/usr/bin/big ]] || { tmux_screen >&2; fail "big's sparkline"; }
	[[ "$(tmux_screen | grep -F /usr/bin/small)" =~ ▁\ /usr/bin/small ]] || { tmux_screen >&2; fail "small's sparkline"; }
	keys o
	wait_tmux_screen "sort: total"
	[[ "$(tmux_screen | sed -n 3p)" == *" big "* ]] || { tmux_screen >&2; fail "not by total"; }
	keys / s m a Enter
	wait_tmux_screen "search: sma"
	wait_tmux_screen "| 1 process |"
	! tmux_screen | grep -qF /usr/bin/big || fail "search kept big"
	exec 5>&-
	keys q
	wait_tmux_screen "view-exited=0"
}

# COUNT flow events from curl (every 5th from /usr/bin/rare), two at each
# time STEP seconds apart from START (ties on every sort key but the
# rowid), each with its own lport from PORT up, and three domains.
slot_events() { # START COUNT STEP PORT
	head -1 "$FIXTURE" | jq -c --argjson t0 "$1" --argjson n "$2" --argjson step "$3" --argjson port "$4" \
		'. as $e | range(0; $n) | . as $i | $e | .time = ($t0 + (($i / 2) | floor) * $step + 0.5) | .start = (.time - 0.5)
		 | .lport = ($port + $i) | .pid = ($port + $i) | .domain = (["example.com", "example.net", "example.org"][(($i / 2) | floor) % 3])
		 | if $i % 5 == 0 then .exe = "/usr/bin/rare" | .comm = "rare" | .ino = 555 else . end'
}

# The lports of the Connections list, newest first, as a full sort by sqlite3
# gives them: rows of `connections` matching WHERE, the first LIMIT.
sql_conn_ports() { # DB WHERE LIMIT
	sqlite3 "$1" "SELECT c.lport FROM connections c JOIN processes e ON e.id = c.exe_id WHERE $2 ORDER BY c.time_ms DESC,
		c.first_time DESC, e.exe, c.domain, c.raddr, c.rport, c.sent, c.recv, c.host, c.rowid DESC LIMIT $3"
}

@test "snitch-view --print --screen conn: the newest rows through time_slots are a full sort's, late rows and slot counts off included" {
	local now=$((T + 3 * 86400)) db
	# 3 days, a row pair every 216 s; then late rows (a day and 4 days
	# back, stored after the newer ones: old times, high rowids) and new ones
	slot_events $T 2400 216 10000 | snitch-store --config "$CONF" --db "$DB" -q -w 0
	{ slot_events $((T + 86400 + 13)) 40 60 20000; slot_events $((T - 86400)) 30 600 30000; } |
		snitch-store --config "$CONF" --db "$DB" -q -w 0
	slot_events $((T + 3 * 86400 - 3000)) 20 100 40000 | snitch-store --config "$CONF" --db "$DB" -q -w 0
	# the late rows are out of rowid order: their slots' ranges overlap later slots'
	[[ $(sqlite3 "$DB" "SELECT COUNT(*) FROM time_slots a JOIN time_slots b ON b.slot > a.slot AND b.lo < a.hi") -gt 10 ]] ||
		fail "no late rows"
	# copies whose slot counts are far too high (as after retention) and too low
	sqlite3 "$DB" ".backup '$BATS_TEST_TMPDIR/high.db'"
	sqlite3 "$BATS_TEST_TMPDIR/high.db" "UPDATE time_slots SET rows = rows * 50"
	sqlite3 "$DB" ".backup '$BATS_TEST_TMPDIR/low.db'"
	sqlite3 "$BATS_TEST_TMPDIR/low.db" "UPDATE time_slots SET rows = 1"
	local from1=$((now - 86400)) from2=$((now - 2 * 86400)) n filter where range args
	for db in "$DB" "$BATS_TEST_TMPDIR/high.db" "$BATS_TEST_TMPDIR/low.db"; do
		for range in "all" "1d 0" "1d 1" "3h 8"; do
			read -r r p <<<"$range"
			args=(--range "$r")
			where="1"
			case $range in
			"1d 0") args+=(--now "$now" --period 0); where="c.last_time >= $from1" ;;
			"1d 1") args+=(--now "$now" --period 1); where="c.last_time >= $from2 AND c.last_time < $from1" ;;
			"3h 8") args+=(--now "$now" --period 8); where="c.last_time >= $((now - 9 * 10800)) AND c.last_time < $((now - 8 * 10800))" ;;
			esac
			for filter in "" exe=/usr/bin/rare domain=example.net; do
				local w="$where" fa=()
				[[ -z $filter ]] || fa=(--filter "$filter")
				[[ $filter != exe=* ]] || w+=" AND e.exe = '/usr/bin/rare'"
				[[ $filter != domain=* ]] || w+=" AND c.domain = 'example.net'"
				for n in 1 7 150 2000 5000; do
					diff <(snitch-view --config "$CONF" --db "$db" --print --screen conn --limit "$n" "${args[@]}" "${fa[@]}" \
						--format jsonl | jq -r .lport) <(sql_conn_ports "$db" "$w" "$n") ||
						fail "$db: range $range, filter '$filter', limit $n differs from the full sort"
				done
			done
		done
	done
	# the whole log, in one page and in the TUI's (2000 rows) too
	assert_equal "$(view_print --screen conn --limit 2000 --format jsonl | wc -l)" 2000
	assert_equal "$(view_print --screen conn --limit 5000 --format jsonl | wc -l)" "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM connection_rows')"
}

# "first seen: ...\nlast seen: ..." of EXE as sqlite3 computes them from every row.
sql_first_last() { # EXE
	sqlite3 "$DB" "SELECT 'first seen: ' || strftime('%Y-%m-%d %H:%M:%S', MIN(c.first_time), 'unixepoch'),
		'last seen: ' || strftime('%Y-%m-%d %H:%M:%S', MAX(c.last_time), 'unixepoch')
		FROM connections c JOIN processes e ON e.id = c.exe_id WHERE e.exe = '$1'" | tr '|' '\n'
}

@test "snitch-view --detail: first and last seen from the rollup, the rows past its mark and late rows are every row's" {
	slot_events $T 400 300 10000 | snitch-store --config "$CONF" --db "$DB" -q -w 0
	# late: two days back, stored after
	slot_events $((T - 2 * 86400 + 77)) 6 60 20000 | snitch-store --config "$CONF" --db "$DB" -q -w 0
	# and from a store still running: rows past the rollup's mark, a week back (older than all) and the newest
	mkfifo "$BATS_TEST_TMPDIR/in"
	snitch-store --config "$CONF" --db "$DB" -q -w 0 <"$BATS_TEST_TMPDIR/in" 3>&- &
	BG_PIDS+=("$!")
	exec 5>"$BATS_TEST_TMPDIR/in"
	wait_for_output 30 "$(sqlite3 "$DB" 'SELECT MAX(id) FROM connection_rows')" sqlite3 "$DB" 'SELECT hwm FROM rollup_state'
	{ slot_events $((T - 7 * 86400 + 5)) 1 60 30000; slot_events $((T + 2 * 86400)) 4 60 31000;
	  head -1 "$FIXTURE" | jq -c ".time = $((T - 9 * 86400)).25 | .start = $((T - 9 * 86400)) | .exe = \"/usr/bin/tail\""; } >&5
	local past="SELECT COUNT(*) FROM connection_rows WHERE id > (SELECT hwm FROM rollup_state)"
	wait_for_output 30 6 sqlite3 "$DB" "$past" || true
	assert_equal "$(sqlite3 "$DB" "$past")" 6
	local exe
	for exe in /usr/bin/curl /usr/bin/rare /usr/bin/tail; do
		diff <(view_print --detail "$exe" | grep -E '^(first|last) seen:') <(sql_first_last "$exe") || fail "$exe differs"
	done
	# rare's first is past the mark, curl's first a late row the rollup holds
	assert_equal "$(view_print --detail /usr/bin/rare | grep '^first seen')" "first seen: $(date -u -d @$((T - 7 * 86400 + 5)) '+%F %T')"
	assert_equal "$(view_print --detail /usr/bin/curl | grep '^first seen')" "first seen: $(date -u -d @$((T - 2 * 86400 + 77)) '+%F %T')"
	# the same once the store rolled them up
	exec 5>&-
	wait "${BG_PIDS[0]}"
	BG_PIDS=()
	assert_equal "$(sqlite3 "$DB" "$past")" 0
	for exe in /usr/bin/curl /usr/bin/rare /usr/bin/tail; do
		diff <(view_print --detail "$exe" | grep -E '^(first|last) seen:') <(sql_first_last "$exe") || fail "$exe differs after the roll-up"
	done
}
