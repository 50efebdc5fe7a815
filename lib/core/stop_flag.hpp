#pragma once
#include <csignal>

namespace snitch {

// Installs SIGINT/SIGTERM handlers without SA_RESTART, so a blocking read or poll
// returns EINTR and the loop can finish its batch; SIGPIPE is ignored so that a
// closed reader surfaces as EPIPE from write(2). Throws std::system_error if
// the kernel refuses.
void install_stop_handlers();
bool stop_requested();

} // namespace snitch
