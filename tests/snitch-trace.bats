# snitch-trace: real eBPF programs on this kernel, real traffic to a peer
# namespace and on loopback, byte totals checked against what the
# application's own calls returned.

setup() {
	load helpers
	isolate_home
	BG_PIDS=()
}

teardown() {
	kill_background
	stop_peer
}

@test "snitch-trace --help and --version exit 0, a bad option exits 2" {
	run -0 snitch-trace --help
	assert_output --partial "--interval"
	run -0 snitch-trace --version
	assert_output --regexp "^snitch-trace [0-9]+\.[0-9]+"
	run -2 snitch-trace --no-such-option
}

@test "snitch-trace without root says what is missing and exits 1" {
	require_root "dropping to an unprivileged user"
	run -1 --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD_DIR/bin/snitch-trace"
	assert_equal "$output" ""
	[[ "$stderr" == *"needs root"* ]]
}

@test "snitch-trace says which hooks it uses and exits 0 on SIGTERM" {
	start_trace
	run cat "$TRACE_ERR"
	assert_output --regexp "hooks [a-z_]+.*ready"
	kill -TERM "$TRACE_PID"
	local status=0
	wait "$TRACE_PID" || status=$?
	TRACE_PID=
	assert_equal "$status" 0
}

@test "TCP download from a peer: attributed to the exe path, bytes within 10%" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7001 $((8 << 20))
	start_trace
	app "tcp download" tcp-client "$PEER_IP4" 7001 0
	stop_trace
	check_bytes recv
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe)][0] | "\(.proto) \(.family) \(.raddr) \(.rport)"' "$TRACE_OUT"
	assert_output "tcp ipv4 $PEER_IP4 7001"
}

@test "TCP upload to a peer: sent bytes within 10%" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7002 0
	start_trace
	app "tcp upload" tcp-client "$PEER_IP4" 7002 $((8 << 20))
	stop_trace
	check_bytes sent
}

@test "TCP full duplex: both directions within 10%" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7003 $((4 << 20))
	start_trace
	app "tcp duplex" tcp-client "$PEER_IP4" 7003 $((4 << 20))
	stop_trace
	check_bytes sent
	check_bytes recv
}

@test "UDP both ways through an unconnected socket: bytes and peer address" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" udp-echo 7004 1000
	start_trace
	app "udp both" udp-send "$PEER_IP4" 7004 1000 500
	stop_trace
	check_bytes sent
	check_bytes recv
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.proto) \(.raddr):\(.rport)"] | unique | .[]' "$TRACE_OUT"
	assert_output "udp $PEER_IP4:7004"
}

@test "IPv6 TCP and connected UDP to a peer: bytes within 10%" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7005 $((2 << 20))
	start_trace
	app "tcp6" tcp-client "$PEER_IP6" 7005 $((2 << 20))
	local tcp6=$APP
	cp "$BATS_TEST_TMPDIR/app.out" "$BATS_TEST_TMPDIR/tcp6.out"
	peer_serve "$BATS_TEST_TMPDIR/peer2.out" "$NETGEN" udp-echo 7006 1000
	app "udp6" udp-send "$PEER_IP6" 7006 1200 300 connected
	stop_trace
	check_bytes sent
	check_bytes recv
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.proto) \(.family)"] | unique | .[]' "$TRACE_OUT"
	assert_output "udp ipv6"
	APP=$tcp6
	cp "$BATS_TEST_TMPDIR/tcp6.out" "$BATS_TEST_TMPDIR/app.out"
	check_bytes sent
	check_bytes recv
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.proto) \(.family)"] | unique | .[]' "$TRACE_OUT"
	assert_output "tcp ipv6"
}

@test "a flood of 64-byte UDP datagrams counts payload, not headers, within 10%" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" udp-echo 7007 1000 sink
	start_trace
	app "udp flood" udp-send "$PEER_IP4" 7007 64 50000 connected
	stop_trace
	check_bytes sent
}

@test "an accepted server socket is attributed to the server" {
	start_peer
	start_trace
	local server
	server=$(own_path_copy "$NETGEN" "tcp server")
	serve_local "$BATS_TEST_TMPDIR/server.out" "$server" tcp-server 7008 $((3 << 20))
	ip netns exec "$PEER_NS" "$NETGEN" tcp-client "$HOST_IP4" 7008 $((1 << 20)) >"$BATS_TEST_TMPDIR/client.out"
	wait_for_line "$BATS_TEST_TMPDIR/server.out" "sent="
	stop_trace
	APP=$server
	cp "$BATS_TEST_TMPDIR/server.out" "$BATS_TEST_TMPDIR/app.out"
	check_bytes sent
	check_bytes recv
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | .lport] | unique | .[]' "$TRACE_OUT"
	assert_output "7008"
}

@test "loopback TCP is seen on both ends" {
	start_trace
	local server
	server=$(own_path_copy "$NETGEN" "loop server")
	serve_local "$BATS_TEST_TMPDIR/server.out" "$server" tcp-server 7009 $((1 << 20))
	app "loop client" tcp-client 127.0.0.1 7009 $((2 << 20))
	wait_for_line "$BATS_TEST_TMPDIR/server.out" "sent="
	stop_trace
	check_bytes sent
	check_bytes recv
	run flow_sum recv 'select(.exe == $exe)' --arg exe "$server"
	assert_within "$output" $((2 << 20)) 10 "server recv"
}

@test "200 short-lived processes that exit without closing are each attributed" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7010 0 200
	start_trace
	app "short lived" children 200 "$PEER_IP4" 7010 51200
	wait_for_line "$BATS_TEST_TMPDIR/peer.out" "sent="
	stop_trace
	check_bytes sent
	run jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .sent > 0) | .pid] | unique | length' "$TRACE_OUT"
	assert_output 200
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | .parent.exe] | unique | .[]' "$TRACE_OUT"
	assert_output "$APP"
}

@test "a program whose path has spaces is reported with its exact path, dev and ino" {
	start_trace
	local server
	server=$(own_path_copy "$NETGEN" "sp server")
	serve_local "$BATS_TEST_TMPDIR/server.out" "$server" tcp-server 7011 1000
	app "name with  spaces" tcp-client 127.0.0.1 7011 1000
	stop_trace
	[[ "$APP" == *"bin dir/name with  spaces" ]]
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.dev) \(.ino)"] | unique | .[]' "$TRACE_OUT"
	assert_output "$(stat -c '%d %i' "$APP")"
}

@test "--exec emits exec events with the kernel's exe path and command line" {
	start_trace --exec
	app "exec probe" tcp-client 127.0.0.1 1 0 || true
	stop_trace
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "exec" and .exe == $exe)][0].cmdline' "$TRACE_OUT"
	assert_output "$APP tcp-client 127.0.0.1 1 0"
}

@test "a refused connection is still reported as a flow with no bytes" {
	start_trace
	app "refused" tcp-client 127.0.0.1 1 0 || true
	stop_trace
	run jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .rport == 1)] | length' "$TRACE_OUT"
	assert_output 1
}

@test "a full flow map is reported as an error event with the count of flows lost" {
	start_trace --flow-entries 16
	local server
	server=$(own_path_copy "$NETGEN" "many server")
	serve_local "$BATS_TEST_TMPDIR/server.out" "$server" tcp-server 7012 100 60
	app "many client" tcp-client 127.0.0.1 7012 100 60
	stop_trace
	run jq -s '[.[] | select(.type == "error" and (.message | test("flow map full"))) | .lost] | add' "$TRACE_OUT"
	(( output > 0 ))
}

@test "an overflowing ring buffer is reported as an error event with the count lost" {
	start_trace --ringbuf-bytes 4096 --exec
	local i pids=()
	for ((i = 0; i < 300; i++)); do /bin/true 3>&- & pids+=("$!"); done
	wait "${pids[@]}"
	# and a burst of DNS-port datagrams: each is copied whole to the ring
	python3 -c '
import socket
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53))
for _ in range(3000): s.sendto(b"\x12\x34\x81\x80" + bytes(60), r.getsockname())'
	stop_trace
	run jq -s '[.[] | select(.type == "error" and (.message | test("ring buffer"))) | .lost] | add' "$TRACE_OUT"
	(( output > 0 ))
}
