# Starting and stopping snitch-trace, alone or at the head of a pipeline.

# How tests and bench start snitch-trace: $SNITCH_TRACE (else the one on PATH)
# with ARGS, and with --hooks $SNITCH_TRACE_HOOKS when that is set and ARGS
# force no set of their own (the VM lab runs each suite once per hook set).
# Sets the array TRACE_CMD; run it as "${TRACE_CMD[@]}" (then $! is its pid).
trace_command() { # ARGS...
	TRACE_CMD=("${SNITCH_TRACE:-snitch-trace}")
	local a forced=0
	for a in "$@"; do [[ $a == --hooks || $a == --hooks=* ]] && forced=1; done
	if [[ -n "${SNITCH_TRACE_HOOKS:-}" && $forced -eq 0 ]]; then
		TRACE_CMD+=(--hooks "$SNITCH_TRACE_HOOKS")
	fi
	TRACE_CMD+=("$@")
}

# snitch-trace ARGS in the background, events to OUT, stderr to ERR, waited
# for until it is ready; $TRACE_PID, also in BG_PIDS.
launch_trace() { # OUT ERR [ARGS...]
	local out=$1 err=$2; shift 2
	trace_command "$@"
	"${TRACE_CMD[@]}" >"$out" 2>"$err" 3>&- &
	TRACE_PID=$!
	BG_PIDS+=("$TRACE_PID")
	wait_for_line "$err" ready 30
}

# SIGTERM: snitch-trace reports the last interval and exits 0; returns its status.
stop_trace() {
	[[ -n "${TRACE_PID:-}" ]] || return 0
	local pid=$TRACE_PID
	TRACE_PID=
	kill -TERM "$pid"
	wait "$pid"
}

