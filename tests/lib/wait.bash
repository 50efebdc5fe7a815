# Waiting for a background process to say something.

# Until FILE has a line matching PATTERN (grep), at most SECONDS (10); on
# timeout FILE goes to stderr and it returns 1.
wait_for_line() { # FILE PATTERN [SECONDS]
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}
