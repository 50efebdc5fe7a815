# Attacks on the root daemon (issue 17), each performed for real: links and
# FIFOs planted by a real unprivileged user, real processes, the real wrapper
# with its layout under a root of the test's own. The table in tests/README.md
# maps each point to its test here or in the stage's own suite.

bats_require_minimum_version 1.5.0

setup_file() {
	[[ $EUID -eq 0 ]] || return 0
	# the desktop user whose ~/.config/picosnitch an attacker controls, one per
	# run (named by its pid) so that two runs on one machine never share it
	local u
	for u in $(getent passwd | cut -d: -f1 | grep '^snitch-atk-[0-9]*$'); do
		kill -0 "${u#snitch-atk-}" 2>/dev/null || userdel "$u" 2>/dev/null || true
	done
	export ATTACKER=snitch-atk-$$
	ATTACKER_HOME=$(mktemp -d /tmp/snitch-attacker.XXXXXX)
	export ATTACKER_HOME
	chmod 0755 "$ATTACKER_HOME"
	useradd --no-create-home --home-dir "$ATTACKER_HOME" --shell /bin/sh "$ATTACKER"
	chown "$ATTACKER:" "$ATTACKER_HOME"
}

teardown_file() {
	[[ $EUID -eq 0 ]] || return 0
	userdel "$ATTACKER" 2>/dev/null || true
	rm -rf "$ATTACKER_HOME"
}

setup() {
	load helpers
	load daemon_helpers
	require_root "a second user and root-owned files"
	BG_PIDS=()
	daemon_root
	OLD="$ATTACKER_HOME/.config/picosnitch"
	as_attacker mkdir -p "$OLD"
	# what the attacker wants root to write or read
	TARGET="$PS_ROOT/ld.so.preload"
	echo precious >"$TARGET"
}

teardown() {
	stop_daemon_root
	rm -rf "$ATTACKER_HOME/.config"
}

as_attacker() { setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups -- "$@"; }

# `sudo picosnitch CMD` by the attacker's desktop user (sudo's variables).
sudo_ps() { # CMD...
	SUDO_USER=$ATTACKER SUDO_UID=$(id -u "$ATTACKER") SUDO_GID=$(id -g "$ATTACKER") "$PS" "$@" 3>&-
}

target_untouched() {
	[[ ! -L $TARGET ]] && [[ $(stat -c '%U %a' "$TARGET") == "root 644" ]] && [[ $(cat "$TARGET") == precious ]] ||
		fail "$TARGET was changed: $(stat -c '%U %a' "$TARGET") $(cat "$TARGET")"
}

@test "1: a link planted as ~/.config/picosnitch/config.json is not written through, chowned or imported" {
	as_attacker ln -s "$TARGET" "$OLD/config.json"
	run -1 --separate-stderr sudo_ps start
	[[ $stderr == *"not imported"* ]] || fail "stderr: $stderr"
	target_untouched
	[[ ! -e $CONF ]] || fail "a configuration was made from the link"
	# a link to a file the user may read is read as the user: its text, never root's view
	chmod 0600 "$TARGET"
	echo '{"Log ignore": ["x"]}' >"$PS_ROOT/readable.json"
	chmod 0644 "$PS_ROOT/readable.json"
	as_attacker ln -sfn "$PS_ROOT/readable.json" "$OLD/config.json"
	run -1 --separate-stderr sudo_ps start
	[[ ! -e $CONF ]] || fail "imported through a link"
}

@test "1: a FIFO as the old config.json does not hang the start" {
	as_attacker mkfifo "$OLD/config.json"
	run -1 --separate-stderr timeout 30 env SUDO_USER="$ATTACKER" SUDO_UID="$(id -u "$ATTACKER")" \
		SUDO_GID="$(id -g "$ATTACKER")" "$PS" start 3>&-
	[[ $stderr == *"not a regular file"* ]] || fail "stderr: $stderr"
}

@test "1: the old config.json is imported once, root's; links in the old directory are never used" {
	echo '{"Log commands": false}' | as_attacker tee "$OLD/config.json" >/dev/null
	local f
	for f in picosnitch.pid error.log summary.json snitch.db vt_cache.db pg-queue; do
		as_attacker ln -s "$TARGET" "$OLD/$f"
	done
	run --separate-stderr sudo_ps start
	[[ $stderr == *"imported $OLD/config.json"* ]] || fail "stderr: $stderr"
	sudo_ps stop >/dev/null 2>&1 || true
	target_untouched
	run -0 stat -c '%U %a' "$CONF" "$(dirname "$CONF")" "$PS_ROOT/run/picosnitch" "$(dirname "$LOG")"
	assert_equal "${lines[0]}" "root 600"
	assert_equal "${lines[1]}" "root 755"
	assert_equal "${lines[2]}" "root 755"
	[[ ${lines[3]} == "root 750" ]] || fail "log dir: ${lines[3]}"
	run -0 jq -e '."Log commands" == false' "$CONF"
	run -0 find "$OLD" -newer "$TARGET" -not -user "$ATTACKER"
	assert_output ""
}

@test "2: the monitored user cannot read, write or replace the policy" {
	echo '{"VT API key": "sekret"}' | as_attacker tee "$OLD/config.json" >/dev/null
	run --separate-stderr sudo_ps start
	[[ -f $CONF ]] || fail "not imported: $stderr"
	sudo_ps stop >/dev/null 2>&1 || true
	run ! as_attacker cat "$CONF"
	run ! as_attacker sh -c "echo '{}' >'$CONF'"
	run ! as_attacker mv "$CONF" "$CONF.x"
	run ! as_attacker touch "$(dirname "$CONF")/new"
	# editing the old file changes nothing any more
	echo '{"Log ignore": ["0.0.0.0/0"]}' | as_attacker tee "$OLD/config.json" >/dev/null
	run --separate-stderr sudo_ps start
	sudo_ps stop >/dev/null 2>&1 || true
	run -0 jq -e '."VT API key" == "sekret" and (has("Log ignore") | not)' "$CONF"
}

@test "2: root refuses a configuration or a directory someone else can change" {
	mkdir -p "$(dirname "$CONF")"
	echo '{}' >"$CONF"
	chmod 0666 "$CONF"
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *"is not root's alone"* ]] || fail "stderr: $stderr"
	chmod 0600 "$CONF"
	chown "$ATTACKER" "$(dirname "$CONF")"
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *"is not root's alone"* ]] || fail "stderr: $stderr"
	chown root "$(dirname "$CONF")"
	# the state directory is the service user's: a link there is refused
	rm -rf "$STATE"
	ln -s "$PS_ROOT" "$STATE"
	run -1 --separate-stderr "$PS" start 3>&-
	[[ $stderr == *"symbolic link"* ]] || fail "stderr: $stderr"
}

@test "3: snitch-vt, snitch-notify and snitch-store run as picosnitch with no capabilities; trace and hash keep only theirs" {
	start_daemon
	local stage pid
	for stage in snitch-vt snitch-notify snitch-store; do
		pid=$(stage_pid "$stage")
		run -0 ps -o user= -p "$pid"
		assert_output picosnitch
		run -0 grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$pid/status"
		assert_output "$(printf 'CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\nNoNewPrivs:\t1' 0 0 0 0 0)"
	done
	# bits: 2 dac_read_search, 12 net_admin, 19 sys_ptrace, 24 sys_resource, 38 perfmon, 39 bpf,
	# less what our own bounding set lacks (a container, the unit)
	local ours
	ours=$((16#$(sed -n 's/^CapBnd:\t//p' /proc/self/status)))
	pid=$(stage_pid snitch-trace)
	run -0 grep -x "$(printf 'CapBnd:\t%016x' $(((1 << 2 | 1 << 12 | 1 << 19 | 1 << 24 | 1 << 38 | 1 << 39) & ours)))" "/proc/$pid/status"
	pid=$(stage_pid snitch-hash)
	run -0 grep -x "$(printf 'CapBnd:\t%016x' $(((1 << 2 | 1 << 19) & ours)))" "/proc/$pid/status"
	# the log is the service user's, readable by its group (the desktop user joins it)
	run -0 stat -c '%U %G' "$STATE"
	assert_output "picosnitch picosnitch"
}

@test "3: a desktop user in group picosnitch views the log and status without sudo" {
	start_daemon
	connect "viewed client" 7301
	wait_in_db "$APP"
	usermod -a -G picosnitch "$ATTACKER"
	run -0 setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --init-groups "$PS" view --print --screen exe
	assert_output --partial "$APP"
	run -0 setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --init-groups "$PS" status
	assert_line --regexp "^picosnitch: +running \(pid $DAEMON"
	gpasswd -d "$ATTACKER" picosnitch >/dev/null
	run ! as_attacker sqlite3 -readonly "$DB" 'SELECT 1'
}

@test "5: a PostgreSQL password is not on any command line, in error.log or on the terminal" {
	require_ebpf
	mkdir -p "$(dirname "$CONF")"
	jq -n '{"Database": "postgresql://snitch:hunter2sekret@127.0.0.1:9/snitch?password=hunter2sekret"}' >"$CONF"
	chmod 0600 "$CONF"
	run -0 --separate-stderr "$PS" start 3>&-
	DAEMON=$(cat "$PIDFILE")
	[[ "$output$stderr" != *hunter2sekret* ]] || fail "start showed it: $stderr"
	run -0 ps -eo args
	[[ $output != *hunter2sekret* ]] || fail "in argv: $(grep hunter2sekret <<<"$output")"
	run -0 "$PS" status
	[[ $output != *hunter2sekret* ]] || fail "status showed it"
	assert_line --partial 'postgresql://snitch:***@127.0.0.1:9/snitch?password=***'
	"$PS" stop >/dev/null 3>&-
	run -1 grep -r hunter2sekret "$LOG"
	run -1 --separate-stderr env PICOSNITCH_DB=postgresql://x:y@h/db "$PS" run 3>&-
	[[ $stderr == *"PICOSNITCH_DB is for SQLite paths"* ]] || fail "stderr: $stderr"
}

@test "6: a stale pidfile naming someone else's process neither blocks a start nor gets it signalled" {
	mkdir -p "$PS_ROOT/run/picosnitch"
	setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups bash -c 'exec -a picosnitch sleep 300' 3>&- &
	local victim=$!
	BG_PIDS+=("$victim")
	echo "$victim" >"$PIDFILE"
	: >"$PS_ROOT/run/picosnitch/lock"
	run -0 --separate-stderr "$PS" stop 3>&-
	[[ $stderr == *"not running"* ]] || fail "stderr: $stderr"
	kill -0 "$victim" || fail "stop signalled the user's process"
	run -3 "$PS" status
	assert_line --partial "not running"
	run --separate-stderr "$PS" start 3>&-
	[[ $stderr != *"already running"* ]] || fail "a stale pidfile blocked the start"
	"$PS" stop >/dev/null 2>&1 3>&- || true
	kill -0 "$victim" || fail "the user's process was signalled"
	# the lock that says who runs is root's alone
	run ! as_attacker flock -n "$PS_ROOT/run/picosnitch/lock" true
}

@test "9: systemd refuses to make root run a wrapper or stages the user can change" {
	local tree="$ATTACKER_HOME/checkout"
	as_attacker mkdir -p "$tree/bin" "$tree/systemd"
	as_attacker cp "$SNITCH_ROOT/tools/picosnitch" "$tree/bin/"
	as_attacker cp "$BUILD_DIR"/bin/snitch-* "$tree/bin/"
	as_attacker cp "$SNITCH_ROOT/systemd/picosnitch.service" "$tree/systemd/"
	local units="$BATS_TEST_TMPDIR/units"
	PICOSNITCH_UNIT_DIR=$units run -1 --separate-stderr "$tree/bin/picosnitch" systemd
	[[ $stderr == *"can be changed by someone other than root"* ]] || fail "stderr: $stderr"
	[[ ! -e $units/picosnitch.service ]] || fail "a unit was written"
	# root's own copy of the same files is fine
	cp -r "$tree" "$PS_ROOT/opt"
	chown -R root:root "$PS_ROOT/opt"
	PICOSNITCH_UNIT_DIR=$units run -0 "$PS_ROOT/opt/bin/picosnitch" systemd
	run -0 grep -x "ExecStart=$PS_ROOT/opt/bin/picosnitch run --no-restart" "$units/picosnitch.service"
}

# DNS over UDP by hand, as a process that wants to name its own connections
# would do it. Modes: forge SERVER UNASKED_ADDR SELF_ADDR (an answer nobody
# asked for, then a query it answers itself, both from SERVER:53), answer
# SERVER NAME ADDR (one answer to the next query), ask SERVER NAME ADDR.
# Every mode that learns an address connects to ADDR:9 (refused: a flow).
dns_by_hand() { # MODE ARGS...
	python3 - "$@" <<'PY'
import socket, struct, sys
def wire(n): return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".")) + b"\0"
def query(i, n): return struct.pack(">6H", i, 0x0100, 1, 0, 0, 0) + wire(n) + struct.pack(">HH", 1, 1)
def answer(i, n, a):
    return (struct.pack(">6H", i, 0x8180, 1, 1, 0, 0) + wire(n) + struct.pack(">HH", 1, 1)
            + b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + socket.inet_aton(a))
def udp(addr=("127.0.0.1", 0)):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5); s.bind(addr); return s
def connect(a):
    try: socket.create_connection((a, 9), timeout=2)
    except OSError: pass
mode, server = sys.argv[1], sys.argv[2]
if mode == "forge":
    unasked, self_addr = sys.argv[3:5]
    ans, me = udp((server, 53)), udp()
    ans.sendto(answer(0x1111, "unasked.example.org", unasked), me.getsockname())
    me.recv(512)
    me.sendto(query(0x2222, "self.example.org"), (server, 53))
    _, peer = ans.recvfrom(512)
    ans.sendto(answer(0x2222, "self.example.org", self_addr), peer)
    me.recv(512)
    connect(unasked); connect(self_addr)
elif mode == "answer":
    ans = udp((server, 53)); ans.settimeout(20)
    print("listening", flush=True)
    q, peer = ans.recvfrom(512)
    ans.sendto(answer(struct.unpack(">H", q[:2])[0], sys.argv[3], sys.argv[4]), peer)
elif mode == "ask":
    me = udp()
    me.sendto(query(0x3333, sys.argv[3]), (server, 53))
    me.recv(512)
    connect(sys.argv[4])
PY
}

domain_of() { # RADDR
	jq -rs --arg a "$1" '[.[] | select(.type == "flow" and .raddr == $a) | .domain] | unique | join(",")' "$TRACE_OUT"
}

@test "10: a process cannot name its own connections with DNS answers it sent itself" {
	require_ebpf
	local net="127.53.$(($$ % 250)).$((BATS_SUITE_TEST_NUMBER % 250))"
	local server="$net" unasked=127.54.0.1 self=127.54.0.2 real=127.54.0.3
	start_trace
	dns_by_hand forge "$server" "$unasked" "$self"
	# the control: a resolver of another user answers this user's question
	serve_local "$BATS_TEST_TMPDIR/answer.out" dns_by_hand answer "$server" real.example.org "$real"
	setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "$(declare -f dns_by_hand); dns_by_hand ask $server real.example.org $real"
	stop_trace
	run -0 domain_of "$real"
	assert_output real.example.org
	run -0 domain_of "$unasked"
	assert_output ""
	run -0 domain_of "$self"
	assert_output ""
}

@test "11: a flood of DNS-port datagrams does not crowd out the exec record of a short-lived process" {
	require_ebpf
	local server="127.53.$(($$ % 250)).$((BATS_SUITE_TEST_NUMBER % 250))"
	start_trace --exec --ringbuf-bytes 65536
	python3 - "$server" <<'PY' 3>&- &
import socket, sys, time
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 53))
end = time.monotonic() + 1.5
while time.monotonic() < end:
    for _ in range(100): s.sendto(b"\x12\x34\x81\x80" + bytes(1000), r.getsockname())
PY
	local flood=$!
	BG_PIDS+=("$flood")
	sleep 0.2
	app "flooded" tcp-client 127.0.0.1 1 0 || true
	wait "$flood"
	stop_trace
	run -0 jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .rport == 1)] | length' "$TRACE_OUT"
	assert_output 1
	run -0 jq -rs --arg exe "$APP" '[.[] | select(.type == "exec" and .exe == $exe)] | length' "$TRACE_OUT"
	assert_output 1
	run -0 jq -s '[.[] | select(.type == "error" and (.message | test("process start")))] | length' "$TRACE_OUT"
	assert_output 0
}

@test "13: an exe path that cannot name what ran is marked: memfd, deleted before exec, another mount namespace" {
	require_ebpf
	local bin="$BATS_TEST_TMPDIR/doomed" other="$BATS_TEST_TMPDIR/other"
	cp /bin/true "$bin"
	cp /bin/true "$other"
	start_trace --exec
	python3 -c 'import os; fd = os.memfd_create("usr-bin-true", 0); os.write(fd, open("/bin/true", "rb").read()); os.execve(fd, ["memfd"], {})'
	python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.unlink(sys.argv[1]); os.execve(fd, ["deleted"], {})' "$bin"
	unshare -m sh -c 'mount --bind "$1" /bin/true && exec /bin/true bound' sh "$other"
	/bin/true plain
	stop_trace
	unverified_of() { jq -rs --arg c "$1" '[.[] | select(.type == "exec" and .cmdline == $c) | .exe_unverified // "none"] | join(",")' "$TRACE_OUT"; }
	run -0 unverified_of memfd
	assert_output "no mount"
	run -0 unverified_of deleted
	assert_output deleted
	run -0 unverified_of "/bin/true bound"
	assert_output "other mount namespace"
	run -0 unverified_of "/bin/true plain"
	assert_output none
}
