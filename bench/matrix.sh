#!/bin/bash
# The detection and bandwidth matrix: 24 scenarios (s01..s24) of real traffic
# across a veth pair to a peer network namespace, each generator run from a
# path of its own, scored for snitch-trace and for the peers that run on this
# kernel (nethogs, tcplife, a bpftrace script), all measured in the same run.
#
# References: the generator's own application byte counts (socket-layer tools)
# and nftables counters on the peer's veth (wire bytes, for nethogs, which
# captures packets). Detection: PASS attributed to the generator's executable,
# PARTIAL seen but unattributed or misattributed, FAIL not seen. Bandwidth:
# PASS within 10% of the reference, PARTIAL within 25%, FAIL beyond. Each
# verdict is the modal one over the trials (ties go to the worse).
#
# Usage: bench/matrix.sh [--trials N] [--small] [--tools "snitch-trace nethogs tcplife bpftrace"]
#                        [--scenarios "s01 s02 ..."] [--check]
#   --small  CI size: smaller byte counts, shorter drip
#   --check  exit 1 unless snitch-trace is PASS/PASS on every applicable scenario
# Prints a Markdown section; work files in $MATRIX_OUT (.output/bench/matrix).
# snitch-trace is $SNITCH_TRACE, else the one on PATH, else .output/bin's;
# $SNITCH_TRACE_HOOKS forces its hook set (tests/lib/trace.bash, trace_command).
# $MATRIX_NET (240) picks the subnets and the loopback port, so that two runs
# can share a machine. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

TRIALS=3 SMALL=0 CHECK=0 TOOLS="snitch-trace nethogs tcplife bpftrace" ONLY=
while (($#)); do
	case $1 in
	--trials) TRIALS=$2; shift ;;
	--small) SMALL=1 ;;
	--check) CHECK=1 ;;
	--tools) TOOLS=$2; shift ;;
	--scenarios) ONLY=$2; shift ;;
	*) echo "usage: bench/matrix.sh [--trials N] [--small] [--tools LIST] [--scenarios LIST] [--check]" >&2; exit 2 ;;
	esac
	shift
done
bench_needs_root
SNITCH_TRACE=${SNITCH_TRACE:-$(command -v snitch-trace || echo "$PWD/.output/bin/snitch-trace")}
NETGEN=$(realpath "${NETGEN:-.output/tests/netgen}")
OUT=$(realpath -m "${MATRIX_OUT:-.output/bench/matrix}")
SCENARIOS=(s01 s02 s03 s04 s05 s06 s07 s08 s09 s10 s11 s12 s13 s14 s15 s16 s17 s18 s19 s20 s21 s22 s23 s24)
[[ -n "$ONLY" ]] && read -ra SCENARIOS <<<"$ONLY"
NET=${MATRIX_NET:-240}
LO_PORT=$((7000 + NET))

if ((SMALL)); then
	BULK=$((2 << 20)) DGRAMS=1000 SMALLDGRAMS=5000 PINGS=300 CONNS=200 BURST=50 SHORT=10 DRIP=3
else
	BULK=$((16 << 20)) DGRAMS=8000 SMALLDGRAMS=50000 PINGS=1500 CONNS=1000 BURST=200 SHORT=40 DRIP=10
fi

umount_ctr() { if mountpoint -q "$OUT/ctr/rootfs" 2>/dev/null; then umount -l "$OUT/ctr/rootfs"; fi; }
umount_ctr
rm -rf "$OUT" && mkdir -p "$OUT/bin"
PING_RANGE=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
LO_TABLE="snitch_mx_lo_$$"
TOOL_PIDS=()
# shellcheck disable=SC2034 # the servers' pids, kept by serve_local and peer_serve (tests/lib/net.bash)
BG_PIDS=()
cleanup() {
	local p
	for p in "${TOOL_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	kill_background
	container_down
	peer_down
	nft delete table inet "$LO_TABLE" 2>/dev/null || true
	sysctl -qw net.ipv4.ping_group_range="$PING_RANGE"
}
trap cleanup EXIT
peer_up 253 "$NET"
sysctl -qw net.ipv4.ping_group_range="0 0"
# Wire bytes: every frame in and out of the peer's veth; loopback (s16) by port.
ip netns exec "$PEER_NS" nft -f - <<NFT
table netdev wire {
	chain in { type filter hook ingress device "$PEER_VETH" priority 0; counter; }
	chain out { type filter hook egress device "$PEER_VETH" priority 0; counter; }
}
NFT
nft -f - <<NFT
table inet $LO_TABLE {
	chain out { type filter hook output priority 0; oifname "lo" tcp dport $LO_PORT counter; oifname "lo" tcp sport $LO_PORT counter; }
}
NFT
mkdir -p "$OUT/ctr"
container_up "$OUT/ctr" "$NET" "$HOST_VETH" "$NETGEN" s17-container

wire_bytes() { # s16 counts on the host's loopback, the rest on the peer's veth
	if [[ $1 == s16 ]]; then
		nft -j list table inet "$LO_TABLE"
	else
		ip netns exec "$PEER_NS" nft -j list table netdev wire
	fi | jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .bytes] | add // 0'
}

# SCTP where the kernel has it; the reason it cannot run otherwise.
SCTP_NA=$(python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132)' 2>&1 | tail -1) || true
[[ -n "$SCTP_NA" ]] && SCTP_NA="this kernel has no SCTP: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) fails with \"${SCTP_NA#*: }\""

# One scenario: its generator name, the peer-side server, the generator's
# arguments, and what marks its traffic for tools that see it unattributed
# (a server port, or a protocol for the port-less ones).
scenario() { # ID
	S_SERVER=() S_RUN=plain S_PORT=$((7600 + 10#${1#s})) S_PROTO=
	case $1 in
	s01) S_NAME=tcp-download S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-client "$PEER_IP4" "$S_PORT" 0) ;;
	s02) S_NAME=tcp-upload S_SERVER=(tcp-server "$S_PORT" 0 1) S_ARGS=(tcp-client "$PEER_IP4" "$S_PORT" "$BULK") ;;
	s03) S_NAME=tcp-duplex S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-client "$PEER_IP4" "$S_PORT" "$BULK") ;;
	s04) S_NAME=udp-bulk S_SERVER=(udp-echo "$S_PORT" 1000) S_ARGS=(udp-send "$PEER_IP4" "$S_PORT" 1200 "$DGRAMS") ;;
	s05) S_NAME=icmp-flood S_PORT=0 S_PROTO=icmp S_ARGS=(ping "$PEER_IP4" "$PINGS" 1000) ;;
	s06) S_NAME=udp-443 S_PORT=443 S_SERVER=(udp-echo 443 1000) S_ARGS=(udp-send "$PEER_IP4" 443 1200 "$DGRAMS") ;;
	s07) S_NAME=tcp6 S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-client "$PEER_IP6" "$S_PORT" "$BULK") ;;
	s08) S_NAME=sctp S_RUN=sctp ;;
	s09) S_NAME=udp-53-flood S_PORT=53 S_SERVER=(udp-echo 53 1000 sink) S_ARGS=(udp-send "$PEER_IP4" 53 64 "$SMALLDGRAMS" connected) ;;
	s10) S_NAME=raw-253 S_PORT=0 S_PROTO=raw:253 S_SERVER=(raw-echo 253 1000) S_ARGS=(raw-send "$PEER_IP4" 253 1000 "$DGRAMS") ;;
	s11) S_NAME=short-lived S_RUN=repeat S_SERVER=(tcp-server "$S_PORT" 4096 "$SHORT") S_ARGS=(tcp-client "$PEER_IP4" "$S_PORT" 65536) ;;
	s12) S_NAME=af-packet S_PORT=0 S_PROTO=eth:0x88b5 S_SERVER=(packet-echo "$PEER_VETH" 0x88b5 1000)
		S_ARGS=(packet-send "$HOST_VETH" 0x88b5 600 "$DGRAMS" raw) ;;
	s13) S_NAME=uring-send S_SERVER=(tcp-server "$S_PORT" 0 1) S_ARGS=(tcp-io "$PEER_IP4" "$S_PORT" "$BULK" uring read) ;;
	s14) S_NAME=sendfile-up S_SERVER=(tcp-server "$S_PORT" 0 1) S_ARGS=(tcp-io "$PEER_IP4" "$S_PORT" "$BULK" sendfile read) ;;
	s15) S_NAME=sendmmsg S_SERVER=(udp-echo "$S_PORT" 1000 sink) S_ARGS=(udp-mmsg "$PEER_IP4" "$S_PORT" 1200 "$DGRAMS") ;;
	s16) S_NAME=loopback S_RUN=loopback S_PORT=$LO_PORT S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-client 127.0.0.1 "$S_PORT" "$BULK") ;;
	s17) S_NAME=s17-container S_RUN=container S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-client "$PEER_IP4" "$S_PORT" "$BULK") ;;
	s18) S_NAME=slow-drip S_SERVER=(tcp-server "$S_PORT" 0 1) S_ARGS=(tcp-slow "$PEER_IP4" "$S_PORT" $((DRIP * 20480)) "$DRIP") ;;
	s19) S_NAME=many-tcp S_SERVER=(tcp-server "$S_PORT" 0 "$CONNS") S_ARGS=(tcp-client "$PEER_IP4" "$S_PORT" 4096 "$CONNS") ;;
	s20) S_NAME=burst S_SERVER=(tcp-server "$S_PORT" 0 "$BURST") S_ARGS=(children "$BURST" "$PEER_IP4" "$S_PORT" 65536) ;;
	s21) S_NAME=uring-download S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-io "$PEER_IP4" "$S_PORT" 0 send uring) ;;
	s22) S_NAME=splice-download S_SERVER=(tcp-server "$S_PORT" "$BULK" 1) S_ARGS=(tcp-io "$PEER_IP4" "$S_PORT" 0 send splice) ;;
	s23) S_NAME=recvmmsg S_SERVER=(udp-echo "$S_PORT" 1000) S_ARGS=(udp-mmsg "$PEER_IP4" "$S_PORT" 1200 "$DGRAMS") ;;
	s24) S_NAME=udp6-download S_SERVER=(udp-source "$S_PORT" 1200 "$DGRAMS") S_ARGS=(udp-fetch "$PEER_IP6" "$S_PORT") ;;
	esac
	if [[ $S_RUN == container ]]; then
		S_EXE="$CTR_ROOT/app/$S_NAME"
	else
		S_EXE="$OUT/bin/$1-$S_NAME"
	fi
}

scenario_title() {
	case $1 in
	s01) echo "TCP bulk download" ;; s02) echo "TCP bulk upload" ;; s03) echo "TCP full duplex" ;;
	s04) echo "UDP bulk up and down" ;; s05) echo "ICMP echo flood with payload" ;; s06) echo "UDP/443 bulk" ;;
	s07) echo "IPv6 TCP" ;; s08) echo "SCTP" ;; s09) echo "small-packet UDP/53 flood" ;; s10) echo "raw IP protocol 253" ;;
	s11) echo "short-lived processes" ;; s12) echo "AF_PACKET raw frames" ;; s13) echo "io_uring send" ;;
	s14) echo "sendfile upload" ;; s15) echo "sendmmsg" ;; s16) echo "loopback only" ;; s17) echo "container egress" ;;
	s18) echo "low-and-slow drip" ;; s19) echo "many small TCP connections" ;; s20) echo "high-rate parallel burst" ;;
	s21) echo "io_uring download" ;; s22) echo "splice download" ;; s23) echo "recvmmsg" ;; s24) echo "IPv6 UDP download" ;;
	esac
}

# SCTP, where the kernel has it: a Python client from a path of its own.
run_sctp() { # DIR
	local py="$S_EXE"
	cp /usr/bin/python3 "$py"
	peer_serve "$1/server.out" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True); c, _ = s.accept(); n = 0
while (b := c.recv(65536)): n += len(b)
print(f"sent=0 recv={n}", flush=True)' "$S_PORT"
	"$py" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132); s.connect((sys.argv[1], int(sys.argv[2])))
n = sum(s.send(b"x" * 60000) for _ in range(int(sys.argv[3]) // 60000)); s.close()
print(f"sent={n} recv=0")' "$PEER_IP4" "$S_PORT" "$BULK" >"$1/app.out"
}

# Runs scenario ID once; its references go to DIR/ref.
run_scenario() { # ID DIR
	local id=$1 dir=$2 w0 w1 t0 i
	scenario "$id"
	mkdir -p "$dir"
	if [[ $id == s08 && -n "$SCTP_NA" ]]; then
		printf 'na\t%s\n' "$SCTP_NA" >"$dir/ref"
		return
	fi
	case $S_RUN in plain | loopback | repeat) cp "$NETGEN" "$S_EXE" ;; esac
	w0=$(wire_bytes "$id")
	t0=$EPOCHREALTIME
	if ((${#S_SERVER[@]})); then
		if [[ $S_RUN == loopback ]]; then
			serve_local "$dir/server.out" "$NETGEN" "${S_SERVER[@]}"
		else
			peer_serve "$dir/server.out" "$NETGEN" "${S_SERVER[@]}"
		fi
	fi
	case $S_RUN in
	plain | loopback) "$S_EXE" "${S_ARGS[@]}" >"$dir/app.out" ;;
	container) container_run "$S_NAME" "${S_ARGS[@]}" >"$dir/app.out" ;;
	sctp) run_sctp "$dir" ;;
	repeat)
		for ((i = 0; i < SHORT; i++)); do "$S_EXE" "${S_ARGS[@]}"; done |
			awk -F'[= ]' '{ s += $2; r += $4 } END { printf "sent=%d recv=%d\n", s, r }' >"$dir/app.out" ;;
	esac
	# a TCP server ends with its last connection; a datagram server idles out
	if ((${#S_SERVER[@]})) && [[ ${S_SERVER[0]} == tcp-server ]]; then
		wait_for_line "$dir/server.out" sent= 60 || true
	fi
	sleep 0.3
	w1=$(wire_bytes "$id")
	kill_background
	printf 'ok\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n' "$S_EXE" \
		$(($(netgen_field "$dir/app.out" sent) + $(netgen_field "$dir/app.out" recv))) $((w1 - w0)) \
		"$t0" "$EPOCHREALTIME" "$S_PORT" "${S_PROTO:--}" "$S_NAME" >"$dir/ref"
	# nethogs refreshes once a second: a gap keeps its windows apart
	[[ " $TOOLS " == *" nethogs "* ]] && sleep 1.6
	return 0
}

# --- the tools -------------------------------------------------------------

said_ready() { # READY DIR TOOL
	grep -q "$1" "$2/$3.out" "$2/$3.log" 2>/dev/null
}

# Whether TOOL has said READY, or has exited (then it never will).
ready_or_gone() { # READY DIR TOOL PID
	said_ready "$1" "$2" "$3" || ! kill -0 "$4" 2>/dev/null
}

# Starts TOOL writing to DIR/TOOL.out (line-buffered: its first line is the
# sign that it is ready); waits for that sign. On failure
# writes DIR/TOOL.err with the reason and returns 1.
start_tool() { # TOOL DIR
	local tool=$1 dir=$2 ready pid
	case $tool in
	snitch-trace) trace_command; "${TRACE_CMD[@]}" >"$dir/$tool.out" 2>"$dir/$tool.log" 3>&- & ready=ready ;;
	nethogs) # its refreshes are stamped with the time they arrive
		rm -f "$dir/nethogs.fifo" && mkfifo "$dir/nethogs.fifo"
		while IFS= read -r l; do printf '%s\t%s\n' "$EPOCHREALTIME" "$l"; done <"$dir/nethogs.fifo" >"$dir/$tool.out" 3>&- &
		stdbuf -oL nethogs -t -C -v 2 -d 1 "$HOST_VETH" lo >"$dir/nethogs.fifo" 2>"$dir/$tool.log" 3>&- &
		ready=Refreshing ;;
	tcplife) "${LIB_TRACEFS[@]}" stdbuf -oL tcplife -w >"$dir/$tool.out" 2>"$dir/$tool.log" 3>&- & ready=PID ;;
	bpftrace) BPFTRACE_STRLEN=200 BPFTRACE_MAP_KEYS_MAX=65536 "${LIB_TRACEFS[@]}" bpftrace bench/matrix-peer.bt >"$dir/$tool.out" 2>"$dir/$tool.log" 3>&- &
		ready=Attaching ;;
	esac
	pid=$!
	TOOL_PIDS+=("$pid")
	echo "$pid" >"$dir/$tool.pid"
	wait_until 60 ready_or_gone "$ready" "$dir" "$tool" "$pid" || true
	said_ready "$ready" "$dir" "$tool" && { sleep 0.5; return 0; }
	local why="exited"
	kill -0 "$pid" 2>/dev/null && why="no sign of being ready within 60 s"
	{ grep -v RLIMIT_MEMLOCK "$dir/$tool.log" | tail -3; echo "($why)"; } |
		tr '\n' ' ' >"$dir/$tool.err"
	kill "$pid" 2>/dev/null || true
	return 1
}

stop_tool() { # TOOL DIR
	local pid
	pid=$(cat "$2/$1.pid")
	case $1 in
	tcplife | bpftrace) kill -INT "$pid" 2>/dev/null || true ;;
	*) kill -TERM "$pid" 2>/dev/null || true ;;
	esac
	wait "$pid" 2>/dev/null || true
}

# --- scoring -----------------------------------------------------------------

comm15() { local b=${1##*/}; echo "${b:0:15}"; }

# "attributed unattributed" bytes TOOL saw for the scenario whose ref is REF,
# from the trial's output in DIR.
seen_bytes() { # TOOL DIR EXE PORT PROTO T0 T1 NAME
	local tool=$1 dir=$2 exe=$3 port=$4 proto=$5 t0=$6 t1=$7 comm
	comm=$(comm15 "$exe")
	case $tool in
	snitch-trace) awk -F'\t' -v exe="$exe" -v port="$port" -v proto="$proto" -v gen="$NETGEN" '
		$1 == exe { a += $5; next }
		$1 != gen && ((port > 0 && ($3 == port || $4 == port)) || (port == 0 && $2 == proto)) { u += $5 }
		END { printf "%d %d\n", a, u }' "$dir/snitch-trace.tsv" ;;
	nethogs) awk -F'\t' -v exe="$exe" -v t0="$t0" -v t1="$t1" '
		{ n = split($2, f, "/") }
		$2 ~ /^unknown (TCP|UDP)\// { u = $3 + $4; if ($1 <= t0) before[$2] = u; if ($1 <= t1 + 1.1) after[$2] = u; next }
		n >= 3 && NF >= 4 {
			name = substr($2, 1, length($2) - length(f[n]) - length(f[n-1]) - 2)
			if (name == exe && $3 + $4 > best[f[n-1]]) best[f[n-1]] = $3 + $4
		}
		END { for (p in best) a += best[p]; for (k in after) d += after[k] - before[k]; printf "%d %d\n", a, d }' "$dir/nethogs.out" ;;
	tcplife) awk -v comm="$comm" -v port="$port" '
		NR > 1 && $6 == port && $6 > 0 { b = ($7 + $8) * 1024; if ($2 == comm) a += b; else u += b }
		END { printf "%d %d\n", a, u }' "$dir/tcplife.out" ;;
	bpftrace) awk -v exe="$exe" -v comm="$comm" '
		$1 == "exec" { owner[$2] = $2; e[$2] = substr($0, length($1) + length($2) + 3); next }
		$1 == "fork" { owner[$3] = ($2 in owner) ? owner[$2] : $2; next }
		/^@(tx|rx)\[/ { split($0, k, /[\[\], :]+/); pid = k[2]; c = substr($0, index($0, ", ") + 2)
			c = substr(c, 1, index(c, "]:") - 1); v = $NF
			x = (pid in owner) ? e[owner[pid]] : ""
			if (x == exe) a += v; else if (c == comm) u += v }
		END { printf "%d %d\n", a, u }' "$dir/bpftrace.out" ;;
	esac
}

verdict_bw() { # MEASURED REFERENCE
	awk -v m="$1" -v r="$2" 'BEGIN { e = r > 0 ? (m - r) * 100 / r : 100; d = e < 0 ? -e : e
		printf "%s %+.1f\n", (m > 0 && d <= 10) ? "PASS" : (m > 0 && d <= 25) ? "PARTIAL" : "FAIL", e }'
}

# One line per tool, scenario and trial: tool id trial detection bandwidth error% measured reference.
score_trial() { # TRIAL DIR
	local trial=$1 dir=$2 id tool st exe app wire t0 t1 port proto a u m ref det bw err
	[[ -f "$dir/snitch-trace.out" ]] && jq -r 'select(.type == "flow") | [.exe, .proto, .lport, .rport, .sent + .recv] | @tsv' \
		"$dir/snitch-trace.out" >"$dir/snitch-trace.tsv"
	for id in "${SCENARIOS[@]}"; do
		IFS=$'\t' read -r st exe app wire t0 t1 port proto _ <"$dir/$id/ref"
		for tool in $TOOLS; do
			if [[ $st == na ]]; then
				printf '%s\t%s\t%s\tN/A\tN/A\t0\t0\t0\n' "$tool" "$id" "$trial"
				continue
			fi
			if [[ -f "$dir/$tool.err" ]]; then
				printf '%s\t%s\t%s\tERROR\tERROR\t0\t0\t0\n' "$tool" "$id" "$trial"
				continue
			fi
			read -r a u < <(seen_bytes "$tool" "$dir" "$exe" "$port" "$proto" "$t0" "$t1")
			det=FAIL m=0
			((u > 0)) && det=PARTIAL m=$u
			((a > 0)) && det=PASS m=$a
			ref=$app
			[[ $tool == nethogs ]] && ref=$wire
			read -r bw err < <(verdict_bw "$m" "$ref")
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n' "$tool" "$id" "$trial" "$det" "$bw" "$err" "$m" "$ref"
		done
	done
}

# --- the run -------------------------------------------------------------------

for ((t = 1; t <= TRIALS; t++)); do
	dir="$OUT/t$t"
	mkdir -p "$dir"
	for tool in $TOOLS; do start_tool "$tool" "$dir" || true; done
	for id in "${SCENARIOS[@]}"; do run_scenario "$id" "$dir/$id"; done
	sleep 1.5 # the last interval
	for tool in $TOOLS; do [[ -f "$dir/$tool.err" ]] || stop_tool "$tool" "$dir"; done
	TOOL_PIDS=()
	score_trial "$t" "$dir" >>"$OUT/verdicts.tsv"
done

# The modal verdict of COLUMN (4 detection, 5 bandwidth) per tool and scenario;
# ties go to the worse. Output: tool id verdict error measured reference, the
# figures of the last trial that had the modal verdict.
modal() { # COLUMN
	sort -t$'\t' -k1,1 -k2,2 -k3,3n "$OUT/verdicts.tsv" | awk -F'\t' -v c="$1" '
		function rank(v) { return v == "PASS" ? 0 : v == "PARTIAL" ? 1 : 2 }
		function flush(  v, best, bc) {
			if (key == "") return
			for (v in cnt) if (best == "" || cnt[v] > bc || (cnt[v] == bc && rank(v) > rank(best))) { best = v; bc = cnt[v] }
			print key "\t" best "\t" fig[best]
			delete cnt; delete fig
		}
		{ k = $1 "\t" $2; if (k != key) { flush(); key = k } cnt[$c]++; fig[$c] = $6 "\t" $7 "\t" $8 }
		END { flush() }'
}
modal 4 >"$OUT/detection.tsv"
modal 5 >"$OUT/bandwidth.tsv"

# The line of FILE (detection.tsv, bandwidth.tsv) for TOOL and scenario ID.
row_of() { # FILE TOOL ID
	awk -F'\t' -v t="$2" -v i="$3" '$1 == t && $2 == i' "$1"
}

cell() { # FILE TOOL ID
	row_of "$@" | cut -f3
}

tool_version() {
	case $1 in
	snitch-trace) "$SNITCH_TRACE" --version 2>&1 | head -1 ;;
	nethogs) nethogs -V 2>&1 | head -1 ;;
	tcplife) echo "libbpf-tools $(dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null)" ;;
	bpftrace) bpftrace --version 2>&1 | head -1 ;;
	esac
}

grid() { # FILE TITLE
	local id tool row total
	echo "| scenario |$(for tool in $TOOLS; do printf ' %s |' "$tool"; done)"
	echo "| --- |$(for tool in $TOOLS; do printf ' --- |'; done)"
	for id in "${SCENARIOS[@]}"; do
		row="| $id $(scenario_title "$id") |"
		for tool in $TOOLS; do
			row+=" $(cell "$1" "$tool" "$id")"
			[[ $1 == *bandwidth* ]] && [[ $(cell "$1" "$tool" "$id") =~ PASS|PARTIAL|FAIL ]] &&
				row+=" ($(row_of "$1" "$tool" "$id" | cut -f4)%)"
			row+=" |"
		done
		echo "$row"
	done
	row="| **PASS** |"
	for tool in $TOOLS; do
		total=$(awk -F'\t' -v t="$tool" '$1 == t && $3 != "N/A" { n++; if ($3 == "PASS") p++; if ($3 == "ERROR") e++ }
			END { if (e) print "did not run"; else printf "%d/%d", p, n }' "$1")
		row+=" **$total** |"
	done
	echo "$row"
}

# Why each tool misses what it misses: what its method can see.
tool_scope() {
	case $1 in
	snitch-trace) echo "socket layer (${SNITCH_TRACE_HOOKS:-tp_btf} hooks, TCP socket iterator), attributed by socket owner" ;;
	nethogs) echo "pcap on the host veth and lo, TCP and UDP only (-C), processes found through /proc/net by socket inode; reference: wire bytes" ;;
	tcplife) echo "TCP only, one line per connection at close (inet_sock_set_state tracepoint, tcp_sock byte counters), process by comm; only client-side lines (remote port = the scenario's server port) are counted" ;;
	bpftrace) echo "bench/matrix-peer.bt: sock:sock_send_length/sock_recv_length tracepoints per pid, exe from sched_process_exec, forked children under the process that last called exec" ;;
	esac
}

notes() {
	local tool id det dv bv de m ref f trial
	for tool in $TOOLS; do
		for f in "$OUT"/t*/"$tool.err"; do
			[[ -f "$f" ]] || continue
			trial=${f%/*}
			echo "- **$tool could not start** (trial ${trial##*/t}): $(cat "$f")"
		done
		for id in "${SCENARIOS[@]}"; do
			IFS=$'\t' read -r _ _ dv _ _ _ < <(row_of "$OUT/detection.tsv" "$tool" "$id")
			IFS=$'\t' read -r _ _ bv de m ref < <(row_of "$OUT/bandwidth.tsv" "$tool" "$id")
			[[ $dv == PASS && $bv == PASS ]] && continue
			[[ $dv == ERROR ]] && continue
			if [[ $dv == N/A ]]; then
				[[ $tool == "${TOOLS%% *}" ]] && echo "- $id, every tool: N/A, $(cut -f2 "$OUT/t1/$id/ref")"
				continue
			fi
			case $dv in
			FAIL) det="not seen at all" ;;
			PARTIAL) det="seen, but not attributed to the generator's executable" ;;
			PASS) det="attributed" ;;
			esac
			echo "- $tool, $id ($(scenario_title "$id")): detection $dv ($det), bandwidth $bv: $m bytes against $ref ($de%)"
		done
	done
}

{
	echo "## Detection and bandwidth matrix"
	echo
	echo "$(date -u +%F) $(git rev-parse --short HEAD 2>/dev/null || echo '?') Linux $(uname -r), $(nproc) CPUs; $TRIALS trial(s), $( ((SMALL)) && echo "small (CI) sizes" || echo "full sizes"), modal verdict; \`bench/matrix.sh\`."
	echo "Traffic crosses a veth pair to a peer network namespace; each generator runs from a path of its own."
	echo "Detection: PASS attributed to the generator's executable, PARTIAL seen but unattributed, FAIL not seen."
	echo "Bandwidth against the generator's own byte counts (socket-layer tools) or the peer's nftables counters (nethogs): PASS within 10%, PARTIAL within 25%, FAIL beyond."
	echo
	echo "Tools: $(for tool in $TOOLS; do printf '%s (%s); ' "$tool" "$(tool_version "$tool")"; done)"
	echo
	echo "### Detection"
	echo
	grid "$OUT/detection.tsv"
	echo
	echo "### Bandwidth (error: the last trial with the modal verdict)"
	echo
	grid "$OUT/bandwidth.tsv"
	echo
	echo "### Notes"
	echo
	for tool in $TOOLS; do echo "- $tool: $(tool_scope "$tool")."; done
	notes
} >"$OUT/matrix.md"
cat "$OUT/matrix.md"

if ((CHECK)); then
	bad=$(awk -F'\t' '$1 == "snitch-trace" && $4 != "N/A" && !($4 == "PASS" && $5 == "PASS") { print $2 ": detection " $4 ", bandwidth " $5 " (" $7 " of " $8 " bytes, trial " $3 ")" }' "$OUT/verdicts.tsv")
	if [[ -n "$bad" ]]; then
		echo "snitch-trace is not PASS/PASS on:" >&2
		echo "$bad" >&2
		exit 1
	fi
fi
