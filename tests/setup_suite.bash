setup_suite() {
	# Inherited settings must not change what the tests see.
	for v in $(env | sed -n 's/^\(SNITCH_[A-Z_]*\)=.*/\1/p; s/^\(PICOSNITCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
	local build=${TEST_BUILD_DIR:-.output}
	[[ $build == /* ]] || build="$BATS_TEST_DIRNAME/../$build"
	[[ -x "$build/bin/snitch-trace" ]] || { echo "run make first ($build/bin/snitch-trace)" >&2; return 1; }
}
