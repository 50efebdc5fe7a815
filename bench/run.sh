#!/bin/sh
# `sudo make bench`: runs every benchmark and writes bench/RESULTS.md.
set -e
cd "$(dirname "$0")/.."
# the tools just built, not an installed copy
export SNITCH_TRACE="$PWD/.output/bin/snitch-trace"
out=bench/RESULTS.md
{
	echo "# Benchmark results"
	echo
	echo "Written by \`sudo make bench\` (bench/run.sh). Every figure is a ratio against a reference measured in the same run."
	for b in bench/trace-overhead.sh bench/trace-cost.sh bench/trace-coverage.sh bench/matrix.sh bench/hash.sh bench/store.sh bench/view.sh bench/notify.sh bench/vt.sh; do
		[ -x "$b" ] || continue
		echo
		"$b"
	done
} >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
