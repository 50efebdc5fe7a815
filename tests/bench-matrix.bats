# The short form of bench/matrix.sh (one trial, small byte counts): a
# regression in any scenario of the detection and bandwidth matrix fails the
# build. The full form, with the peers and several trials, is `make bench`.

setup() {
	load helpers
	isolate_home
	require_ebpf
	command -v nft >/dev/null || skip_or_fail "nft is not installed (Debian package nftables)"
	MATRIX_OUT="$BATS_TEST_TMPDIR/matrix"
	export MATRIX_OUT NETGEN
	export MATRIX_NET=$(( (BATS_SUITE_TEST_NUMBER % 10) + 241 ))
}

@test "matrix, short form: snitch-trace is PASS on detection and bandwidth in every scenario the kernel has" {
	run "$SNITCH_ROOT/bench/matrix.sh" --trials 1 --small --tools snitch-trace --check
	assert_success
	# 24 scored rows in each grid; N/A only where the kernel lacks the protocol, with the reason
	run grep -cE '^\| s[0-9]{2} ' "$MATRIX_OUT/matrix.md"
	assert_output 48
	run awk -F'\t' '$1 == "snitch-trace" { print $2, $4, $5 }' "$MATRIX_OUT/verdicts.tsv"
	assert_equal "${#lines[@]}" 24
	local l
	for l in "${lines[@]}"; do
		[[ $l == *" PASS PASS" || $l == "s08 N/A N/A" ]] || fail "not PASS/PASS: $l"
	done
	if [[ "${lines[7]}" == "s08 N/A N/A" ]]; then
		run grep -F 's08, every tool: N/A, this kernel has no SCTP' "$MATRIX_OUT/matrix.md"
		assert_success
	fi
	# the reference is real traffic: the generators' counts and the wire agree in size
	run awk -F'\t' '$1 == "ok" && ($3 == 0 || $4 < $3 / 2) { print FILENAME }' "$MATRIX_OUT"/t1/s*/ref
	assert_output ""
}

@test "matrix: a peer that cannot start is reported with its error, never scored as zeros" {
	mkdir -p "$BATS_TEST_TMPDIR/fake"
	printf '#!/bin/sh\necho "tcplife: failed to attach BPF object: -2" >&2\nexit 1\n' >"$BATS_TEST_TMPDIR/fake/tcplife"
	chmod +x "$BATS_TEST_TMPDIR/fake/tcplife"
	PATH="$BATS_TEST_TMPDIR/fake:$PATH" run "$SNITCH_ROOT/bench/matrix.sh" --trials 1 --small \
		--tools "snitch-trace tcplife" --scenarios "s01 s04" --check
	assert_success
	assert_line "| s01 TCP bulk download | PASS | ERROR |"
	assert_line --partial "**tcplife could not start** (trial 1): tcplife: failed to attach BPF object: -2 (exited)"
	refute_line --partial "tcplife, s01"
}
