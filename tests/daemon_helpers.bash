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

# The pid of STAGE in the daemon's process group.
stage_pid() { # STAGE
	pgrep -g "$DAEMON" -x "$1"
}
