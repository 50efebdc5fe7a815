# snitch-web: the API against snitch-view --print on a database the real
# snitch-store wrote (tests/fixtures/view-events.jsonl), and the page in
# Debian's chromium, headless.

setup() {
	load helpers
	setup_view_fixture
	T=1795000000  # the fixture's reference time
	NOW=$((T + 100))
}

teardown() {
	kill_background
	if declare -F pg_stop_all >/dev/null; then pg_stop_all; fi
}

# snitch-web in the background on a free port of 127.0.0.1; sets URL (with
# the token), BASE and TOKEN. Its stdin is WEB_IN (default /dev/null).
start_web() { # ARGS...
	local out="$BATS_TEST_TMPDIR/web.out"
	snitch-web --config "$CONF" --listen 127.0.0.1 --port 0 --token-file "$BATS_TEST_TMPDIR/token" "$@" \
		<"${WEB_IN:-/dev/null}" >"$out" 2>"$BATS_TEST_TMPDIR/web.err" 3>&- &
	BG_PIDS+=("$!")
	wait_for_line "$out" '^http://' || fail "$(cat "$BATS_TEST_TMPDIR/web.err")"
	URL=$(head -1 "$out")
	BASE=${URL%%/\?*}
	TOKEN=${URL##*token=}
}

api() { # NAME [QUERY]
	curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/api/$1?${2:-}"
}

# --print's table from the API's rows: the same columns, widths and text.
api_table() { # QUERY
	api rows "$1" | jq -r 'def pad(n): tostring | (" " * (n - length)) + .;
		def rpad(n): . + (" " * (n - length));
		"\("EVENTS" | pad(10)) \("SENT" | pad(14)) \("RECEIVED" | pad(14)) \("LAST_SEEN" | rpad(19)) \(.title)",
		(.rows[] | "\(.events | pad(10)) \(.sent | pad(14)) \(.recv | pad(14)) \(.last_text | rpad(19)) \(.label)")'
}

require_chromium() {
	command -v chromium >/dev/null || skip_or_fail "chromium is not installed (make deps)"
}

# Headless chromium on PAGE (a path with #view...), a fresh profile each time;
# the page's scripts run until idle or 10 s of virtual time; its console
# (CSP violations among it) goes to chromium.err.
browser() { # PAGE CHROMIUM-ARGS...
	local page=$1; shift
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$(mktemp -d "$BATS_TEST_TMPDIR/profile.XXXXXX")" \
		--enable-logging=stderr --v=0 --virtual-time-budget=10000 --window-size=1280,1000 "$@" "$BASE$page" 2>>"$BATS_TEST_TMPDIR/chromium.err" 3>&-
}

dom() { # PAGE -> the DOM after the page's scripts ran
	browser "$1" --dump-dom
}

# The text of each row of table ID in a dumped DOM, cells joined by tabs.
table_text() { # DOMFILE ID
	python3 - "$1" "$2" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.depth = 0; self.rows = []; self.cell = None
    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", sys.argv[2]) in attrs: self.depth = 1
        elif self.depth and tag == "tr": self.rows.append([])
        elif self.depth and tag in ("td", "th"): self.cell = ""
    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th"): self.rows[-1].append(self.cell); self.cell = None
        elif self.depth and tag == "table": self.depth = 0
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
for r in p.rows: print("\t".join(r))
PY
}

# --print's rows as "EVENTS<tab>SENT<tab>RECEIVED<tab>LAST_SEEN<tab>KEY".
print_rows() { # ARGS...
	snitch-view --config "$CONF" --db "$DB" --print --now "$NOW" "$@" |
		awk 'NR > 1 { key = $0; sub(/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9-]+ [0-9:]+ /, "", key); print $1 "\t" $2 "\t" $3 "\t" $4 " " $5 "\t" key }'
}

@test "snitch-web answers 401 without the token, and with a wrong one, on every path" {
	store_fixture
	start_web --db "$DB"
	local path code wrong
	# The last digit changed: a fixed digit would be the token itself one time in 16.
	wrong=${TOKEN%?}$([[ ${TOKEN: -1} == 0 ]] && echo 1 || echo 0)
	for path in / /index.html /app.js /chart.js /style.css /api/meta "/api/rows?screen=exe" /api/live /nothing; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$path")
		[[ $code == 401 ]] || fail "$path without a token: HTTP $code"
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $wrong" "$BASE$path")
		[[ $code == 401 ]] || fail "$path with a wrong token: HTTP $code"
		code=$(curl -s -o /dev/null -w '%{http_code}' -b "snitch_web_${BASE##*:}=x$TOKEN" "$BASE$path")
		[[ $code == 401 ]] || fail "$path with a wrong cookie: HTTP $code"
	done
	code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/?token=")
	[[ $code == 401 ]] || fail "an empty token: HTTP $code"
	# the printed URL works, sets the cookie, and the cookie alone works after
	run -0 curl -s -D "$BATS_TEST_TMPDIR/headers" -o /dev/null -c "$BATS_TEST_TMPDIR/jar" "$URL"
	run -0 grep -i '^set-cookie: snitch_web_[0-9]*=[0-9a-f]*; Path=/; HttpOnly; SameSite=Strict' "$BATS_TEST_TMPDIR/headers"
	run -0 grep -i "^content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'" "$BATS_TEST_TMPDIR/headers"
	run -0 grep -i '^referrer-policy: no-referrer' "$BATS_TEST_TMPDIR/headers"
	run -0 curl -sf -b "$BATS_TEST_TMPDIR/jar" "$BASE/api/meta"
	jq -e '.screens | map(.id) | index("exe") != null' <<<"$output"
	# the page refuses in a browser too
	require_chromium
	run -0 dom /
	assert_output --partial '401 Unauthorized'
	refute_output --partial 'overview-chart'
	# the token file: made at first start, 0600, kept across starts
	[[ $(stat -c %a "$BATS_TEST_TMPDIR/token") == 600 ]] || fail "token file mode $(stat -c %a "$BATS_TEST_TMPDIR/token")"
	[[ $(cat "$BATS_TEST_TMPDIR/token") == "$TOKEN" ]]
	kill_background
	start_web --db "$DB"
	[[ $(cat "$BATS_TEST_TMPDIR/token") == "$TOKEN" ]] || fail "the token changed at the second start"
}

@test "snitch-web refuses a token file others can read, and makes its own with mode 0600 in the picosnitch directory" {
	store_fixture
	echo 0123456789abcdef0123456789abcdef >"$BATS_TEST_TMPDIR/token"
	chmod 0644 "$BATS_TEST_TMPDIR/token"
	run -1 --separate-stderr snitch-web --config "$CONF" --db "$DB" --port 0 --token-file "$BATS_TEST_TMPDIR/token"
	assert_equal "$output" ""
	[[ $stderr == *"no one else can read"* ]] || fail "$stderr"
	export PICOSNITCH_DIR="$BATS_TEST_TMPDIR/picosnitch"
	local out="$BATS_TEST_TMPDIR/web.out"
	snitch-web --config "$CONF" --db "$DB" --port 0 >"$out" 2>/dev/null </dev/null 3>&- &
	BG_PIDS+=("$!")
	wait_for_line "$out" '^http://127.0.0.1:[0-9]*/?token=[0-9a-f]\{64\}$'
	[[ $(stat -c %a "$PICOSNITCH_DIR/web-token") == 600 ]]
	[[ $(stat -c %a "$PICOSNITCH_DIR") == 700 ]]
	grep -qx "$(sed -n 's/.*token=//p' "$out" | head -1)" "$PICOSNITCH_DIR/web-token"
}

@test "snitch-web's API gives snitch-view --print's rows for every screen, range, sort and filter" {
	store_fixture
	start_web --db "$DB" --now "$NOW"
	local s r q
	for s in $(api meta | jq -r '.screens[].id'); do
		for r in all 1h 3d; do
			q="screen=$s&range=$r&sort=name"
			diff <(api_table "$q") <(snitch-view --config "$CONF" --db "$DB" --print --now "$NOW" --screen "$s" --range "$r" --sort name) \
				|| fail "screen $s, range $r differs from --print"
		done
	done
	diff <(api_table "screen=domain&filter=exe%3D%2Fusr%2Fbin%2Fcurl&filter=port%3D443&range=1d&period=0") \
		<(snitch-view --config "$CONF" --db "$DB" --print --now "$NOW" --screen domain --filter exe=/usr/bin/curl --filter port=443 --range 1d)
	diff <(api_table "screen=exe&range=1d&period=1") <(snitch-view --config "$CONF" --db "$DB" --print --now "$NOW" --range 1d --period 1)
	diff <(api_table "screen=exe&search=FIRE&sort=events") <(snitch-view --config "$CONF" --db "$DB" --print --now "$NOW" --search FIRE --sort events)
	# the series adds up to the same totals, for the whole log and one executable
	for q in "range=all" "range=1h&filter=exe%3D%2Fusr%2Fbin%2Fcurl" "range=3d&step=86400"; do
		assert_equal "$(api series "$q" | jq -c '[([.points[][1]] | add), ([.points[][2]] | add), ([.points[][3]] | add)]')" \
			"$(api rows "$q" | jq -c '[.totals.events, .totals.sent, .totals.recv]')"
	done
	assert_equal "$(api series 'range=all' | jq '[.points[][2]] | add')" "$(sqlite3 "$DB" 'SELECT SUM(sent) FROM connections')"
	# stacks: the top executables by bytes sent, each its own series
	run -0 api series 'range=all&screen=exe&top=2'
	assert_equal "$(jq -c '[.stacks[] | [.key, ([.points[][2]] | add)]]' <<<"$output")" '[["/usr/lib/firefox/firefox",1050624],["/usr/bin/ssh",5000]]'
	run -0 api detail 'exe=/usr/bin/curl'
	diff <(jq -r '(.hashes[] | "sha256: \(.label)  \(.verdict)"), (.parents[] | "parent: \(.label)"), "first seen: \(.first_text)", "last seen: \(.last_text)"' <<<"$output") \
		<(snitch-view --config "$CONF" --db "$DB" --print --detail /usr/bin/curl | tail -n +2)
	# bad parameters: 400 with the reason, as --print's
	run -0 curl -s -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/rows?screen=nope"
	assert_line --index 1 400
	jq -e '.error == "unknown screen '"'nope'"'"' <<<"${lines[0]}"
	run -0 curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/api/rows?range=2x"
	assert_output 400
}

@test "snitch-web reads PostgreSQL as snitch-view does" {
	load pg_helpers
	pg_start
	pg_store_schema
	store_fixture
	store_fixture "$PG_URI"
	start_web --db "$PG_URI" --now "$NOW"
	local s
	for s in exe domain port time; do
		diff <(api_table "screen=$s&sort=name") <(snitch-view --config "$CONF" --db "$DB" --print --now "$NOW" --screen "$s" --sort name) \
			|| fail "screen $s from PostgreSQL differs from --print on SQLite"
	done
	# whole days from the rollup, the partial ones from the rows
	assert_equal "$(api series 'range=3d&step=86400' | jq -c '[.points[][2]] | add')" \
		"$(sqlite3 "$DB" "SELECT SUM(sent) FROM connections WHERE last_time >= $NOW - 259200")"
}

@test "the overview and explore pages show the database's numbers in chromium" {
	require_chromium
	store_fixture
	start_web --db "$DB" --now "$NOW"
	dom "/?token=$TOKEN#overview?range=all" >"$BATS_TEST_TMPDIR/overview.html"
	grep -q 'data-ready="overview"' "$BATS_TEST_TMPDIR/overview.html" || fail "overview never finished: $(cat "$BATS_TEST_TMPDIR/chromium.err")"
	grep -q "<p id=\"kpi-sent-bytes\" class=\"exact\">$(sqlite3 "$DB" 'SELECT SUM(sent) FROM connections') bytes</p>" "$BATS_TEST_TMPDIR/overview.html"
	grep -q "<p id=\"kpi-recv-bytes\" class=\"exact\">$(sqlite3 "$DB" 'SELECT SUM(recv) FROM connections') bytes</p>" "$BATS_TEST_TMPDIR/overview.html"
	grep -q '<p id="kpi-exes" class="kpi">5</p>' "$BATS_TEST_TMPDIR/overview.html"
	grep -q '<canvas id="overview-chart"[^>]* data-drawn="[1-9]' "$BATS_TEST_TMPDIR/overview.html"
	diff <(table_text "$BATS_TEST_TMPDIR/overview.html" top-exe | tail -n +2) <(print_rows --screen exe)
	diff <(table_text "$BATS_TEST_TMPDIR/overview.html" top-domain | tail -n +2) <(print_rows --screen domain)
	# explore, drilled down: curl's host names, then its ports on one of them
	dom "/?token=$TOKEN#explore?range=1h&screen=domain&filter=exe%3D%2Fusr%2Fbin%2Fcurl" >"$BATS_TEST_TMPDIR/explore.html"
	grep -q 'data-ready="explore"' "$BATS_TEST_TMPDIR/explore.html"
	diff <(table_text "$BATS_TEST_TMPDIR/explore.html" explore-rows | tail -n +2) <(print_rows --screen domain --range 1h --filter exe=/usr/bin/curl)
	run -0 table_text "$BATS_TEST_TMPDIR/explore.html" explore-rows
	assert_line --index 0 $'EVENTS\tSENT\tRECEIVED\tLAST_SEEN\tHost names'
	grep -q '<canvas id="explore-chart"[^>]* data-drawn="[1-9]' "$BATS_TEST_TMPDIR/explore.html"
	# the strict CSP holds: nothing of the page (Chart.js included) was refused
	! grep -i 'Content Security Policy\|Refused to' "$BATS_TEST_TMPDIR/chromium.err" || fail "the page broke its CSP"
	grep -q 'CONSOLE' "$BATS_TEST_TMPDIR/chromium.err" && fail "the page logged to its console: $(grep CONSOLE "$BATS_TEST_TMPDIR/chromium.err")"
	true
}

@test "a chart is drawn: the canvas is there and the screenshot shows its lines" {
	require_chromium
	/usr/bin/python3 -c 'import PIL' 2>/dev/null || skip_or_fail "python3-pil is not installed (make deps)"
	store_fixture
	start_web --db "$DB" --now "$NOW"
	browser "/?token=$TOKEN#overview?range=1h&chart=line" --screenshot="$BATS_TEST_TMPDIR/shot.png" >/dev/null
	# Debian's python3 has python3-pil (a pyenv one first on PATH may not). Only
	# Chart.js paints the sent (#e6550d) and received (#3182bd) colours, and only into the canvas.
	run -0 /usr/bin/python3 - "$BATS_TEST_TMPDIR/shot.png" <<'PY'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
near = lambda p, c: all(abs(a - b) < 40 for a, b in zip(p, c))
px = list(im.getdata())
print(sum(near(p, (0xe6, 0x55, 0x0d)) for p in px), sum(near(p, (0x31, 0x82, 0xbd)) for p in px), len(set(px)))
PY
	read -r sent recv colours <<<"$output"
	(( sent > 200 && recv > 200 && colours > 20 )) || fail "no chart in the screenshot: $output"
}

@test "the live page shows the rates and totals of the event stream on snitch-web's stdin" {
	require_chromium
	store_fixture
	WEB_IN="$FIXTURE" start_web --db "$DB" --live
	run -0 api live
	jq -e --argjson n "$(grep -c . "$FIXTURE")" '.enabled and .ended and .lines == $n' <<<"$output"
	dom "/?token=$TOKEN#live" >"$BATS_TEST_TMPDIR/live.html"
	grep -q 'data-ready="live"' "$BATS_TEST_TMPDIR/live.html"
	# per process (pid, executable): the sums of its flow events in the stream
	diff <(table_text "$BATS_TEST_TMPDIR/live.html" live-rows | tail -n +2 | awk -F'\t' '{ print $1, $5, $6 }' | sort) \
		<(jq -rs 'map(select(.type == "flow")) | group_by([.pid, .exe])[] | "\(.[0].pid) \(map(.sent) | add) \(map(.recv) | add)"' "$FIXTURE" | sort)
	run -0 table_text "$BATS_TEST_TMPDIR/live.html" live-rows
	assert_line --partial $'\t/tmp/\\e[2Jevil\\nname'
	grep -q '<canvas id="live-chart"[^>]* data-drawn="[1-9]' "$BATS_TEST_TMPDIR/live.html"
}

@test "hostile names from the log stay text in every view: no markup, no script, escaped as --print shows them" {
	require_chromium
	local evil=$'<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>\e[2J\e]0;t\a\xe2\x80\xae&amp;'
	jq -c --arg e "$evil" 'select(.type == "flow") | .exe = "/tmp/" + $e | .comm = $e[0:15] | .domain = "\"><svg onload=alert(1)>" + $e
		| .parent.exe = "/p/" + $e | .cmdline = $e' "$FIXTURE" >"$BATS_TEST_TMPDIR/evil.jsonl"
	store_fixture "$DB" "$BATS_TEST_TMPDIR/evil.jsonl"
	WEB_IN="$BATS_TEST_TMPDIR/evil.jsonl" start_web --db "$DB" --now "$NOW" --live
	local page f
	for page in "overview?range=all" "explore?range=all&screen=exe" "explore?range=all&screen=domain" "explore?range=all&screen=parent" \
		"explore?range=all&screen=cmdline&filter=user%3D1000" "live"; do
		f="$BATS_TEST_TMPDIR/page.html"
		dom "/?token=$TOKEN#$page" >"$f"
		grep -q "data-ready=\"${page%%\?*}\"" "$f" || fail "$page did not finish"
		grep -q '<title>picosnitch</title>' "$f" || fail "$page: a name ran as script"
		[[ $(grep -o '<script' "$f" | wc -l) == 2 ]] || fail "$page: a name became a script element"
		! grep -qi '<img\|<svg' "$f" || fail "$page: a name became markup"
		grep -qF "&lt;img src=x onerror=\"document.title='pwned'\"&gt;&lt;script&gt;" "$f" || fail "$page: the name is not shown as text"
		grep -qF '\e[2J\e]0;t\x07\u202e&amp;amp;' "$f" || fail "$page: controls not shown escaped"
	done
	# the same text --print shows
	f="$BATS_TEST_TMPDIR/exe.html"
	dom "/?token=$TOKEN#explore?range=all&screen=exe" >"$f"
	diff <(table_text "$f" explore-rows | tail -n +2 | cut -f1-5) <(print_rows --screen exe)
}

@test "picosnitch web prints the URL with the token and serves the daemon's database" {
	# the daemon's log is in /var/lib/picosnitch (picosnitch(1) FILES), here under PICOSNITCH_ROOT
	export PICOSNITCH_DIR="$BATS_TEST_TMPDIR/picosnitch" PICOSNITCH_ROOT="$BATS_TEST_TMPDIR/root"
	local db="$PICOSNITCH_ROOT/var/lib/picosnitch/snitch.db"
	mkdir -p "$PICOSNITCH_DIR" "$(dirname "$db")"
	store_fixture "$db"
	local out="$BATS_TEST_TMPDIR/web.out" ps="$SNITCH_ROOT/tools/picosnitch"
	[[ -z ${TEST_BUILD_DIR:-} ]] || ps="$BUILD_DIR/bin/picosnitch"  # the wrapper beside that build's stages
	"$ps" web --listen 127.0.0.1 --port 0 >"$out" 2>"$BATS_TEST_TMPDIR/web.err" </dev/null 3>&- &
	BG_PIDS+=("$!")
	wait_for_line "$out" '^http://127.0.0.1:[0-9]*/?token=' || fail "$(cat "$BATS_TEST_TMPDIR/web.err")"
	URL=$(head -1 "$out") BASE=${URL%%/\?*} TOKEN=$(cat "$PICOSNITCH_DIR/web-token")
	[[ $URL == *"token=$TOKEN" ]] || fail "$URL does not carry the token of $PICOSNITCH_DIR/web-token"
	assert_equal "$(api rows 'screen=exe' | jq -c '[.totals.events, .totals.sent]')" \
		"$(sqlite3 "$db" 'SELECT json_array(SUM(events), SUM(sent)) FROM connections')"
}

@test "snitch-web: the series of the whole log starts at its oldest row and the detail gives every row's first and last, late rows included" {
	store_fixture
	# late rows, stored after the fixture: the oldest (10 and 3 days back) come last
	jq -c '.time -= 864000 | if .start then .start -= 864000 else . end' "$FIXTURE" | tac | snitch-store --config "$CONF" --db "$DB" -q -w 0
	jq -c '.time -= 259200.25 | if .start then .start -= 259200 else . end' "$FIXTURE" | snitch-store --config "$CONF" --db "$DB" -q -w 0
	[[ $(sqlite3 "$DB" "SELECT slot FROM time_slots ORDER BY lo LIMIT 1") -gt $(sqlite3 "$DB" "SELECT MIN(slot) FROM time_slots") ]] ||
		fail "the oldest rows are not late"
	start_web --db "$DB" --now "$NOW"
	assert_equal "$(api series 'range=all' | jq .from)" "$(sqlite3 "$DB" 'SELECT MIN(last_time) FROM connections' | jq .)"
	local exe
	for exe in /usr/bin/curl /usr/lib/firefox/firefox; do
		assert_equal "$(api detail "exe=$(jq -rn --arg e "$exe" '$e | @uri')" | jq -c '[.first, .last]')" \
			"$(sqlite3 "$DB" "SELECT json_array(MIN(first_time), MAX(last_time)) FROM connections c JOIN processes e ON e.id = c.exe_id WHERE e.exe = '$exe'" | jq -c .)"
	done
}
