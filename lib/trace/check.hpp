#pragma once
#include <string>

namespace snitch {

// The start-up self-check of a hook set: moves a known number of bytes over
// loopback (TCP and UDP, both directions, by write, send, sendto, sendmsg,
// sendmmsg and sendfile; read, recv, recvfrom, recvmsg and recvmmsg; IPv4,
// and IPv6 where ::1 exists) and compares what the calls returned with what
// the hooks counted for this process in the `check` map. "" when every
// counter is exact, else which ones are not and by how much. The hooks count
// this process's traffic only there, never as flows.
std::string check_hook_counts(int check_map_fd);

} // namespace snitch
