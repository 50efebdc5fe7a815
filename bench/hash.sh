#!/bin/sh
# snitch-hash on its cache-hit path against `jq -c '.sha256="..."'` on the same
# deterministic 1M-event file in the same run (cat gives the pipe cost), and
# snitch-hash --hash-file against sha256sum on the same 256 MiB file.
# Usage: sh bench/hash.sh [EVENTS] [RUNS] [MIB]   (defaults 1000000 3 256)
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
MIB=${3:-256}
OUT=.output/bench
mkdir -p "$OUT"
make --no-print-directory .output/bin/snitch-hash >/dev/null
HASH=.output/bin/snitch-hash
NOCONF="$OUT/no-such-config.json"

# Processes named by executables that stay put: pid 1 is not them, so the
# first lookup of each falls back to the path (same dev and ino), and every
# later one is a cache hit.
ident() { printf '1:%s:%s\n' "$(stat -L -c '%d:%i' "$1")" "$1"; }
set -- "$(ident /bin/sh)" "$(ident /usr/bin/env)" "$(ident /usr/bin/sleep)"
tag=$(printf '%s\n' "$@" | sha256sum | cut -c1-12)
EVENTS="$OUT/hash-events-$N-$tag.jsonl"
if [ ! -s "$EVENTS" ]; then
	python3 bench/gen-hash-events.py "$N" 42 "$@" >"$EVENTS.tmp"
	mv "$EVENTS.tmp" "$EVENTS"
fi
BIG="$OUT/hash-$MIB-MiB.bin"
if [ ! -s "$BIG" ]; then
	python3 -c "import random, sys
r = random.Random(42)
for _ in range($MIB): sys.stdout.buffer.write(r.randbytes(1 << 20))" >"$BIG.tmp"
	mv "$BIG.tmp" "$BIG"
fi
SUM=$(sha256sum /bin/sh | cut -d' ' -f1)

now() { date +%s.%N; }
timed() { # CMD (a shell string); prints seconds
	t0=$(now); sh -c "$1"; t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Sanity: every event hashed, three files read.
errors=$("$HASH" --config "$NOCONF" <"$EVENTS" | grep -c '"sha256_error"' || true)
[ "$errors" -eq 0 ] || { echo "bench/hash.sh: $errors events were not hashed" >&2; exit 1; }

for k in cat jq hash sha256sum hashfile; do : >"$OUT/hash-$k.times"; done
cat "$EVENTS" "$BIG" >/dev/null # same page-cache state for all
i=0
while [ "$i" -lt "$RUNS" ]; do
	timed "cat '$EVENTS' >/dev/null" >>"$OUT/hash-cat.times"
	timed "jq -c '.sha256=\"$SUM\"' <'$EVENTS' >/dev/null" >>"$OUT/hash-jq.times"
	timed "'$HASH' --config '$NOCONF' <'$EVENTS' >/dev/null" >>"$OUT/hash-hash.times"
	timed "sha256sum '$BIG' >/dev/null" >>"$OUT/hash-sha256sum.times"
	timed "'$HASH' --hash-file '$BIG' >/dev/null" >>"$OUT/hash-hashfile.times"
	i=$((i + 1))
done
[ "$("$HASH" --hash-file "$BIG" | cut -d' ' -f1)" = "$(sha256sum "$BIG" | cut -d' ' -f1)" ]

jq_t=$(median <"$OUT/hash-jq.times")
sum_t=$(median <"$OUT/hash-sha256sum.times")
row() { # NAME TIMES-FILE UNITS UNIT-NAME BASELINE-SECONDS
	awk -v n="$1" -v t="$(median <"$2")" -v u="$3" -v un="$4" -v b="$5" \
		'BEGIN { printf "| %s | %.3f | %.0f %s | %.2f |\n", n, t, u / t, un, b / t }'
}
{
	echo "# snitch-hash: $N events on the cache-hit path, and a $MIB MiB file; median of $RUNS runs"
	echo
	echo "commit $(git rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs, $(jq --version), $(sha256sum --version | head -1)"
	echo
	echo "| command | seconds | rate | speed relative to baseline |"
	echo "| --- | --- | --- | --- |"
	row "jq -c '.sha256=\"...\"' (baseline)" "$OUT/hash-jq.times" "$N" "events/s" "$jq_t"
	row "snitch-hash (cache hits: exe, parent, grandparent)" "$OUT/hash-hash.times" "$N" "events/s" "$jq_t"
	row "cat (pipe cost, for scale)" "$OUT/hash-cat.times" "$N" "events/s" "$jq_t"
	row "sha256sum (baseline)" "$OUT/hash-sha256sum.times" "$MIB" "MiB/s" "$sum_t"
	row "snitch-hash --hash-file (OpenSSL EVP)" "$OUT/hash-hashfile.times" "$MIB" "MiB/s" "$sum_t"
} | tee "$OUT/hash.md"
