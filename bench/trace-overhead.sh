#!/bin/bash
# snitch-trace overhead: the same loopback workloads without and with the
# tracer attached, alternating (untraced, traced, untraced, traced, ...), so
# that each ratio compares runs taken moments apart on the same machine.
# Prints a Markdown section; needs root.
set -euo pipefail
# A workload runs inside $(...): a failed client must stop the script, not
# leave it waiting on its server.
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
BIN=.output/bin TESTS=.output/tests
SNITCH_TRACE=${SNITCH_TRACE:-$BIN/snitch-trace}
OUT=.output/bench/trace
mkdir -p "$OUT"
PAIRS=${PAIRS:-3}
CONNECTS=${CONNECTS:-5000}
DATAGRAMS=${DATAGRAMS:-1000000}
BULK=${BULK:-$((4 << 30))}

bench_needs_root

# Each workload prints its elapsed seconds; the unit count is fixed per workload.
# Not hyperfine: a workload times its client while its server runs, and the
# pairs alternate untraced and traced runs around a tracer whose CPU time and
# memory are read from /proc between them; hyperfine times one command alone.
# Runs netgen ARGS as the client of the server last started (serve_local),
# then waits for the server; the client's seconds in $CLIENT_SECONDS (not
# printed: the server is a child of this shell, not of a $(...)).
run_client() { # ARGS...
	local srv=${BG_PIDS[-1]} t0 t1
	t0=$(now)
	$TESTS/netgen "$@" >/dev/null || { kill "$srv"; return 1; }
	t1=$(now)
	wait "$srv"
	CLIENT_SECONDS=$(echo "$t1 - $t0" | bc -l)
}

w_connect() {
	serve_local "$OUT/server.out" $TESTS/netgen tcp-server 7401 0 "$CONNECTS"
	run_client tcp-client 127.0.0.1 7401 0 "$CONNECTS"
	echo "$CLIENT_SECONDS"
}

w_flood() {
	serve_local "$OUT/sink.out" $TESTS/netgen udp-echo 7402 300 sink
	run_client udp-send 127.0.0.1 7402 64 "$DATAGRAMS" connected
	# udp-send waits 0.5 s for replies after sending: not part of the send rate
	echo "$CLIENT_SECONDS - 0.5" | bc -l
}

w_bulk() {
	serve_local "$OUT/bulk.out" $TESTS/netgen tcp-server 7403 0 1
	run_client tcp-client 127.0.0.1 7403 "$BULK"
	echo "$CLIENT_SECONDS"
}

# Stops the tracer; prints "rss_kib load_peak_kib cpu_seconds events".
stop_trace_figures() {
	local rss hwm ticks
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$TRACE_PID/status")
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$TRACE_PID/status")
	ticks=$(awk '{print $14 + $15}' "/proc/$TRACE_PID/stat")
	stop_trace
	echo "$rss $hwm $(echo "$ticks / $(getconf CLK_TCK)" | bc -l) $(wc -l <"$OUT/events.jsonl")"
}

declare -A units=([connect]=$CONNECTS [flood]=$DATAGRAMS [bulk]=$BULK)
declare -A label=([connect]="connect/close loop (connections/s)" [flood]="64-byte UDP send flood (datagrams/s)" [bulk]="TCP loopback bulk (MiB/s)")
declare -A goal=([connect]=0.85 [flood]=0.85 [bulk]=0.95)
rss_max=0
hwm_max=0
cpu_total=0
events_total=0
{
	echo "## snitch-trace overhead"
	echo
	echo "$(date -u +%F) $(git rev-parse --short HEAD) Linux $(uname -r), $(nproc) CPUs; $PAIRS untraced/traced pairs per workload, run alternately."
	echo
	echo "| workload | untraced (median) | traced (median) | traced/untraced (median of pairs) | goal |"
	echo "| --- | --- | --- | --- | --- |"
} >"$OUT/table.md"
for w in connect flood bulk; do
	: >"$OUT/$w.ratios"; : >"$OUT/$w.untraced"; : >"$OUT/$w.traced"
	"w_$w" >/dev/null # warm-up
	for ((i = 0; i < PAIRS; i++)); do
		u=$("w_$w")
		launch_trace "$OUT/events.jsonl" "$OUT/trace.err"
		t=$("w_$w")
		stop_trace_figures >"$OUT/stop.out"
		read -r rss hwm cpu events <"$OUT/stop.out"
		(( rss > rss_max )) && rss_max=$rss
		(( hwm > hwm_max )) && hwm_max=$hwm
		cpu_total=$(echo "$cpu_total + $cpu" | bc -l)
		events_total=$((events_total + events))
		scale=${units[$w]}
		[[ $w == bulk ]] && scale=$(echo "$BULK / 1048576" | bc -l)
		echo "$scale / $u" | bc -l >>"$OUT/$w.untraced"
		echo "$scale / $t" | bc -l >>"$OUT/$w.traced"
		echo "$u / $t" | bc -l >>"$OUT/$w.ratios"
	done
	printf '| %s | %.0f | %.0f | %.3f | >= %s |\n' "${label[$w]}" \
		"$(median <"$OUT/$w.untraced")" "$(median <"$OUT/$w.traced")" "$(median <"$OUT/$w.ratios")" "${goal[$w]}" >>"$OUT/table.md"
done
{
	echo
	printf 'snitch-trace RSS while tracing, after each workload: at most %.1f MiB (goal <= 8 MiB); peak during start-up (VmHWM, libbpf parsing the kernel BTF): %.1f MiB.\n\n' \
		"$(echo "$rss_max / 1024" | bc -l)" "$(echo "$hwm_max / 1024" | bc -l)"
	printf 'CPU time per 1000 flow events emitted: %.3f s (%d events, %.2f s CPU over all traced runs).\n' \
		"$(echo "$cpu_total * 1000 / ($events_total + 1)" | bc -l)" "$events_total" "$cpu_total"
} >>"$OUT/table.md"
cat "$OUT/table.md"
