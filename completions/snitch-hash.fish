# fish completion for snitch-hash(1): Add the SHA-256 of each process's executable
complete -c snitch-hash -f
complete -c snitch-hash -s h -l help -d 'Print help and exit'
complete -c snitch-hash -l version -d 'Print the version and exit'
complete -c snitch-hash -s c -l config -r -F -d 'config.json to read'
complete -c snitch-hash -l max-open -x -d 'Executables kept open and cached at most'
complete -c snitch-hash -l max-size -x -d 'Larger executables get sha256_error instead of a hash'
complete -c snitch-hash -l max-seconds -x -d 'Give up hashing one executable after SECONDS'
complete -c snitch-hash -l inline-max -x -d 'Larger executables are hashed off the event loop'
complete -c snitch-hash -l no-fanotify -d 'Detect modified executables by ctime instead of fanotify'
complete -c snitch-hash -l hash-file -r -F -d 'Print the SHA-256 of FILE like sha256sum and exit'
complete -c snitch-hash -s v -l verbose -d 'Say how the cache is sized and invalidated'
complete -c snitch-hash -l check-config -d 'Check the configuration, exit 0 or 1 without starting'
