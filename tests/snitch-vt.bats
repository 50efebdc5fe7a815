# snitch-vt: a real filter process against tests/vt_stub.py, a loopback
# stand-in for the VirusTotal v3 API started by each test; real SQLite cache
# files, real executables to upload.

setup() {
	load helpers
	isolate_home
	BG_PIDS=()
	unset VT_API_KEY
	KEY="test-key-$$-$RANDOM-not-for-logs"
	STUB_KEY=$KEY  # the key tests/lib/stub.bash's stub accepts
	CACHE="$BATS_TEST_TMPDIR/vt cache.db"
	STUB_LOG="$BATS_TEST_TMPDIR/stub.log"
	IN="$BATS_TEST_TMPDIR/in.jsonl"
	OUT="$BATS_TEST_TMPDIR/out.jsonl"
	ERR="$BATS_TEST_TMPDIR/err.txt"
	touch "$STUB_LOG"
}

teardown() {
	exec 5>&- 2>/dev/null || true
	kill_background
}

fake_sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }

flow_line() { # SHA256 EXE
	jq -cn --arg s "$1" --arg e "$2" \
		'{type:"flow",time:1.5,pid:42,comm:"x",exe:$e,sent:10,recv:20,sha256:$s,unknown_field:{"kept":[1,2]}}'
}

# snitch-vt with the test key (in the environment, never argv) against the stub.
vt() {
	VT_API_KEY="$KEY" snitch-vt --cache "$CACHE" --api-url "$API" --request-limit 0.05 "$@"
}

# Runs vt on $IN; stdout in $output (pure JSON Lines), stderr in $stderr.
run_vt() {
	run -0 --separate-stderr vt "$@" <"$IN"
}

requests() { # PATTERN: how many stub log lines match
	grep -c -- "$1" "$STUB_LOG" || true
}

# Some event of $output (or FILE) satisfies the jq condition; extra args go to jq.
expect_event() { # CONDITION [jq args...]
	expect_event_in <(printf '%s\n' "$output") "$@"
}

expect_event_in() { # FILE CONDITION [jq args...]
	local file=$1 cond=$2
	shift 2
	jq -e -s "$@" "any(.[]; $cond)" "$file" >/dev/null || fail "no event satisfies: $cond"
}

vt_events() { jq -c 'select(.type == "vt")' <<<"$output"; }
error_messages() { jq -r 'select(.type == "error") | .message' <<<"$output"; }

# snitch-vt reading the fifo $IN in the background; fd 5 writes to it.
start_vt_on_fifo() {
	rm -f "$IN"
	mkfifo "$IN"
	VT_API_KEY="$KEY" snitch-vt --cache "$CACHE" --api-url "$API" "$@" <"$IN" >"$OUT" 2>"$ERR" 3>&- &
	VT_PID=$!
	BG_PIDS+=("$VT_PID")
	exec 5>"$IN"
}

@test "snitch-vt --help and --version exit 0, a bad option exits 2, the key is not an option" {
	assert_cli snitch-vt --api-url
	run -0 snitch-vt --help
	assert_output --partial "VT_API_KEY"
	run -2 snitch-vt --api-key secret
}

@test "snitch-vt passes every event through unchanged and adds one vt event per new hash" {
	local known unknown parent
	known=$(fake_sha known) unknown=$(fake_sha unknown) parent=$(fake_sha parent)
	start_stub --known "$known=2,1,60,5"
	{
		flow_line "$known" "/usr/bin/known app"
		flow_line "$unknown" /usr/bin/unknown
		flow_line "$known" "/usr/bin/known app"
		jq -cn --arg s "$(tr a-f A-F <<<"$known")" --arg p "$parent" \
			'{type:"exec",time:2,exe:"/bin/sh",sha256:$s,parent:{pid:1,exe:"/sbin/init",sha256:$p}}'
		echo '{"type":"flow","time":3,"exe":"/no/hash","sha256_error":"permission denied"}'
		echo '{"type":"flow","time":4,"exe":"/odd","sha256":"../../files/upload_url"}'
	} >"$IN"
	run_vt
	# every input line comes out byte for byte
	while IFS= read -r line; do
		grep -qxF -- "$line" <<<"$output" || fail "input line missing from output: $line"
	done <"$IN"
	[[ $(jq -s 'map(select(.type != "vt")) | length' <<<"$output") -eq 6 ]]
	[[ $(vt_events | wc -l) -eq 3 ]]
	expect_event '.type == "vt" and .sha256 == $s and .exe == "/usr/bin/known app" and .status == "found"
		and .malicious == 2 and .suspicious == 1 and .undetected == 60 and .harmless == 5
		and .link == "https://www.virustotal.com/gui/file/" + $s
		and (.asked | type) == "number" and (.time | type) == "number"' --arg s "$known"
	expect_event '.type == "vt" and .sha256 == $s and .status == "unknown" and .exe == "/usr/bin/unknown"
		and (has("malicious") | not)' --arg s "$unknown"
	expect_event '.type == "vt" and .sha256 == $s and .exe == "/sbin/init"' --arg s "$parent"
	# each hash asked once, upper-case duplicates included; nothing else asked
	[[ $(requests "GET /api/v3/files/$known key=ok") -eq 1 ]]
	[[ $(wc -l <"$STUB_LOG") -eq 3 ]]
}

@test "snitch-vt skips a malformed line with an error event and keeps going" {
	local sha
	sha=$(fake_sha good)
	start_stub --known "$sha=0,0,70,0"
	{ echo 'not json {'; flow_line "$sha" /bin/good; echo '[1,2]'; } >"$IN"
	run_vt
	[[ $(jq -s 'map(select(.type == "flow")) | length' <<<"$output") -eq 1 ]]
	[[ $(jq -s '[.[] | select(.type == "error" and .source == "snitch-vt") | .lost] | add' <<<"$output") -eq 2 ]]
	expect_event '.type == "vt" and (.status == "found")'
	assert_equal "$(grep -c 'input line' <<<"$stderr")" 2
}

@test "snitch-vt without an API key passes everything through and says once that it is disabled" {
	start_stub
	{ flow_line "$(fake_sha a)" /a; flow_line "$(fake_sha b)" /b; } >"$IN"
	run -0 --separate-stderr snitch-vt --cache "$CACHE" --api-url "$API" <"$IN"
	assert_equal "$output" "$(cat "$IN")"
	assert_equal "$(wc -l <<<"$stderr")" 1
	[[ "$stderr" == *"lookups disabled"* ]]
	[[ ! -s "$STUB_LOG" ]]
}

@test "snitch-vt reads the key from the config file and never writes it anywhere" {
	local sha
	sha=$(fake_sha config)
	start_stub --known "$sha=0,0,1,0"
	jq -n --arg k "$KEY" '{"VT API key": $k, "VT request limit (seconds)": 0.05}' >"$BATS_TEST_TMPDIR/config.json"
	flow_line "$sha" /bin/cfg >"$IN"
	run -0 --separate-stderr snitch-vt --config "$BATS_TEST_TMPDIR/config.json" --cache "$CACHE" --api-url "$API" <"$IN"
	expect_event '.type == "vt" and (.status == "found")'
	[[ $(requests "key=ok") -eq 1 ]]
	# a rejected key: the error event and stderr still do not show it
	jq -n '{"VT API key": "wrong-key-xyz"}' >"$BATS_TEST_TMPDIR/bad.json"
	flow_line "$(fake_sha other)" /bin/other >"$IN"
	run -0 --separate-stderr snitch-vt --config "$BATS_TEST_TMPDIR/bad.json" --cache "$CACHE" --api-url "$API" \
		--request-limit 0.05 --max-attempts 1 <"$IN"
	[[ $(requests "key=bad") -eq 1 ]]
	[[ "$output$stderr" != *"wrong-key-xyz"* ]]
	! grep -aqF "$KEY" "$CACHE"
	! grep -aqF "wrong-key-xyz" "$CACHE"
}

@test "snitch-vt passes events on while a lookup is in flight and emits the verdict when input is idle" {
	local slow
	slow=$(fake_sha slow)
	start_stub --known "$slow=1,0,0,0" --script "files/$slow=hold"
	start_vt_on_fifo --request-limit 0.05
	flow_line "$slow" /bin/slow >&5
	wait_for_line "$STUB_LOG" "$slow" 30
	# the request is held by the stub: later events still come out at once
	flow_line "$(fake_sha 'no verdict yet')" /bin/next >&5
	wait_for_line "$OUT" /bin/next 30
	run ! grep -q '"type":"vt"' "$OUT"
	touch "$BATS_TEST_TMPDIR/release"
	# the verdict arrives with stdin still open and silent
	wait_for_line "$OUT" '"type":"vt".*"status":"found"' 30
	exec 5>&-
	wait "$VT_PID"
	expect_event_in "$OUT" '.type == "vt" and .sha256 == $s and (.malicious == 1)' --arg s "$slow"
}

@test "snitch-vt keeps its queue across a restart and never asks a cached hash again" {
	local first second
	first=$(fake_sha first) second=$(fake_sha second)
	start_stub --known "$first=0,0,5,0" --known "$second=4,0,1,0"
	start_vt_on_fifo --request-limit 3600
	flow_line "$first" /bin/first >&5
	wait_for_line "$OUT" '"type":"vt"' 30
	flow_line "$second" /bin/second >&5
	wait_for_line "$OUT" /bin/second 30
	# the second hash waits for the rate limit; SIGTERM leaves it queued on disk
	kill -TERM "$VT_PID"
	wait "$VT_PID"
	[[ $(grep -c '"type":"vt"' "$OUT") -eq 1 ]]
	[[ $(requests "$second") -eq 0 ]]
	# next start: the queued hash is answered with no input at all
	IN="$BATS_TEST_TMPDIR/rerun.jsonl"
	: >"$IN"
	run_vt
	expect_event '.type == "vt" and (.sha256 == $s and .malicious == 4 and .exe == "/bin/second")' --arg s "$second"
	# a third run seeing both hashes asks nothing
	{ flow_line "$first" /bin/first; flow_line "$second" /bin/second; } >"$IN"
	run_vt
	[[ $(vt_events | wc -l) -eq 0 ]]
	[[ $(requests "GET /api/v3/files/$first") -eq 1 ]]
	[[ $(requests "GET /api/v3/files/$second") -eq 1 ]]
}

@test "snitch-vt backs off on HTTP 429 with an error event, then gets the verdict" {
	local sha
	sha=$(fake_sha quota)
	start_stub --known "$sha=0,1,2,3" --script "files/$sha=429,429"
	flow_line "$sha" /bin/quota >"$IN"
	run_vt
	[[ $(error_messages | grep -c "HTTP 429 (quota exceeded).*retrying in") -eq 2 ]]
	expect_event '.type == "vt" and (.status == "found" and .harmless == 3)'
	[[ $(requests "$sha") -eq 3 ]]
}

@test "snitch-vt gives up on a rejected key (401) after --max-attempts and asks again next run" {
	local sha
	sha=$(fake_sha badkey)
	start_stub --known "$sha=0,0,1,0"
	flow_line "$sha" /bin/badkey >"$IN"
	KEY_GOOD=$KEY KEY=not-the-key
	run_vt --max-attempts 2
	KEY=$KEY_GOOD
	[[ $(error_messages | grep -c "HTTP 401 (API key rejected)") -eq 2 ]]
	error_messages | grep -q "gave up after 2 attempts"
	[[ $(vt_events | wc -l) -eq 0 ]]
	[[ $(requests "key=bad") -eq 2 ]]
	# nothing was cached: with the right key the hash is asked and answered
	run_vt
	expect_event '.type == "vt" and (.status == "found")'
}

@test "snitch-vt reports network errors and gives up on an unreachable API" {
	local sha
	sha=$(fake_sha network)
	API=http://127.0.0.1:1
	flow_line "$sha" /bin/net >"$IN"
	run_vt --max-attempts 3
	[[ $(error_messages | grep -c "network error") -eq 3 ]]
	error_messages | grep -q "gave up after 3 attempts"
	[[ $(vt_events | wc -l) -eq 0 ]]
	expect_event '.type == "flow"'
}

# picosnitch stop drains the pipeline through snitch-vt: with the API down it
# used to retry with backoff (15 s, 30 s, 60 s...) for minutes after its input
# ended, and the unit's stop timeout ended it with SIGKILL.
@test "snitch-vt exits soon after its input ends with the API unreachable; the hash stays queued for the next run" {
	local sha
	sha=$(fake_sha unreachable)
	flow_line "$sha" /bin/unreachable >"$IN"
	# 1000 attempts 0.2 s apart: the old code was still retrying at the timeout
	run -0 --separate-stderr timeout 30 env VT_API_KEY="$KEY" snitch-vt --cache "$CACHE" --api-url http://127.0.0.1:1 \
		--request-limit 0.05 --max-backoff 0.2 --max-attempts 1000 --drain-seconds 1 <"$IN"
	expect_event '.type == "flow" and .sha256 == $s' --arg s "$sha"
	[[ $stderr == *"1 hash not yet answered stays queued for the next run"* ]] || fail "stderr: $stderr"
	assert_equal "$(sqlite3 "$CACHE" "SELECT count(*) FROM vt_queue")" 1
	# the API is back: the next run answers it with no input at all
	start_stub --known "$sha=0,0,7,0"
	: >"$IN"
	run_vt
	expect_event '.type == "vt" and .sha256 == $s and .undetected == 7' --arg s "$sha"
}

@test "snitch-vt retries after a dropped connection and a garbage body" {
	local sha
	sha=$(fake_sha garbage)
	start_stub --known "$sha=7,0,0,0" --script "files/$sha=close,garbage"
	flow_line "$sha" /bin/garbage >"$IN"
	run_vt
	error_messages | grep -q "network error"
	error_messages | grep -q "unreadable reply: reply is not a JSON object"
	expect_event '.type == "vt" and (.malicious == 7)'
	[[ $(requests "$sha") -eq 3 ]]
}

@test "snitch-vt says unknown for a 404 hash when uploads are off" {
	local sha
	sha=$(fake_sha nobody-knows)
	start_stub
	flow_line "$sha" /bin/nobody >"$IN"
	run_vt
	expect_event '.type == "vt" and (.status == "unknown")'
	[[ $(requests "POST") -eq 0 ]]
}

@test "snitch-vt uploads an unknown executable (\"VT file upload\") and polls the analysis" {
	local exe sha
	exe=$(own_path_copy /bin/true "unknown tool")
	printf 'unique %s' "$BATS_TEST_TMPDIR" >>"$exe"
	sha=$(sha256sum "$exe" | cut -c1-64)
	start_stub --queued-polls 2
	jq -n --arg k "$KEY" '{"VT API key": $k, "VT file upload": true}' >"$BATS_TEST_TMPDIR/config.json"
	flow_line "$sha" "$exe" >"$IN"
	run -0 --separate-stderr snitch-vt --config "$BATS_TEST_TMPDIR/config.json" --cache "$CACHE" \
		--api-url "$API" --request-limit 0.05 <"$IN"
	expect_event '.type == "vt" and (.sha256 == $s and .status == "analysed"
		and .malicious == 3 and .suspicious == 1 and .undetected == 50)' --arg s "$sha"
	[[ $(requests "^POST /api/v3/files key=ok") -eq 1 ]]
	[[ $(requests "^uploaded $(stat -c %s "$exe") $sha") -eq 1 ]]
	[[ $(requests "GET /api/v3/analyses/") -eq 3 ]]
}

@test "snitch-vt uploads files over 32 MB through the upload URL" {
	local exe sha
	exe="$BATS_TEST_TMPDIR/big tool"
	head -c $((33 << 20)) /dev/urandom >"$exe"
	sha=$(sha256sum "$exe" | cut -c1-64)
	start_stub
	flow_line "$sha" "$exe" >"$IN"
	run_vt --upload
	expect_event '.type == "vt" and (.status == "analysed")'
	[[ $(requests "GET /api/v3/files/upload_url key=ok") -eq 1 ]]
	[[ $(requests "POST /upload-big/t0ken key=ok") -eq 1 ]]
	[[ $(requests "^uploaded $((33 << 20)) $sha") -eq 1 ]]
	[[ $(requests "POST /api/v3/files ") -eq 0 ]]
}

@test "snitch-vt does not upload a file whose contents changed since it was hashed" {
	local exe
	exe=$(own_path_copy /bin/true changed)
	start_stub
	flow_line "$(sha256sum "$exe" | cut -c1-64)" "$exe" >"$IN"
	echo changed >>"$exe"
	run_vt --upload
	error_messages | grep -q "contents changed since it was hashed"
	expect_event '.type == "vt" and (.status == "unknown")'
	[[ $(requests "POST") -eq 0 ]]
}

# attacks.bats table, point 4: the path is swapped for a link to a secret while
# the upload URL is asked for (the round trip a 32 MiB+ upload leaves).
@test "snitch-vt uploads what it hashed: a link swapped in before the upload is not followed" {
	local exe secret sha secret_sha
	exe="$BATS_TEST_TMPDIR/big tool"
	secret="$BATS_TEST_TMPDIR/secret"
	head -c $((33 << 20)) /dev/urandom >"$exe"
	head -c $((33 << 20)) /dev/urandom >"$secret"
	sha=$(sha256sum "$exe" | cut -c1-64)
	secret_sha=$(sha256sum "$secret" | cut -c1-64)
	start_stub --script "files/upload_url=hold"
	flow_line "$sha" "$exe" >"$IN"
	vt --upload <"$IN" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	BG_PIDS+=("$!")
	wait_for_line "$STUB_LOG" "GET /api/v3/files/upload_url" 60
	rm "$exe"
	ln -s "$secret" "$exe"
	touch "$BATS_TEST_TMPDIR/release"
	wait "${BG_PIDS[-1]}"
	[[ $(requests "^uploaded $((33 << 20)) $sha") -eq 1 ]] || fail "$(cat "$STUB_LOG")"
	[[ $(requests "$secret_sha") -eq 0 ]] || fail "the secret was uploaded"
	# a link in place before the first look is refused, not followed
	rm -f "$CACHE" "$BATS_TEST_TMPDIR/release"
	: >"$STUB_LOG"
	start_stub
	run_vt --upload
	error_messages | grep -q "cannot upload $exe: open: Too many levels of symbolic links"
	[[ $(requests "POST") -eq 0 ]]
}

@test "snitch-vt verifies TLS certificates: a self-signed API is refused" {
	local sha
	sha=$(fake_sha tls)
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 \
		-keyout "$BATS_TEST_TMPDIR/key.pem" -out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
	start_stub --known "$sha=0,0,1,0" --tls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	API=${API/http:/https:}
	flow_line "$sha" /bin/tls >"$IN"
	run_vt --max-attempts 1
	error_messages | grep -qi "network error: .*certificate"
	[[ $(vt_events | wc -l) -eq 0 ]]
	# the same server is fine once its certificate is trusted: the failure was verification
	run_vt --cacert "$BATS_TEST_TMPDIR/cert.pem"
	expect_event '.type == "vt" and (.status == "found")'
}
