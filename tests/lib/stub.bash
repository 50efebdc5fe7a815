# tests/vt_stub.py, the loopback stand-in for the VirusTotal v3 API (bats only).

# The stub in the background, its log in $BATS_TEST_TMPDIR/stub.log; $API is
# its base URL. It accepts the key $STUB_KEY (test-key); a "hold" answer goes
# out once $BATS_TEST_TMPDIR/release exists. ARGS go to vt_stub.py.
start_stub() { # [ARGS...]
	local dir=$BATS_TEST_TMPDIR
	serve_local "$dir/stub.out" python3 "$SNITCH_ROOT/tests/vt_stub.py" \
		--log "$dir/stub.log" --key "${STUB_KEY:-test-key}" --release "$dir/release" "$@"
	API="http://127.0.0.1:$(sed -n 's/^listening //p' "$dir/stub.out")"
}
