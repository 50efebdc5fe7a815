# Clocks and figures for the bench scripts (and tests that time something).

now() { echo "$EPOCHREALTIME"; }

# Seconds from T0 to T1 (now's figures), with DIGITS decimals.
elapsed() { # T0 T1 [DIGITS]
	awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { printf "%.*f\n", d, b - a }'
}

# The median of the numbers on stdin, one a line; of an even count the mean of
# the middle two (what hyperfine reports).
median() {
	sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# hyperfine: RUNS runs of each command (shell strings, -n NAME before each),
# no warm-up, run one command after the other; its figures in JSON, its
# progress on stderr (bench output is Markdown on stdout).
time_commands() { # JSON RUNS [hyperfine options] [-n NAME] COMMAND...
	local json=$1 runs=$2; shift 2
	hyperfine --style basic --runs "$runs" --export-json "$json" "$@" >&2
}

# One figure (median, min, mean, ...) hyperfine measured for the command named NAME.
timed_stat() { # JSON NAME FIGURE
	jq -er --arg n "$2" ".results[] | select(.command == \$n) | .$3" "$1"
}
