#!/bin/bash
# snitch-hash on its cache-hit path against `jq -c '.sha256="..."'` on the same
# deterministic 1M-event file in the same run (cat gives the pipe cost), and
# snitch-hash --hash-file against sha256sum on the same 256 MiB file.
# Usage: bench/hash.sh [EVENTS] [RUNS] [MIB]   (defaults 1000000 3 256)
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
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
# later one is a cache hit. Real paths: snitch-hash does not follow a
# symbolic link (/bin/sh) to stand in for an executable it cannot open.
ident() { local p; p=$(realpath "$1"); printf '1:%s:%s\n' "$(stat -c '%d:%i' "$p")" "$p"; }
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

# Sanity: every event hashed, three files read.
errors=$("$HASH" --config "$NOCONF" <"$EVENTS" | grep -c '"sha256_error"' || true)
[ "$errors" -eq 0 ] || { echo "bench/hash.sh: $errors events were not hashed" >&2; exit 1; }

cat "$EVENTS" "$BIG" >/dev/null # same page-cache state for all
JSON="$OUT/hash.json"
time_commands "$JSON" "$RUNS" \
	-n cat "cat '$EVENTS' >/dev/null" \
	-n jq "jq -c '.sha256=\"$SUM\"' <'$EVENTS' >/dev/null" \
	-n hash "'$HASH' --config '$NOCONF' <'$EVENTS' >/dev/null" \
	-n sha256sum "sha256sum '$BIG' >/dev/null" \
	-n hashfile "'$HASH' --hash-file '$BIG' >/dev/null"
[ "$("$HASH" --hash-file "$BIG" | cut -d' ' -f1)" = "$(sha256sum "$BIG" | cut -d' ' -f1)" ]

jq_t=$(timed_stat "$JSON" jq median)
sum_t=$(timed_stat "$JSON" sha256sum median)
row() { # NAME COMMAND UNITS UNIT-NAME BASELINE-SECONDS
	awk -v n="$1" -v t="$(timed_stat "$JSON" "$2" median)" -v u="$3" -v un="$4" -v b="$5" \
		'BEGIN { printf "| %s | %.3f | %.0f %s | %.2f |\n", n, t, u / t, un, b / t }'
}
{
	echo "# snitch-hash: $N events on the cache-hit path, and a $MIB MiB file; median of $RUNS runs"
	echo
	echo "commit $(git rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs, $(jq --version), $(sha256sum --version | head -1), $(hyperfine --version)"
	echo
	echo "| command | seconds | rate | speed relative to baseline |"
	echo "| --- | --- | --- | --- |"
	row "jq -c '.sha256=\"...\"' (baseline)" jq "$N" "events/s" "$jq_t"
	row "snitch-hash (cache hits: exe, parent, grandparent)" hash "$N" "events/s" "$jq_t"
	row "cat (pipe cost, for scale)" cat "$N" "events/s" "$jq_t"
	row "sha256sum (baseline)" sha256sum "$MIB" "MiB/s" "$sum_t"
	row "snitch-hash --hash-file (OpenSSL EVP)" hashfile "$MIB" "MiB/s" "$sum_t"
} | tee "$OUT/hash.md"
