setup_suite() {
	# Inherited settings must not change what the tests see; SNITCH_TRACE_HOOKS
	# is the one meant to (the hook set snitch-trace is forced to, tests/lib/trace.bash).
	for v in $(env | sed -n 's/^\(SNITCH_[A-Z_]*\)=.*/\1/p; s/^\(PICOSNITCH_[A-Z_]*\)=.*/\1/p'); do
		[[ $v == SNITCH_TRACE_HOOKS ]] || unset "$v"
	done
	local build=${TEST_BUILD_DIR:-.output}
	[[ $build == /* ]] || build="$BATS_TEST_DIRNAME/../$build"
	[[ -x "$build/bin/snitch-trace" ]] || { echo "run make first ($build/bin/snitch-trace)" >&2; return 1; }
}
