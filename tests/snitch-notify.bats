# snitch-notify: a real dbus-daemon session bus started by each test, a
# recording Notifications server on it (tests/notify_listener.py), and checks of
# exactly which events notify and what the notifications say.

setup() {
	load helpers
	isolate_home
	BG_PIDS=()
	unset SUDO_USER DBUS_SESSION_BUS_ADDRESS
	DIR="$BATS_TEST_TMPDIR/picosnitch"
	RECORD="$BATS_TEST_TMPDIR/notifications.jsonl"
	mkdir -p "$DIR"
	require_dbus
}

teardown() {
	exec 7>&-
	kill_background
	[[ -n "${BUS_DIR:-}" ]] && rm -rf "$BUS_DIR"
	[[ -z "${RUN_USERS:-}" ]] || rm -rf "${RUN_USERS[@]}"
	true
}

# A flow event as snitch-hash writes it (jq: comm, exe, sha256, parent comm, parent exe).
FLOW_JQ='def flow($comm; $exe; $sha; $pc; $pe):
	{type: "flow", time: 1700000000.5, start: 1700000000.0, pid: 4242, ppid: 4241, uid: 1000,
	 comm: $comm, exe: $exe, cmdline: $comm, dev: 2049, ino: 131, sha256: $sha,
	 netns: 4026531840, family: "ipv4", proto: "tcp", laddr: "10.0.0.2", lport: 40000,
	 raddr: "93.184.216.34", rport: 443, domain: "example.com", sent: 100, recv: 2000, events: 3,
	 future_field: {"kept": true}}
	+ (if $pe == "" then {} else {parent: {pid: 4241, comm: $pc, exe: $pe, dev: 2049, ino: 7, cmdline: $pc, sha256: "cafe"}} end);
	def sha($i): "0" * (64 - ($i | tostring | length)) + ($i | tostring);'

flow() { # COMM EXE SHA256 [PARENT_COMM PARENT_EXE]
	jq -cn --arg comm "$1" --arg exe "$2" --arg sha "$3" --arg pc "${4:-}" --arg pe "${5:-}" \
		"$FLOW_JQ"' flow($comm; $exe; $sha; $pc; $pe)'
}

# N flows of programs PREFIX1..PREFIXN in /opt/PREFIX/, one jq for all.
many_flows() { # PREFIX N [PARENT_COMM PARENT_EXE]
	jq -cn --arg p "$1" --argjson n "$2" --arg pc "${3:-}" --arg pe "${4:-}" \
		"$FLOW_JQ"' range(1; $n + 1) as $i | flow("\($p)\($i)"; "/opt/\($p)/\($p)\($i)"; sha($i); $pc; $pe)'
}

sha() { printf '%064x' "$1"; }

# snitch-notify reading from a fifo that the test keeps open on fd 7 (every
# background process closes 7), so nothing it does can be an effect of EOF. stdout/stderr in $BATS_TEST_TMPDIR/live.{out,err}.
start_live() { # ARGS...
	mkfifo "$BATS_TEST_TMPDIR/feed"
	snitch-notify --dir "$DIR" "$@" <"$BATS_TEST_TMPDIR/feed" >"$BATS_TEST_TMPDIR/live.out" 2>"$BATS_TEST_TMPDIR/live.err" 3>&- 7>&- &
	LIVE_PID=$!
	BG_PIDS+=("$LIVE_PID")
	exec 7>"$BATS_TEST_TMPDIR/feed"
}

stop_live() {
	exec 7>&-
	local status=0
	wait "$LIVE_PID" || status=$?
	assert_equal "$status" 0
}

# Waits until the record holds N notifications.
has_count() { # N
	[[ $(recorded | jq length) -ge $1 ]]
}

wait_for_count() { # N [SECONDS]
	wait_until "${2:-30}" has_count "$1" && return 0
	fail "expected $1 notifications, got: $(recorded)"
}

@test "snitch-notify --help and --version exit 0, a bad option exits 2" {
	assert_cli snitch-notify --print
	run -2 snitch-notify --window -1
}

@test "snitch-notify passes every event through unchanged and reports a malformed line" {
	{
		flow curl /usr/bin/curl "$(sha 1)" bash /usr/bin/bash
		echo '{"type":"exec","time":1.5,"pid":7,"exe":"/bin/true","x":[1,2,{"y":null}]}'
		echo 'this is not json'
		echo '{"type":"future","time":2,"weird key":"\u00e9\u0001"}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --print --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	# every valid line comes out byte for byte, in order
	diff <(grep -v 'not json' "$BATS_TEST_TMPDIR/in.jsonl") <(printf '%s\n' "$output" | grep -v -e '"type":"notice"' -e '"type":"error"')
	printf '%s\n' "$output" | jq -se '[.[] | select(.type == "error" and .source == "snitch-notify" and .lost == 1)] | length == 1'
	[[ "$stderr" == *"line 3 skipped"* ]]
}

@test "exactly the right events notify, with the right words" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	{
		flow curl /usr/bin/curl "$(sha 1)" bash /usr/bin/bash        # new program: notifies, names its parent
		flow curl /usr/bin/curl "$(sha 1)" bash /usr/bin/bash        # known: silent
		flow curl-renamed /usr/bin/curl "$(sha 1)"                   # known exe, new name: silent
		flow curl /usr/bin/curl "$(sha 2)"                           # known exe, new sha256: notifies
		echo '{"type":"exec","time":3,"pid":9,"comm":"ls","exe":"/usr/bin/ls"}'        # exec is not a connection
		echo '{"type":"flow","time":3,"pid":9,"comm":"nohash","exe":"/opt/nohash","sha256_error":"gone"}'  # new program without a hash: notifies
		jq -cn --arg s "$(sha 1)" '{type:"vt",time:4,sha256:$s,exe:"/usr/bin/curl",status:"done",malicious:0,suspicious:0,undetected:60,harmless:0,link:"x"}'  # clean: silent
		jq -cn --arg s "$(sha 2)" '{type:"vt",time:4,sha256:$s,exe:"/usr/bin/curl",status:"done",malicious:4,suspicious:1,undetected:55,harmless:0,link:"x"}'  # detections: notifies
		echo '{"type":"error","time":5,"source":"snitch-hash","message":"cannot open /proc/9/exe"}'  # notifies
		echo '{"type":"future","time":6}'                                                         # silent
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 10
	run -0 bash -c "jq -s -c 'sort_by(.summary) | map([.summary, .body, .urgency])' '$RECORD'"
	local s2 s1
	s2=$(sha 2)
	assert_equal "$output" "$(jq -cn --arg s2 "$s2" '[
		["New program: curl", "/usr/bin/curl\nstarted by bash (/usr/bin/bash)", 1],
		["New program: nohash", "/opt/nohash", 1],
		["Program changed: curl", "/usr/bin/curl\nnew sha256 \($s2)", 1],
		["VirusTotal flags curl", "/usr/bin/curl\nmalicious: 4, suspicious: 1, undetected: 55, harmless: 0, sha256 \($s2)", 2],
		["picosnitch error", "snitch-hash: cannot open /proc/9/exe", 1]
	] | sort_by(.[0])')"
	jq -e '[.[].app] | unique == ["picosnitch"]' <(recorded)
	# summary.json as picosnitch keeps it
	s1=$(sha 1)
	jq -e --arg s1 "$s1" --arg s2 "$s2" '
		.Processes["/usr/bin/curl"] == ["curl", "curl-renamed"] and .Names["curl-renamed"] == ["/usr/bin/curl"]
		and .Processes["/opt/nohash"] == ["nohash"]
		and .SHA256["/usr/bin/curl"][$s1] == "malicious: 0, suspicious: 0, undetected: 60, harmless: 0"
		and .SHA256["/usr/bin/curl"][$s2] == "malicious: 4, suspicious: 1, undetected: 55, harmless: 0"
		and (.["Latest Entries"] | length == 3 and (.[0] | test("^[0-9-]{10} [0-9:]{8} nohash - /opt/nohash$")))
		and (.SHA256 | has("/opt/nohash") | not)' "$DIR/summary.json"
}

@test "50 new programs in a burst become one notification listing them, sent while input stays open" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	start_live
	many_flows prog 50 systemd /usr/lib/systemd/systemd >"$BATS_TEST_TMPDIR/burst.jsonl"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/burst.jsonl")" 50
	cat "$BATS_TEST_TMPDIR/burst.jsonl" >&7
	wait_for_count 1
	sleep 2 # anything more would come after the gathering window (1 s)
	run -0 recorded
	jq -e 'length == 1 and .[0].summary == "50 new programs"' <<<"$output"
	local body
	body=$(jq -r '.[0].body' <<<"$output")
	for i in $(seq 1 50); do [[ "$body" == *"prog$i (/opt/prog/prog$i) from systemd"* ]] || fail "prog$i missing from: $body"; done
	# a program seen afterwards is told on its own
	flow late /opt/app/late "$(sha 99)" >&7
	wait_for_count 2
	jq -e '.[1].summary == "New program: late" and .[1].body == "/opt/app/late"' <(recorded)
	stop_live
}

@test "1000 errors become one notification with the count" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	for i in $(seq 1 1000); do echo "{\"type\":\"error\",\"time\":$i,\"source\":\"snitch-trace\",\"message\":\"lost $i events\",\"lost\":$i}"; done >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$(printf '%s\n' "$output" | jq -s 'map(select(.type == "error")) | length')" 1000
	run -0 recorded
	jq -e 'length == 1 and .[0].summary == "picosnitch: 1000 errors" and .[0].body == "latest: snitch-trace: lost 1000 events"' <<<"$output"
}

@test "markup and control characters from names never reach the notification server raw" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	{
		flow $'<b>bold</b>\x1b[31m' $'/tmp/a&b <i>x</i>\n\x07\xe2\x80\xaeevil' "$(sha 1)" $'<u>p\tp</u>' '/usr/bin/"par"'
		printf '{"type":"flow","time":1,"comm":"bad\\u0000utf","exe":"/tmp/\xff\xfe<img src=x>","sha256":"%s"}\n' "$(sha 2)"
		echo '{"type":"error","time":1,"source":"x<b>","message":"<a href=\"http://evil\">click</a>\u001b]0;title\u0007"}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 recorded
	jq -e 'length == 3' <<<"$output"
	# no raw markup and no control character but the newlines we put between lines
	jq -e 'all(.[]; (.summary + .body) | test("[<>\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]") | not)' <<<"$output"
	jq -e 'all(.[]; .summary | test("\n") | not)' <<<"$output"
	jq -e 'any(.[]; .summary == "New program: &lt;b&gt;bold&lt;/b&gt;\ufffd[31m")' <<<"$output"
	jq -e 'any(.[]; .body == "/tmp/a&amp;b &lt;i&gt;x&lt;/i&gt;\ufffd\ufffd\ufffdevil\nstarted by &lt;u&gt;p\ufffdp&lt;/u&gt; (/usr/bin/&quot;par&quot;)")' <<<"$output"
	jq -e 'any(.[]; .body == "/tmp/\ufffd\ufffd&lt;img src=x&gt;")' <<<"$output"
	jq -e 'any(.[]; .body == "x&lt;b&gt;: &lt;a href=&quot;http://evil&quot;&gt;click&lt;/a&gt;\ufffd]0;title\ufffd")' <<<"$output"
}

@test "a restart remembers what it has seen from summary.json" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	flow curl /usr/bin/curl "$(sha 1)" | snitch-notify --dir "$DIR" >/dev/null
	wait_for_count 1
	jq -e '.Processes | has("/usr/bin/curl")' "$DIR/summary.json"
	{
		flow curl /usr/bin/curl "$(sha 1)"    # known before the restart: silent
		flow wget /usr/bin/wget "$(sha 3)"    # new: notifies
		flow curl /usr/bin/curl "$(sha 2)"    # known exe, new hash: notifies
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 recorded
	jq -e 'map(.summary) == ["New program: curl", "New program: wget", "Program changed: curl"]' <<<"$output"
	jq -e '(.Processes | keys) == ["/usr/bin/curl", "/usr/bin/wget"] and (.SHA256["/usr/bin/curl"] | length) == 2' "$DIR/summary.json"
	# the directory also comes from PICOSNITCH_DIR; a third run tells nothing
	flow wget /usr/bin/wget "$(sha 3)" | PICOSNITCH_DIR="$DIR" snitch-notify >/dev/null
	run -0 recorded
	jq -e 'length == 3' <<<"$output"
}

@test "--print writes notice events to stdout and uses no bus" {
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$BATS_TEST_TMPDIR/no-bus-here"
	{
		flow curl /usr/bin/curl "$(sha 1)" bash /usr/bin/bash
		echo '{"type":"flow","time":3,"pid":10,"comm":"orphan","exe":"/opt/orphan","parent":{"pid":1,"comm":"init"}}'
		echo '{"type":"flow","time":3,"pid":11,"comm":"ghost","exe":"/usr/bin/true","exe_unverified":"deleted"}'
		echo '{"type":"error","time":5,"source":"snitch-vt","message":"HTTP 429"}'
	} >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --print --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$stderr" ""
	printf '%s\n' "$output" | jq -se '[.[] | select(.type == "notice") | {summary, body}] | sort_by(.summary) == [
		{summary: "New program: curl", body: "/usr/bin/curl\nstarted by bash (/usr/bin/bash)"},
		{summary: "New program: ghost", body: "/usr/bin/true\nidentity unverified (deleted): the path may name another file"},
		{summary: "New program: orphan", body: "/opt/orphan\nstarted by init"},
		{summary: "picosnitch error", body: "snitch-vt: HTTP 429"}]'
	printf '%s\n' "$output" | jq -se 'map(select(.type == "notice") | .time | type == "number") | all and length == 4'
	printf '%s\n' "$output" | jq -se 'map(select(.type == "flow")) | length == 3'
}

# The daemon's snitch-notify runs as the service user and cannot reach a
# desktop bus: it appends notices to a file, and the desktop session runs
# snitch-notify --listen as its own user to deliver them.
@test "--notices appends what --listen delivers to its own bus: nothing older, and on across a rotation" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	local notices="$BATS_TEST_TMPDIR/notices.jsonl"
	echo '{"type":"notice","time":1,"summary":"told before the listener started","body":"","urgent":false}' >"$notices"
	snitch-notify --listen "$notices" 2>"$BATS_TEST_TMPDIR/listen.err" 3>&- 7>&- &
	BG_PIDS+=("$!")
	sleep 1 # it has opened the file at its end
	flow curl /usr/bin/curl "$(sha 1)" bash /usr/bin/bash >"$BATS_TEST_TMPDIR/in.jsonl"
	env -u DBUS_SESSION_BUS_ADDRESS snitch-notify --dir "$DIR" --notices "$notices" <"$BATS_TEST_TMPDIR/in.jsonl" >/dev/null
	wait_for_count 1
	jq -e '.[0].summary == "New program: curl" and .[0].body == "/usr/bin/curl\nstarted by bash (/usr/bin/bash)"' <(recorded)
	assert_equal "$(stat -c %a "$notices")" 640
	# a rotated file is read to its end, then the new one from its start
	mv "$notices" "$notices.1"
	flow wget /usr/bin/wget "$(sha 2)" >"$BATS_TEST_TMPDIR/in.jsonl"
	env -u DBUS_SESSION_BUS_ADDRESS snitch-notify --dir "$DIR" --notices "$notices" <"$BATS_TEST_TMPDIR/in.jsonl" >/dev/null
	wait_for_count 2
	sleep 1
	jq -e 'map(.summary) == ["New program: curl", "New program: wget"]' <(recorded)
	# a file the daemon makes after the listener started is read from its start
	rm -f "$notices" "$notices.1"
	flow curl /usr/bin/curl "$(sha 3)" >"$BATS_TEST_TMPDIR/in.jsonl"
	env -u DBUS_SESSION_BUS_ADDRESS snitch-notify --dir "$DIR" --notices "$notices" <"$BATS_TEST_TMPDIR/in.jsonl" >/dev/null
	wait_for_count 3
}

@test "--listen started before the daemon made the file delivers its very first notice" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	local notices="$BATS_TEST_TMPDIR/notices.jsonl"
	snitch-notify --listen "$notices" 2>"$BATS_TEST_TMPDIR/listen.err" 3>&- 7>&- &
	BG_PIDS+=("$!")
	sleep 1 # it has looked for the file and not found it
	flow curl /usr/bin/curl "$(sha 1)" >"$BATS_TEST_TMPDIR/in.jsonl"
	env -u DBUS_SESSION_BUS_ADDRESS snitch-notify --dir "$DIR" --notices "$notices" <"$BATS_TEST_TMPDIR/in.jsonl" >/dev/null
	wait_for_count 1
	jq -e '.[0].summary == "New program: curl"' <(recorded)
}

@test "--notices never writes through a link planted at its path" {
	local notices="$BATS_TEST_TMPDIR/notices.jsonl"
	echo precious >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$notices"
	flow curl /usr/bin/curl "$(sha 1)" >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --dir "$DIR" --notices "$notices" <"$BATS_TEST_TMPDIR/in.jsonl"
	[[ $stderr == *"notice not written: open $notices: Too many levels of symbolic links"* ]] || fail "stderr: $stderr"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/target")" precious
	jq -e -s 'map(select(.type == "flow")) | length == 1' <<<"$output"
}

@test "\"Desktop notifications\": false sends nothing but keeps summary.json current" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	echo '{"Desktop notifications": false}' >"$DIR/config.json"
	flow curl /usr/bin/curl "$(sha 1)" >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$stderr" ""
	jq -e '.Processes["/usr/bin/curl"] == ["curl"]' "$DIR/summary.json"
	# the same input with notifications on does notify: the test above can fail
	echo '{"Desktop notifications": true}' >"$DIR/config.json"
	flow wget /usr/bin/wget "$(sha 2)" | snitch-notify --dir "$DIR" >/dev/null
	run -0 recorded
	jq -e 'map(.summary) == ["New program: wget"]' <<<"$output"
	echo '{"Desktop notifications": "yes"}' >"$DIR/config.json"
	run -1 --separate-stderr snitch-notify --dir "$DIR" </dev/null
	[[ "$stderr" == *'"Desktop notifications"'* ]]
}

@test "with no bus it says so on stderr and delivers the queue once the bus appears" {
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$BATS_TEST_TMPDIR/later-bus"
	start_live
	flow curl /usr/bin/curl "$(sha 1)" >&7
	wait_for_line "$BATS_TEST_TMPDIR/live.err" "cannot notify" 30
	flow wget /usr/bin/wget "$(sha 2)" >&7
	sleep 2 # both wait in the queue meanwhile
	[[ ! -e "$RECORD" ]]
	# passing events on never waited for the bus
	assert_equal "$(jq -s 'map(select(.type == "flow")) | length' "$BATS_TEST_TMPDIR/live.out")" 2
	start_bus "$BATS_TEST_TMPDIR/later-bus"
	wait_for_count 2 30
	jq -e 'map(.summary) == ["New program: curl", "New program: wget"]' <(recorded)
	wait_for_line "$BATS_TEST_TMPDIR/live.err" "again" 30
	# a headless host is told once what to do instead
	assert_equal "$(grep -c 'no desktop here? set "Desktop notifications": false in config.json, or read the notices with snitch-notify --print' "$BATS_TEST_TMPDIR/live.err")" 1
	stop_live
	jq -e '.Processes | has("/usr/bin/wget")' "$DIR/summary.json"
}

@test "as root it drops to the desktop user to reach that user's bus" {
	require_root "connecting as another user"
	BUS_DIR=$(mktemp -d /tmp/snitch-notify-bus.XXXXXX)
	chown nobody "$BUS_DIR"
	RECORD="$BUS_DIR/notifications.jsonl"
	start_bus "$BUS_DIR/bus" 65534
	flow curl /usr/bin/curl "$(sha 1)" >"$BATS_TEST_TMPDIR/in.jsonl"
	# the sudo user is the default desktop user
	SUDO_USER=nobody run -0 --separate-stderr snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$stderr" ""
	jq -e 'map(.summary) == ["New program: curl"]' <(recorded)
	# connecting as root is refused by that bus: the drop is what made it work
	flow wget /usr/bin/wget "$(sha 2)" >"$BATS_TEST_TMPDIR/in2.jsonl"
	run -0 --separate-stderr timeout 60 snitch-notify --user root --dir "$DIR" <"$BATS_TEST_TMPDIR/in2.jsonl"
	[[ "$stderr" == *"cannot notify user root"* ]]
	[[ "$stderr" == *"not delivered"* ]]
	jq -e 'length == 1' <(recorded)
}

# Issue 17 point 8: the first /run/user/*/bus in directory order used to win.
@test "as root with two users' session buses and no seat user it refuses to guess; --user picks one" {
	require_root "session buses of two users in /run/user"
	local u
	for u in 1 65534; do
		[[ ! -e /run/user/$u ]] || skip_or_fail "/run/user/$u exists already"
	done
	if sd_seat=$(loginctl show-seat seat0 -p ActiveSession --value 2>/dev/null) && [[ -n $sd_seat ]]; then
		skip_or_fail "a seat session is active: the seat user would be chosen"
	fi
	RUN_USERS=(/run/user/1 /run/user/65534)
	mkdir -p /run/user
	install -d -o 1 -g 1 -m 0700 /run/user/1
	install -d -o 65534 -g 65534 -m 0700 /run/user/65534
	RECORD=/run/user/1/notifications.jsonl
	start_bus /run/user/1/bus 1
	RECORD_1=$RECORD
	RECORD=/run/user/65534/notifications.jsonl
	start_bus /run/user/65534/bus 65534
	unset DBUS_SESSION_BUS_ADDRESS SUDO_USER
	flow curl /usr/bin/curl "$(sha 1)" >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 --separate-stderr timeout 60 snitch-notify --dir "$DIR" <"$BATS_TEST_TMPDIR/in.jsonl"
	[[ $stderr == *"which desktop user? no active seat session and session buses of uids 1, 65534: choose one with --user"* ]] || fail "$stderr"
	[[ ! -s $RECORD_1 && ! -s $RECORD ]] || fail "a notification reached a bus it guessed"
	mkdir "$DIR/fresh"  # the first run saw curl already
	run -0 --separate-stderr timeout 60 snitch-notify --user nobody --dir "$DIR/fresh" <"$BATS_TEST_TMPDIR/in.jsonl"
	assert_equal "$stderr" ""
	jq -e 'map(.summary) == ["New program: curl"]' <(recorded)
	[[ ! -s $RECORD_1 ]] || fail "uid 1's bus got nobody's notification"
}

@test "summary.json is replaced atomically, at most about once a second under a flood" {
	command -v strace >/dev/null || skip_or_fail "strace is not installed"
	many_flows p 3000 >"$BATS_TEST_TMPDIR/flood.jsonl"
	# a flood that lasts a few seconds: 3000 new programs, fed slowly
	local start end renames
	start=$(date +%s.%N)
	# LeakSanitizer cannot run under ptrace: in a sanitizer build only ASan and UBSan check this run.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	run -0 --separate-stderr bash -c "awk '{ print; if (NR % 500 == 0) system(\"sleep 0.5\") }' '$BATS_TEST_TMPDIR/flood.jsonl' \
		| strace -f -qq -e trace=rename -o '$BATS_TEST_TMPDIR/strace.out' '$BUILD_DIR/bin/snitch-notify' --print --dir '$DIR' >/dev/null"
	end=$(date +%s.%N)
	renames=$(grep -c 'summary.json.tmp' "$BATS_TEST_TMPDIR/strace.out")
	# at least two writes (during and at the end), and no more than one per second plus the last
	[[ $renames -ge 2 ]] || fail "only $renames writes"
	awk -v r="$renames" -v s="$start" -v e="$end" 'BEGIN { exit !(r <= (e - s) + 2) }' || fail "$renames writes in $(awk -v s="$start" -v e="$end" 'BEGIN{print e-s}') s"
	[[ ! -e "$DIR/summary.json.tmp" ]]
	jq -e '(.Processes | length) == 3000 and (.["Latest Entries"] | length) == 1000' "$DIR/summary.json"
}

@test "SIGTERM tells what was gathered, writes summary.json and exits 0" {
	start_bus "$BATS_TEST_TMPDIR/bus"
	start_live --window 600
	flow curl /usr/bin/curl "$(sha 1)" >&7
	wait_for_line "$BATS_TEST_TMPDIR/live.out" '"comm":"curl"' 30
	# gathered for 600 s: only the signal can make it go out now
	run -0 recorded
	assert_output "[]"
	kill -TERM "$LIVE_PID"
	local status=0
	wait "$LIVE_PID" || status=$?
	assert_equal "$status" 0
	jq -e 'map(.summary) == ["New program: curl"]' <(recorded)
	jq -e '.Processes["/usr/bin/curl"] == ["curl"]' "$DIR/summary.json"
}
