#include "core/stop_flag.hpp"

namespace snitch {
namespace {
volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int sig) { stop_signal = sig; }
} // namespace

void install_stop_handlers()
{
	struct sigaction sa = {};
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	struct sigaction ign = {};
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, nullptr);
}

bool stop_requested() { return stop_signal != 0; }

} // namespace snitch
