# fish completion for snitch-web(1): The connection log in a browser
complete -c snitch-web -f
complete -c snitch-web -s h -l help -d 'Print help and exit'
complete -c snitch-web -l version -d 'Print the version and exit'
complete -c snitch-web -s c -l config -r -F -d 'config.json to read'
complete -c snitch-web -s d -l db -r -F -d 'SQLite file or postgresql:// URI'
complete -c snitch-web -l listen -x -a '127.0.0.1 ::1' -d 'Address to listen on'
complete -c snitch-web -s p -l port -x -d 'TCP port (0: any free one)'
complete -c snitch-web -l token-file -r -F -d 'Access token file'
complete -c snitch-web -l assets -x -a '(__fish_complete_directories)' -d 'Directory of the page files'
complete -c snitch-web -l now -x -d 'Anchor time ranges at this epoch time'
complete -c snitch-web -l live -d 'Live view from JSON Lines on stdin'
complete -c snitch-web -l rate-window -x -d '--live: seconds the rates average over'
