# fish completion for snitch-vt(1): Add VirusTotal verdicts for every executable hash
complete -c snitch-vt -f
complete -c snitch-vt -s h -l help -d 'Print help and exit'
complete -c snitch-vt -l version -d 'Print the version and exit'
complete -c snitch-vt -s c -l config -r -F -d 'picosnitch config.json'
complete -c snitch-vt -l cache -r -F -d 'SQLite file of verdicts and queue'
complete -c snitch-vt -l api-url -x -d 'VirusTotal API base URL'
complete -c snitch-vt -l cacert -r -F -d 'CA certificates to trust for the API (PEM file)'
complete -c snitch-vt -l request-limit -x -d 'Seconds between requests'
complete -c snitch-vt -l upload -d 'Upload unknown executables'
complete -c snitch-vt -l max-attempts -x -d 'Failed requests per hash before it is given up'
complete -c snitch-vt -l max-backoff -x -d 'Longest wait after repeated failures (seconds)'
complete -c snitch-vt -l drain-seconds -x -d 'At end of input, wait this long for answers'
complete -c snitch-vt -l check-config -d 'Check the configuration, exit 0 or 1 without starting'
