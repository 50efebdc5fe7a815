# Faults injected into running stages: kill -9 mid-stream, a full disk under
# snitch-store, the D-Bus daemon going away, a VirusTotal API answering 5xx.
# Each test measures what is lost. Faults tested elsewhere are listed in
# tests/README.md ("Hostile input and faults").

setup() {
	load helpers
	load pg_helpers  # free_port
	isolate_home
	BG_PIDS=()
	unset SUDO_USER DBUS_SESSION_BUS_ADDRESS VT_API_KEY
	D=$BATS_TEST_TMPDIR
	CONF="$D/config.json"
	echo '{}' >"$CONF"
	RECORD="$D/notifications.jsonl"
}

teardown() {
	exec 5>&- 7>&- 2>/dev/null || true
	kill_background
	if [[ -n "${TMPFS:-}" ]]; then umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS" 2>/dev/null || true; fi
}

# Writes numbered events to stdout until N are written or the reader is gone;
# says on stderr how many whole lines were written.
WRITER='
import os, sys
n, total = 0, int(sys.argv[1])
try:
    while n < total:
        os.write(1, b"{\"type\":\"tick\",\"time\":1.5,\"seq\":%d,\"pad\":\"%s\"}\n" % (n + 1, b"p" * 60))
        n += 1
except BrokenPipeError:
    pass
print("written %d" % n, file=sys.stderr)
'

@test "kill -9 of snitch-hash, snitch-vt or snitch-notify mid-stream: what came out is an exact prefix, and the loss is what the pipes held" {
	start_stub
	local s cmd pid written out lost
	for s in hash vt notify; do
		case $s in
		hash) cmd=(snitch-hash) ;;
		vt) cmd=(env VT_API_KEY=test-key snitch-vt --cache "$D/vt.db" --api-url "$API") ;;
		notify) cmd=(snitch-notify --print --dir "$D") ;;
		esac
		rm -f "$D/in.fifo"
		mkfifo "$D/in.fifo"
		"${cmd[@]}" <"$D/in.fifo" >"$D/$s.out" 2>"$D/$s.err" 3>&- &
		pid=$!
		python3 -c "$WRITER" 2000000 >"$D/in.fifo" 2>"$D/writer.err" 3>&- &
		BG_PIDS+=("$pid" "$!")
		wait_for_line "$D/$s.out" '"seq":20000,' 60
		kill -KILL "$pid"
		wait "${BG_PIDS[-1]}"
		written=$(sed -n 's/^written //p' "$D/writer.err")
		out=$(wc -l <"$D/$s.out")
		# what came out is seq 1..out byte for byte, then maybe part of the next
		# line: a write(2) cut short by the kill
		cmp -n "$(stat -c %s "$D/$s.out")" "$D/$s.out" <(python3 -c "$WRITER" $((out + 1)) 2>/dev/null) \
			|| fail "$s: output is not a prefix of its input"
		if [[ -n $(tail -c 1 "$D/$s.out") ]]; then
			# the next stage reports and counts the cut line
			run -0 --separate-stderr snitch-hash <"$D/$s.out"
			assert_equal "$(jq -s '[.[] | select(.type == "error") | .lost] | add' <<<"$output")" 1
			echo "# $s: its last line was cut by the kill; snitch-hash reported it" >&3
		fi
		lost=$((written - out))
		echo "# $s: kill -9 after $out of $written lines out: $lost lost ($((lost * 87 / 1024)) KiB)" >&3
		# what the input pipe (64 KiB), the read buffer (64 KiB) and the unflushed
		# output held: at most 1 MiB of 87-byte lines
		((written < 2000000 && lost >= 0 && lost * 87 <= 1048576)) || fail "$s lost $lost of $written lines"
	done
}

@test "kill -9 of snitch-trace mid-stream: snitch-hash reads what was written and exits 0; the bytes lost are measured" {
	require_ebpf
	local port app trace hash status=0
	port=$(free_port)
	serve_local "$D/server.out" "$NETGEN" tcp-server "$port" 0 1
	mkfifo "$D/trace.fifo"
	snitch-hash <"$D/trace.fifo" >"$D/hash.out" 2>"$D/hash.err" 3>&- &
	hash=$!
	snitch-trace -i 0.2 >"$D/trace.fifo" 2>"$D/trace.err" 3>&- &
	trace=$!
	BG_PIDS+=("$hash" "$trace")
	wait_for_line "$D/trace.err" ready 30
	APP=$(own_path_copy "$NETGEN" slow-sender)
	"$APP" tcp-slow 127.0.0.1 "$port" 200000 4 >"$D/app.out" 3>&- &
	app=$!
	BG_PIDS+=("$app")
	# its first flow came through: kill the tracer in the middle of the stream
	wait_for_line "$D/hash.out" '"exe":"'"$APP"'"' 30
	kill -KILL "$trace"
	wait "$hash" || status=$?
	assert_equal "$status" 0
	wait "$app"
	# every line snitch-hash wrote is whole JSON
	jq -e . "$D/hash.out" >/dev/null
	local sent reported
	sent=$(netgen_field "$D/app.out" sent)
	reported=$(jq -s --arg exe "$APP" '[.[] | select(.type == "flow" and .exe == $exe) | .sent] | add // 0' "$D/hash.out")
	echo "# kill -9 of snitch-trace: $reported of $sent bytes reported, $((sent - reported)) lost uncounted" >&3
	((reported > 0 && reported < sent)) || fail "reported $reported of $sent"
}

@test "snitch-store on a full disk exits 1 naming the error and counting the events not stored; committed windows stay intact" {
	require_root "mounting a tmpfs"
	TMPFS="$D/small"
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=1m tmpfs "$TMPFS"
	mkfifo "$D/in.fifo"
	snitch-store --config "$CONF" --db "$TMPFS/snitch.db" --window 0 <"$D/in.fifo" >"$D/store.out" 2>"$D/store.err" 3>&- &
	local pid=$! i status=0
	BG_PIDS+=("$pid")
	exec 5>"$D/in.fifo"
	flows() { # FROM TO
		awk -v a="$1" -v b="$2" -v t="$(date +%s)" 'BEGIN { for (i = a; i <= b; i++)
			printf "{\"type\":\"flow\",\"time\":%d.5,\"pid\":%d,\"uid\":0,\"comm\":\"gen\",\"exe\":\"/usr/bin/gen\",\"cmdline\":\"gen\",\"family\":\"ipv4\",\"proto\":\"udp\",\"raddr\":\"10.9.9.9\",\"rport\":53,\"domain\":\"\",\"sent\":1,\"recv\":2,\"events\":1,\"sha256\":\"aa\"}\n", t, i }'
	}
	# batches of 500 until the disk is full and snitch-store gives up
	for ((i = 0; i < 200; i++)); do
		flows $((i * 500 + 1)) $((i * 500 + 500)) >&5 2>/dev/null || break
		sleep 0.1
		kill -0 "$pid" 2>/dev/null || break
	done
	exec 5>&-
	wait "$pid" || status=$?
	assert_equal "$status" 1
	run -0 cat "$D/store.err"
	assert_output --regexp '^snitch-store: .*database or disk is full \(([0-9]+) events? of this window not stored, ([0-9]+) stored before\)$'
	local lost stored_before rows passed
	lost=$(sed -n 's/.*full (\([0-9]*\) event.*/\1/p' "$D/store.err")
	stored_before=$(sed -n 's/.*, \([0-9]*\) stored before.*/\1/p' "$D/store.err")
	assert_equal "$(sqlite3 "$TMPFS/snitch.db" "PRAGMA integrity_check")" ok
	rows=$(sqlite3 "$TMPFS/snitch.db" "SELECT count(*) FROM connections")
	passed=$(grep -c '"type":"flow"' "$D/store.out")
	echo "# full disk: $rows rows stored, $lost passed on but not stored, $passed passed on" >&3
	((rows > 0 && lost > 0)) || fail "rows=$rows lost=$lost"
	assert_equal "$rows" "$stored_before"
	# every event passed on is stored or counted as lost
	assert_equal "$passed" "$((rows + lost))"
}

@test "the D-Bus daemon gone mid-stream: snitch-notify keeps passing events on, queues, and delivers when the bus is back" {
	require_dbus
	# fd 7 feeds snitch-notify: start_bus keeps it from the bus and listener
	local sock="$D/bus" i
	start_bus "$sock"
	local bus_pids=("${BG_PIDS[@]: -2}")
	mkfifo "$D/in.fifo"
	snitch-notify --dir "$D" --window 0.2 <"$D/in.fifo" >"$D/notify.out" 2>"$D/notify.err" 3>&- 7>&- &
	BG_PIDS+=("$!")
	local pid=$!
	exec 7>"$D/in.fifo"
	fake_flow() { printf '{"type":"flow","time":%s,"pid":%s,"comm":"%s","exe":"/opt/%s","sha256":"%064d","sent":1,"recv":1}\n' "$(date +%s)" "$1" "$2" "$2" "$1"; }
	fake_flow 1 before >&7
	wait_until 30 test -s "$RECORD" || true
	jq -e -s 'map(.summary) == ["New program: before"]' "$RECORD"
	kill -TERM "${bus_pids[@]}"
	wait "${bus_pids[@]}" 2>/dev/null || true
	rm -f "$sock"
	fake_flow 2 during >&7
	wait_for_line "$D/notify.out" '"comm":"during"' 30
	wait_for_line "$D/notify.err" "queued until the bus is reachable" 60
	kill -0 "$pid" || fail "snitch-notify died with the bus"
	start_bus "$sock"
	fake_flow 3 after >&7
	wait_for_lines "$RECORD" 3 60 || true
	jq -e -s 'map(.summary) | sort == ["New program: after", "New program: before", "New program: during"]' "$RECORD" \
		|| fail "delivered: $(cat "$RECORD"); stderr: $(cat "$D/notify.err")"
	grep -q "notifications reach .* again" "$D/notify.err"
	exec 7>&-
	wait "$pid"
	assert_equal "$(grep -c '"type":"flow"' "$D/notify.out")" 3
}

@test "snitch-vt retries HTTP 500 and 503 with error events, then gets the verdict" {
	local sha
	sha=$(printf 'server-error' | sha256sum | cut -c1-64)
	start_stub --known "$sha=2,0,5,0" --script "files/$sha=500,503,500"
	printf '{"type":"flow","time":1.5,"pid":42,"comm":"x","exe":"/bin/x","sha256":"%s"}\n' "$sha" >"$D/in.jsonl"
	run -0 --separate-stderr env VT_API_KEY=test-key snitch-vt --cache "$D/vt.db" --api-url "$API" --request-limit 0.05 --max-backoff 0.2 <"$D/in.jsonl"
	[[ $(jq -r 'select(.type == "error") | .message' <<<"$output" | grep -c "HTTP 50[03]") -eq 3 ]] || fail "$output"
	jq -e -s 'any(.[]; .type == "vt" and .sha256 == "'"$sha"'" and .malicious == 2)' <<<"$output"
	assert_equal "$(grep -c "$sha" "$D/stub.log")" 4
	# the flow itself passed through untouched
	assert_equal "$(head -1 <<<"$output")" "$(cat "$D/in.jsonl")"
}

@test "the reader of an idle stage's output exits: every stage and snitch-trace exit 0 at once, not at their next event" {
	local s cmd
	for s in hash vt notify store trace; do
		case $s in
		hash) cmd=(snitch-hash) ;;
		vt) cmd=(snitch-vt --cache "$D/vt.db") ;;
		notify) cmd=(snitch-notify --print --dir "$D") ;;
		store) cmd=(snitch-store --db "$D/s.db") ;;
		trace) require_ebpf; cmd=(snitch-trace) ;;
		esac
		rm -f "$D/in.fifo"
		mkfifo "$D/in.fifo"
		sleep 60 >"$D/in.fifo" 3>&- &
		BG_PIDS+=("$!")
		# the reader reads nothing and leaves after a second; the stage's input stays open and silent
		run -0 timeout 30 bash -c '"$@" <"$0" 2>/dev/null | sleep 1' "$D/in.fifo" "${cmd[@]}"
		kill "${BG_PIDS[-1]}" 2>/dev/null || true
	done
}
