# bash completion for snitch-hash(1)
_snitch_hash() {
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-c | --config | --hash-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--max-open | --max-size | --max-seconds | --inline-max)
		return
		;;
	esac
	COMPREPLY=($(compgen -W "--config --max-open --max-size --max-seconds --inline-max --no-fanotify --hash-file --verbose --check-config --help --version" -- "$cur"))
}
complete -o filenames -F _snitch_hash snitch-hash
