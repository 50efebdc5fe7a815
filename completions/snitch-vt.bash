# bash completion for snitch-vt(1)
_snitch_vt() {
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-c | --config | --cache | --cacert)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--api-url | --request-limit | --max-attempts | --max-backoff | --drain-seconds)
		return
		;;
	esac
	COMPREPLY=($(compgen -W "--config --cache --api-url --cacert --request-limit --upload --max-attempts --max-backoff --drain-seconds --check-config --help --version" -- "$cur"))
}
complete -o filenames -F _snitch_vt snitch-vt
