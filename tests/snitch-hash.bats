# snitch-hash: real processes started from copies of real binaries, events
# crafted with their real pid, dev and ino, hashes checked against sha256sum;
# one end-to-end run behind the real snitch-trace.

setup() {
	load helpers
	isolate_home
	BG_PIDS=()
	HASH_PID=
}

teardown() {
	exec 5>&- 2>/dev/null || true
	kill_background
	peer_down
}

# A copy of a binary at a path of its own; prints the path.
copy_bin() { # SRC NAME
	own_path_copy "$1" "$2"
}

# Starts a program in the background (fds 3 and 5 closed); its pid in $STARTED.
start_bg() { # CMD...
	"$@" >/dev/null 2>&1 3>&- 5>&- &
	STARTED=$!
	BG_PIDS+=("$STARTED")
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# One compact flow event for a process (the identity of its exe as stat sees it).
flow_event() { # PID EXE [DEV INO]
	local dev=${3:-} ino=${4:-}
	[[ -n "$dev" ]] || read -r dev ino < <(stat -L -c '%d %i' "$2")
	jq -nc --argjson pid "$1" --arg exe "$2" --argjson dev "$dev" --argjson ino "$ino" \
		'{type: "flow", time: 1.5, pid: $pid, comm: "x", exe: $exe, dev: $dev, ino: $ino,
		  raddr: "10.0.0.1", rport: 443, sent: 10, recv: 20, future_field: {"a": [1, "}"]}}'
}

# Runs snitch-hash on the given lines; stdout in $output, stderr in $stderr.
hash_lines() { # [snitch-hash args...] -- LINE...
	local args=()
	while [[ $# -gt 0 && "$1" != -- ]]; do args+=("$1"); shift; done
	shift
	printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-hash "${args[@]}" <"$BATS_TEST_TMPDIR/in.jsonl"
}

# snitch-hash reading a FIFO, so that events can be sent one at a time.
start_hasher() { # [snitch-hash args...]
	mkfifo "$BATS_TEST_TMPDIR/hash.in"
	HASH_OUT="$BATS_TEST_TMPDIR/hash.out"
	snitch-hash "$@" <"$BATS_TEST_TMPDIR/hash.in" >"$HASH_OUT" 2>"$BATS_TEST_TMPDIR/hash.err" 3>&- &
	HASH_PID=$!
	BG_PIDS+=("$HASH_PID")
	exec 5>"$BATS_TEST_TMPDIR/hash.in"
}

# Sends one event and waits until snitch-hash has written its N-th output line.
send_and_wait() { # LINE N
	printf '%s\n' "$1" >&5
	wait_until 10 has_lines "$HASH_OUT" "$2" && return 0
	fail "snitch-hash wrote no line $2: $(cat "$HASH_OUT" "$BATS_TEST_TMPDIR/hash.err")"
}

stop_hasher() {
	exec 5>&-
	wait "$HASH_PID"
}

@test "snitch-hash --help and --version exit 0, a bad option exits 2" {
	assert_cli snitch-hash --config
}

@test "a live process, its parent and grandparent get the sha256 sha256sum computes" {
	local exe parent_exe
	exe=$(copy_bin /bin/sleep "my sleep")
	start_bg "$exe" 100
	parent_exe=$(readlink /proc/$$/exe)
	local line
	line=$(flow_event "$STARTED" "$exe" | jq -c --argjson pp $$ --arg pe "$parent_exe" \
		--argjson pd "$(stat -L -c %d "$parent_exe")" --argjson pi "$(stat -L -c %i "$parent_exe")" \
		'.parent = {pid: $pp, exe: $pe, dev: $pd, ino: $pi} | .grandparent = .parent')
	hash_lines -- "$line"
	assert_equal "$(jq -r .sha256 <<<"$output")" "$(sha_of "$exe")"
	assert_equal "$(jq -r .parent.sha256 <<<"$output")" "$(sha_of "$parent_exe")"
	assert_equal "$(jq -r .grandparent.sha256 <<<"$output")" "$(sha_of "$parent_exe")"
	assert_equal "${#lines[@]}" 1
}

@test "the hash is spliced in: every other byte of the event is unchanged" {
	local exe line
	exe=$(copy_bin /bin/sleep sleeper)
	start_bg "$exe" 100
	line=$(flow_event "$STARTED" "$exe")
	hash_lines -- "$line"
	assert_equal "$output" "${line%\}},\"sha256\":\"$(sha_of "$exe")\"}"
}

@test "events other than flow and exec pass through byte for byte" {
	local a='{"type":"vt" , "sha256":"ab", "odd":  [1,2,{"x":null}]}  ' b='{"type":"error","time":1,"message":"\u00e9\u0001"}'
	hash_lines -- "$a" "$b"
	assert_equal "${lines[0]}" "$a"
	assert_equal "${lines[1]}" "$b"
	assert_equal "$stderr" ""
}

@test "exec events are hashed too" {
	local exe line
	exe=$(copy_bin /bin/sleep "exec probe")
	start_bg "$exe" 100
	line=$(flow_event "$STARTED" "$exe" | jq -c '.type = "exec"')
	hash_lines -- "$line"
	jq -e --arg h "$(sha_of "$exe")" '.type == "exec" and .sha256 == $h' <<<"$output"
}

@test "an executable rewritten in place (mtime restored) gets a new hash: fanotify" {
	require_root "fanotify (CAP_SYS_ADMIN)"
	local exe first second
	exe=$(copy_bin /bin/sleep rewritten)
	start_hasher -v
	start_bg "$exe" 100
	first=$STARTED
	send_and_wait "$(flow_event "$first" "$exe")" 1
	grep -q "fanotify" "$BATS_TEST_TMPDIR/hash.err"
	local before
	before=$(stat -c '%i %Y' "$exe")
	kill "$first"; wait "$first" || true
	touch -r "$exe" "$BATS_TEST_TMPDIR/mtime"
	cat /usr/bin/tail >"$exe" # same inode: rewritten in place
	touch -r "$BATS_TEST_TMPDIR/mtime" "$exe"
	assert_equal "$(stat -c '%i %Y' "$exe")" "$before"
	start_bg "$exe" -f /dev/null
	send_and_wait "$(flow_event "$STARTED" "$exe")" 2
	stop_hasher
	run jq -r .sha256 "$HASH_OUT"
	assert_equal "${lines[0]}" "$(sha_of /bin/sleep)"
	assert_equal "${lines[1]}" "$(sha_of /usr/bin/tail)"
}

@test "an executable rewritten in place (mtime restored) gets a new hash: ctime without fanotify" {
	local exe
	exe=$(copy_bin /bin/sleep rewritten2)
	start_hasher -v --no-fanotify
	start_bg "$exe" 100
	send_and_wait "$(flow_event "$STARTED" "$exe")" 1
	grep -q "ctime" "$BATS_TEST_TMPDIR/hash.err"
	kill "$STARTED"; wait "$STARTED" || true
	touch -r "$exe" "$BATS_TEST_TMPDIR/mtime"
	cat /usr/bin/tail >"$exe"
	touch -r "$BATS_TEST_TMPDIR/mtime" "$exe"
	start_bg "$exe" -f /dev/null
	send_and_wait "$(flow_event "$STARTED" "$exe")" 2
	stop_hasher
	run jq -r .sha256 "$HASH_OUT"
	assert_equal "${lines[0]}" "$(sha_of /bin/sleep)"
	assert_equal "${lines[1]}" "$(sha_of /usr/bin/tail)"
}

@test "a running process whose executable was deleted is still hashed" {
	local exe want line
	exe=$(copy_bin /bin/sleep "deleted exe")
	want=$(sha_of "$exe")
	start_bg "$exe" 100
	line=$(flow_event "$STARTED" "$exe")
	rm "$exe"
	hash_lines -- "$line"
	assert_equal "$(jq -r .sha256 <<<"$output")" "$want"
}

@test "a gone process is hashed when its (dev, ino) was seen before, else gets a clear error" {
	local exe want seen gone
	exe=$(copy_bin /bin/sleep "short lived")
	want=$(sha_of "$exe")
	start_hasher
	start_bg "$exe" 100
	seen=$STARTED
	send_and_wait "$(flow_event "$seen" "$exe")" 1
	local identity
	identity=$(stat -c '%d %i' "$exe")
	kill "$seen"; wait "$seen" || true
	rm "$exe" # only the descriptor snitch-hash keeps can reach it now
	send_and_wait "$(flow_event "$seen" "$exe" $identity)" 2
	# another program, gone and deleted before snitch-hash ever saw it
	local other
	other=$(copy_bin /bin/sleep "never seen")
	start_bg "$other" 100
	gone=$STARTED
	local other_identity
	other_identity=$(stat -c '%d %i' "$other")
	kill "$gone"; wait "$gone" || true
	rm "$other"
	send_and_wait "$(flow_event "$gone" "$other" $other_identity)" 4
	stop_hasher
	run jq -sc '.' "$HASH_OUT"
	jq -e --arg h "$want" '.[0].sha256 == $h and .[1].sha256 == $h' <<<"$output"
	jq -e '.[2] | has("sha256") | not' <<<"$output"
	jq -e --arg pid "$gone" '.[2].sha256_error | test("process " + $pid + " has exited") and test("no longer exists")' <<<"$output"
	jq -e --arg pid "$gone" '.[3].type == "error" and .[3].source == "snitch-hash" and (.[3].message | test("pid " + $pid))' <<<"$output"
}

@test "a gone process never seen before is hashed through its path when that is still the same file" {
	local exe
	exe=$(copy_bin /bin/sleep "path fallback")
	start_bg "$exe" 100
	local pid=$STARTED line
	line=$(flow_event "$pid" "$exe")
	kill "$pid"; wait "$pid" || true
	hash_lines -- "$line"
	assert_equal "$(jq -r .sha256 <<<"$output")" "$(sha_of "$exe")"
}

# attacks.bats table, point 13: the path of an identity snitch-trace could not
# verify (another mount namespace, deleted, memfd) may name another file.
@test "a gone process marked exe_unverified is not hashed through its path" {
	local exe line
	exe=$(copy_bin /bin/sleep "unverified path")
	start_bg "$exe" 100
	line=$(flow_event "$STARTED" "$exe" | jq -c '.exe_unverified = "another mount namespace"')
	kill "$STARTED"; wait "$STARTED" || true
	hash_lines -- "$line"
	jq -e -s '.[0] | (has("sha256") | not) and (.sha256_error | test("has exited, and the event.s exe path is not tried: it is marked exe_unverified"))' <<<"$output"
}

# attacks.bats table, point 12: a 100 GiB sparse ELF runs; hashing it would
# hold the stream for minutes while snitch-trace drops records behind it.
# A running copy of sleep grown (sparse) to SIZE and a small one: their flow
# events in $BIG_LINE and $SMALL_LINE, paths in $BIG and $SMALL.
big_and_small() { # SIZE
	BIG=$(copy_bin /bin/sleep "big")
	truncate -s "$1" "$BIG"
	SMALL=$(copy_bin /bin/sleep "small")
	start_bg "$BIG" 100
	BIG_LINE=$(flow_event "$STARTED" "$BIG")
	start_bg "$SMALL" 100
	SMALL_LINE=$(flow_event "$STARTED" "$SMALL")
}

@test "a 100 GiB sparse executable gets sha256_error at once, size or time capped, and the stream goes on" {
	big_and_small 100G
	local small=$SMALL
	printf '%s\n' "$BIG_LINE" "$BIG_LINE" "$SMALL_LINE" >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 timeout 20 snitch-hash <"$BATS_TEST_TMPDIR/in.jsonl"
	jq -e -s '[.[] | select(.type == "flow")] | (.[0].sha256_error | test("is 107374182400 bytes, over the cap of 4294967296")) and .[1].sha256_error == .[0].sha256_error' <<<"$output"
	jq -e -s --arg h "$(sha_of "$small")" '[.[] | select(.type == "flow")][2].sha256 == $h' <<<"$output"
	# without the size cap, the time cap ends it
	run -0 timeout 20 snitch-hash --max-size 0 --max-seconds 0.3 --inline-max 0 <"$BATS_TEST_TMPDIR/in.jsonl"
	jq -e -s '[.[] | select(.type == "flow")] | (.[0].sha256_error | test("not hashed: gave up after 0.3 s, [0-9]+ bytes read of 107374182400")) and .[1].sha256_error == .[0].sha256_error' <<<"$output"
	jq -e -s --arg h "$(sha_of "$small")" '[.[] | select(.type == "flow")][2].sha256 == $h' <<<"$output"
}

@test "an executable over --inline-max is hashed off the event loop: the stream goes on, later events get its sha256" {
	big_and_small 300M
	local big=$BIG small=$SMALL bigline=$BIG_LINE smallline=$SMALL_LINE i
	start_hasher --inline-max 1048576
	printf '%s\n' "$bigline" "$smallline" >&5
	wait_for_line "$HASH_OUT" '"exe":"[^"]*small"' 30
	jq -e -s --arg big "$big" --arg h "$(sha_of "$small")" '[.[] | select(.type == "flow")] |
		(.[0].exe == $big and (.[0].sha256_error | test("being hashed off the event loop \\(314572800 bytes\\)")))
		and .[1].sha256 == $h' "$HASH_OUT"
	for ((i = 0; i < 120; i++)); do
		printf '%s\n' "$bigline" >&5
		sleep 0.5
		jq -e -s --arg big "$big" 'any(.[]; .type == "flow" and .exe == $big and has("sha256"))' "$HASH_OUT" >/dev/null && break
	done
	jq -e -s --arg big "$big" --arg h "$(sha_of "$big")" '[.[] | select(.type == "flow" and .exe == $big and has("sha256"))][0].sha256 == $h' "$HASH_OUT"
	stop_hasher
}

@test "a pid now running another executable than the event names gets sha256_error and an error event" {
	local exe other
	exe=$(copy_bin /bin/sleep "running")
	other=$(copy_bin /bin/sleep "named")
	start_bg "$exe" 100
	local line
	line=$(flow_event "$STARTED" "$other" $(stat -c '%d %i' "$other"))
	rm "$other" # the path cannot rescue it either
	hash_lines -- "$line"
	jq -e -s --arg pid "$STARTED" '.[0].sha256_error | test("process " + $pid + " now runs another executable")' <<<"$output"
	jq -e -s '.[0] | has("sha256") | not' <<<"$output"
	jq -e -s '.[1].type == "error"' <<<"$output"
}

@test "malformed lines between valid lines are reported and skipped; every valid line comes out" {
	local exe good
	exe=$(copy_bin /bin/sleep malformed)
	start_bg "$exe" 100
	good=$(flow_event "$STARTED" "$exe")
	hash_lines -- "$good" 'not json' "$good" '{"type":"flow","pid":1' '[1,2]' '{"no_type":1}' "$good" '{"type":"flow"} trailing'
	jq -e -s --arg h "$(sha_of "$exe")" '[.[] | select(.type == "flow")] | length == 3 and all(.sha256 == $h)' <<<"$output"
	jq -e -s '[.[] | select(.type == "error" and (.message | test("malformed"))) | .lost] | add == 5' <<<"$output"
	[[ "$stderr" == *"input line 2 skipped"* ]]
	[[ "$stderr" == *"input line 4 skipped"* ]]
}

@test "a FIFO or a device named by an event is refused, not read forever" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	local fifo zero
	fifo=$(flow_event 0 "$BATS_TEST_TMPDIR/fifo")
	zero=$(flow_event 0 /dev/zero)
	printf '%s\n' "$fifo" "$zero" >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr timeout 20 snitch-hash <"$BATS_TEST_TMPDIR/in.jsonl"
	jq -e -s '[.[] | select(.type == "flow") | .sha256_error | test("is not a regular file")] == [true, true]' <<<"$output"
}

# attacks.bats table, point 7: a process in a mount namespace of its own runs a
# binary bind-mounted over a path that is a FIFO on the host (a stand-in for a
# device such as /dev/watchdog, where an open(2) alone does harm). Once it has
# exited, snitch-hash must look at that path without opening it: a writer
# blocked in open(2) on the FIFO would wake up.
@test "a path from another mount namespace is never opened when it is not the event's file" {
	local fifo="$BATS_TEST_TMPDIR/watchdog" pid line
	mkfifo "$fifo"
	unshare -m --propagation private sh -c 'mount --bind /bin/sleep "$1" && exec "$1" 100' sh "$fifo" &
	pid=$!
	BG_PIDS+=("$pid")
	wait_for_output 5 "$fifo" readlink "/proc/$pid/exe" || true
	line=$(flow_event "$pid" "$fifo" $(stat -L -c '%d %i' /bin/sleep))
	kill "$pid"; wait "$pid" || true
	sh -c 'exec 3>"$1"; echo opened >"$2"' sh "$fifo" "$BATS_TEST_TMPDIR/woken" &
	BG_PIDS+=("$!")
	hash_lines -- "$line" "$(flow_event 0 "$fifo" $(stat -c '%d %i' "$fifo"))"
	jq -e -s '[.[] | select(.type == "flow") | .sha256_error] | (.[0] | test("is now another file")) and (.[1] | test("is not a regular file"))' <<<"$output"
	sleep 0.5
	[[ ! -e "$BATS_TEST_TMPDIR/woken" ]] || fail "snitch-hash opened the FIFO"
}

@test "a flow event without dev and ino gets sha256_error; its parent is still hashed" {
	local parent_exe line
	parent_exe=$(readlink /proc/$$/exe)
	line=$(jq -nc --argjson pp $$ --arg pe "$parent_exe" --argjson pd "$(stat -L -c %d "$parent_exe")" \
		--argjson pi "$(stat -L -c %i "$parent_exe")" \
		'{type: "flow", pid: 1, exe: "/x", parent: {pid: $pp, exe: $pe, dev: $pd, ino: $pi}}')
	hash_lines -- "$line"
	jq -e -s '.[0].sha256_error | test("no integer \"dev\" and \"ino\"")' <<<"$output"
	jq -e -s --arg h "$(sha_of "$parent_exe")" '.[0].parent.sha256 == $h' <<<"$output"
	jq -e -s '.[1].type == "error" and (.[1].message | test("no sha256 for pid 1"))' <<<"$output"
}

@test "an event that already has sha256 gets it replaced, field order kept" {
	local exe line
	exe=$(copy_bin /bin/sleep rehash)
	start_bg "$exe" 100
	line=$(flow_event "$STARTED" "$exe" | jq -c '.sha256 = "stale" | .sha256_error = "old" | .after = 1')
	hash_lines -- "$line"
	jq -e --arg h "$(sha_of "$exe")" '.sha256 == $h and (has("sha256_error") | not)' <<<"$output"
	assert_equal "$(jq -c 'keys_unsorted' <<<"$output")" "$(jq -c 'del(.sha256_error) | keys_unsorted' <<<"$line")"
}

@test "--hash-file streams large files and matches sha256sum" {
	head -c $((5 << 20 | 12345)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	: >"$BATS_TEST_TMPDIR/empty"
	run -0 snitch-hash --hash-file "$BATS_TEST_TMPDIR/big" --hash-file "$BATS_TEST_TMPDIR/empty"
	assert_output "$(sha256sum "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/empty")"
	run -1 --separate-stderr snitch-hash --hash-file "$BATS_TEST_TMPDIR/missing"
	[[ "$stderr" == *"missing: No such file or directory"* ]]
}

@test "the cache is bounded by \"Set RLIMIT_NOFILE\" and an evicted, deleted executable is no longer hashed" {
	mkdir -p "$XDG_CONFIG_HOME/picosnitch"
	echo '{"Set RLIMIT_NOFILE": 100}' >"$XDG_CONFIG_HOME/picosnitch/config.json"
	hash_lines -v --max-open 5000 --config "$XDG_CONFIG_HOME/picosnitch/config.json" -- '{"type":"vt"}'
	[[ "$stderr" == *"caching up to 36 executables"* ]]
	local a b
	a=$(copy_bin /bin/sleep evicted)
	b=$(copy_bin /bin/sleep evictor)
	start_hasher --max-open 1
	start_bg "$a" 100
	local pa=$STARTED ida
	ida=$(stat -c '%d %i' "$a")
	send_and_wait "$(flow_event "$pa" "$a")" 1
	start_bg "$b" 100
	send_and_wait "$(flow_event "$STARTED" "$b")" 2
	kill "$pa"; wait "$pa" || true
	rm "$a"
	send_and_wait "$(flow_event "$pa" "$a" $ida)" 3
	stop_hasher
	jq -e -s '.[0] | has("sha256")' "$HASH_OUT"
	jq -e -s '.[1] | has("sha256")' "$HASH_OUT"
	jq -e -s '.[2] | has("sha256_error")' "$HASH_OUT"
}

@test "a malformed config file exits 1 naming the problem" {
	echo '{"Set RLIMIT_NOFILE": "many"}' >"$BATS_TEST_TMPDIR/config.json"
	run -1 --separate-stderr snitch-hash --config "$BATS_TEST_TMPDIR/config.json" </dev/null
	[[ "$stderr" == *"Set RLIMIT_NOFILE"* ]]
}

# snitch-trace | snitch-hash (start_pipeline hash_stage): events in $PIPE_OUT.
hash_stage() { snitch-hash >"$PIPE_OUT" 2>"$BATS_TEST_TMPDIR/hash$PIPE_RUN.err"; }

@test "end to end: snitch-trace | snitch-hash hashes a real connection's process and parent" {
	start_pipeline hash_stage
	local server client
	server=$(copy_bin "$NETGEN" "hash server")
	client=$(copy_bin "$NETGEN" "hash client")
	serve_local "$BATS_TEST_TMPDIR/server.out" "$server" tcp-server 7101 1000
	"$client" tcp-client 127.0.0.1 7101 1000 >/dev/null 3>&-
	wait_for_line "$BATS_TEST_TMPDIR/server.out" "sent="
	sleep 1.5 # one trace interval, so the flows are reported
	stop_pipeline
	jq -e -s --arg exe "$client" --arg h "$(sha_of "$client")" \
		'[.[] | select(.type == "flow" and .exe == $exe)] | length > 0 and all(.sha256 == $h)' "$PIPE_OUT"
	jq -e -s --arg exe "$client" --arg h "$(sha_of "$(readlink /proc/$$/exe)")" \
		'[.[] | select(.type == "flow" and .exe == $exe) | .parent | select(. != null)] | all(.sha256 == $h)' "$PIPE_OUT"
	jq -e -s --arg exe "$server" --arg h "$(sha_of "$server")" \
		'[.[] | select(.type == "flow" and .exe == $exe)] | length > 0 and all(.sha256 == $h)' "$PIPE_OUT"
}

# Waits until the pipeline's output has a flow of EXE whose sha256 is HASH.
has_hash() { # EXE HASH
	jq -e -s --arg exe "$1" --arg h "$2" 'any(.[]; .type == "flow" and .exe == $exe and .sha256 == $h)' \
		"$PIPE_OUT" >/dev/null 2>&1
}

wait_for_hash() { # EXE HASH
	wait_until 10 has_hash "$1" "$2" && return 0
	fail "no flow of $1 with sha256 $2 in $PIPE_OUT"
}

@test "end to end: a binary rewritten in place between two connections gets two different hashes" {
	start_pipeline hash_stage
	local client first second
	client=$(copy_bin "$NETGEN" "rewritten client")
	first=$(sha_of "$client")
	serve_local "$BATS_TEST_TMPDIR/server.out" "$NETGEN" tcp-server 7104 100 2
	"$client" tcp-client 127.0.0.1 7104 100 >/dev/null 3>&-
	wait_for_hash "$client" "$first"
	local inode
	inode=$(stat -c %i "$client")
	{ cat "$NETGEN"; printf 'rewritten in place'; } >"$client" # same inode, still runs
	assert_equal "$(stat -c %i "$client")" "$inode"
	second=$(sha_of "$client")
	[[ "$second" != "$first" ]]
	"$client" tcp-client 127.0.0.1 7104 100 >/dev/null 3>&-
	wait_for_hash "$client" "$second"
	stop_pipeline
	run jq -r -s --arg exe "$client" '[.[] | select(.type == "flow" and .exe == $exe) | .sha256] | (first, last)' "$PIPE_OUT"
	assert_equal "${lines[0]}" "$first"
	assert_equal "${lines[1]}" "$second"
}

# 500 forked children of one copy of netgen, each connecting once, through a
# fresh pipeline; a second copy is deleted as soon as its burst is over.
# Writes "TOTAL HASHED" for the kept and for the deleted copy to $BURST_COUNTS.
burst() { # PORT [snitch-trace args...]
	local port=$1; shift
	start_pipeline hash_stage "$@"
	local kept deleted
	kept=$(copy_bin "$NETGEN" "burst kept $port")
	deleted=$(copy_bin "$NETGEN" "burst deleted $port")
	serve_local "$BATS_TEST_TMPDIR/server$port.out" "$NETGEN" tcp-server "$port" 0 1000
	"$kept" children 500 127.0.0.1 "$port" 100 >/dev/null 3>&-
	"$deleted" children 500 127.0.0.1 "$port" 100 >/dev/null 3>&-
	rm "$deleted" # only what snitch-hash already holds open can still be hashed
	sleep 1.5     # one trace interval, so the flows are reported
	stop_pipeline
	local exe
	for exe in "$kept" "$deleted"; do
		jq -rs --arg exe "$exe" '[.[] | select(.type == "flow" and .exe == $exe)]
			| "\(map(.pid) | unique | length) \(map(select(.sha256 != null) | .pid) | unique | length)"' "$PIPE_OUT"
	done >"$BURST_COUNTS"
}

@test "a burst of 500 short-lived processes through snitch-trace | snitch-hash: how many get their hash" {
	require_ebpf
	local run total hashed label
	for run in "7102 --exec" "7103"; do
		label="snitch-trace ${run#* }"; [[ $run == *--exec ]] || label="snitch-trace"
		BURST_COUNTS="$BATS_TEST_TMPDIR/counts"
		burst $run # not in a subshell: teardown must know its processes
		mapfile -t counts <"$BURST_COUNTS"
		read -r total hashed <<<"${counts[0]}"
		echo "# $label, binary kept: $hashed of $total processes got their sha256" >&3
		# The kept binary is reachable through its path even when every process is gone.
		(( total >= 450 )) || fail "only $total of 500 processes seen"
		assert_equal "$hashed" "$total"
		read -r total hashed <<<"${counts[1]}"
		echo "# $label, binary deleted after the burst: $hashed of $total processes got their sha256" >&3
	done
}

@test "the man page and bash completion cover every option --help lists" {
	run -0 snitch-hash --help
	local opts
	opts=$(grep -o -- '--[a-z][a-z-]*' <<<"$output" | sort -u)
	[[ -n "$opts" ]]
	local page
	page=$(MANWIDTH=200 man -l "$SNITCH_ROOT/man/snitch-hash.1" 2>/dev/null)
	local o
	for o in $opts; do
		[[ "$page" == *"$o"* ]] || fail "man page lacks $o"
		grep -q -- "$o" "$SNITCH_ROOT/completions/snitch-hash.bash" || fail "completion lacks $o"
	done
}
