#!/bin/bash
# Kernel time the tracers' BPF programs spend per counted send or receive,
# from the kernel's own statistics (kernel.bpf_stats_enabled): run_time_ns
# summed over every program a tracer holds, its TCP iterator and per-packet
# cgroup_skb programs included, divided by the sends and receives its flow
# events counted (their `events`). snitch-trace and a bpftrace script on the
# same tracepoints (bench/matrix-peer.bt) run side by side over the same
# 64-byte UDP flood and TCP bulk transfer on loopback, so that the figures
# compare like with like whatever else loads the machine; bpftrace's time is
# divided by the first snitch-trace's count. Prints a Markdown section;
# needs root.
#
# Usage: bench/trace-cost.sh [LABEL=SNITCH_TRACE_BINARY ...]
#   (default: snitch-trace=$SNITCH_TRACE; several run at once, e.g. before=... after=...)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
TESTS=.output/tests
OUT=.output/bench/cost
mkdir -p "$OUT"
# Not hyperfine: the figure is kernel time from the BPF statistics of tracers
# that stay attached across the rounds, not the wall time of a command.
ROUNDS=${ROUNDS:-5}
DATAGRAMS=${DATAGRAMS:-200000}
BULK=${BULK:-$((1 << 30))}

bench_needs_root
(($# > 0)) || set -- "snitch-trace=${SNITCH_TRACE:-.output/bin/snitch-trace}"

STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
PIDS=()
# The reference: cgroup_skb programs that do nothing, on the same packets: what
# one program run costs before it does any work.
EMPTY_PIN=/sys/fs/bpf/snitch-trace-cost-$$
CGROUP2=$(findmnt -n -o TARGET -t cgroup2 | head -1)
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [[ -d $EMPTY_PIN ]]; then
		for p in egress ingress; do bpftool cgroup detach "$CGROUP2" "$p" pinned "$EMPTY_PIN/empty_$p" 2>/dev/null || true; done
		rm -rf "$EMPTY_PIN"
	fi
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT
trap 'exit 1' INT TERM # so that the programs are detached then too
sysctl -qw kernel.bpf_stats_enabled=1

attach_empty() {
	cat >"$OUT/empty.bpf.c" <<-'EOF'
		#include <linux/bpf.h>
		#include <bpf/bpf_helpers.h>
		char LICENSE[] SEC("license") = "GPL";
		SEC("cgroup_skb/egress") int empty_egress(struct __sk_buff *skb) { return 1; }
		SEC("cgroup_skb/ingress") int empty_ingress(struct __sk_buff *skb) { return 1; }
	EOF
	clang -O2 -target bpf -I/usr/include/"$(uname -m)"-linux-gnu -c "$OUT/empty.bpf.c" -o "$OUT/empty.bpf.o"
	bpftool prog loadall "$OUT/empty.bpf.o" "$EMPTY_PIN"
	local d
	for d in egress ingress; do bpftool cgroup attach "$CGROUP2" "$d" pinned "$EMPTY_PIN/empty_$d" multi; done
}

# The ids of the programs pinned for the reference.
empty_prog_ids() {
	local d
	for d in egress ingress; do bpftool prog show pinned "$EMPTY_PIN/empty_$d" -j | jq .id; done
}

# The ids of the programs of a tracer: process PID's, or the reference's ("empty").
tracer_prog_ids() { # PID|empty
	if [[ $1 == empty ]]; then empty_prog_ids; else lib_bpf_prog_ids "$1"; fi | paste -sd, -
}

# "run_time_ns run_cnt" summed over a tracer's programs.
prog_stats() { # PID|empty
	bpftool prog show -j | jq -r --argjson ids "[$(tracer_prog_ids "$1")]" \
		'[.[] | select(.id as $i | $ids | any(. == $i))] | "\(map(.run_time_ns // 0) | add // 0) \(map(.run_cnt // 0) | add // 0)"'
}

# Per program: "name run_time_ns run_cnt", for the breakdown.
prog_table() { # PID|empty
	bpftool prog show -j | jq -r --argjson ids "[$(tracer_prog_ids "$1")]" \
		'.[] | select(.id as $i | $ids | any(. == $i)) | "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"' | sort
}

# Sends and receives counted in the flow events of FILE from byte OFFSET on.
counted_events() { # FILE OFFSET
	tail -c +$(($2 + 1)) "$1" | jq -s '[.[] | select(.type == "flow") | .events] | add // 0'
}

workload() {
	serve_local "$OUT/sink.out" $TESTS/netgen udp-echo 7412 300 sink
	$TESTS/netgen udp-send 127.0.0.1 7412 64 "$DATAGRAMS" connected >/dev/null
	wait "${BG_PIDS[-1]}"
	serve_local "$OUT/bulk.out" $TESTS/netgen tcp-server 7413 0 1
	$TESTS/netgen tcp-client 127.0.0.1 7413 "$BULK" >/dev/null
	wait "${BG_PIDS[-1]}"
}

labels=() bins=()
for a in "$@"; do labels+=("${a%%=*}") bins+=("${a#*=}"); done
for i in "${!labels[@]}"; do
	SNITCH_TRACE=${bins[$i]} launch_trace "$OUT/${labels[$i]}.jsonl" "$OUT/${labels[$i]}.err" -i 1
	PIDS+=("$TRACE_PID")
done
BPFTRACE_MAP_KEYS_MAX=65536 "${LIB_TRACEFS[@]}" bpftrace bench/matrix-peer.bt >"$OUT/bpftrace.out" 2>&1 3>&- &
BT_PID=$!
PIDS+=("$BT_PID")
wait_for_line "$OUT/bpftrace.out" Attaching 60
attach_empty
sleep 1

names=("${labels[@]}" bpftrace empty)
procs=("${PIDS[@]}" empty)
: >"$OUT/rounds.log"
for n in "${names[@]}"; do : >"$OUT/$n.ns"; : >"$OUT/$n.runs"; done
workload # warm-up
sleep 1.5
for i in "${!labels[@]}"; do prog_table "${PIDS[$i]}" >"$OUT/${labels[$i]}.progs0"; done
counted_total=0
for ((r = 0; r < ROUNDS; r++)); do
	sleep 1.5 # the last interval's flow events are out before the offsets are taken
	offsets=()
	for i in "${!labels[@]}"; do offsets+=("$(stat -c %s "$OUT/${labels[$i]}.jsonl")"); done
	before=()
	for p in "${procs[@]}"; do before+=("$(prog_stats "$p")"); done
	workload
	sleep 1.5
	after=()
	for p in "${procs[@]}"; do after+=("$(prog_stats "$p")"); done
	counts=()
	for i in "${!labels[@]}"; do counts+=("$(counted_events "$OUT/${labels[$i]}.jsonl" "${offsets[$i]}")"); done
	counted_total=$((counted_total + counts[0]))
	counts+=("${counts[0]}" "${counts[0]}")
	for i in "${!names[@]}"; do
		read -r ns0 cnt0 <<<"${before[$i]}"
		read -r ns1 cnt1 <<<"${after[$i]}"
		echo "scale=3; ($ns1 - $ns0) / ${counts[$i]}" | bc -l >>"$OUT/${names[$i]}.ns"
		echo "scale=3; ($cnt1 - $cnt0) / ${counts[$i]}" | bc -l >>"$OUT/${names[$i]}.runs"
		echo "round $r ${names[$i]}: $((ns1 - ns0)) ns, $((cnt1 - cnt0)) runs, ${counts[$i]} counted" >>"$OUT/rounds.log"
	done
done
for i in "${!labels[@]}"; do prog_table "${PIDS[$i]}" >"$OUT/${labels[$i]}.progs"; done

# Per program of tracer LABEL over the rounds: name, ns per run, runs and ns
# per counted send/receive (the first tracer's count), as table rows.
breakdown() { # LABEL
	join "$OUT/$1.progs0" "$OUT/$1.progs" | awk -v n="$counted_total" '
		{ ns = $4 - $2; runs = $5 - $3 }
		runs > 0 && ns / n >= 0.5 { printf "| %s | %.0f | %.2f | %.0f |\n", $1, ns / runs, runs / n, ns / n }' |
		sort -t'|' -k5 -rn
}

{
	echo "## snitch-trace kernel time per counted send or receive"
	echo
	echo "$(date -u +%F) $(git rev-parse --short HEAD) Linux $(uname -r), $(nproc) CPUs; \`bench/trace-cost.sh $*\`, $ROUNDS rounds of $DATAGRAMS 64-byte datagrams over loopback UDP plus $((BULK >> 20)) MiB of TCP bulk, every tracer attached at once."
	echo
	echo "| tracer | ns of BPF program time per counted send/receive (median) | program runs per counted send/receive (median) |"
	echo "| --- | --- | --- |"
	for n in "${names[@]}"; do
		printf '| %s | %.0f | %.2f |\n' "$n" "$(median <"$OUT/$n.ns")" "$(median <"$OUT/$n.runs")"
	done
	echo
	echo "Every program each tracer holds is included (run_time_ns and run_cnt from \`bpftool prog show\` with kernel.bpf_stats_enabled=1); bpftrace's and \`empty\`'s time is divided by the sends and receives the first snitch-trace counted. \`empty\` is a pair of cgroup_skb programs that only return, on the same packets: what a program run costs before it does any work."
	last=${labels[-1]}
	echo
	echo "Where \`$last\`'s time goes, over the $ROUNDS rounds (programs of at least 0.5 ns per counted send/receive):"
	echo
	echo "| program | ns per run | runs per counted send/receive | ns per counted send/receive |"
	echo "| --- | --- | --- | --- |"
	breakdown "$last"
} >"$OUT/table.md"
cat "$OUT/table.md"
