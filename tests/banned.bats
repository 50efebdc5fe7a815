# Calls that style.md bans from lib/ and tools/; a line opts out with
# "// snitch-allow: <call>".

setup() {
	load helpers
}

@test "lib/ and tools/ use no banned calls" {
	run grep -nE '(^|[^_a-z])(system|popen|sprintf)\(|std::endl' \
		"$SNITCH_ROOT"/lib/*/*.[ch]pp "$SNITCH_ROOT"/tools/*.cpp
	local hits
	hits=$(printf '%s\n' "$output" | grep -v 'snitch-allow:' || true)
	[[ -z "$hits" ]] || fail "banned calls: $hits"
}
