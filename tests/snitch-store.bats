# snitch-store: real SQLite files and a real PostgreSQL server started here.

setup() {
	load helpers
	load pg_helpers
	isolate_home
	BG_PIDS=()
	DB="$BATS_TEST_TMPDIR/snitch.db"
	CONF="$BATS_TEST_TMPDIR/config.json"
}

teardown() {
	exec 5>&- 2>/dev/null || true
	kill_background
	pg_stop_all
}

SHA_A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa

# One flow event: SEQ becomes the pid; NAME RADDR RPORT DOMAIN SENT RECV.
flow() { # SEQ [NAME] [RADDR] [RPORT] [DOMAIN] [SENT] [RECV] [SHA256]
	local seq=$1 name=${2:-curl} raddr=${3:-10.1.2.3} rport=${4:-443} domain=${5:-www.example.com}
	printf '{"type":"flow","time":%s.5,"start":%s,"pid":%s,"ppid":1,"uid":1000,"comm":"%s","exe":"/usr/bin/%s","cmdline":"%s --secret-arg","dev":2049,"ino":42,"parent":{"pid":1,"comm":"bash","exe":"/bin/bash","dev":2049,"ino":7,"cmdline":"bash -l"},"grandparent":{"pid":0,"comm":"init","exe":"/sbin/init","dev":2049,"ino":3,"cmdline":"init"},"netns":4026531840,"cgroup":"/user.slice","family":"ipv4","proto":"tcp","laddr":"192.168.0.2","lport":40000,"raddr":"%s","rport":%s,"domain":"%s","sent":%s,"recv":%s,"events":1,"sha256":"%s","future_field":{"x":[1,2]}}\n' \
		"$(( $(date +%s) - 10 ))" "$(( $(date +%s) - 11 ))" "$seq" "$name" "$name" "$name" "$raddr" "$rport" "$domain" \
		"${6:-100}" "${7:-1000}" "${8:-$SHA_A}"
}

# N flows with distinct keys: pid = rport = FROM..TO, a millisecond apart from now.
flows() { # FROM TO
	awk -v a="$1" -v b="$2" -v t="$(date +%s)" -v sha="$SHA_A" 'BEGIN { for (i = a; i <= b; i++)
		printf "{\"type\":\"flow\",\"time\":%.3f,\"pid\":%d,\"uid\":0,\"comm\":\"gen\",\"exe\":\"/usr/bin/gen\",\"cmdline\":\"gen\",\"family\":\"ipv4\",\"proto\":\"udp\",\"raddr\":\"10.9.9.9\",\"rport\":%d,\"domain\":\"\",\"sent\":1,\"recv\":2,\"events\":1,\"sha256\":\"%s\"}\n", t + i / 1000, i, i, sha }'
}

sql() { sqlite3 "$DB" "$1"; }

store() { snitch-store --config "$CONF" "$@"; }

# snitch-store in the background reading the fifo that fd 5 writes to.
start_store_stream() { # ARGS...
	local fifo="$BATS_TEST_TMPDIR/in.fifo"
	mkfifo "$fifo"
	STORE_OUT="$BATS_TEST_TMPDIR/store.out" STORE_ERR="$BATS_TEST_TMPDIR/store.err"
	# snitch-store itself, not a function's subshell: the tests signal this pid
	snitch-store --config "$CONF" "$@" <"$fifo" >"$STORE_OUT" 2>"$STORE_ERR" 3>&- &
	STORE_PID=$!
	BG_PIDS+=("$STORE_PID")
	exec 5>"$fifo"
}

end_store_stream() {
	exec 5>&-
	local status=0
	wait "$STORE_PID" || status=$?
	[[ $status -eq 0 ]] || { cat "$STORE_ERR" >&2; fail "snitch-store exited $status"; }
}

@test "snitch-store --help and --version exit 0, a bad option exits 2" {
	assert_cli snitch-store --window
	run -2 snitch-store --window -1
}

@test "every event passes through byte for byte; flows, exec, vt and error events reach their tables" {
	{
		flow 1
		echo '{"type":"exec","time":1.5,"pid":9,"comm":"ls","exe":"/bin/ls","cmdline":"ls -l"}'
		echo '{"type":"vt","time":2.5,"sha256":"'$SHA_A'","malicious":3,"harmless":60}'
		echo '{"type":"error","time":3.5,"source":"snitch-trace","message":"ring buffer full","lost":7}'
		echo '{"type":"novel","time":4,"whatever":[{}]}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$DB" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/in.jsonl")"
	assert_equal "$(sql "SELECT exe, name, cmdline, sha256, parent_exe, grandparent_exe, raddr, rport, domain, sent, recv, events, uid FROM connection_log")" \
		"/usr/bin/curl|curl|curl --secret-arg|$SHA_A|/bin/bash|/sbin/init|10.1.2.3|443|www.example.com|100|1000|1|1000"
	assert_equal "$(sql "SELECT host FROM connections")" "$(hostname)"
	assert_equal "$(sql "SELECT exe, cmdline FROM processes WHERE name = 'ls'")" "/bin/ls|ls -l"
	assert_equal "$(sql "SELECT sha256, json_extract(event, '$.malicious') FROM verdicts")" "$SHA_A|3"
	assert_equal "$(sql "SELECT source, message, lost FROM errors")" "snitch-trace|ring buffer full|7"
	assert_equal "$(sql "PRAGMA journal_mode")" "wal"
}

@test "--quiet passes nothing on and still stores everything" {
	run -0 --separate-stderr bash -c "$(declare -f flow); SHA_A=$SHA_A; { flow 1; flow 2; } | snitch-store --config '$CONF' --db '$DB' --quiet"
	assert_equal "$output" ""
	assert_equal "$(sql "SELECT count(*) FROM connections")" 1
	assert_equal "$(sql "SELECT events FROM connections")" 2
}

@test "a malformed line is skipped and counted, the lines around it are stored" {
	{ flow 1; echo '{"type":"flow", broken'; flow 2 curl 10.0.0.9; } >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$DB" <"$BATS_TEST_TMPDIR/in.jsonl"
	[[ "$stderr" == *"line 2 skipped"* ]]
	echo "$output" | jq -se '[.[] | select(.type == "error" and .source == "snitch-store" and .lost == 1)] | length == 1'
	assert_equal "$(sql "SELECT count(*) FROM connections")" 2
}

@test "the write window merges one key's events (bytes and events summed); --window 0 writes a row per event" {
	{ flow 1 curl 10.1.2.3 443 a.example 10 20; flow 2 curl 10.1.2.3 443 a.example 1 2; flow 3 curl 10.1.2.3 443 a.example 100 200
	  flow 4 curl 10.1.2.3 80 a.example 5 5; } >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$DB" --window 3600 <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(sql "SELECT rport, sent, recv, events FROM connections ORDER BY rport")" "$(printf '80|5|5|1\n443|111|222|3')"
	run -0 --separate-stderr store --db "$BATS_TEST_TMPDIR/w0.db" --window 0 <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/w0.db" "SELECT count(*), sum(sent) FROM connections")" "4|116"
}

# flow SEQ ARGS... at event time TIME (seconds, may have a fraction).
flow_at() { # TIME SEQ [NAME] [RADDR] [RPORT] [DOMAIN] [SENT] [RECV]
	local t=$1; shift
	flow "$@" | sed "s/\"time\":[0-9.]*/\"time\":$t/"
}

rows() { # DB
	sqlite3 "$1" "SELECT first_time, last_time, rport, sent, recv, events FROM connections ORDER BY last_time, rport"
}

@test "the write window groups by the events' own time: a replayed day gives rows at the right hours" {
	local h0=$(( $(date +%s) / 3600 * 3600 - 10 * 3600 ))
	{ flow_at $((h0 + 100)) 1 curl 10.1.2.3 443 a.example 1 2; flow_at $((h0 + 200)) 2 curl 10.1.2.3 443 a.example 10 20
	  flow_at $((h0 + 3605)) 3 curl 10.1.2.3 443 a.example 100 200; flow_at $((h0 + 3 * 3600 + 1)) 4 curl 10.1.2.3 443 a.example 1000 2000
	  flow_at $((h0 + 3 * 3600 + 3599)) 5 curl 10.1.2.3 443 a.example 10000 20000
	  # out of order: back to hour 0
	  flow_at $((h0 + 150)) 6 curl 10.1.2.3 443 a.example 100000 200000; } >"$BATS_TEST_TMPDIR/day.jsonl"
	run -0 --separate-stderr store --db "$DB" --window 3600 <"$BATS_TEST_TMPDIR/day.jsonl"
	assert_equal "$(sql "SELECT (CAST(last_time AS INTEGER) - $h0) / 3600, sent, recv, events FROM connections ORDER BY last_time")" \
		"$(printf '0|100011|200022|3\n1|100|200|1\n3|11000|22000|2')"
	assert_equal "$(sql "SELECT min(first_time) - $h0, max(last_time) - $h0 FROM connections WHERE last_time < $h0 + 3600")" "100.0|200.0"
}

@test "a stream fed slowly (commits between its events) gives the rows it gives fed at once" {
	local t=$(( ( $(date +%s) - 100 ) / 2 * 2 )) i
	local -a lines
	mapfile -t lines < <(for i in .1 .2 .3 .4 .5 .6; do flow_at "$t$i" 1 curl 10.1.2.3 443 a.example 1 2; done
		flow_at $((t + 2)).5 2 curl 10.1.2.3 443 a.example 10 20; flow_at $((t + 2)).6 3 curl 10.1.2.3 80 a.example 5 5
		flow_at $((t + 7200)).2 4 curl 10.1.2.3 443 a.example 100 200; flow_at $((t + 7200)).9 5 curl 10.1.2.3 443 a.example 1000 2000)
	printf '%s\n' "${lines[@]}" | store --db "$BATS_TEST_TMPDIR/fast.db" --window 2 -q
	# a commit every 2 s of the feed falls inside the first event-time window
	start_store_stream --db "$DB" --window 2 -q
	for i in "${lines[@]}"; do
		printf '%s\n' "$i" >&5
		sleep 0.5
	done
	end_store_stream
	assert_equal "$(rows "$DB")" "$(rows "$BATS_TEST_TMPDIR/fast.db")"
	assert_equal "$(sql "SELECT count(*), sum(sent), sum(events) FROM connections")" "4|1121|10"
}

# A live daemon's input is never quiet for a window: every process the machine
# starts is an exec event. Those later events release the flows held back.
@test "a flow is committed while exec events from later windows keep the input busy" {
	start_store_stream --db "$DB" --window 1 -q
	local t i
	t=$(date +%s)
	flow_at "$t.5" 1 >&5
	for ((i = 1; i <= 40; i++)); do
		jq -nc --argjson t "$((t + 1)).$i" --argjson pid "$((100 + i))" '{type: "exec", time: $t, pid: $pid, ppid: 1, uid: 0, comm: "sh", exe: "/bin/sh", dev: 1, ino: 2}' >&5
		[[ $(sql "SELECT count(*) FROM connections") -eq 1 ]] && break
		sleep 0.1
	done
	assert_equal "$(sql "SELECT count(*) FROM connections")" 1
	end_store_stream
}

@test "events without a believable time (missing, zero, negative, a day ahead) are stored at the time they were read" {
	local before after
	before=$(date +%s)
	{ flow 1 | sed 's/"time":[0-9.]*,//'; flow_at 0 2; flow 3 | sed 's/"time":[0-9.]*/"time":-5/'
	  flow_at $((before + 2 * 86400)) 4; flow_at 1e300 5; flow_at $((before - 5)) 6; } >"$BATS_TEST_TMPDIR/odd.jsonl"
	run -0 --separate-stderr store --db "$DB" --window 0 <"$BATS_TEST_TMPDIR/odd.jsonl"
	after=$(( $(date +%s) + 1 ))
	assert_equal "$(sql "SELECT group_concat(pid) FROM (SELECT pid FROM connections WHERE last_time >= $before AND last_time <= $after ORDER BY pid)")" 1,2,3,4,5
	assert_equal "$(sql "SELECT last_time FROM connections WHERE pid = 6")" "$((before - 5)).0"
	assert_equal "$(sql "SELECT count(*), sum(sent), sum(recv) FROM connections")" "6|600|6000"
}

@test "a window is committed on time while input stays open, and SIGTERM commits the open window" {
	start_store_stream --db "$DB" --window 0.5
	flow 1 >&5
	wait_for_output 60 1 sql "SELECT count(*) FROM connections"
	kill -0 "$STORE_PID"
	exec 5>&-
	wait "$STORE_PID"
	# a window far longer than the test: only SIGTERM can commit it
	rm -f "$BATS_TEST_TMPDIR/in.fifo"
	start_store_stream --db "$BATS_TEST_TMPDIR/term.db" --window 3600
	flow 2 >&5
	flow 3 curl 10.7.7.7 >&5
	wait_for_line "$STORE_OUT" '"pid":3'
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/term.db" "SELECT count(*) FROM connections")" 0
	kill -TERM "$STORE_PID"
	local status=0
	wait "$STORE_PID" || status=$?
	assert_equal "$status" 0
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/term.db" "SELECT count(*) FROM connections")" 2
}

@test "kill -9 mid-stream leaves a database that passes integrity_check with every committed window" {
	start_store_stream --db "$DB" --window 0.2 --quiet
	local b
	for b in 1 2 3 4 5; do
		flows $(( (b - 1) * 300 + 1 )) $(( b * 300 )) >&5
		wait_for_output 60 $(( b * 300 )) sql "SELECT count(*) FROM connections"
	done
	flows 1501 60000 >&5 3>&- &
	BG_PIDS+=("$!")
	sleep 0.5
	kill -9 "$STORE_PID"
	wait "$STORE_PID" || true
	assert_equal "$(sql "PRAGMA integrity_check")" ok
	# windows commit in order and whole: the pids stored are exactly 1..N
	run -0 sql "SELECT count(*), min(pid), max(pid), count(DISTINCT pid) FROM connections"
	local n min max distinct
	IFS='|' read -r n min max distinct <<<"$output"
	(( n >= 1500 && min == 1 && max == n && distinct == n )) || fail "rows not a whole prefix: $output"
}

@test "config.json: Log addresses/commands false and Log ignore (name, port, CIDR, domain suffix, sha256)" {
	local shaB=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
	cat >"$CONF" <<-EOF
	{"Log addresses": false, "Log commands": false, "DB write limit (seconds)": 3600,
	 "Log ignore": ["noisy", "5353", "172.16.0.0/12", ".tracker.example", "$shaB"]}
	EOF
	{
		flow 1 curl 10.1.2.3 443 www.example.com
		flow 2 noisy 10.1.2.4 443 x.example
		flow 3 curl 10.1.2.5 5353 x.example
		flow 4 curl 172.20.1.1 443 x.example
		flow 5 curl 10.1.2.6 443 ads.tracker.example
		flow 6 curl 10.1.2.7 443 tracker.example
		flow 7 hashed 10.1.2.8 443 x.example 1 1 "$shaB"
		flow 8 curl 10.1.2.9 443 nottracker.example
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$DB" <"$BATS_TEST_TMPDIR/in.jsonl"
	# without addresses flows 1 and 8 share a key and merge
	assert_equal "$(sql "SELECT count(*), sum(events), max(raddr), max(domain), max(laddr) FROM connections")" "1|2|||"
	assert_equal "$(sql "SELECT DISTINCT cmdline FROM processes")" ""
	# ignored connections' executables are still recorded
	assert_equal "$(sql "SELECT count(*) FROM processes WHERE name IN ('noisy', 'hashed')")" 2
	# the command line overrides the config
	run -0 --separate-stderr store --db "$BATS_TEST_TMPDIR/w0.db" --window 0 <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(sqlite3 "$BATS_TEST_TMPDIR/w0.db" "SELECT count(*) FROM connections")" 2
	echo '{"DB write limit (seconds)": "soon"}' >"$CONF"
	run -1 --separate-stderr store --db "$DB" </dev/null
	[[ "$stderr" == *"DB write limit"* ]]
}

@test "retention deletes SQLite rows older than --retention-days" {
	{ flow 1; echo '{"type":"flow","time":1000,"pid":2,"comm":"old","exe":"/old","raddr":"10.0.0.1","rport":1,"sent":1,"recv":1}'; } \
		>"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$DB" --retention-days 0 <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(sql "SELECT count(*) FROM connections")" 2
	run -0 --separate-stderr store --db "$DB" --retention-days 30 </dev/null
	assert_equal "$(sql "SELECT group_concat(pid) FROM connections")" 1
	# the rollup lost the old row's day with it
	assert_rollup_matches
	# deleting the newest rows brings the rollup's mark down: new rows still count
	run -0 --separate-stderr store --db "$DB" --retention-days 0 <<<'{"type":"flow","time":2000,"pid":3,"exe":"/old2","sent":5,"recv":6}'
	run -0 --separate-stderr store --db "$DB" --retention-days 30 </dev/null
	assert_equal "$(sql "SELECT hwm FROM rollup_state")" "$(sql "SELECT MAX(rowid) FROM connections")"
	run -0 --separate-stderr store --db "$DB" --retention-days 0 <<<"$(flow 4 wget)"
	assert_equal "$(sql "SELECT count(*) FROM connections")" 2
	assert_rollup_matches
}

@test "retention deletes the contexts and peers no row uses any more, and a row that needs one again is stored whole" {
	# an old row of its own context and peer, and an old row of curl's context with a peer of its own
	{ flow 1; flow 2 curl 10.9.9.9 53 old.example | sed 's/"time":[0-9.]*/"time":1500/'
	  echo '{"type":"flow","time":1000,"pid":2,"comm":"old","exe":"/old","raddr":"10.0.0.1","rport":1,"sent":1,"recv":1}'; } \
		>"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$DB" -w 0 --retention-days 0 <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(sql "SELECT count(*) || ' ' || (SELECT count(*) FROM contexts) || ' ' || (SELECT count(*) FROM peers)
		FROM connection_rows")" "3 2 3"
	run -0 --separate-stderr store --db "$DB" --retention-days 30 </dev/null
	assert_equal "$(sql "SELECT count(*) FROM connection_rows")" 1
	assert_equal "$(sql "SELECT group_concat(exe_id) FROM contexts")" "$(sql "SELECT exe_id FROM connections")"
	assert_equal "$(sql "SELECT group_concat(raddr || ':' || rport) FROM peers")" "10.1.2.3:443"
	# the old process and peer come back: interned anew, every column readable through the view
	run -0 --separate-stderr store --db "$DB" --retention-days 30 \
		<<<"{\"type\":\"flow\",\"time\":$(date +%s),\"pid\":5,\"comm\":\"old\",\"exe\":\"/old\",\"raddr\":\"10.0.0.1\",\"rport\":1,\"sent\":7,\"recv\":9}"
	assert_equal "$(sql "SELECT e.exe, c.raddr, c.rport, c.sent, c.recv FROM connections c JOIN processes e ON e.id = c.exe_id
		WHERE c.pid = 5")" "/old|10.0.0.1|1|7|9"
	assert_equal "$(sql "SELECT count(*) FROM connection_rows r LEFT JOIN contexts x ON x.id = r.context_id
		LEFT JOIN peers p ON p.id = r.peer_id WHERE x.id IS NULL OR p.id IS NULL")" 0
	assert_rollup_matches
}

# The rollup holds, per dimension, exactly the sums of the connections rows up
# to its mark (here: every row), day by day.
assert_rollup_matches() {
	assert_equal "$(sql "SELECT hwm FROM rollup_state")" "$(sql "SELECT COALESCE(MAX(rowid), 0) FROM connections")"
	local d want got
	for d in "1 exe_id" "2 COALESCE(parent_id, 0)" "3 domain" "4 raddr" "5 rport" "6 uid"; do
		want=$(sql "SELECT CAST(last_time AS INTEGER) / 86400 * 86400, ${d#* }, SUM(events), SUM(sent), SUM(recv), MAX(last_time)
			FROM connections GROUP BY 1, 2" | sort)
		got=$(sql "SELECT bucket, CASE WHEN dim < 3 THEN id ELSE value END, events, sent, recv, last_time
			FROM rollup WHERE dim = ${d%% *}" | sort)
		assert_equal "$got" "$want"
	done
	assert_equal "$(sql "SELECT pairs_hwm FROM rollup_state")" "$(sql "SELECT hwm FROM rollup_state")"
	assert_equal "$(sql "SELECT bucket, id, events, sent, recv, last_time FROM rollup WHERE dim = 7" | sort)" \
		"$(sql "SELECT CAST(last_time AS INTEGER) / 3600 * 3600, exe_id, SUM(events), SUM(sent), SUM(recv), MAX(last_time)
			FROM connections GROUP BY 1, 2" | sort)"
	want=$(sql "SELECT r.context_id, r.time_ms / 86400000, p.domain, SUM(r.events), SUM(r.sent), SUM(r.recv), MAX(r.time_ms)
		FROM connection_rows r JOIN peers p ON p.id = r.peer_id GROUP BY 1, 2, 3" | sort)
	# a domain is named by one of its peers: a later roll-up may name it by another
	got=$(sql "SELECT r.context_id, r.day, p.domain, SUM(r.events), SUM(r.sent), SUM(r.recv), MAX(r.last_ms)
		FROM rollup_pairs r JOIN peers p ON p.id = r.domain_id GROUP BY 1, 2, 3" | sort)
	assert_equal "$got" "$want"
	assert_slots_cover
}

# Every row lies within the rowid range of its time slot, counted once.
assert_slots_cover() {
	assert_equal "$(sql "SELECT count(*) FROM connection_rows r LEFT JOIN time_slots s ON s.slot = r.time_ms / 600000
		AND r.id BETWEEN s.lo AND s.hi WHERE s.slot IS NULL")" 0
	assert_equal "$(sql "SELECT COALESCE(SUM(rows), 0) FROM time_slots")" "$(sql "SELECT count(*) FROM connection_rows")"
}

@test "the rollup counts every row once: late, out of order, written across runs and windows" {
	local now; now=$(date +%s)
	# three days, newest first, then a late event for the oldest day in a later run
	{ flow 1 curl; flow 2 wget 10.0.0.9 80 a.example; } | sed "s/\"time\":[0-9]*/\"time\":$((now - 172800))/" >"$BATS_TEST_TMPDIR/old.jsonl"
	{ flow 3 curl; flow 4 curl; flows 10 30; cat "$BATS_TEST_TMPDIR/old.jsonl"; } | store --db "$DB" -w 0 -q
	assert_rollup_matches
	flow 5 curl | sed "s/\"time\":[0-9]*/\"time\":$((now - 172800))/" | store --db "$DB" -q
	assert_rollup_matches
	assert_equal "$(sql "SELECT events FROM rollup WHERE dim = 3 AND value = 'www.example.com' ORDER BY bucket LIMIT 1")" 2
	# a stream still running: its rows are past the mark until it exits
	start_store_stream --db "$DB" -q -w 0.1
	flows 40 49 >&5
	wait_for_output 60 10 sql "SELECT count(*) FROM connections WHERE rowid > (SELECT hwm FROM rollup_state)"
	end_store_stream
	assert_rollup_matches
}

connection_indexes() { # SQL-RUNNER
	"$1" "SELECT indexname FROM pg_indexes WHERE tablename IN ('connections', 'connection_rows') ORDER BY 1"
}

@test "an exe_unverified process is stored apart from the file at its path, and shown" {
	{ flow 1 firefox; flow 2 firefox | sed 's/"comm":/"exe_unverified":"no mount","comm":/'; } | store --db "$DB" -q -w 0
	assert_equal "$(sql "SELECT exe, exe_unverified FROM processes WHERE exe = '/usr/bin/firefox' ORDER BY 2")" \
		"$(printf '/usr/bin/firefox|\n/usr/bin/firefox|no mount')"
	assert_equal "$(sql "SELECT pid, exe_unverified FROM connection_log ORDER BY pid")" "$(printf '1|\n2|no mount')"
	run -0 snitch-view --db "$DB" --config "$CONF" --print --screen conn --format json
	jq -e '[.[] | .exe_unverified] | sort == ["", "no mount"]' <<<"$output"
}

@test "a parent's and grandparent's exe_unverified are stored with them; twice in one is malformed" {
	flow 3 curl | sed 's/"comm":"bash"/"exe_unverified":"deleted","comm":"bash"/; s/"comm":"init"/"exe_unverified":"other mount ns","comm":"init"/' \
		| store --db "$DB" -q -w 0
	assert_equal "$(sql "SELECT p.exe || '|' || p.exe_unverified || '|' || g.exe || '|' || g.exe_unverified
		FROM connections c JOIN processes p ON p.id = c.parent_id JOIN processes g ON g.id = c.grandparent_id")" \
		"/bin/bash|deleted|/sbin/init|other mount ns"
	run -0 --separate-stderr store --db "$DB" -w 0 \
		<<<"$(flow 4 curl | sed 's/"comm":"bash"/"exe_unverified":"a","exe_unverified":"b","comm":"bash"/')"
	assert_equal "$(sql "SELECT count(*) FROM connections WHERE pid = 4")" 0
	assert_output --partial '"type":"error"'
}

# Per executable (and per domain) the row count and byte sums, and the times.
log_sums() {
	sql "SELECT p.exe, count(*), SUM(c.sent), SUM(c.recv), SUM(c.events) FROM connections c JOIN processes p ON p.id = c.exe_id GROUP BY 1
	     UNION ALL SELECT c.domain, count(*), SUM(c.sent), SUM(c.recv), MIN(c.first_time) || ' ' || MAX(c.last_time) FROM connections c GROUP BY 1"
}

@test "a version 4 log migrates to version 6 with every row and byte sum unchanged, readable through its views" {
	sqlite3 "$DB" <"$VERSION_4_SQL"
	local before log; before=$(log_sums)
	log=$(sql "SELECT host, exe, parent_exe, pid, uid, family, proto, laddr, lport, raddr, rport, domain, sent, recv FROM connection_log ORDER BY 1, 2, 4, 9, 13")
	[[ $(wc -l <<<"$before") -ge 10 ]]
	run -0 --separate-stderr store --db "$DB" --init-schema --retention-days 0
	assert_equal "$(sql "PRAGMA user_version")" 6
	assert_equal "$(log_sums)" "$before"
	assert_equal "$(sql "SELECT host, exe, parent_exe, pid, uid, family, proto, laddr, lport, raddr, rport, domain, sent, recv FROM connection_log ORDER BY 1, 2, 4, 9, 13")" "$log"
	assert_equal "$(sql "SELECT type FROM sqlite_master WHERE name = 'connections'")" view
	assert_rollup_matches
	# rows stored after the migration join the migrated ones
	flow 7 | store --db "$DB" -q --retention-days 0
	assert_equal "$(sql "SELECT count(*), SUM(sent) FROM connections WHERE host = '$(hostname)'")" "1|100"
	assert_equal "$(sql "SELECT count(*) FROM connections")" "$(( $(sql "SELECT count(*) FROM connection_rows") ))"
}

@test "a version 2 database gets its rollup built once, when it is opened, and time slots instead of an index" {
	sqlite3 "$DB" <"$VERSION_4_SQL"
	sql "$AS_VERSION_2"
	run -0 --separate-stderr store --db "$DB" --init-schema --retention-days 0
	assert_equal "$(sql "PRAGMA user_version")" 6
	assert_equal "$(sql "SELECT count(*) FROM rollup WHERE dim = 3")" "$(sql "SELECT count(DISTINCT domain) FROM connections")"
	assert_rollup_matches
	assert_equal "$(sql "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name LIKE 'connection%'")" 0
}

@test "a version 1 database is migrated with its rows; a newer schema is refused" {
	sqlite3 "$DB" <"$VERSION_4_SQL"
	# make it what version 1 was: no verdicts table, errors without "lost"
	sql "$BEFORE_3 DROP TABLE verdicts; DROP TABLE rollup_state; ALTER TABLE errors DROP COLUMN lost; PRAGMA user_version = 1;
	     INSERT INTO errors VALUES ('old-host', 5.0, 'snitch-trace', 'from version 1')"
	run -0 --separate-stderr store --db "$DB" --retention-days 0 <<<'{"type":"error","time":6,"source":"x","message":"new","lost":3}'
	assert_equal "$(sql "PRAGMA user_version")" 6
	assert_equal "$(sql "SELECT host, message, lost FROM errors ORDER BY time")" "$(printf 'old-host|from version 1|0\n%s|new|3' "$(hostname)")"
	assert_equal "$(sql "SELECT count(*) FROM connections")" "$(grep -c '"type":"flow"' "$SNITCH_ROOT/tests/fixtures/view-events.jsonl")"
	sql "PRAGMA user_version = 99"
	run -1 --separate-stderr store --db "$DB" </dev/null
	[[ "$stderr" == *"newer"* ]]
}

@test "PostgreSQL: an INSERT-and-SELECT-only role logs the fleet's rows; it cannot rewrite them" {
	pg_start
	pg_store_schema
	{ flow 1; flow 2 wget 10.4.4.4 80 w.example; echo '{"type":"vt","time":2,"sha256":"'$SHA_A'","malicious":0}'
	  echo '{"type":"error","time":3,"source":"snitch-hash","message":"m"}'; } >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$PG_URI" --host-id web1 --queue-dir "$BATS_TEST_TMPDIR/q" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$output" "$(cat "$BATS_TEST_TMPDIR/in.jsonl")"
	assert_equal "$(pg_sql "SELECT host, exe, parent_exe, raddr, rport, sent FROM connection_log ORDER BY rport")" \
		"$(printf 'web1|/usr/bin/wget|/bin/bash|10.4.4.4|80|100\nweb1|/usr/bin/curl|/bin/bash|10.1.2.3|443|100')"
	assert_equal "$(pg_sql "SELECT count(*) FROM verdicts") $(pg_sql "SELECT count(*) FROM errors")" "1 1"
	assert_equal "$(pg_sql "SELECT value FROM snitch_meta WHERE key = 'schema_version'")" 6
	assert_pg_rollup_matches
	local t
	for t in "UPDATE connection_rows SET sent = 0" "UPDATE peers SET domain = ''" "DELETE FROM connection_rows" \
		"DELETE FROM contexts" "DELETE FROM hosts" "DELETE FROM batches"; do
		run -1 --separate-stderr pg_sql_as "$PG_HOST_ROLE" "$t"
		[[ "$stderr" == *"permission denied"* ]] || fail "$t: $stderr"
	done
	# retention never deletes remote rows
	run -0 --separate-stderr store --db "$PG_URI" --retention-days 1 --queue-dir "$BATS_TEST_TMPDIR/q" \
		<<<'{"type":"flow","time":1000,"pid":3,"comm":"old","exe":"/old","raddr":"10.0.0.1","rport":1,"sent":1,"recv":1}'
	assert_equal "$(pg_sql "SELECT count(*) FROM connections")" 3
}

# PostgreSQL's rollup holds, per dimension and day, exactly the sums of the
# connections rows up to each host's mark (here: every row).
assert_pg_rollup_matches() {
	assert_equal "$(pg_sql "SELECT count(*) FROM connections c WHERE seq > (SELECT MAX(seq) FROM rollup_marks m WHERE m.host = c.host)")" 0
	local d want got
	for d in "1 exe_id" "2 COALESCE(parent_id, 0)" "3 domain" "4 raddr" "5 CAST(rport AS TEXT)" "6 CAST(uid AS TEXT)"; do
		want=$(pg_sql "SELECT FLOOR(last_time)::BIGINT / 86400 * 86400, host, ${d#* }, SUM(events), SUM(sent), SUM(recv), MAX(last_time)
			FROM connections GROUP BY 1, 2, 3" | sort)
		got=$(pg_sql "SELECT bucket, host, CASE WHEN dim < 3 THEN id::TEXT ELSE value END, SUM(events), SUM(sent), SUM(recv), MAX(last_time)
			FROM rollup WHERE dim = ${d%% *} GROUP BY 1, 2, 3" | sort)
		assert_equal "$got" "$want"
	done
}

@test "PostgreSQL: every host rolls its own rows up, late ones too" {
	pg_start
	pg_store_schema
	local now old; now=$(date +%s); old=$((now - 172800))
	{ flow 1 curl; flows 10 20; } | store --db "$PG_URI" --host-id web1 -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q1"
	{ flow 2 wget 10.0.0.9 80 a.example; flow 3 curl | sed "s/\"time\":[0-9]*/\"time\":$old/"; } |
		store --db "$PG_URI" --host-id web2 -q --queue-dir "$BATS_TEST_TMPDIR/q2"
	# late: a later run of web1 with a row of two days ago
	flow 4 curl | sed "s/\"time\":[0-9]*/\"time\":$old/" | store --db "$PG_URI" --host-id web1 -q --queue-dir "$BATS_TEST_TMPDIR/q1"
	assert_pg_rollup_matches
	assert_equal "$(pg_sql "SELECT host, MAX(seq) > 0 FROM rollup_marks GROUP BY host ORDER BY host")" "$(printf 'web1|t\nweb2|t')"
}

@test "PostgreSQL: the rows of a host killed before its rollup are rolled up by its next run, and only its own" {
	pg_start
	pg_store_schema
	local now old; now=$(date +%s); old=$((now - 172800))
	# another host's rows before, within and after the killed run's times
	{ flow 1 curl | sed "s/\"time\":[0-9]*/\"time\":$((old - 3600))/"; flow 2 curl | sed "s/\"time\":[0-9]*/\"time\":$((now - 86400))/"
	  flow 3 wget; } | store --db "$PG_URI" --host-id web2 -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q2"
	start_store_stream --db "$PG_URI" --host-id web1 -w 0 --quiet --queue-dir "$BATS_TEST_TMPDIR/q1"
	{ flows 10 30; flow 4 curl | sed "s/\"time\":[0-9]*/\"time\":$old/"; } >&5
	wait_for_output 60 22 pg_sql "SELECT count(*) FROM connections WHERE host = 'web1'"
	kill -9 "$STORE_PID"
	wait "$STORE_PID" || true
	assert_equal "$(pg_sql "SELECT count(*) FROM connections c WHERE seq > (SELECT MAX(seq) FROM rollup_marks m WHERE m.host = c.host)")" 22
	run -0 --separate-stderr store --db "$PG_URI" --host-id web1 -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q1" <<<"$(flow 5 ssh)"
	assert_equal "$(pg_sql "SELECT count(*) FROM connections WHERE host = 'web1'")" 23
	assert_pg_rollup_matches
}

# Per host and executable the rows and byte sums, and per domain the times.
pg_log_sums() {
	pg_sql "SELECT c.host, p.exe, count(*), SUM(c.sent), SUM(c.recv), CAST(SUM(c.events) AS TEXT) FROM connections c JOIN processes p ON p.id = c.exe_id
		GROUP BY 1, 2 UNION ALL SELECT c.host, c.domain, count(*), SUM(c.sent), SUM(c.recv), MIN(c.first_time) || ' ' || MAX(c.last_time)
		FROM connections c GROUP BY 1, 2 ORDER BY 1, 2"
}

@test "PostgreSQL: two hosts storing at once share the interned rows; every byte sum is exact" {
	pg_start
	pg_store_schema
	# a domain with what COPY's text format must escape
	{ flows 1 400; flow 401 firefox 10.4.4.4 80 'w\tex\\a\nmple' 7 9; flow 402 firefox | sed 's/"comm":/"exe_unverified":"no mount","comm":/'; } \
		>"$BATS_TEST_TMPDIR/in.jsonl"
	local h
	for h in web1 web2; do
		store --db "$PG_URI" --host-id "$h" -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q-$h" <"$BATS_TEST_TMPDIR/in.jsonl" 3>&- &
		BG_PIDS+=("$!")
	done
	wait "${BG_PIDS[@]}"
	BG_PIDS=()
	local want; want=$(jq -rs 'map(select(.type == "flow")) | "\(length)|\(map(.sent) | add)|\(map(.recv) | add)|\(map(.events // 1) | add)"' \
		"$BATS_TEST_TMPDIR/in.jsonl")
	assert_equal "$(pg_sql "SELECT host, count(*), SUM(sent), SUM(recv), SUM(events) FROM connections GROUP BY host ORDER BY host")" \
		"$(printf 'web1|%s\nweb2|%s' "$want" "$want")"
	# one context per process and one peer per remote key, whichever host came first
	assert_equal "$(pg_sql "SELECT count(*) FROM hosts") $(pg_sql "SELECT count(*) FROM contexts") $(pg_sql "SELECT count(*) FROM peers")" \
		"2 3 402"
	assert_equal "$(pg_sql "SELECT pid, exe_unverified FROM connection_log WHERE pid > 400 AND host = 'web2' ORDER BY pid")" \
		"$(printf '401|\n402|no mount')"
	assert_equal "$(pg_sql "SELECT sent, recv, raddr, rport, domain = E'w\\tex\\\\a\\nmple', family, proto FROM connections WHERE pid = 401 AND host = 'web1'")" \
		"7|9|10.4.4.4|80|t|ipv4|tcp"
	assert_equal "$(pg_sql "SELECT SUM(sent) FROM rollup WHERE dim = 3 AND value = E'w\\tex\\\\a\\nmple'")" 14
	assert_pg_rollup_matches
	run -0 snitch-view --config "$CONF" --db "$PG_URI" --print --screen conn --format json
	jq -e '[.[] | .exe_unverified] | sort | .[-1] == "no mount"' <<<"$output"
}

@test "PostgreSQL: text with quotes, backslashes, braces, commas and NULL is interned exactly (array literals of unnest)" {
	pg_start
	pg_store_schema
	local odd='a"b\c{d,e} NULL' t; t=$(date +%s)
	{ jq -cn --arg s "$odd" --argjson t "$t" '{type: "flow", time: $t, pid: 7, uid: 1, comm: $s, exe: ("/x/" + $s), cmdline: $s,
		cgroup: $s, family: "ipv4", proto: "tcp", laddr: "10.0.0.1", lport: 1, raddr: "10.0.0.2", rport: 2, domain: $s, sent: 3, recv: 4}'
	  jq -cn --argjson t "$t" '{type: "flow", time: $t, pid: 8, comm: "n", exe: "/n", raddr: "10.0.0.3", rport: 3, domain: "NULL", sent: 1, recv: 1}'
	  jq -cn --arg s "$odd" --argjson t "$t" '{type: "vt", time: $t, sha256: $s, malicious: 0}'
	  jq -cn --arg s "$odd" --argjson t "$t" '{type: "error", time: $t, source: $s, message: $s}'; } >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr store --db "$PG_URI" -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(pg_sql "SELECT name || '|' || exe || '|' || cmdline FROM processes WHERE exe LIKE '/x/%'")" "$odd|/x/$odd|$odd"
	assert_equal "$(pg_sql "SELECT cgroup FROM contexts WHERE cgroup <> ''")" "$odd"
	assert_equal "$(pg_sql "SELECT domain FROM peers ORDER BY domain COLLATE \"C\"")" "$(printf 'NULL\n%s' "$odd")"
	assert_equal "$(pg_sql "SELECT source || '|' || message FROM errors")" "$odd|$odd"
	assert_equal "$(pg_sql "SELECT sha256 || '|' || event FROM verdicts")" "$odd|$(sed -n 3p "$BATS_TEST_TMPDIR/in.jsonl")"
	assert_equal "$(pg_sql "SELECT count(*), SUM(sent) FROM connections")" "2|4"
}

@test "PostgreSQL: a batch sent again after a crash (committed, not yet removed from the queue) is written once" {
	pg_start
	pg_store_schema
	pg_stop
	{ flows 1 50; flow 51 wget 10.0.0.9 80 a.example; } | store --db "$PG_URI" -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q" 2>/dev/null
	local queued; queued=$(find "$BATS_TEST_TMPDIR/q" -name '*.batch' | wc -l)
	(( queued > 0 ))
	cp -a "$BATS_TEST_TMPDIR/q" "$BATS_TEST_TMPDIR/q.copy"
	pg_restart
	run -0 --separate-stderr store --db "$PG_URI" --queue-dir "$BATS_TEST_TMPDIR/q" </dev/null
	local sums; sums=$(pg_log_sums)
	assert_equal "$(pg_sql "SELECT count(*), SUM(sent) FROM connections")" "51|150"
	# the crash: the batches back in the queue as if never popped
	cp "$BATS_TEST_TMPDIR"/q.copy/*.batch "$BATS_TEST_TMPDIR/q/"
	run -0 --separate-stderr store --db "$PG_URI" --queue-dir "$BATS_TEST_TMPDIR/q" </dev/null
	assert_equal "$(pg_log_sums)" "$sums"
	assert_equal "$(pg_sql "SELECT count(*) FROM batches")" "$queued"
	assert_equal "$(find "$BATS_TEST_TMPDIR/q" -name '*.batch' | wc -l)" 0
	assert_pg_rollup_matches
}

@test "PostgreSQL: a version 4 log migrates to version 6 with every row and sum unchanged; its INSERT-and-SELECT role keeps writing" {
	pg_start
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d snitch -v ON_ERROR_STOP=1 -q -f "$PG_VERSION_4_SQL" >/dev/null
	pg_sql "CREATE ROLE snitch_host LOGIN; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO snitch_host"
	local uri="postgresql://snitch_host@127.0.0.1:$PG_PORT/snitch" before log
	local cols="host, exe, parent_exe, grandparent_exe, pid, uid, netns, cgroup, family, proto, laddr, lport, raddr, rport, domain,
		sent, recv, events, first_time, last_time"
	before=$(pg_log_sums)
	log=$(pg_sql "SELECT $cols FROM connection_log ORDER BY 1, 2, 5, 16, 17, 19")
	[[ $(wc -l <<<"$before") -ge 20 ]]
	# a host upgraded before the schema: it queues its rows and asks for the migration
	run -1 --separate-stderr store --db "$uri" --host-id web3 -q --queue-dir "$BATS_TEST_TMPDIR/q" <<<"$(flow 5 ssh)"
	[[ "$stderr" == *"--init-schema"* ]]
	run -0 --separate-stderr store --db "$PG_OWNER_URI" --init-schema
	assert_equal "$(pg_sql "SELECT value FROM snitch_meta WHERE key = 'schema_version'")" 6
	assert_equal "$(pg_sql "SELECT relkind FROM pg_class WHERE relname = 'connections'")" v
	assert_equal "$(pg_log_sums)" "$before"
	assert_equal "$(pg_sql "SELECT $cols FROM connection_log ORDER BY 1, 2, 5, 16, 17, 19")" "$log"
	assert_pg_rollup_matches
	# the host's queued row, written with the grants it had: INSERT and SELECT
	run -0 --separate-stderr store --db "$uri" --host-id web3 -q --queue-dir "$BATS_TEST_TMPDIR/q" </dev/null
	assert_equal "$(pg_sql "SELECT count(*), SUM(sent) FROM connections WHERE host = 'web3'")" "1|100"
	run -1 --separate-stderr pg_sql_as snitch_host "DELETE FROM connection_rows"
	[[ "$stderr" == *"permission denied"* ]]
	assert_pg_rollup_matches
	assert_equal "$(connection_indexes pg_sql)" connection_rows_time
	# the migrated keys have the ids a host computes: the same events again intern nothing new
	local keys; keys=$(pg_sql "SELECT (SELECT count(*) FROM contexts), (SELECT count(*) FROM peers), (SELECT count(*) FROM processes)")
	run -0 --separate-stderr store --db "$uri" --host-id web4 -q --queue-dir "$BATS_TEST_TMPDIR/q4" <"$SNITCH_ROOT/tests/fixtures/view-events.jsonl"
	assert_equal "$(pg_sql "SELECT (SELECT count(*) FROM contexts), (SELECT count(*) FROM peers), (SELECT count(*) FROM processes)")" "$keys"
}

@test "PostgreSQL: a version 5 log migrates to version 6 with every row and sum unchanged; a host killed before its rollup goes on from its last seq" {
	pg_start
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d snitch -v ON_ERROR_STOP=1 -q -f "$PG_VERSION_5_SQL" >/dev/null
	pg_sql "CREATE ROLE snitch_host LOGIN; GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO snitch_host"
	local uri="postgresql://snitch_host@127.0.0.1:$PG_PORT/snitch" before log seqs
	before=$(pg_log_sums)
	log=$(pg_sql "SELECT * FROM connection_log ORDER BY 1, 2, 3, 4, 5, 6, 23, 24, 25, 26, 27")
	seqs=$(pg_sql "SELECT host, MAX(seq) FROM connections GROUP BY 1 ORDER BY 1")
	assert_equal "$seqs" "$(printf 'fixture-host|3\nfixture-two|1')"
	assert_equal "$(pg_sql "SELECT host, MAX(seq) FROM rollup_marks GROUP BY 1 ORDER BY 1")" "$(printf 'fixture-host|1\nfixture-two|1')"
	run -0 --separate-stderr store --db "$PG_OWNER_URI" --init-schema
	assert_equal "$(pg_sql "SELECT value FROM snitch_meta WHERE key = 'schema_version'")" 6
	assert_equal "$(pg_log_sums)" "$before"
	assert_equal "$(pg_sql "SELECT * FROM connection_log ORDER BY 1, 2, 3, 4, 5, 6, 23, 24, 25, 26, 27")" "$log"
	assert_equal "$(connection_indexes pg_sql)" connection_rows_time
	assert_equal "$(pg_sql "SELECT host, MAX(seq) FROM batches GROUP BY 1 ORDER BY 1")" "$seqs"
	# the killed host's next run: its rows after its last seq, the killed run's rolled up with them
	run -0 --separate-stderr store --db "$uri" --host-id fixture-host -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q1" <<<"$(flow 5 ssh)"
	run -0 --separate-stderr store --db "$uri" --host-id fixture-two -q -w 0 --queue-dir "$BATS_TEST_TMPDIR/q2" <<<"$(flow 6 ssh)"
	assert_equal "$(pg_sql "SELECT host, seq FROM connections WHERE pid IN (5, 6) ORDER BY 1")" "$(printf 'fixture-host|4\nfixture-two|2')"
	assert_pg_rollup_matches
	assert_equal "$(pg_sql "SELECT host, MAX(seq) FROM rollup_marks GROUP BY 1 ORDER BY 1")" "$(printf 'fixture-host|4\nfixture-two|2')"
}

@test "PostgreSQL: a version 2 schema gets its rows rolled up once by the migration" {
	pg_start
	psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d snitch -v ON_ERROR_STOP=1 -q -f "$PG_VERSION_4_SQL" >/dev/null
	pg_sql "$BEFORE_3 ALTER TABLE connections DROP COLUMN seq; DROP TABLE rollup_marks;
		UPDATE snitch_meta SET value = '2' WHERE key = 'schema_version'"
	local before; before=$(pg_log_sums)
	run -0 --separate-stderr store --db "$PG_OWNER_URI" --init-schema
	assert_equal "$(pg_log_sums)" "$before"
	assert_equal "$(pg_sql "SELECT DISTINCT seq FROM connections")" 0
	assert_pg_rollup_matches
	run -0 --separate-stderr store --db "$PG_OWNER_URI" --host-id fixture-host -q --queue-dir "$BATS_TEST_TMPDIR/q" <<<"$(flow 5 ssh)"
	assert_equal "$(pg_sql "SELECT MAX(seq) FROM connections WHERE host = 'fixture-host'")" 1
	assert_pg_rollup_matches
}

# attacks.bats table, point 5: libpq's default sslmode (prefer) talks to
# whoever answers, in clear text when the answer has no TLS.
@test "PostgreSQL: a host beyond loopback must prove itself (sslmode=verify-full unless the URI says otherwise)" {
	pg_start
	local far="postgresql://postgres@db.example:$PG_PORT/snitch?hostaddr=127.0.0.1"
	run -1 --separate-stderr snitch-store --config "$BATS_TEST_TMPDIR/none.json" --db "$far" --init-schema
	[[ $stderr == *SSL* ]] || fail "stderr: $stderr"
	# the same server without TLS: fine on loopback, or when the URI chooses
	run -0 --separate-stderr snitch-store --config "$BATS_TEST_TMPDIR/none.json" --db "$PG_OWNER_URI" --init-schema
	run -0 --separate-stderr snitch-store --config "$BATS_TEST_TMPDIR/none.json" --db "$far&sslmode=disable" --init-schema
}

@test "PostgreSQL: without the schema, snitch-store says to run --init-schema and exits 1" {
	pg_start
	run -1 --separate-stderr store --db "$PG_OWNER_URI" --queue-dir "$BATS_TEST_TMPDIR/q" <<<"$(flow 1)"
	[[ "$stderr" == *"--init-schema"* ]]
	# the event is still queued on disk for when the schema exists
	pg_store_schema
	run -0 --separate-stderr store --db "$PG_URI" --queue-dir "$BATS_TEST_TMPDIR/q" </dev/null
	assert_equal "$(pg_sql "SELECT count(*) FROM connections")" 1
}

@test "PostgreSQL: a server restart mid-stream loses nothing (on-disk queue)" {
	pg_start
	pg_store_schema
	start_store_stream --db "$PG_URI" --window 0.2 --quiet --queue-dir "$BATS_TEST_TMPDIR/q"
	flows 1 300 >&5
	wait_for_output 60 300 pg_sql "SELECT count(*) FROM connections"
	pg_stop
	flows 301 600 >&5
	wait_for_line "$STORE_ERR" "queueing on disk" 60
	flows 601 900 >&5
	pg_restart
	wait_for_output 60 900 pg_sql "SELECT count(DISTINCT pid) FROM connections"
	end_store_stream
	assert_equal "$(pg_sql "SELECT count(*), min(pid), max(pid) FROM connections")" "900|1|900"
	assert_equal "$(find "$BATS_TEST_TMPDIR/q" -name '*.batch' | wc -l)" 0
}

@test "PostgreSQL: batches queued while the server is down survive kill -9 and are written by the next run" {
	pg_start
	pg_store_schema
	pg_stop
	start_store_stream --db "$PG_URI" --window 0.2 --quiet --queue-dir "$BATS_TEST_TMPDIR/q"
	flows 1 500 >&5
	wait_for_line "$STORE_ERR" "queueing on disk" 60
	wait_for_output 60 500 bash -c "cat '$BATS_TEST_TMPDIR'/q/*.batch | jq -s 'map(.connections | length) | add'"
	kill -9 "$STORE_PID"
	wait "$STORE_PID" || true
	pg_restart
	run -0 --separate-stderr store --db "$PG_URI" --queue-dir "$BATS_TEST_TMPDIR/q" </dev/null
	assert_equal "$(pg_sql "SELECT count(*), count(DISTINCT pid) FROM connections")" "500|500"
	# a batch written but not yet removed from the queue is not written twice
	run -0 --separate-stderr store --db "$PG_URI" --queue-dir "$BATS_TEST_TMPDIR/q" </dev/null
	assert_equal "$(pg_sql "SELECT count(*) FROM connections")" 500
}

@test "PostgreSQL: past the queue bound events are dropped and counted in an error event and row" {
	pg_start
	pg_store_schema
	pg_stop
	start_store_stream --db "$PG_URI" --window 0 --queue-dir "$BATS_TEST_TMPDIR/q" --queue-bytes 20000
	local b
	for b in $(seq 0 9); do
		flows $(( b * 50 + 1 )) $(( b * 50 + 50 )) >&5
		wait_for_line "$STORE_OUT" "\"pid\":$(( b * 50 + 50 ))," 30
		sleep 0.3
	done
	wait_for_line "$STORE_OUT" '"source":"snitch-store"' 30
	pg_restart
	end_store_stream
	local lost stored recorded
	lost=$(jq -s '[.[] | select(.type == "error" and .source == "snitch-store") | .lost] | add' "$STORE_OUT")
	stored=$(pg_sql "SELECT count(*) FROM connections")
	recorded=$(pg_sql "SELECT sum(lost) FROM errors WHERE source = 'snitch-store'")
	(( lost > 0 && stored > 0 )) || fail "expected both drops and stored rows: lost=$lost stored=$stored"
	assert_equal "$(( lost + stored ))" 500
	assert_equal "$recorded" "$lost"
}
