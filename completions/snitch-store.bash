# bash completion for snitch-store
_snitch_store() {
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-c | --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-d | --db) COMPREPLY=($(compgen -f -W "postgresql://" -- "$cur")); return ;;
	--queue-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-w | --window | --retention-days | --host-id | --queue-bytes | --ignore) return ;;
	esac
	COMPREPLY=($(compgen -W "--config --db --window --retention-days --host-id --quiet --no-addresses
		--no-commands --ignore --queue-dir --queue-bytes --init-schema --check-config --help --version" -- "$cur"))
}
complete -F _snitch_store snitch-store
