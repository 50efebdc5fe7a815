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
	peer_down
	stop_container
	restore_ping_sockets
}

# "proto family raddr" of the app's flows, one line each, sorted.
app_peers() {
	jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.proto) \(.family) \(.raddr)"] | unique | .[]' "$TRACE_OUT"
}

# A container (tests/lib/net.bash): its own network, pid and mount namespaces, NAT
# towards the peer, a tmpfs root it pivots into, its own cgroup.
start_container() {
	command -v nft >/dev/null || skip_or_fail "nft is not installed (Debian package nftables)"
	container_up "$BATS_TEST_TMPDIR" $(( (BATS_SUITE_TEST_NUMBER % 200) + 20 )) "$HOST_VETH" "$NETGEN" ctr-app
}

# Runs ARGS as /app/ctr-app inside the container; output to $BATS_TEST_TMPDIR/app.out.
in_container() { # ARGS...
	container_run ctr-app "$@" >"$BATS_TEST_TMPDIR/app.out"
}

stop_container() {
	container_down
}

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
	# idle time the echo waits for: long enough for the second sender on a slow VM
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" packet-echo "$PEER_VETH" 0x88b5 6000
	start_trace
	app "packet raw" packet-send "$HOST_VETH" 0x88b5 600 300 raw
	local raw=$APP
	cp "$BATS_TEST_TMPDIR/app.out" "$BATS_TEST_TMPDIR/raw.out"
	app "packet dgram" packet-send "$HOST_VETH" 0x88b5 500 300 dgram
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
sent = got = 0
for _ in range(200):  # each read back before the next: 200 kB unread can fill SCTP's window
    sent += cli.send(b"x" * 1000)
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

# A real DNS server: dnsmasq in the peer namespace (or on host loopback),
# records given as options. Waits until it answers on port 53.
start_dnsmasq() { # NETNS|"" LISTEN_IP ARGS...
	local ns=$1 ip=$2; shift 2
	command -v dnsmasq >/dev/null || skip_or_fail "dnsmasq is not installed (Debian package dnsmasq-base)"
	local run=()
	[[ -n "$ns" ]] && run=(ip netns exec "$ns")
	"${run[@]}" dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
		--bind-interfaces --listen-address="$ip" --port=53 --user=root --pid-file= \
		--log-facility=- "$@" >>"$BATS_TEST_TMPDIR/dnsmasq.log" 2>&1 3>&- &
	BG_PIDS+=("$!")
	local i
	for ((i = 0; i < 200; i++)); do
		"${run[@]}" ss -lun "sport = :53" | grep -qF "$ip:53" && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/dnsmasq.log" >&2
	fail "dnsmasq did not start"
}

# Asks SERVER for NAME (type A or AAAA) over UDP from a python3 of its own
# path, as user nobody (an answer from a local socket of the asker's own user
# is not believed, and dnsmasq answers as root); prints the addresses.
dns_ask() { # SERVER NAME TYPE
	local py
	py=$(own_path_copy /usr/bin/python3 "dns asker")
	setpriv --reuid=65534 --regid=65534 --clear-groups "$py" - "$@" <<'PY'
import socket, struct, sys
server, name, qtype = sys.argv[1], sys.argv[2], {"A": 1, "AAAA": 28}[sys.argv[3]]
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, (server, 53))
r, _ = s.recvfrom(4096)
an = struct.unpack(">H", r[6:8])[0]
def skip_name(i):
    while r[i] and r[i] < 0xc0:
        i += r[i] + 1
    return i + (2 if r[i] >= 0xc0 else 1)
i = skip_name(12) + 4
for _ in range(an):
    i = skip_name(i)
    t, _, _, l = struct.unpack(">HHIH", r[i:i + 10])
    i += 10
    if t in (1, 28):
        print(socket.inet_ntop(socket.AF_INET if t == 1 else socket.AF_INET6, r[i:i + l]))
    i += l
PY
}

@test "domain: the name asked for, through a CNAME chain, for A and AAAA answers" {
	start_peer
	start_dnsmasq "$PEER_NS" "$PEER_IP4" --cname=www.chain.test,mid.chain.test \
		--cname=mid.chain.test,end.chain.test --host-record=end.chain.test,"$PEER_IP4","$PEER_IP6"
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7201 1000 2
	start_trace
	run -0 dns_ask "$PEER_IP4" www.chain.test A
	assert_output "$PEER_IP4"
	run -0 dns_ask "$PEER_IP4" www.chain.test AAAA
	assert_output "$PEER_IP6"
	app "named client" tcp-client "$PEER_IP4" 7201 1000
	app "named client" tcp-client "$PEER_IP6" 7201 1000
	stop_trace
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.raddr) \(.domain)"] | unique | .[]' "$TRACE_OUT"
	assert_output "$PEER_IP4 www.chain.test
$PEER_IP6 www.chain.test"
}

@test "domain: an answer relayed by a caching resolver on loopback counts" {
	start_peer
	start_dnsmasq "$PEER_NS" "$PEER_IP4" --host-record=far.test,"$PEER_IP4"
	start_dnsmasq "" 127.0.0.53 --server="$PEER_IP4"
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7202 1000 1
	start_trace
	run -0 dns_ask 127.0.0.53 far.test A
	assert_output "$PEER_IP4"
	app "cached client" tcp-client "$PEER_IP4" 7202 1000
	stop_trace
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | .domain] | unique | .[]' "$TRACE_OUT"
	assert_output "far.test"
}

@test "a container (own net, pid and mount namespaces, NAT) is seen with host exe path, netns, cgroup and host pid" {
	start_peer
	start_container
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7301 $((1 << 20)) 1
	start_trace --exec
	in_container tcp-slow "$PEER_IP4" 7301 $((256 << 10)) 3 &
	local ctr=$!
	local i hostpid=
	for ((i = 0; i < 100; i++)); do
		hostpid=$(pgrep -x ctr-app || true)
		[[ -n "$hostpid" ]] && break
		sleep 0.05
	done
	wait "$ctr"
	stop_trace
	[[ -n "$hostpid" ]]
	APP="$CTR_ROOT/app/ctr-app"
	check_bytes sent
	check_bytes recv
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.pid) \(.netns) \(.cgroup) \(.raddr)"] | unique | .[]' "$TRACE_OUT"
	assert_output "$hostpid $(stat -L -c %i "/run/netns/$CTR_NS") $CTR_CGROUP $PEER_IP4"
}

@test "1000 sequential TCP connections of 4 KiB each: all bytes attributed" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7401 0 1000
	start_trace
	app "thousand" tcp-client "$PEER_IP4" 7401 4096 1000
	wait_for_line "$BATS_TEST_TMPDIR/peer.out" "sent=" 60
	stop_trace
	check_bytes sent
	run jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .sent > 0) | .lport] | unique | length' "$TRACE_OUT"
	(( output >= 900 )) # distinct local ports; a few may be reused
}

@test "16 threads released at once, each with its own connection: all bytes attributed" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7402 0 16
	start_trace
	app "sixteen" tcp-threads "$PEER_IP4" 7402 $((512 << 10)) 16
	wait_for_line "$BATS_TEST_TMPDIR/peer.out" "sent=" 60
	stop_trace
	check_bytes sent
	run jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .sent > 0) | .lport] | unique | length' "$TRACE_OUT"
	assert_output 16
}

@test "low and slow: 2 MiB over 20 s in small writes is reported in every interval, total exact" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7403 0 1
	start_trace --interval 1
	app "trickle" tcp-slow "$PEER_IP4" 7403 $((2 << 20)) 20
	stop_trace
	check_bytes sent
	# each event covers one interval: 20 s of writes fill at least 18 whole ones
	run jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .sent > 0)] | length' "$TRACE_OUT"
	(( output >= 18 ))
	run jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .sent > 0) | .sent] | min' "$TRACE_OUT"
	(( output > 0 ))
}

@test "a flow already open when snitch-trace starts is attributed to its owner and counted from then on" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7404 0 1
	APP=$(own_path_copy "$NETGEN" "early bird")
	"$APP" tcp-slow "$PEER_IP4" 7404 $((1 << 20)) 8 >"$BATS_TEST_TMPDIR/app.out" 3>&- &
	local early=$!
	BG_PIDS+=("$early")
	sleep 2
	start_trace
	wait "$early"
	stop_trace
	local total got
	total=$(netgen_field "$BATS_TEST_TMPDIR/app.out" sent)
	got=$(flow_sum sent 'select(.exe == $exe and .pid == ($pid | tonumber))' --arg exe "$APP" --arg pid "$early")
	# started ~2 s into 8 s: between a third and all of the bytes were sent while traced
	(( got > total / 3 && got <= total ))
}

@test "an idle connection open before snitch-trace starts is found at start, with its owner" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7406 0 1
	APP=$(own_path_copy /usr/bin/python3 "idle holder")
	"$APP" -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], 7406))
print("listening", flush=True)
time.sleep(30)' "$PEER_IP4" >"$BATS_TEST_TMPDIR/app.out" 3>&- &
	local holder=$!
	BG_PIDS+=("$holder")
	wait_for_line "$BATS_TEST_TMPDIR/app.out" listening
	start_trace
	sleep 1.5
	stop_trace
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.pid) \(.proto) \(.raddr) \(.rport) \(.sent)"] | unique | .[]' "$TRACE_OUT"
	assert_output "$holder tcp $PEER_IP4 7406 0"
}

@test "a UDP socket open before snitch-trace starts stays one flow when it later gets a cookie" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" udp-echo 7407 3000 sink
	APP=$(own_path_copy /usr/bin/python3 "old socket")
	local go="$BATS_TEST_TMPDIR/go"
	"$APP" -c 'import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 7407))
print("listening", flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)
s.send(b"a" * 100)
time.sleep(1.5)
# an explicit address runs the cgroup sendmsg hook, which gives the socket its cookie
s.sendto(b"b" * 200, (sys.argv[1], 7407))
s.send(b"c" * 300)
time.sleep(1.5)' "$PEER_IP4" "$go" >"$BATS_TEST_TMPDIR/app.out" 3>&- &
	local holder=$!
	BG_PIDS+=("$holder")
	wait_for_line "$BATS_TEST_TMPDIR/app.out" listening
	start_trace
	touch "$go"
	wait "$holder"
	stop_trace
	run jq -rs --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | "\(.start) \(.lport)"] | unique | length' "$TRACE_OUT"
	assert_output 1
	run flow_sum sent 'select(.exe == $exe)' --arg exe "$APP"
	assert_output 600
}

@test "a burst of 500 processes that each connect once: each attributed, or counted as missed" {
	start_peer
	peer_serve "$BATS_TEST_TMPDIR/peer.out" "$NETGEN" tcp-server 7405 0 500
	start_trace
	app "burst" children 500 "$PEER_IP4" 7405 4096
	wait_for_line "$BATS_TEST_TMPDIR/peer.out" "sent=" 120
	stop_trace
	local seen missed
	seen=$(jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe and .sent > 0) | .pid] | unique | length' "$TRACE_OUT")
	missed=$(jq -s '[.[] | select(.type == "error") | .lost] | add // 0' "$TRACE_OUT")
	(( seen + missed >= 500 ))
	check_bytes sent
}

@test "40 threads blocked in a receive at once: every datagram each gets is counted" {
	start_trace
	APP=$(own_path_copy /usr/bin/python3 "many waiters")
	"$APP" - >"$BATS_TEST_TMPDIR/app.out" <<'PY'
import socket, threading, time
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(40)]
for s in socks:
    s.bind(("127.0.0.1", 0))
got = []
def wait(s):
    got.append(sum(len(s.recv(2000)) for _ in range(5)))
threads = [threading.Thread(target=wait, args=(s,)) for s in socks]
for t in threads:
    t.start()
time.sleep(1)  # every thread is inside recv now
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for _ in range(5):
    for s in socks:
        sent += tx.sendto(b"w" * 1000, s.getsockname())
for t in threads:
    t.join()
print(f"sent={sent} recv={sum(got)}")
PY
	stop_trace
	check_bytes sent
	check_bytes recv
	(( $(netgen_field "$BATS_TEST_TMPDIR/app.out" recv) == 200000 ))
}
