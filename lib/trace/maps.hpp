#pragma once
// The one owner of snitch-trace's map descriptors in user space: what an
// interval reads from the kernel (flows, close marks, TCP's own read counts,
// loss counters) and what it gives back (flows and marks it is done with).
#include "trace/loader.hpp"
#include "trace/records.hpp"
#include <array>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace snitch {

// Everything one interval works from, read in the order that makes it
// consistent: close marks, then TCP's counts, then the flows. A socket whose
// mark was read has its final counters by the time its flows are read, and a
// read in flight during the TCP iterator can only make a gap look smaller.
struct FlowSnapshot {
	std::unordered_map<uint64_t, close_mark> closed;
	TcpReadCounts tcp_read;
	std::vector<std::pair<flow_key, flow_value>> flows;
};

using LossCounts = std::array<uint64_t, LOST_COUNTERS>;

class TraceMaps {
public:
	explicit TraceMaps(const LoadedTrace& trace);

	// Every TCP socket's count, once at start; later snapshots read only
	// those that moved and keep the rest.
	TcpReadCounts baseline_tcp_reads();
	FlowSnapshot snapshot();
	// Running totals since load, summed over CPUs.
	LossCounts losses() const;
	void forget(const std::vector<flow_key>& flows, const std::vector<uint64_t>& closed);

private:
	const LoadedTrace& trace_;
	int flows_fd_, closed_fd_, lost_fd_;
	TcpReadCounts tcp_read_; // of the live sockets
};

} // namespace snitch
