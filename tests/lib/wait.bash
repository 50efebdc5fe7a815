# Waiting for a background process to say or do something: the one polling
# loop of the suites and the bench scripts. On timeout each wait says on stderr
# what it waited for and returns 1 (under bats that fails the test).

# Until COMMAND... succeeds, at most SECONDS (whole seconds), every 0.05 s.
wait_until() { # SECONDS COMMAND...
	local i n=$(($1 * 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# Until FILE has a line matching PATTERN (grep), at most SECONDS (10); on
# timeout FILE goes to stderr.
wait_for_line() { # FILE PATTERN [SECONDS]
	wait_until "${3:-10}" grep -q -- "$2" "$1" 2>/dev/null && return 0
	echo "timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# Until FILE has N lines or more, at most SECONDS (10).
wait_for_lines() { # FILE N [SECONDS]
	wait_until "${3:-10}" has_lines "$1" "$2" && return 0
	echo "timed out waiting for $2 lines in $1:" >&2
	cat "$1" >&2
	return 1
}

# Until COMMAND... prints WANT (its stderr dropped), at most SECONDS; on
# timeout it says what the command printed last.
wait_for_output() { # SECONDS WANT COMMAND...
	local seconds=$1
	shift
	WAIT_GOT=
	wait_until "$seconds" output_is "$@" && return 0
	echo "timed out waiting for '$1' from ${*:2}: last got '$WAIT_GOT'" >&2
	return 1
}

has_lines() { # FILE N
	[[ $(wc -l <"$1" 2>/dev/null) -ge $2 ]]
}

# Whether COMMAND... prints WANT; what it printed is left in WAIT_GOT.
output_is() { # WANT COMMAND...
	WAIT_GOT=$("${@:2}" 2>/dev/null) && [[ $WAIT_GOT == "$1" ]]
}
