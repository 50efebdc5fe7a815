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


# snitch-trace ARGS | CONSUMER through a FIFO, each in the background with a
# pid of its own ($TRACE_PID, $PIPE_PID); CONSUMER (a command or function)
# reads the events on stdin and may write to $PIPE_OUT. snitch-trace's
# stderr is $TRACE_ERR. Bats only.
start_pipeline() { # CONSUMER [snitch-trace args...]
	require_ebpf
	local consumer=$1 fifo; shift
	PIPE_RUN=$((${PIPE_RUN:-0} + 1))
	fifo="$BATS_TEST_TMPDIR/pipe$PIPE_RUN"
	PIPE_OUT="$fifo.jsonl" TRACE_ERR="$BATS_TEST_TMPDIR/trace$PIPE_RUN.err"
	mkfifo "$fifo"
	"$consumer" <"$fifo" 3>&- &
	PIPE_PID=$!
	BG_PIDS+=("$PIPE_PID")
	launch_trace "$fifo" "$TRACE_ERR" "$@"
}

# snitch-trace stopped; the consumer ends at the end of its input. Fails the
# test, with every stage's stderr, unless both exit 0.
stop_pipeline() {
	stop_trace || fail "snitch-trace exited $?: $(cat "$TRACE_ERR")"
	wait "$PIPE_PID" || fail "the pipeline exited $?: $(cat "$BATS_TEST_TMPDIR"/*.err)"
}
