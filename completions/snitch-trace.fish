# fish completion for snitch-trace(1): Report every network flow of every process as JSON Lines (eBPF)
complete -c snitch-trace -f
complete -c snitch-trace -s h -l help -d 'Print help and exit'
complete -c snitch-trace -l version -d 'Print the version and exit'
complete -c snitch-trace -s i -l interval -x -d 'Seconds of traffic each flow event covers'
complete -c snitch-trace -l exec -d 'Also emit an exec event for every process start'
complete -c snitch-trace -l hooks -x -a 'fentry tp_btf kprobe' -d 'Force one hook set'
complete -c snitch-trace -l skip-hook -x -d 'Leave out a hook, as a kernel that inlined it would'
complete -c snitch-trace -l ringbuf-bytes -x -d 'Ring buffer size for process records (power of 2)'
complete -c snitch-trace -l flow-entries -x -d 'Flow map capacity'
complete -c snitch-trace -s v -l verbose -d 'Say which hooks were tried and why they failed'
