# fish completion for picosnitch(1)
set -l picosnitch_commands start stop restart status run view web systemd version help
complete -c picosnitch -f
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a start -d 'Start the pipeline as a daemon'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a stop -d 'Stop the daemon, writing out events in flight'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a restart -d 'Stop, then start'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a status -d 'Running or not, pid, uptime, events, last error'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a run -d 'Run the pipeline in the foreground'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a view -d 'Browse the database with snitch-view'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a web -d 'The database in a browser with snitch-web'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a systemd -d 'Write picosnitch.service, print how to enable it'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a version -d 'Versions of the wrapper and its stages'
complete -c picosnitch -n "not __fish_seen_subcommand_from $picosnitch_commands" -a help -d 'Print the commands'
complete -c picosnitch -n "__fish_seen_subcommand_from run" -l no-restart -d 'Exit 1 when a stage dies (systemd restarts)'
# view: what snitch-view's own completion offers for the words after "view"
function __picosnitch_view
    set -l tokens (commandline -opc)
    set -e tokens[1..2]
    complete -C (string join ' ' -- snitch-view $tokens (commandline -ct))
end
complete -c picosnitch -n "__fish_seen_subcommand_from view" -a '(__picosnitch_view)'
# web: the same through snitch-web's completion
function __picosnitch_web
    set -l tokens (commandline -opc)
    set -e tokens[1..2]
    complete -C (string join ' ' -- snitch-web $tokens (commandline -ct))
end
complete -c picosnitch -n "__fish_seen_subcommand_from web" -a '(__picosnitch_web)'
