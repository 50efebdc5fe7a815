# fish completion for snitch-notify(1): Pass events on, keep summary.json, notify the desktop
complete -c snitch-notify -f
complete -c snitch-notify -s h -l help -d 'Print help and exit'
complete -c snitch-notify -l version -d 'Print the version and exit'
complete -c snitch-notify -s d -l dir -x -a '(__fish_complete_directories)' -d 'picosnitch directory for summary.json and config.json'
complete -c snitch-notify -l config -r -F -d 'config.json to read'
complete -c snitch-notify -s u -l user -x -a '(__fish_complete_users)' -d 'Desktop user whose session bus gets the notifications'
complete -c snitch-notify -l print -d 'Write notifications to stdout as notice events'
complete -c snitch-notify -l notices -r -F -d 'Append notifications to FILE as notice events'
complete -c snitch-notify -l listen -r -F -d 'Follow FILE written by --notices and deliver to this user bus'
complete -c snitch-notify -l window -x -d 'Seconds a burst is gathered into one notification'
complete -c snitch-notify -l error-interval -x -d 'At most one error notification per this many seconds'
complete -c snitch-notify -l check-config -d 'Check the configuration, exit 0 or 1 without starting'
