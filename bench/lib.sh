# shellcheck shell=bash
# Shell functions shared by the bench scripts and by the bats suites
# (tests/helpers.bash): the library in tests/lib, one file a concern, and what
# is left here. Sourced by bash.
for _lib in "$(dirname "${BASH_SOURCE[0]}")"/../tests/lib/*.bash; do
	# shellcheck source=/dev/null
	source "$_lib"
done
unset _lib

# Runs a command that needs the tracepoints with tracefs mounted in a mount
# namespace of its own (unshare and sh exec it: $! is its pid).
# shellcheck disable=SC2034 # used by the scripts that source this file
LIB_TRACEFS=(unshare -m sh -c 'mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing; exec "$@"' sh)

# The ids of the BPF programs process PID holds (by program or link fd).
lib_bpf_prog_ids() { # PID
	sed -n 's/^prog_id:[[:space:]]*//p' /proc/"$1"/fdinfo/* 2>/dev/null | sort -un
}

# The bench scripts that trace or make namespaces stop here unless root.
bench_needs_root() {
	[[ $EUID -eq 0 ]] || { echo "bench/${0##*/}: needs root" >&2; exit 1; }
}
