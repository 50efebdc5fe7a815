# The daemon under test (tests/picosnitch.bats, tests/attacks.bats): the real
# wrapper with its whole layout under a root of the test's own
# (PICOSNITCH_ROOT). That root is outside $BATS_TEST_TMPDIR (0700) so that the
# system user picosnitch can reach its state directory.

daemon_root() {
	PS_ROOT=$(mktemp -d /tmp/picosnitch-root.XXXXXX)
	chmod 0755 "$PS_ROOT"
	export PICOSNITCH_ROOT=$PS_ROOT
	# A build of its own (TEST_BUILD_DIR) has a link to the wrapper next to its stages.
	PS="$SNITCH_ROOT/tools/picosnitch"
	[[ -z ${TEST_BUILD_DIR:-} ]] || PS="$BUILD_DIR/bin/picosnitch"
	CONF=$PS_ROOT/etc/picosnitch/config.json
	STATE=$PS_ROOT/var/lib/picosnitch
	DB=$STATE/snitch.db
	LOG=$PS_ROOT/var/log/picosnitch/error.log
	PIDFILE=$PS_ROOT/run/picosnitch/picosnitch.pid
}

stop_daemon_root() {
	kill_background
	local pid
	if pid=$(cat "$PIDFILE" 2>/dev/null); then
		"$PS" stop >/dev/null 2>&1 3>&- || true
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	[[ -z ${PS_ROOT:-} ]] || rm -rf "$PS_ROOT"
}

start_daemon() {
	require_ebpf
	run -0 --separate-stderr "$PS" start 3>&-
	DAEMON=$(cat "$PIDFILE")
	[[ $DAEMON =~ ^[0-9]+$ ]] || fail "no pid in the pidfile: $DAEMON"
}

# The pid of STAGE in the daemon's process group (the oldest: snitch-notify forks a D-Bus helper).
stage_pid() { # STAGE
	pgrep -o -g "$DAEMON" -x "$1"
}

# A loopback TCP connection from a netgen copy at its own path (printed in $APP).
connect() { # NAME PORT
	local server
	server=$(own_path_copy "$NETGEN" "$1 server")
	serve_local "$BATS_TEST_TMPDIR/$1.server" "$server" tcp-server "$2" 4096
	APP=$(own_path_copy "$NETGEN" "$1")
	"$APP" tcp-client 127.0.0.1 "$2" 1000 >"$BATS_TEST_TMPDIR/$1.out"
	wait_for_line "$BATS_TEST_TMPDIR/$1.server" "sent=" 30
}

in_db() { # EXE
	local rows
	rows=$(sqlite3 -readonly -json "$DB" "SELECT exe, rport, sent, recv FROM connection_log" 2>/dev/null) || return 1
	[[ -n $rows ]] && jq -e --arg exe "$1" 'any(.[]; .exe == $exe and .recv >= 4096)' <<<"$rows" >/dev/null
}

wait_in_db() { # EXE [SECONDS]
	wait_until "${2:-30}" in_db "$1" && return 0
	fail "$1 never reached $DB"
}
