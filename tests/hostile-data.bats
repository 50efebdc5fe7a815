# Hostile data from the system itself: real processes whose name, command line
# and executable path hold escape sequences, control characters, invalid UTF-8,
# newlines, quotes, markup and SQL, make real traffic on loopback through the
# real pipeline snitch-trace | snitch-hash | snitch-vt | snitch-notify |
# snitch-store; then snitch-view --print and the TUI in tmux show them.

setup() {
	load helpers
	load pg_helpers  # free_port
	isolate_home
	BG_PIDS=()
	unset SUDO_USER DBUS_SESSION_BUS_ADDRESS VT_API_KEY
	# bytes, not characters, for the ${var//pattern} below
	export LC_ALL=C TZ=UTC
	D=$BATS_TEST_TMPDIR
	RECORD="$D/notifications.jsonl"
	CONF="$D/config.json"
	echo '{}' >"$CONF"
	TMUX_SOCK="hostile-data-$$-$BATS_SUITE_TEST_NUMBER"
}

teardown() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	kill_background
	pg_stop_all
}

FFFD=$'\xef\xbf\xbd'

# What reads snitch-trace's events (start_pipeline): the stream as traced is
# kept in $D/trace.jsonl, each stage's stderr in $D/<stage>.err, the database
# is $D/snitch.db.
stages() {
	tee "$D/trace.jsonl" | snitch-hash 2>"$D/hash.err" |
		VT_API_KEY=test-key snitch-vt --cache "$D/vt.db" --api-url "$API" --request-limit 0.05 2>"$D/vt.err" |
		snitch-notify --dir "$D" 2>"$D/notify.err" |
		snitch-store --config "$CONF" --db "$D/snitch.db" --window 0.2 >"$D/stored.jsonl" 2>"$D/store.err"
}

# The whole pipeline in the background, snitch-trace first, the stub as VirusTotal.
start_stages() {
	start_stub
	start_pipeline stages --exec -i 0.5
}

hex() { od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }

# The stored bytes (hex) of COLUMN of the processes row whose exe is EXE.
stored_hex() { # COLUMN EXE
	sqlite3 "$D/snitch.db" "SELECT hex($1) FROM processes WHERE hex(exe) = '$(printf %s "$2" | hex)' LIMIT 1"
}

@test "hostile names, command lines and paths: stored byte for byte, shown escaped, notified without markup, no SQL from data" {
	require_ebpf
	require_dbus
	start_bus "$D/bus"
	local dir=$'bin dir/new\nline \e[1m\'quoted\'' name=$'ev\e[2J\e]0;t\a<b>&\'"; DROP TABLE connections; --\xc2\x9b\xe2\x80\xae\xff'
	local exe="$D/$dir/$name"
	mkdir -p "$D/$dir"
	cp "$NETGEN" "$exe"
	# argv[0] with OSC 52 (clipboard), a newline and a stray byte; then SQL,
	# markup and ten 100 kB arguments: a 1 MB command line
	local arg0=$'argv0\e]52;c;SGVsbG8=\a\nnew line\x9b' big args=()
	big=$(head -c 100000 /dev/zero | tr '\0' x)
	args=(udp-send 127.0.0.1 9 100 3 unconnected "'); DROP TABLE processes; --" $'<i>\e[31mred</i>\r\t')
	for _ in 1 2 3 4 5 6 7 8 9 10; do args+=("$big"); done
	start_stages
	bash -c 'exec -a "$0" "$@"' "$arg0" "$exe" "${args[@]}" >"$D/app.out"
	assert_equal "$(cat "$D/app.out")" "sent=300 recv=0"
	# a name set with prctl(PR_SET_NAME) after exec: OSC title, markup, an invalid byte, a newline
	local pname=$'\e]0;x\a<i>\xff\n'
	/usr/bin/python3 -c 'import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode("utf-8", "surrogateescape"), 0, 0, 0)
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x" * 100, ("127.0.0.1", 19))' "$pname"
	# a deleted executable
	local gone="$D/$dir/deleted me"
	cp "$NETGEN" "$gone"
	local port
	port=$(free_port)
	serve_local "$D/server.out" "$NETGEN" tcp-server "$port" 0 1
	"$gone" tcp-slow 127.0.0.1 "$port" 3000 2 >"$D/gone.out" 3>&- &
	local gone_pid=$!
	sleep 0.3
	rm "$gone"
	wait "$gone_pid"
	stop_pipeline

	# what the kernel reports, with invalid UTF-8 as U+FFFD (snitch-events(7))
	local want_exe=${exe//$'\xff'/$FFFD} cmdline
	cmdline=$(printf '%s ' "$arg0" "${args[@]}")
	cmdline=${cmdline:0:1023}
	cmdline=${cmdline//$'\x9b'/$FFFD}
	cmdline=${cmdline//$'\xff'/$FFFD}
	# ${x//$'\x9b'} also hit the \x9b of the valid \xc2\x9b: put it back
	cmdline=${cmdline//$'\xc2'$FFFD/$'\xc2\x9b'}
	assert_equal "$(stored_hex exe "$want_exe")" "$(printf %s "$want_exe" | hex)"
	assert_equal "$(stored_hex name "$want_exe")" "$(printf %s "${name:0:15}" | hex)"
	assert_equal "$(stored_hex cmdline "$want_exe")" "$(printf %s "$cmdline" | hex)"
	# SQL in the data stayed data: the tables exist and hold the traffic
	assert_equal "$(sqlite3 "$D/snitch.db" "SELECT sum(c.sent) FROM connections c JOIN processes p ON p.id = c.exe_id
		WHERE hex(p.exe) = '$(printf %s "$want_exe" | hex)' AND c.rport = 9")" 300
	assert_equal "$(sqlite3 "$D/snitch.db" "SELECT DISTINCT hex(p.name) FROM connections c JOIN processes p ON p.id = c.exe_id
		WHERE c.rport = 19")" "$(printf %s "${pname//$'\xff'/$FFFD}" | hex)"
	# the deleted executable was hashed while it ran
	local gone_sha
	gone_sha=$(sha256sum "$NETGEN" | cut -c1-64)
	assert_equal "$(sqlite3 "$D/snitch.db" "SELECT DISTINCT p.sha256 FROM connections c JOIN processes p ON p.id = c.exe_id WHERE c.rport = $port")" "$gone_sha"

	# --print: escaped, never raw
	snitch-view --config "$CONF" --db "$D/snitch.db" --print --screen exe >"$D/print.txt"
	assert_no_raw_controls "$D/print.txt"
	grep -qF 'new\nline \e[1m'"'quoted'"'/ev\e[2J\e]0;t\x07<b>&' "$D/print.txt" || fail "$(cat "$D/print.txt")"
	snitch-view --config "$CONF" --db "$D/snitch.db" --print --screen cmdline >"$D/print-cmdline.txt"
	assert_no_raw_controls "$D/print-cmdline.txt"
	grep -qF 'argv0\e]52;c;SGVsbG8=\x07\nnew line' "$D/print-cmdline.txt" || fail "$(head -c 2000 "$D/print-cmdline.txt")"

	# the TUI: nothing but its own attributes reaches the terminal
	require_tmux
	tmux -L "$TMUX_SOCK" new-session -d -x 200 -y 40 -s view \
		"env TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 snitch-view --config $CONF --db $D/snitch.db; echo view-exited=\$?; sleep 60" 3>&-
	wait_tmux_screen "? help"
	wait_tmux_screen 'ev\e[2J\e]0;t\x07<b>&'
	tmux_screen -e >"$D/screen.txt"
	assert_no_raw_controls "$D/screen.txt"
	# the process names screen, and the detail panel of its first row
	tmux -L "$TMUX_SOCK" send-keys -t view Right
	wait_tmux_screen 'ev\e[2J\e]0;t\x07<b>'
	wait_tmux_screen '\e]0;x\x07<i>'"$FFFD"'\n'
	tmux -L "$TMUX_SOCK" send-keys -t view d
	wait_tmux_screen 'Detail: '
	tmux_screen -e >"$D/screen.txt"
	assert_no_raw_controls "$D/screen.txt"

	# notifications: no markup, no control character
	run -0 recorded
	jq -e 'length >= 1' <<<"$output"
	jq -e 'all(.[]; (.summary + .body) | test("[<>\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]") | not)' <<<"$output"
	jq -e 'any(.[]; .body | contains("ev\ufffd[2J\ufffd]0;t\ufffd&lt;b&gt;&amp;"))' <<<"$output" || fail "$output"
}

@test "a process already running when snitch-trace starts, with a 1 MB command line: its events stay short and are stored" {
	local port ctl big args=() pid
	port=$(free_port)
	serve_local "$D/server.out" "$NETGEN" tcp-server "$port" 0 1
	ctl=$(head -c 100000 /dev/zero | tr '\0' '\001')
	big=$(head -c 100000 /dev/zero | tr '\0' x)
	args=(tcp-slow 127.0.0.1 "$port" 30000 4 "$ctl" "$ctl")
	for _ in 1 2 3 4 5 6 7 8; do args+=("$big"); done
	# /proc/PID/cmdline is all snitch-trace can read for it: it was not traced at exec
	"$NETGEN" "${args[@]}" >"$D/app.out" 3>&- &
	pid=$!
	start_stages
	wait "$pid"
	stop_pipeline
	# JSON escapes each \001 six-fold: 2 MB lines unless the command line is cut
	run -0 awk 'length($0) > max { max = length($0) } END { print max }' "$D/trace.jsonl"
	((output < 65536)) || fail "longest event: $output bytes"
	! grep -h "longer than the limit" "$D"/*.err || fail "a stage dropped a line"
	run -0 sqlite3 "$D/snitch.db" "SELECT DISTINCT length(CAST(p.cmdline AS BLOB)), instr(p.cmdline, '$NETGEN tcp-slow 127.0.0.1 $port 30000 4 ') FROM connections c
		JOIN processes p ON p.id = c.exe_id WHERE c.rport = $port AND c.sent > 0"
	assert_output "1023|1"
}

@test "hostile text is stored verbatim by SQLite and PostgreSQL alike and escaped when shown from either" {
	pg_start
	pg_store_schema
	echo '{}' >"$D/none.json"
	# every text field with quotes, SQL, placeholders, backslashes, escapes,
	# C1, bidi and markup; the same event stream goes to both databases
	local evil=$'\'; DROP TABLE connections; -- " $1 ? :x @x \\\\ \\x00 %s \e[2J\e]52;c;SGVsbG8=\a\r\n\t\xc2\x9b\xe2\x80\xae<b>&amp;</b> 日本'
	jq -cn --arg e "$evil" --argjson t "$(date +%s)" '
		{type: "flow", time: $t, pid: 7, uid: 0, comm: $e[0:15], exe: ("/tmp/" + $e), cmdline: ($e + " " + $e),
		 parent: {pid: 1, comm: "p", exe: ("/p/" + $e), cmdline: $e}, family: "ipv4", proto: "udp",
		 raddr: "10.0.0.1", rport: 53, domain: ($e + ".example"), cgroup: ("/" + $e), sent: 1, recv: 2, events: 1, sha256: $e},
		{type: "error", time: $t, source: $e, message: $e}' >"$D/in.jsonl"
	snitch-store --config "$D/none.json" --db "$D/snitch.db" -q <"$D/in.jsonl"
	snitch-store --config "$D/none.json" --db "$PG_URI" --queue-dir "$D/q" -q <"$D/in.jsonl"
	local want
	want=$(jq -r '[.exe, .comm, .cmdline, .domain, .cgroup, .sha256, .parent.exe] | map(@base64) | join(" ")' <(head -1 "$D/in.jsonl"))
	# base64 of the bytes each database holds: no SQL or escape was interpreted
	assert_equal "$(sqlite3 -json "$D/snitch.db" "SELECT exe, name, cmdline, domain, cgroup, sha256, parent_exe FROM connection_log" |
		jq -r '.[0] | [.exe, .name, .cmdline, .domain, .cgroup, .sha256, .parent_exe] | map(@base64) | join(" ")')" "$want"
	assert_equal "$(pg_sql "SELECT json_build_array(exe, name, cmdline, domain, cgroup, sha256, parent_exe) FROM connection_log" |
		jq -r 'map(@base64) | join(" ")')" "$want"
	assert_equal "$(pg_sql "SELECT json_build_array(source, message) FROM errors" | jq -r 'map(@base64) | join(" ")')" \
		"$(jq -r 'select(.type == "error") | [.source, .message] | map(@base64) | join(" ")' "$D/in.jsonl")"
	# and both are shown escaped
	local db
	for db in "$D/snitch.db" "$PG_URI"; do
		snitch-view --config "$D/none.json" --db "$db" --print --screen cmdline >"$D/shown.txt"
		assert_no_raw_controls "$D/shown.txt"
		grep -qF '\e[2J\e]52;c;SGVsbG8=\x07\r\n\t\x9b\u202e<b>&amp;</b> 日本' "$D/shown.txt" || fail "$db: $(cat "$D/shown.txt")"
	done
}
