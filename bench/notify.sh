#!/bin/bash
# snitch-notify's pass-through cost: N flow events (snitch-hash style, 500
# distinct executables, fixed seed) through cat, jq -c . and snitch-notify
# --print (fresh picosnitch directory each run), all in the same run.
# Usage: bench/notify.sh [EVENTS] [RUNS]   (defaults 1000000 3)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
N=${1:-1000000}
RUNS=${2:-3}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-notify >/dev/null
NOTIFY=.output/bin/snitch-notify
EVENTS="$OUT/notify-events-$N.jsonl"
if [ ! -s "$EVENTS" ]; then
	python3 - "$N" >"$EVENTS.tmp" <<'PY'
import hashlib, json, random, sys
r = random.Random(42)
n = int(sys.argv[1])
for i in range(n):
    k = r.randrange(500)
    e = {"type": "flow", "time": 1700000000 + i / 1000, "start": 1700000000.0, "pid": 1000 + k,
         "ppid": 1, "uid": 1000, "comm": f"prog{k}", "exe": f"/opt/bench/prog{k}", "cmdline": f"prog{k} --x",
         "dev": 2049, "ino": 100 + k, "sha256": hashlib.sha256(str(k).encode()).hexdigest(),
         "parent": {"pid": 1, "comm": "systemd", "exe": "/usr/lib/systemd/systemd", "dev": 2049, "ino": 7,
                    "cmdline": "/sbin/init", "sha256": hashlib.sha256(b"init").hexdigest()},
         "netns": 4026531840, "cgroup": "/user.slice", "family": "ipv4", "proto": "tcp",
         "laddr": "10.0.0.2", "lport": 40000 + k, "raddr": "93.184.216.34", "rport": 443,
         "domain": "example.com", "sent": r.randrange(1 << 20), "recv": r.randrange(1 << 20), "events": 3}
    print(json.dumps(e, separators=(",", ":")))
PY
	mv "$EVENTS.tmp" "$EVENTS"
fi

DIR="$OUT/notify-dir"
JSON="$OUT/notify.json"
time_commands "$JSON" "$RUNS" \
	-n cat "cat '$EVENTS' >/dev/null" \
	-n jq "jq -c . '$EVENTS' >/dev/null" \
	-n notify "rm -rf '$DIR'; '$NOTIFY' --print --dir '$DIR' <'$EVENTS' >/dev/null"
t_cat=$(timed_stat "$JSON" cat min)
t_jq=$(timed_stat "$JSON" jq min)
t_notify=$(timed_stat "$JSON" notify min)
{
	echo "snitch-notify, $N events, best of $RUNS, commit $(git rev-parse --short HEAD), kernel $(uname -r)"
	echo
	echo "| command | seconds | events/s | relative to jq -c . |"
	echo "| --- | ---: | ---: | ---: |"
	for row in "cat:$t_cat" "jq -c .:$t_jq" "snitch-notify --print:$t_notify"; do
		name=${row%%:*} t=${row##*:}
		awk -v n="$name" -v t="$t" -v j="$t_jq" -v N="$N" 'BEGIN { printf "| %s | %.3f | %.0f | %.2f |\n", n, t, N / t, t / j }'
	done
} | tee "$OUT/notify.md"
