# Shell completions: bash, zsh and fish for every command, run in the real
# shells and checked against each tool's own --help.

setup() {
	load helpers
	isolate_home
	C="$SNITCH_ROOT/completions"
}

commands() {
	local t
	echo picosnitch
	for t in "$SNITCH_ROOT"/tools/snitch-*.cpp; do basename "$t" .cpp; done
}

# Every long option a tool's --help lists (CLI11 layout: "  -c,--config TEXT").
long_options() { # TOOL
	"$1" --help | sed -n 's/^ \{1,\}\(-[a-zA-Z],\)\{0,1\}--\([a-z][a-z-]*\).*/\2/p'
}

require_shell() { # NAME
	command -v "$1" >/dev/null || skip_or_fail "$1 is not installed (make deps)"
}

# COMPREPLY of the bash completion of a command line (the last word is completed).
bash_complete() { # FILE... -- WORDS...
	local files=()
	while [[ $1 != -- ]]; do files+=("$1"); shift; done
	shift
	bash -c '
		for f in "${@:2:$1}"; do source "$f"; done
		shift $(($1 + 1))
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		spec=$(complete -p "$1"); fn=${spec##*-F }; fn=${fn%% *}
		"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "${#files[@]}" "${files[@]}" "$@"
}

fish_complete() { # LINE (completion files are sourced first)
	local f src=""
	for f in "$C"/*.fish; do src+="source '$f'; "; done
	fish --no-config -c "$src complete -C '$1'" | cut -f1
}

# The bash completions of the snitch-* tools belong to their tools; the zsh
# and fish ones, and picosnitch's three, are here.
@test "every command has zsh and fish completions, picosnitch has bash's too" {
	local cmd
	for cmd in $(commands); do
		[[ -f "$C/_$cmd" ]] || fail "no completions/_$cmd"
		[[ -f "$C/$cmd.fish" ]] || fail "no completions/$cmd.fish"
	done
	[[ -f "$C/picosnitch.bash" ]] || fail "no completions/picosnitch.bash"
}

@test "zsh and fish completions offer every option of each tool's --help" {
	local cmd opt values v
	for cmd in $(commands); do
		[[ $cmd == picosnitch ]] && continue
		command -v "$cmd" >/dev/null || fail "$cmd is not built"
		run -0 long_options "$cmd"
		[[ -n $output ]] || fail "no options parsed from $cmd --help"
		for opt in $output; do
			grep -qE -- "--$opt([^a-z-]|$)" "$C/_$cmd" || fail "_$cmd lacks --$opt"
			grep -qE -- "-l $opt( |$)" "$C/$cmd.fish" || fail "$cmd.fish lacks --$opt"
		done
		# a fixed set of values (CLI11 prints "--hooks TEXT:{a,b}") is offered whole
		while read -r opt values; do
			for v in ${values//,/ }; do
				grep -E -- "--$opt=" "$C/_$cmd" | grep -qw -- "$v" || fail "_$cmd: --$opt lacks $v"
				grep -E -- "-l $opt " "$C/$cmd.fish" | grep -qw -- "$v" || fail "$cmd.fish: --$opt lacks $v"
			done
		done < <("$cmd" --help | sed -n 's/^ \{1,\}\(-[a-zA-Z],\)\{0,1\}--\([a-z-]*\) [A-Z]*:{\([^}]*\)}.*/\2 \3/p')
	done
}

@test "zsh: every completion parses and compinit binds it to its command" {
	require_shell zsh
	local cmd
	for cmd in $(commands); do
		run -0 zsh -n "$C/_$cmd"
		run -0 zsh -f -c "fpath=('$C' \$fpath); autoload -U compinit; compinit -u -D -d '$BATS_TEST_TMPDIR/zcd'; print -r -- \${_comps[$cmd]}"
		assert_output "_$cmd"
	done
}

# What zsh lists for LINE<TAB> in an interactive zsh in a pseudo-terminal
# (zsh/zpty), read until PATTERN shows up.
zsh_complete() { # LINE PATTERN
	timeout 60 zsh -f -c '
		zmodload zsh/zpty
		zpty z zsh -f -i
		zpty -w z "PS1=\"> \"; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D -d ${(q)2}"
		zpty -w z "print READY"
		zpty -r z line "*READY*"
		zpty -w z "$3"$'"'"'\t'"'"'
		zpty -r z out "*$4*"
		zpty -d z
		print -r -- "$out"
	' _ "$C" "$BATS_TEST_TMPDIR/zcd" "$1" "$2" 3>&-
}

@test "zsh: picosnitch completes its commands in a real zsh" {
	require_shell zsh
	run -0 zsh_complete "picosnitch sta" "running or not"
	assert_output --partial "start   -- start the pipeline as a daemon"
	assert_output --partial "status  -- running or not"
}

@test "zsh: option values of the snitch tools in a real zsh" {
	require_shell zsh
	run -0 zsh_complete "snitch-trace --hooks " "tp_btf"
	assert_output --partial "fentry"
	run -0 zsh_complete "snitch-store --no-" "Store no command lines"
	assert_output --partial "--no-addresses  -- Store no addresses or domains"
}

@test "fish: picosnitch commands, run's option, view's options through snitch-view" {
	require_shell fish
	run -0 fish_complete "picosnitch st"
	assert_line start
	assert_line status
	assert_line stop
	refute_line restart
	run -0 fish_complete "picosnitch run --"
	assert_line --no-restart
	run -0 fish_complete "picosnitch view --sc"
	assert_line --screen
	run -0 fish_complete "picosnitch view --sort n"
	assert_line name
}

@test "fish: option values of the snitch tools" {
	require_shell fish
	run -0 fish_complete "snitch-trace --ho"
	assert_line --hooks
	run -0 fish_complete "snitch-trace --hooks "
	assert_line fentry
	assert_line tp_btf
	assert_line kprobe
	run -0 fish_complete "snitch-store --no-"
	assert_line --no-addresses
	assert_line --no-commands
	mkdir -p "$BATS_TEST_TMPDIR/d/sub dir"
	touch "$BATS_TEST_TMPDIR/d/conf.json"
	cd "$BATS_TEST_TMPDIR/d"
	run -0 fish_complete "snitch-hash --config co"
	assert_line conf.json
	run -0 fish_complete "snitch-notify --dir su"
	assert_line "sub dir/"
}

@test "bash: picosnitch completes commands, run's option and view's options" {
	run -0 bash_complete "$C/picosnitch.bash" -- picosnitch st
	assert_line start
	assert_line status
	assert_line stop
	refute_line restart
	run -0 bash_complete "$C/picosnitch.bash" -- picosnitch run --
	assert_output --no-restart
	run -0 bash_complete "$C/picosnitch.bash" -- picosnitch status ""
	assert_output ""
	# with snitch-view's completion loaded, view delegates to it
	run -0 bash_complete "$C/snitch-view.bash" "$C/picosnitch.bash" -- picosnitch view --screen e
	assert_line exe
	run -0 bash_complete "$C/picosnitch.bash" -- picosnitch view --ra
	assert_line --range
}
