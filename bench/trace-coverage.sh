#!/bin/bash
# snitch-trace coverage: every protocol and I/O path of
# tests/snitch-trace-coverage.bats run once against a peer in a network
# namespace, under one snitch-trace. One row per case: the bytes the
# application's own calls moved (sent + recv), the bytes snitch-trace
# reported for its executable, and the error. Prints a Markdown section;
# needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
SNITCH_TRACE=${SNITCH_TRACE:-.output/bin/snitch-trace} NETGEN=.output/tests/netgen
OUT=.output/bench/coverage
bench_needs_root
rm -rf "$OUT" && mkdir -p "$OUT/bin"

PING_RANGE=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
TRACE_PID=
cleanup() {
	[[ -n "$TRACE_PID" ]] && kill "$TRACE_PID" 2>/dev/null
	peer_down
	sysctl -qw net.ipv4.ping_group_range="$PING_RANGE"
}
trap cleanup EXIT
peer_up 253 1
sysctl -qw net.ipv4.ping_group_range="0 0"

peer() { # LOG ARGS...: netgen ARGS, a server in the peer namespace, waited for
	local log="$OUT/$1"; shift
	peer_serve "$log" "$NETGEN" "$@"
}

CASES=()
run_case() { # NAME ARGS...: netgen from its own path; its report kept per case
	local name=$1; shift
	cp "$NETGEN" "$OUT/bin/$name"
	"$OUT/bin/$name" "$@" >"$OUT/$name.app"
	CASES+=("$name")
}

launch_trace "$OUT/events.jsonl" "$OUT/trace.err"

peer dl.log tcp-server 7501 $((8 << 20)) 2
run_case tcp-download tcp-client "$PEER_IP4" 7501 0
run_case tcp6-duplex tcp-client "$PEER_IP6" 7501 $((4 << 20))
peer udp.log udp-echo 7502 1500
run_case udp-echo udp-send "$PEER_IP4" 7502 1000 2000
peer flood.log udp-echo 7503 1500 sink
run_case udp-64b-flood udp-send "$PEER_IP4" 7503 64 50000 connected
run_case icmp-ping-socket ping "$PEER_IP4" 500 1000
run_case icmpv6-ping-socket ping "$PEER_IP6" 500 1000
run_case icmp-raw-socket ping "$PEER_IP4" 500 1000 raw
peer raw.log raw-echo 253 1500
run_case raw-253 raw-send "$PEER_IP4" 253 1000 1000
peer pkt.log packet-echo "$PEER_VETH" 0x88b5 1500
run_case packet-raw packet-send "$HOST_VETH" 0x88b5 600 1000 raw
run_case packet-dgram packet-send "$HOST_VETH" 0x88b5 600 1000 dgram
WAYS=("write read" "writev readv" "sendmsg recvmsg" "sendfile splice" "splice uring" "uring splice" "zerocopy read")
peer io.log tcp-server 7504 $((4 << 20)) ${#WAYS[@]}
for w in "${WAYS[@]}"; do
	set -- $w
	run_case "tcp-$1-$2" tcp-io "$PEER_IP4" 7504 $((4 << 20)) "$1" "$2"
done
peer mmsg.log udp-echo 7505 1500
run_case udp-sendmmsg-recvmmsg udp-mmsg "$PEER_IP4" 7505 700 5000
peer seq.log tcp-server 7506 0 1000
run_case tcp-1000-sequential tcp-client "$PEER_IP4" 7506 4096 1000
peer thr.log tcp-server 7507 0 16
run_case tcp-16-threads tcp-threads "$PEER_IP4" 7507 $((512 << 10)) 16
peer burst.log tcp-server 7508 0 500
run_case burst-500-processes children 500 "$PEER_IP4" 7508 4096
wait_for_line "$OUT/burst.log" sent= 120
stop_trace

{
	echo "## snitch-trace coverage"
	echo
	echo "$(date -u +%F) $(git rev-parse --short HEAD) Linux $(uname -r); every case against a network-namespace peer under one snitch-trace."
	echo
	echo "| case | bytes the application moved | bytes snitch-trace reported | error |"
	echo "| --- | ---: | ---: | ---: |"
	for c in "${CASES[@]}"; do
		moved=$(( $(netgen_field "$OUT/$c.app" sent) + $(netgen_field "$OUT/$c.app" recv) ))
		got=$(jq -s --arg exe "$(realpath "$OUT/bin/$c")" \
			'[.[] | select(.type == "flow" and .exe == $exe) | .sent + .recv] | add // 0' "$OUT/events.jsonl")
		err=$(echo "scale=2; ($got - $moved) * 100 / $moved" | bc -l)
		printf '| %s | %d | %d | %+.2f%% |\n' "$c" "$moved" "$got" "$err"
	done
	echo
	echo "error events: $(jq -s '[.[] | select(.type == "error")] | length' "$OUT/events.jsonl")"
} >"$OUT/table.md"
cat "$OUT/table.md"
