setup_suite() {
	# Inherited settings must not change what the tests see.
	for v in $(env | sed -n 's/^\(SNITCH_[A-Z_]*\)=.*/\1/p; s/^\(PICOSNITCH_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
	[[ -x "$BATS_TEST_DIRNAME/../.output/bin/snitch-trace" ]] || { echo "run make first" >&2; return 1; }
}
