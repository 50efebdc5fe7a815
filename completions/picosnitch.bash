# bash completion for picosnitch(1)
_picosnitch() {
	local cur=${COMP_WORDS[COMP_CWORD]} i cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done
	case $cmd in
	'')
		COMPREPLY=($(compgen -W "start stop restart status run view web systemd version help" -- "$cur"))
		;;
	run)
		COMPREPLY=($(compgen -W "--no-restart" -- "$cur"))
		;;
	view)
		# the options of snitch-view, through its own completion when loaded
		if declare -F _snitch_view >/dev/null; then
			_snitch_view
		else
			COMPREPLY=($(compgen -W "--config --db --print --screen --range --period --filter --sort --search --limit --detail --now --live --rate-window --help --version" -- "$cur"))
		fi
		;;
	web)
		if declare -F _snitch_web >/dev/null; then
			_snitch_web
		else
			COMPREPLY=($(compgen -W "--config --db --listen --port --token-file --assets --now --live --rate-window --help --version" -- "$cur"))
		fi
		;;
	*)
		COMPREPLY=()
		;;
	esac
}
complete -F _picosnitch picosnitch
