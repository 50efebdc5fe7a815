#pragma once
// The kernel's record layouts (bpf/trace.h) for user space.
#include <linux/types.h>
#include "trace.h"
#include <cstdint>
#include <unordered_map>

namespace snitch {
// TCP's own count of the bytes each TCP socket's owner read (every path,
// splice included), by socket cookie: what iter/tcp's tcp_counter records say.
using TcpReadCounts = std::unordered_map<uint64_t, uint64_t>;
}
