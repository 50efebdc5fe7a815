# bash completion for snitch-trace
_snitch_trace() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--hooks) mapfile -t COMPREPLY < <(compgen -W "fentry tp_btf kprobe" -- "$cur"); return ;;
	-i|--interval|--ringbuf-bytes|--flow-entries) return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "--interval --exec --hooks --skip-hook --ringbuf-bytes --flow-entries --verbose --help --version" -- "$cur")
}
complete -F _snitch_trace snitch-trace
