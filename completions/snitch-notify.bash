# bash completion for snitch-notify(1)
_snitch_notify() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-d | --dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
	--config | --notices | --listen) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
	-u | --user) mapfile -t COMPREPLY < <(compgen -u -- "$cur"); return ;;
	--window | --error-interval) return ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "--dir --config --user --print --notices --listen --window --error-interval --check-config --help --version" -- "$cur")
}
complete -o filenames -F _snitch_notify snitch-notify
