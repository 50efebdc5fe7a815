# Hostile stream input for every filter stage and snitch-view --live: the lines
# of tests/hostile_lines.py (truncated, NUL bytes, invalid UTF-8, deep nesting,
# numbers out of range, wrong types, duplicate keys) and a 100 MB line. Each bad
# line is reported and skipped, and the valid lines around them come out exactly
# as the stage writes them for the valid lines alone.

setup() {
	load helpers
	isolate_home
	BG_PIDS=()
	LINES_PY="$SNITCH_ROOT/tests/hostile_lines.py"
	T=$(date +%s)
	CONF="$BATS_TEST_TMPDIR/config.json"
	echo '{}' >"$CONF"
	mkdir -p "$BATS_TEST_TMPDIR/notify"
	unset VT_API_KEY DBUS_SESSION_BUS_ADDRESS
	# what the VirusTotal stub (start_stub) says of the one hash of the valid lines
	KNOWN="$(printf 'ab%.0s' {1..32})=0,0,60,0"
}

teardown() {
	exec 5>&- 2>/dev/null || true
	[[ -n "${TMUX_SOCK:-}" ]] && tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	kill_background
}

hostile() { python3 "$LINES_PY" "$1" "$T" >"$BATS_TEST_TMPDIR/$1.jsonl"; }

# A stage's command line as the tests run it, in STAGE; the store writes
# $BATS_TEST_TMPDIR/$DB_NAME.db.
stage_cmd() { # hash|vt|notify|store
	case $1 in
	hash) STAGE=(snitch-hash) ;;
	vt) STAGE=(env VT_API_KEY=test-key snitch-vt --cache "$BATS_TEST_TMPDIR/vt.db" --api-url "$API" --request-limit 0.05) ;;
	notify) STAGE=(snitch-notify --print --dir "$BATS_TEST_TMPDIR/notify") ;;
	store) STAGE=(snitch-store --config "$CONF" --db "$BATS_TEST_TMPDIR/${DB_NAME:-snitch}.db" --window 0) ;;
	esac
}

stage() { stage_cmd "$1" && "${STAGE[@]}"; }


# Output lines a stage made itself (error, notice and vt events: the valid
# input's own error and vt events put "time" first) are dropped.
passed_on() { grep -av -E '^\{"type":"(error|notice|vt)"' "$1" || true; }

# The "lost" counts of the stage's malformed-line summaries.
malformed_lost() { # OUT
	grep -a '^{"type":"error"' "$1" |
		jq -s '[.[] | select((.message | type) == "string" and (.message | test("malformed input line"))) | .lost] | add // 0'
}

# The stage on mixed-KIND and on between-KIND: what it passes on must match
# byte for byte, and it must count exactly N malformed lines.
check_mixed() { # STAGE KIND N
	local s=$1 d=$BATS_TEST_TMPDIR
	hostile "mixed$2"
	hostile "between$2"
	DB_NAME=mixed stage "$s" <"$d/mixed$2.jsonl" >"$d/$s.mixed.out" 2>"$d/$s.mixed.err" || fail "$s exited $? on hostile input"
	DB_NAME=between stage "$s" <"$d/between$2.jsonl" >"$d/$s.between.out" 2>/dev/null || fail "$s exited $? on valid input"
	cmp <(passed_on "$d/$s.mixed.out") <(passed_on "$d/$s.between.out") || fail "$s: valid lines changed by the hostile ones between them"
	[[ $(passed_on "$d/$s.between.out" | wc -l) -eq $(wc -l <"$d/between$2.jsonl") ]] || fail "$s did not pass every valid line on"
	assert_equal "$(malformed_lost "$d/$s.mixed.out")" "$3"
	grep -q "snitch-$s: input line 2 skipped: " "$d/$s.mixed.err" || fail "$s: no line number on stderr: $(head -3 "$d/$s.mixed.err")"
}

# 10 malformed lines and the truncated last line
@test "snitch-hash skips and counts truncated, NUL-laden, deeply nested and non-object lines; the valid lines come out unchanged" {
	check_mixed hash "" 11
}

@test "snitch-vt skips and counts truncated, NUL-laden, deeply nested and non-object lines; the valid lines come out unchanged" {
	start_stub --known "$KNOWN"
	check_mixed vt "" 11
	grep -q 'GET /api/v3/files/abab' "$BATS_TEST_TMPDIR/stub.log" || fail "the valid hash was never looked up"
}

@test "snitch-notify skips and counts truncated, NUL-laden, deeply nested and non-object lines; the valid lines come out unchanged" {
	check_mixed notify "" 11
	# the new programs of the valid lines still notify
	grep -a '^{"type":"notice"' "$BATS_TEST_TMPDIR/notify.mixed.out" | jq -e -s 'any(.[]; .body | test("/usr/bin/curl"))'
}

@test "snitch-store skips malformed lines and known fields of the wrong type or out of range; it stores what the valid lines alone store" {
	# 10 malformed, 22 odd, the truncated last line
	check_mixed store -odd 33
	local q
	for q in "SELECT * FROM connections ORDER BY first_time, pid, rport" \
		"SELECT * FROM processes ORDER BY id" \
		"SELECT host, time, source, message FROM errors WHERE source != 'snitch-store' ORDER BY time"; do
		assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/mixed.db" "$q")" "$(sqlite3 "$BATS_TEST_TMPDIR/between.db" "$q")"
	done
	# nothing wrapped: 2^63-1 bytes stays 2^63-1, never negative
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/mixed.db" "SELECT max(sent), min(sent) >= 0 FROM connections")" "9223372036854775807|1"
	run -0 --separate-stderr stage store <<<'{"type":"flow","time":"now","pid":1}'
	assert_equal "$stderr" $'snitch-store: input line 1 skipped: field "time" is not a finite number'
	assert_output --partial '"lost":1'
	refute_output --partial '"now"'
}

@test "hash, vt and notify pass wrong types, numbers out of range and duplicate keys on, or report them: none is lost" {
	start_stub --known "$KNOWN"
	hostile odd
	local s d=$BATS_TEST_TMPDIR
	cp "$d/odd.jsonl" "$d/in.jsonl"
	for s in hash vt notify; do
		stage "$s" <"$d/in.jsonl" >"$d/$s.out" 2>"$d/$s.err" || fail "$s exited $?"
		assert_equal "$s: $(( $(passed_on "$d/$s.out" | wc -l) + $(malformed_lost "$d/$s.out") ))" "$s: $(wc -l <"$d/in.jsonl")"
	done
	# vt and notify pass on exactly the lines they did not report (stderr names them)
	for s in vt notify; do
		cmp <(passed_on "$d/$s.out") \
			<(awk -v skip="$(sed -n 's/.* input line \([0-9]*\) skipped.*/\1/p' "$d/$s.err" | tr '\n' ' ')" \
				'BEGIN { n = split(skip, a, " "); for (i = 1; i <= n; i++) s[a[i]] = 1 } !(FNR in s)' "$d/in.jsonl") \
			|| fail "$s changed a line it passed on"
	done
}

# VmHWM of PID in kB
peak_rss() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# One event of 100 MB: a flow whose comm is 100,000,000 'a's.
huge_line() {
	printf '{"type":"flow","time":1,"comm":"'
	head -c 100000000 /dev/zero | tr '\0' a
	printf '"}\n'
}

@test "a 100 MB line: every stage reports it and goes on, and its memory grows far less than the line's size" {
	start_stub --known "$KNOWN"
	hostile valid
	local s pid base peak d=$BATS_TEST_TMPDIR
	for s in hash vt notify store; do
		rm -f "$d/in.fifo"
		mkfifo "$d/in.fifo"
		stage_cmd "$s"
		"${STAGE[@]}" <"$d/in.fifo" >"$d/$s.out" 2>"$d/$s.err" 3>&- &
		pid=$!
		BG_PIDS+=("$pid")
		exec 5>"$d/in.fifo"
		head -1 "$d/valid.jsonl" >&5
		wait_for_line "$d/$s.out" '"future_field"' 60
		base=$(peak_rss "$pid")
		huge_line >&5
		tail -n +2 "$d/valid.jsonl" >&5
		# the last valid line out means the huge one was read past
		wait_for_line "$d/$s.out" '"type":"from_the_future"' 60
		peak=$(peak_rss "$pid")
		exec 5>&-
		wait "$pid" || fail "$s exited $?"
		echo "# $s: peak RSS ${base} kB before a 100 MB line, ${peak} kB after" >&3
		# growth, not the total: a sanitizer build starts higher
		((peak - base < 32 * 1024)) || fail "$s: peak RSS grew from $base to $peak kB for a 100 MB line"
		grep -q "snitch-$s: input line 2 skipped: line longer than the limit" "$d/$s.err" || fail "$s: $(cat "$d/$s.err")"
		assert_equal "$(malformed_lost "$d/$s.out")" 1
		assert_equal "$(passed_on "$d/$s.out" | wc -l)" "$(wc -l <"$d/valid.jsonl")"
	done
}

@test "snitch-view --live counts malformed and 100 MB lines as unreadable and shows the valid flows" {
	require_tmux
	TMUX_SOCK="hostile-live-$$-$BATS_SUITE_TEST_NUMBER"
	local fifo="$BATS_TEST_TMPDIR/live" pid base peak
	mkfifo "$fifo"
	hostile malformed
	hostile odd
	tmux -L "$TMUX_SOCK" new-session -d -x 120 -y 30 -s view \
		"env TZ=UTC LANG=C.UTF-8 snitch-view --live --rate-window 3600 <$fifo; echo view-exited=\$?; sleep 60" 3>&-
	exec 5>"$fifo"
	cat "$BATS_TEST_TMPDIR/malformed.jsonl" "$BATS_TEST_TMPDIR/odd.jsonl" >&5
	wait_tmux_screen "32 lines, 13 unreadable" 60
	pid=$(pgrep -P "$(tmux -L "$TMUX_SOCK" display -p -t view '#{pane_pid}')" -x snitch-view)
	base=$(peak_rss "$pid")
	huge_line >&5
	printf '{"type":"flow","time":%s,"pid":4242,"comm":"curl","exe":"/usr/bin/curl","sent":300000,"recv":700000,"events":2}\n' "$T" >&5
	# 10 malformed + 22 odd + 1 huge + 1 valid: the odd that are not JSON
	# nlohmann reads (1e400, a lone surrogate, invalid UTF-8) are unreadable too
	wait_tmux_screen "34 lines, 14 unreadable" 60
	peak=$(peak_rss "$pid")
	echo "# snitch-view --live: peak RSS ${base} kB before a 100 MB line, ${peak} kB after" >&3
	((peak - base < 32 * 1024)) || fail "snitch-view --live: peak RSS grew from $base to $peak kB for a 100 MB line"
	tmux_screen | grep -F /usr/bin/curl | grep -q '293.0 KiB  683.6 KiB' || fail "$(tmux_screen)"
	# no raw control character reached the terminal
	tmux_screen -e >"$BATS_TEST_TMPDIR/screen"
	assert_no_raw_controls "$BATS_TEST_TMPDIR/screen"
	exec 5>&-
	wait_tmux_screen "input ended"
	tmux -L "$TMUX_SOCK" send-keys -t view q
	wait_tmux_screen "view-exited=0"
}
