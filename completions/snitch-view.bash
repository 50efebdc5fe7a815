# bash completion for snitch-view(1)
_snitch_view() {
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	-c | --config | -d | --db)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--screen)
		COMPREPLY=($(compgen -W "exe name sha256 parent domain ip port user time cmdline new conn" -- "$cur"))
		return
		;;
	--range)
		COMPREPLY=($(compgen -W "all 1m 3m 5m 10m 15m 30m 1h 3h 6h 12h 1d 3d 7d 30d 365d" -- "$cur"))
		return
		;;
	--format)
		COMPREPLY=($(compgen -W "table csv json jsonl" -- "$cur"))
		return
		;;
	--sort)
		COMPREPLY=($(compgen -W "sent received events name last" -- "$cur"))
		return
		;;
	--filter)
		COMPREPLY=($(compgen -W "exe= name= sha256= parent= domain= ip= port= user= time= cmdline=" -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
		;;
	--detail)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--period | --search | --limit | --now | --rate-window)
		return
		;;
	esac
	COMPREPLY=($(compgen -W "--config --db --print --screen --range --period --filter --sort --search --format --limit --detail --now --live --rate-window --help --version" -- "$cur"))
}
complete -o filenames -F _snitch_view snitch-view
