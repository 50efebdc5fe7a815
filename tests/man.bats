# Every man page renders without groff warnings; every tool has one.

setup() {
	load helpers
}

@test "every man page renders without warnings" {
	local page
	for page in "$SNITCH_ROOT"/man/*.[1-8]; do
		run --separate-stderr env MANWIDTH=80 man --warnings -l "$page"
		assert_success
		[[ -z "$stderr" ]] || fail "$page: $stderr"
		[[ -n "$output" ]] || fail "$page rendered empty"
	done
}

@test "every tool has a man page" {
	local tool
	for tool in "$SNITCH_ROOT"/tools/snitch-*.cpp; do
		tool=$(basename "$tool" .cpp)
		[[ -f "$SNITCH_ROOT/man/$tool.1" ]] || fail "no man/$tool.1"
	done
}
