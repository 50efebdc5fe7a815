#!/bin/bash
# snitch-vt pass-through cost: on the same deterministic file of flow events
# (every one with a sha256, 16 distinct hashes), in one run: cat (the pipe
# cost), jq -c . (a JSON parse and print of every line), snitch-vt without a
# key (pass-through only) and snitch-vt with a key whose hashes are all in its
# cache (the steady state: parse, look up, no request).
# Usage: bench/vt.sh [EVENTS] [RUNS]   (defaults 200000 5)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
N=${1:-200000}
RUNS=${2:-5}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-vt >/dev/null
VT=.output/bin/snitch-vt
EVENTS="$OUT/vt-events-$N.jsonl"
if [ ! -s "$EVENTS" ]; then
	python3 - "$N" >"$EVENTS.tmp" <<'PY'
import hashlib, json, random, sys
r = random.Random(42)
shas = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(16)]
for i in range(int(sys.argv[1])):
    k = r.randrange(16)
    print(json.dumps({"type": "flow", "time": 1.7e9 + i, "start": 1.7e9, "pid": 1000 + k, "ppid": 1, "uid": 1000,
        "comm": f"app{k}", "exe": f"/usr/bin/app{k}", "cmdline": f"app{k} --flag", "dev": 2049, "ino": 100 + k,
        "family": "ipv4", "proto": "tcp", "laddr": "10.0.0.2", "lport": r.randrange(1024, 65535),
        "raddr": "93.184.216.34", "rport": 443, "domain": "example.com", "sent": r.randrange(10**6),
        "recv": r.randrange(10**6), "events": 3, "sha256": shas[k],
        "parent": {"pid": 1, "comm": "systemd", "exe": "/usr/lib/systemd/systemd", "sha256": shas[0]}},
        separators=(",", ":")))
PY
	mv "$EVENTS.tmp" "$EVENTS"
fi
CACHE="$OUT/vt-bench-cache.db"
rm -f "$CACHE"
python3 - "$CACHE" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE vt_verdict (sha256 TEXT PRIMARY KEY, asked REAL NOT NULL, event TEXT NOT NULL)")
for i in range(16):
    db.execute("INSERT INTO vt_verdict VALUES (?, 0, '{}')", (hashlib.sha256(str(i).encode()).hexdigest(),))
db.commit()
PY
NOCONF="$OUT/no-such-config.json"
export PICOSNITCH_DIR="$OUT/vt-bench-dir"

# Sanity: both snitch-vt runs pass every line and make no request (port 1 refuses).
cached="VT_API_KEY=bench '$VT' --config '$NOCONF' --cache '$CACHE' --api-url http://127.0.0.1:1 --max-attempts 1 <'$EVENTS'"
[ "$(sh -c "$cached" 2>/dev/null | wc -l)" -eq "$N" ] || { echo "bench/vt.sh: cached run did not pass $N lines through" >&2; exit 1; }
[ "$("$VT" --config "$NOCONF" <"$EVENTS" 2>/dev/null | wc -l)" -eq "$N" ]

JSON="$OUT/vt.json"
time_commands "$JSON" "$RUNS" \
	-n cat "cat '$EVENTS' >/dev/null" \
	-n jq "jq -c . <'$EVENTS' >/dev/null" \
	-n nokey "'$VT' --config '$NOCONF' <'$EVENTS' >/dev/null 2>&1" \
	-n cached "$cached >/dev/null 2>&1"
jq_t=$(timed_stat "$JSON" jq median)
{
	echo "## snitch-vt pass-through ($N flow events, median of $RUNS runs, $(git rev-parse --short HEAD), Linux $(uname -r))"
	echo
	echo "| command | seconds | events/s | relative to jq -c . |"
	echo "| --- | --- | --- | --- |"
	for k in cat jq nokey cached; do
		t=$(timed_stat "$JSON" "$k" median)
		case $k in
		cat) name="cat (pipe cost)" ;;
		jq) name="jq -c ." ;;
		nokey) name="snitch-vt, no key (pass-through)" ;;
		cached) name="snitch-vt, key, all hashes cached" ;;
		esac
		awk -v n="$name" -v t="$t" -v j="$jq_t" -v e="$N" 'BEGIN { printf "| %s | %.3f | %.0f | %.2f |\n", n, t, e / t, t / j }'
	done
} | tee "$OUT/vt.md"
