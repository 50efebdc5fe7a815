# Shared by every tests/*.bats: load inside setup() with `load helpers`.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

SNITCH_ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# The build under test: .output, or TEST_BUILD_DIR (relative to the tree), e.g. .output-asan.
BUILD_DIR=$(cd "$SNITCH_ROOT" && cd "${TEST_BUILD_DIR:-.output}" && pwd)
export PATH="$BUILD_DIR/bin:$BUILD_DIR/tests:$PATH"
NETGEN="$BUILD_DIR/tests/netgen"
# snitch-trace starts through tests/lib/trace.bash (trace_command): SNITCH_TRACE_HOOKS forces a hook set.
export SNITCH_TRACE="$BUILD_DIR/bin/snitch-trace"
# The library tests and bench share (tests/lib/*.bash, loaded by bench/lib.sh).
# shellcheck source=bench/lib.sh
source "$SNITCH_ROOT/bench/lib.sh"

# Each test gets its own HOME and XDG dirs; nothing leaks between tests.
isolate_home() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
	mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
	# as root the stages default to /etc/picosnitch and /var/lib/picosnitch: keep tests out of them
	export PICOSNITCH_DIR="$XDG_CONFIG_HOME/picosnitch"
}

# A missing capability skips on a developer machine but fails in CI, where
# every test must really run.
skip_or_fail() {
	if [[ "${CI:-}" == true ]]; then
		fail "CI needs this test to run, but: $1"
	fi
	skip "$1"
}

# TOOL --help (naming OPTION) and --version exit 0, an unknown option exits 2.
assert_cli() { # TOOL OPTION
	run -0 "$1" --help
	assert_output --partial "$2"
	run -0 "$1" --version
	assert_output --regexp "^$1 [0-9]+\.[0-9]+"
	run -2 "$1" --no-such-option
}

require_root() {
	[[ $EUID -eq 0 ]] || skip_or_fail "${1:-this test} needs root"
}

require_ebpf() {
	require_root "snitch-trace (CAP_BPF, CAP_PERFMON)"
	[[ -r /sys/kernel/btf/vmlinux ]] || skip_or_fail "kernel has no BTF: eBPF programs cannot load"
}

# Copies a program to a path of its own (spaces allowed), so that
# attribution can be checked by executable path. Prints the new path.
own_path_copy() { # SRC NAME
	local dir="$BATS_TEST_TMPDIR/bin dir"
	mkdir -p "$dir"
	cp "$1" "$dir/$2"
	chmod 0755 "$dir/$2"
	printf '%s\n' "$dir/$2"
}

# A second host (tests/lib/net.bash, peer_up): subnets of the suite's own, by its
# pid, so that two suite runs at once (worktrees) do not meet; peer_down in teardown.
start_peer() {
	require_root "a network namespace peer"
	peer_up $((100 + $$ % 150)) $(((BATS_SUITE_TEST_NUMBER % 200) + 20))
}

# snitch-trace in the background: events in $TRACE_OUT, stderr in $TRACE_ERR;
# stop_trace (tests/lib/trace.bash) ends it.
start_trace() {
	require_ebpf
	TRACE_OUT="$BATS_TEST_TMPDIR/trace.jsonl" TRACE_ERR="$BATS_TEST_TMPDIR/trace.err"
	launch_trace "$TRACE_OUT" "$TRACE_ERR" "$@"
}

# Sum of a field of the flow events selected by a jq filter, e.g.
#   flow_sum sent 'select(.exe == $exe)' --arg exe /x
flow_sum() { # FIELD FILTER [jq args...]
	local field=$1 filter=$2; shift 2
	jq -s "$@" "[.[] | select(.type == \"flow\") | $filter | .$field] | add // 0" "$TRACE_OUT"
}

# Asserts |actual - expected| <= pct% of expected.
assert_within() { # ACTUAL EXPECTED PCT LABEL
	local actual=$1 expected=$2 pct=$3
	if ! awk -v a="$actual" -v e="$expected" -v p="$pct" 'BEGIN { d = a - e; if (d < 0) d = -d; exit !(e > 0 && d <= e * p / 100) }'; then
		fail "${4:-value}: got $actual, expected $expected within $pct%"
	fi
}

# Runs a copy of netgen from its own path ($APP); its report goes to
# $BATS_TEST_TMPDIR/app.out.
app() { # NAME ARGS...
	local name=$1; shift
	APP=$(own_path_copy "$NETGEN" "$name")
	"$APP" "$@" >"$BATS_TEST_TMPDIR/app.out"
}

# The bytes snitch-trace reported for $APP against what its calls returned.
check_bytes() { # FIELD (sent|recv)
	local want got
	want=$(netgen_field "$BATS_TEST_TMPDIR/app.out" "$1")
	got=$(flow_sum "$1" 'select(.exe == $exe)' --arg exe "$APP")
	assert_within "$got" "$want" 10 "$1 bytes of $APP"
}

require_tmux() {
	command -v tmux >/dev/null || skip_or_fail "tmux not installed"
}

# tmux session "view" on the server $TMUX_SOCK: its text (-e: with the escape
# sequences tmux would send), and a wait until it shows TEXT (fixed string).
tmux_screen() { tmux -L "$TMUX_SOCK" capture-pane -t view -p "$@"; }

screen_shows() { # TEXT
	tmux_screen 2>/dev/null | grep -qF -- "$1"
}

wait_tmux_screen() { # TEXT [SECONDS]
	wait_until "${2:-15}" screen_shows "$1" && return 0
	tmux_screen >&2
	fail "screen never showed: $1"
}

# Fails if terminal output (FILE) holds a C0 or C1 control character or an
# escape sequence other than the SGR attributes (ESC [ ... m) a TUI draws with.
assert_no_raw_controls() { # FILE
	local bad
	bad=$(sed 's/\x1b\[[0-9;]*m//g' "$1" | LC_ALL=C grep -naP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' | head -3)
	[[ -z $bad ]] || fail "raw control characters reached the terminal: $(printf %q "$bad")"
}

require_dbus() {
	/usr/bin/python3 -c 'import dbus, gi' 2>/dev/null || skip_or_fail "python3-dbus and python3-gi are needed for the D-Bus listener"
	command -v dbus-daemon >/dev/null || skip_or_fail "dbus-daemon (package dbus) is not installed"
}

# A session bus at unix:path=$1 with tests/notify_listener.py recording into
# $RECORD, both run as user $2 (default: us). Exports DBUS_SESSION_BUS_ADDRESS.
start_bus() { # SOCKET [USER]
	local sock=$1 as=()
	[[ -n "${2:-}" ]] && as=(setpriv --reuid="$2" --regid="$2" --clear-groups)
	"${as[@]}" dbus-daemon --session --nofork --address="unix:path=$sock" --print-address \
		>"$BATS_TEST_TMPDIR/bus.out" 2>"$BATS_TEST_TMPDIR/bus.err" 3>&- 7>&- &
	BG_PIDS+=("$!")
	wait_for_line "$BATS_TEST_TMPDIR/bus.out" "unix:path=" 30
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$sock"
	"${as[@]}" /usr/bin/python3 "$SNITCH_ROOT/tests/notify_listener.py" "$RECORD" >"$BATS_TEST_TMPDIR/listener.out" 2>&1 3>&- 7>&- &
	BG_PIDS+=("$!")
	wait_for_line "$BATS_TEST_TMPDIR/listener.out" listening 30
}

# Everything recorded so far, as one JSON array.
recorded() {
	if [[ -s "$RECORD" ]]; then jq -s . "$RECORD"; else echo '[]'; fi
}

# What the snitch-view and snitch-web suites share: a home of their own, UTC, and
# the paths of the fixture events, the database the store writes and an empty config.
setup_view_fixture() {
	isolate_home
	BG_PIDS=()
	export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
	FIXTURE="$SNITCH_ROOT/tests/fixtures/view-events.jsonl"
	DB="$BATS_TEST_TMPDIR/snitch.db"
	CONF="$BATS_TEST_TMPDIR/none.json"
	echo '{}' >"$CONF"
}

# The fixture's events (or EVENTS) stored in $DB (or DB) by snitch-store.
store_fixture() { # [DB] [EVENTS]
	snitch-store --config "$CONF" --db "${1:-$DB}" -q <"${2:-$FIXTURE}"
}

# A version 4 SQLite log (the last before interned rows): tests/fixtures/view-events.jsonl
# as snitch-store wrote it then.
VERSION_4_SQL="$SNITCH_ROOT/tests/fixtures/schema-4.sql"
# What versions 3 and 4 added, undone (a version 4 SQLite log, or PostgreSQL).
BEFORE_4="DROP INDEX connections_exe_time; DROP INDEX connections_domain_time;
	CREATE INDEX connections_exe ON connections (exe_id); CREATE INDEX connections_domain ON connections (domain);"
BEFORE_3="$BEFORE_4 DROP TABLE rollup;"
# A version 4 log made what version 2 left (SQLite).
AS_VERSION_2="$BEFORE_3 DROP TABLE rollup_state; PRAGMA user_version = 2"
