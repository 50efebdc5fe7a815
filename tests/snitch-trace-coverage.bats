# snitch-trace coverage: every protocol and I/O path a program can move bytes
# by, real traffic against a namespace peer, byte totals checked against what
# the application's own calls returned.

setup() {
	load helpers
	isolate_home
	BG_PIDS=()
}

teardown() {
	kill_background
	stop_peer
	stop_container
	restore_ping_sockets
}

# Runs a copy of netgen from its own path; its report goes to $BATS_TEST_TMPDIR/app.out.
app() { # NAME ARGS...
	local name=$1; shift
	APP=$(own_path_copy "$NETGEN" "$name")
	"$APP" "$@" >"$BATS_TEST_TMPDIR/app.out"
}

check_bytes() { # FIELD (sent|recv)
	local want got
	want=$(netgen_field "$BATS_TEST_TMPDIR/app.out" "$1")
	got=$(flow_sum "$1" 'select(.exe == $exe)' --arg exe "$APP")
	assert_within "$got" "$want" 10 "$1 bytes of $APP"
}

# "proto family raddr" of the app's flows, one line each, sorted.
app_peers() {
	jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.proto) \(.family) \(.raddr)"] | unique | .[]' "$TRACE_OUT"
}

stop_container() { :; }

# Ping sockets are open to the groups in net.ipv4.ping_group_range, root's
# included; the test widens it for its own run and puts it back.
allow_ping_sockets() {
	PING_RANGE=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
	sysctl -qw net.ipv4.ping_group_range="0 0"
}

restore_ping_sockets() {
	[[ -n "${PING_RANGE:-}" ]] && sysctl -qw net.ipv4.ping_group_range="$PING_RANGE"
	PING_RANGE=
}

@test "ICMP echo flood through an unconnected ping socket: bytes and peer" {
	start_peer
	allow_ping_sockets
	start_trace
	app "pinger" ping "$PEER_IP4" 300 1000
	stop_trace
	check_bytes sent
	check_bytes recv
	run app_peers
	assert_output "icmp ipv4 $PEER_IP4"
}

@test "ICMPv6 echo flood through a ping socket and ICMP through a raw socket" {
	start_peer
	allow_ping_sockets
	start_trace
	app "pinger6" ping "$PEER_IP6" 200 1200
	local v6=$APP
	cp "$BATS_TEST_TMPDIR/app.out" "$BATS_TEST_TMPDIR/v6.out"
	app "raw pinger" ping "$PEER_IP4" 200 800 raw
	stop_trace
	check_bytes sent
	check_bytes recv
	run app_peers
	assert_output "icmp ipv4 $PEER_IP4"
	APP=$v6
	cp "$BATS_TEST_TMPDIR/v6.out" "$BATS_TEST_TMPDIR/app.out"
	check_bytes sent
	check_bytes recv
	run app_peers
	assert_output "icmpv6 ipv6 $PEER_IP6"
}

@test "raw IP protocol 253 both ways through an unconnected raw socket" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" raw-echo 253 1500
	start_trace
	app "raw253" raw-send "$PEER_IP4" 253 1000 400
	stop_trace
	check_bytes sent
	check_bytes recv
	(( $(netgen_field "$BATS_TEST_TMPDIR/app.out" recv) > 0 ))
	run app_peers
	assert_output "raw:253 ipv4 $PEER_IP4"
}

@test "AF_PACKET SOCK_RAW and SOCK_DGRAM frames both ways on the veth: family packet" {
	start_peer
	local pv
	pv=$(ip netns exec "$PEER_NS" ip -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1)
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" packet-echo "$pv" 0x88b5 1500
	start_trace
	app "packet raw" packet-send "$PEER_VETH" 0x88b5 600 300 raw
	local raw=$APP
	cp "$BATS_TEST_TMPDIR/app.out" "$BATS_TEST_TMPDIR/raw.out"
	app "packet dgram" packet-send "$PEER_VETH" 0x88b5 500 300 dgram
	stop_trace
	check_bytes sent
	check_bytes recv
	(( $(netgen_field "$BATS_TEST_TMPDIR/app.out" recv) > 0 ))
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.family) \(.proto)"] | unique | .[]' "$TRACE_OUT"
	assert_output "packet eth:0x88b5"
	APP=$raw
	cp "$BATS_TEST_TMPDIR/raw.out" "$BATS_TEST_TMPDIR/app.out"
	check_bytes sent
	check_bytes recv
}

@test "SCTP where the kernel has it" {
	if ! python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>/dev/null; then
		skip "this kernel has no SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails)"
	fi
	start_trace
	APP=$(own_path_copy /usr/bin/python3 "sctp py")
	"$APP" - >"$BATS_TEST_TMPDIR/app.out" <<'PY'
import socket
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
srv.bind(("127.0.0.1", 0)); srv.listen(1)
cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)
cli.connect(srv.getsockname()); conn, _ = srv.accept()
sent = sum(cli.send(b"x" * 1000) for _ in range(200))
got = 0
while got < sent:
    got += len(conn.recv(65536))
print(f"sent={sent} recv={got}")
PY
	stop_trace
	check_bytes sent
	check_bytes recv
}

# One TCP connection per way of sending and receiving, each from its own exe.
@test "every TCP I/O path: write, writev, sendmsg, sendfile, splice, io_uring, MSG_ZEROCOPY; read, readv, recvmsg, splice, io_uring" {
	start_peer
	local ways=("write read" "writev readv" "sendmsg recvmsg" "sendfile splice" "splice uring" "uring splice" "zerocopy read" "send recv")
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7101 $((3 << 20)) ${#ways[@]}
	start_trace
	local w apps=()
	for w in "${ways[@]}"; do
		set -- $w
		app "io $1 $2" tcp-io "$PEER_IP4" 7101 $((2 << 20)) "$1" "$2"
		cp "$BATS_TEST_TMPDIR/app.out" "$BATS_TEST_TMPDIR/io $1 $2.out"
		apps+=("$APP")
	done
	stop_trace
	for APP in "${apps[@]}"; do
		cp "$BATS_TEST_TMPDIR/${APP##*/}.out" "$BATS_TEST_TMPDIR/app.out"
		check_bytes sent
		check_bytes recv
	done
}

@test "sendmmsg and recvmmsg datagrams are counted" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" udp-echo 7102 1500
	start_trace
	app "mmsg" udp-mmsg "$PEER_IP4" 7102 700 2000
	stop_trace
	check_bytes sent
	check_bytes recv
	(( $(netgen_field "$BATS_TEST_TMPDIR/app.out" recv) > 0 ))
}
