# bash completion for snitch-web(1)
_snitch_web() {
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-c | --config | -d | --db | --token-file)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--assets)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--listen)
		COMPREPLY=($(compgen -W "127.0.0.1 ::1" -- "$cur"))
		return
		;;
	-p | --port | --now | --rate-window)
		return
		;;
	esac
	COMPREPLY=($(compgen -W "--config --db --listen --port --token-file --assets --now --live --rate-window --help --version" -- "$cur"))
}
complete -o filenames -F _snitch_web snitch-web
