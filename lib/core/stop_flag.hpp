#pragma once
#include <csignal>
#include <pthread.h>
#include <system_error>

namespace snitch {

// Installs SIGINT/SIGTERM handlers without SA_RESTART, so a blocking read or poll
// returns EINTR and the loop can finish its batch; SIGPIPE is ignored so that a
// closed reader surfaces as EPIPE from write(2). Throws std::system_error if
// the kernel refuses.
void install_stop_handlers();
bool stop_requested();

// Runs `fn` with SIGINT, SIGTERM and SIGPIPE blocked, so that the thread it
// starts inherits a mask that leaves those signals to the main thread.
template <class Fn> void with_signals_blocked(Fn fn)
{
	sigset_t block, old;
	sigemptyset(&block);
	for (int s : {SIGINT, SIGTERM, SIGPIPE})
		sigaddset(&block, s);
	if (int rc = pthread_sigmask(SIG_BLOCK, &block, &old); rc != 0)
		throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
	try {
		fn();
	} catch (...) {
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
		throw;
	}
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

} // namespace snitch
