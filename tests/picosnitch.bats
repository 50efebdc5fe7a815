# picosnitch, the wrapper: the real daemon (real eBPF, real stages, a real
# SQLite database) in a directory of the test's own, real connections,
# stages killed for real, make install into a DESTDIR.

setup() {
	load helpers
	load daemon_helpers
	isolate_home
	BG_PIDS=()
	daemon_root
}

teardown() {
	stop_daemon_root
}

# Processes left in the daemon's session (it is the session and group leader).
session_procs() { # SID
	pgrep -s "$1" || true
}

count_lines() { # PATTERN
	grep -c -- "$1" "$LOG" 2>/dev/null || true
}

has_count() { # PATTERN N
	(($(count_lines "$1") >= $2))
}

wait_count() { # PATTERN N [SECONDS]
	wait_until "${3:-30}" has_count "$1" "$2" && return 0
	cat "$LOG" >&2
	fail "fewer than $2 lines matching '$1' in error.log"
}

@test "the layout: /etc/picosnitch, /var/lib/picosnitch, /var/log/picosnitch, /run/picosnitch under PICOSNITCH_ROOT" {
	run -3 "$PS" status
	assert_line "config:       $CONF"
	assert_line "database:     $DB"
	[[ ! -e $PS_ROOT/etc ]] || fail "status created a directory"
	run -1 --separate-stderr env PICOSNITCH_ROOT=relative/path "$PS" status
	[[ $stderr == *"must be an absolute path"* ]] || fail "stderr: $stderr"
}

@test "help, version, and an unknown command exits 2" {
	run -0 "$PS" help
	assert_output --partial "Usage: picosnitch COMMAND"
	assert_output --partial "systemd"
	run -0 "$PS" --help
	run -0 "$PS" version
	assert_line --regexp '^picosnitch [0-9]+\.[0-9]+\.[0-9]+$'
	assert_line --partial "snitch-trace $(cat "$SNITCH_ROOT/VERSION")"
	run -2 --separate-stderr "$PS" frobnicate
	assert [ -n "$stderr" ]
	[[ $stderr == *"unknown command: frobnicate"* ]]
	run -1 --separate-stderr "$PS" run --bogus
}

@test "the wrapper is shellcheck-clean" {
	command -v shellcheck >/dev/null || skip_or_fail "shellcheck is not installed (make deps)"
	run -0 shellcheck "$PS"
}

@test "start creates config.json 0600 with the defaults; stop leaves nothing running" {
	start_daemon
	run -0 stat -c '%a %U' "$CONF"
	assert_output "600 root"
	run -0 jq -e '."DB retention (days)" == 365 and ."VT API key" == "" and ."Log ignore" == [] and has("Database")' "$CONF"
	# every stage of the standard pipeline is there, in one process group
	local stage
	for stage in snitch-trace snitch-hash snitch-vt snitch-notify snitch-store; do
		run -0 pgrep -g "$DAEMON" -x "$stage"
	done
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *"already running (pid $DAEMON)"* ]] || fail "second start: $stderr"
	run -0 "$PS" stop
	run -0 session_procs "$DAEMON"
	assert_output ""
	[[ ! -e "$PIDFILE" ]] || fail "pidfile left behind"
	run -3 "$PS" status
	assert_line --partial "not running"
	run -0 "$PS" stop
	assert_output --partial "not running"
}

@test "a connection reaches the database and status; one made just before stop is not lost" {
	start_daemon
	connect "pico client" 7101
	wait_in_db "$APP"
	# the notice for the desktop's listener (snitch-notify --listen), the group's to read
	wait_for_line "$STATE/notices.jsonl" "New program: ${APP##*/}" 30
	run -0 stat -c '%U %G %a' "$STATE/notices.jsonl"
	assert_output "picosnitch picosnitch 640"
	run -0 "$PS" status
	assert_line --regexp "^picosnitch: +running \(pid $DAEMON, up "
	assert_line --regexp '^events: +[1-9][0-9]* connections \([0-9]+ events\), [1-9][0-9]* programs$'
	assert_line --regexp '^  [0-9-]+ [0-9:]+ UTC '
	assert_line "restarts:     none"
	assert_output --partial "$APP"
	assert_output --partial "127.0.0.1:7101"
	# stop right after a connection: snitch-trace reports its last interval
	# and every later stage drains before exiting
	connect "late client" 7102
	run -0 "$PS" stop
	in_db "$APP" || fail "the connection made just before stop was lost"
	run -0 session_procs "$DAEMON"
	assert_output ""
	run -0 grep -c 'picosnitch: stopped' "$LOG"
}

@test "error.log gets every stage's stderr, timestamped" {
	start_daemon
	run -0 grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} snitch-trace: .*ready' "$LOG"
	# no API key: snitch-vt says so on stderr, and that is in the log
	run -0 grep -E '^[0-9-]+T[0-9:+-]+ snitch-vt: no VirusTotal API key' "$LOG"
	run -0 "$PS" status
	assert_line --regexp '^last error: +[0-9-]+T'
}

@test "a broken config.json names the key and nothing starts" {
	require_root
	mkdir -p "$(dirname "$CONF")"
	printf '{"DB retention (days)": "a year", "Log ignore": [1]}\n' >"$CONF"
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *'config key "DB retention (days)": expected a number'* ]] || fail "stderr: $stderr"
	[[ $stderr == *"not starting"* ]] || fail "stderr: $stderr"
	[[ ! -e "$PIDFILE" ]] || fail "a pidfile was written"
	run -1 pgrep -f -- "--queue-dir $PS_ROOT/"
	printf '{"VT request limit (seconds)": -1}\n' >"$CONF"
	run -1 --separate-stderr "$PS" run --no-restart 3>&-
	[[ $stderr == *'"VT request limit (seconds)": must not be negative'* ]] || fail "stderr: $stderr"
	printf '{"Log commands": true,\n' >"$CONF"
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *"not a JSON object"* ]] || fail "stderr: $stderr"
}

# Issue 17's repro: each of these passed the wrapper's own check, "started" was
# reported and the stages exited 1 forever.
refused() { # CONFIG_TEXT REASON
	printf '%s' "$1" >"$CONF"
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *"$2"* && $stderr == *"not starting"* ]] || fail "config '$1', stderr: $stderr"
	[[ $stderr != *started* ]] || fail "said started: $stderr"
	[[ ! -e "$PIDFILE" ]] || fail "a pidfile was written for '$1'"
}

@test "start refuses what a stage would refuse: a bad CIDR, an empty config.json, a database that cannot be made" {
	require_root
	mkdir -p "$(dirname "$CONF")"
	refused '{"Log ignore":["10.0.0.0/33"]}' 'snitch-store: Log ignore: bad CIDR range "10.0.0.0/33"'
	refused '' "not a JSON object"
	refused '{"Database":"/etc/passwd/snitch.db"}' "/etc/passwd is not a directory"
	run -1 pgrep -f -- "--queue-dir $PS_ROOT/"
}

@test "--check-config: exit 0 and silence on a good configuration, 1 and the reason on a bad one, nothing made" {
	local stage good=$BATS_TEST_TMPDIR/good.json bad=$BATS_TEST_TMPDIR/bad.json
	printf '{"Log ignore":["10.0.0.0/8", ".example.org"], "Database": "%s"}\n' "$BATS_TEST_TMPDIR/new/dir/s.db" >"$good"
	printf '{"Desktop notifications": "yes"}\n' >"$bad"
	for stage in snitch-hash snitch-vt snitch-notify snitch-store; do
		run -0 --separate-stderr "$BUILD_DIR/bin/$stage" --check-config --config "$good" </dev/null
		[[ -z $output$stderr ]] || fail "$stage: $output $stderr"
		run -1 --separate-stderr "$BUILD_DIR/bin/$stage" --check-config --config "$bad" </dev/null
		[[ $stderr == "$stage: "*'"Desktop notifications": expected true or false'* ]] || fail "$stage: $stderr"
	done
	run -0 --separate-stderr "$BUILD_DIR/bin/snitch-vt" --check-config --config "$good" --cache "$BATS_TEST_TMPDIR/new/vt.db" </dev/null
	[[ ! -e $BATS_TEST_TMPDIR/new ]] || fail "--check-config created the database directory"
	run -1 --separate-stderr "$BUILD_DIR/bin/snitch-store" --check-config --config "$good" --db "$BATS_TEST_TMPDIR" </dev/null
	[[ $stderr == *"is a directory"* ]] || fail "$stderr"
	run -1 --separate-stderr "$BUILD_DIR/bin/snitch-vt" --check-config --config "$good" --cache "$BATS_TEST_TMPDIR" </dev/null
	[[ $stderr == "snitch-vt: VT cache $BATS_TEST_TMPDIR: is a directory" ]] || fail "$stderr"
	run -1 --separate-stderr "$BUILD_DIR/bin/snitch-vt" --check-config --config "$good" --cache "$good/vt.db" </dev/null
	[[ $stderr == *"cannot be created, $good is not a directory" ]] || fail "$stderr"
}

@test "a stage that dies is recorded in error.log and the pipeline restarts" {
	start_daemon
	local hash
	hash=$(pgrep -g "$DAEMON" -x snitch-hash)
	kill -KILL "$hash"
	wait_count "snitch-hash (pid $hash) exited with status 137; restarting the pipeline" 1
	wait_count "picosnitch: started:" 2
	wait_count "snitch-trace: .*ready" 2 120
	# status says the pipeline is restarting, how often and why, and fails
	run -1 "$PS" status
	assert_line --regexp "^restarts: +1, the last at [0-9-]+ [0-9:]+ [A-Z+0-9-]+ \(snitch-hash \(pid $hash\) exited with status 137\)$"
	assert_line --partial "health:       restarting"
	refute_line --regexp '^last error:.*(ready|restarting the pipeline|started:)'
	run -0 pgrep -g "$DAEMON" -x snitch-hash
	[[ $output != "$hash" ]] || fail "snitch-hash was not restarted"
	# the restarted pipeline logs again
	connect "after restart" 7103
	wait_in_db "$APP"
	run -0 "$PS" stop
	run -0 session_procs "$DAEMON"
	assert_output ""
	# stopped, status still tells what the last run went through
	run -3 "$PS" status
	assert_line --regexp "^restarts: +1 in the last run, the last at [0-9-]+ [0-9:]+ [A-Z+0-9-]+ \(snitch-hash \(pid $hash\) exited with status 137\)$"
	refute_line --partial "health:"
}

@test "run --no-restart exits non-zero when a stage dies (for systemd)" {
	require_ebpf
	"$PS" run --no-restart >"$BATS_TEST_TMPDIR/run.out" 2>&1 3>&- &
	local run_pid=$! pids store
	BG_PIDS+=("$run_pid")
	wait_for_line "$BATS_TEST_TMPDIR/run.out" "snitch-trace: .*ready" 120
	pids=$(sed -n 's/.*started:.*(pids \([0-9 ]*\)).*/\1/p' "$LOG")
	store=$(pgrep -P "$run_pid" -x snitch-store)
	kill -KILL "$store"
	local rc=0
	wait "$run_pid" || rc=$?
	((rc == 1)) || fail "run --no-restart exited $rc, not 1"
	run -0 grep "snitch-store (pid $store) exited with status 137; exiting so that systemd restarts" "$LOG"
	local p
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null || fail "stage $p still runs"
	done
}

@test "systemd-analyze security rates the unit's exposure at 3.0 or less (issue 17)" {
	run -0 systemd-analyze security --offline=true --no-pager "$SNITCH_ROOT/systemd/picosnitch.service"
	local level
	level=$(sed -n 's/.*Overall exposure level for picosnitch.service: \([0-9.]*\).*/\1/p' <<<"$output")
	[[ -n $level ]] || fail "no exposure level in: $output"
	awk -v l="$level" 'BEGIN { exit !(l <= 3.0) }' || fail "exposure $level is over 3.0"
}

@test "systemd writes the unit for this layout and enables nothing" {
	require_root
	local units="$BATS_TEST_TMPDIR/units"
	PICOSNITCH_UNIT_DIR=$units run -0 "$PS" systemd
	assert_output --partial "systemctl daemon-reload && sudo systemctl enable --now picosnitch.service"
	run -0 grep -x "ExecStart=$PS run --no-restart" "$units/picosnitch.service"
	run -0 grep -x "Environment=PICOSNITCH_ROOT=$PS_ROOT" "$units/picosnitch.service"
	run -0 grep -x "ReadWritePaths=$PS_ROOT/var/lib/picosnitch $PS_ROOT/var/log/picosnitch" "$units/picosnitch.service"
	[[ -f $CONF ]] || fail "no config.json written"
}

@test "view runs snitch-view, or says it is not installed" {
	if command -v snitch-view >/dev/null; then
		run -0 "$PS" view --help
	else
		run -1 --separate-stderr "$PS" view
		[[ $stderr == *"snitch-view is not installed"* ]] || fail "stderr: $stderr"
	fi
}

@test "man pages picosnitch(1) and picosnitch-config(5) render without warnings" {
	local page
	for page in picosnitch.1 picosnitch-config.5; do
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$SNITCH_ROOT/man/$page"
		assert_success
		[[ -z "$stderr" ]] || fail "$page: $stderr"
	done
	run -0 env MANWIDTH=80 man -l "$SNITCH_ROOT/man/picosnitch-config.5"
	local key
	for key in "DB retention (days)" "DB write limit (seconds)" "Desktop notifications" "Log addresses" \
		"Log commands" "Log ignore" "Set RLIMIT_NOFILE" "VT API key" "VT file upload" \
		"VT request limit (seconds)" "Database"; do
		assert_output --partial "$key"
	done
}

@test "make install and uninstall honour DESTDIR and PREFIX" {
	local dest="$BATS_TEST_TMPDIR/dest"
	run -0 make -C "$SNITCH_ROOT" --no-print-directory install OUTPUT="${TEST_BUILD_DIR:-.output}" DESTDIR="$dest" PREFIX=/opt/ps
	local f
	for f in bin/picosnitch bin/snitch-trace bin/snitch-store share/man/man1/picosnitch.1 \
		share/man/man5/picosnitch-config.5 share/man/man7/snitch-events.7 \
		share/bash-completion/completions/picosnitch share/zsh/vendor-completions/_picosnitch \
		share/fish/vendor_completions.d/picosnitch.fish lib/systemd/system/picosnitch.service; do
		[[ -f "$dest/opt/ps/$f" ]] || fail "not installed: $f"
	done
	run -0 grep -x "ExecStart=/opt/ps/bin/picosnitch run --no-restart" "$dest/opt/ps/lib/systemd/system/picosnitch.service"
	[[ -x "$dest/opt/ps/bin/picosnitch" ]] || fail "wrapper not executable"
	# the installed wrapper finds its stages beside it and its unit template
	run -0 env PATH=/usr/bin:/bin "$dest/opt/ps/bin/picosnitch" version
	assert_line --partial "snitch-store $(cat "$SNITCH_ROOT/VERSION")"
	PICOSNITCH_UNIT_DIR="$BATS_TEST_TMPDIR/u" run -0 "$dest/opt/ps/bin/picosnitch" systemd
	run -0 grep -x "ExecStart=$dest/opt/ps/bin/picosnitch run --no-restart" "$BATS_TEST_TMPDIR/u/picosnitch.service"
	run -0 make -C "$SNITCH_ROOT" --no-print-directory uninstall DESTDIR="$dest" PREFIX=/opt/ps
	run -0 find "$dest" -type f
	assert_output ""
}
