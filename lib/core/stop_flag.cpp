#include "core/stop_flag.hpp"
#include <cerrno>
#include <system_error>

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
	struct sigaction ign = {};
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGINT, &sa, nullptr) != 0 || sigaction(SIGTERM, &sa, nullptr) != 0 ||
	    sigaction(SIGPIPE, &ign, nullptr) != 0)
		throw std::system_error(errno, std::generic_category(), "sigaction");
}

bool stop_requested() { return stop_signal != 0; }

} // namespace snitch
