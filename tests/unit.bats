# Unit tests of lib/ pieces (tests/unit/*.cpp): each binary checks one
# module's logic without the kernel and prints what did not hold.

setup() {
	load helpers
}

@test "the flow collector credits, diffs and reclaims flows as the kernel's counters say" {
	run "$BUILD_DIR/tests/unit/flow_collector"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "exec and flow events name a process with the same keys in the same order" {
	run "$BUILD_DIR/tests/unit/event"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}
