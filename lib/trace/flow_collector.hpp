#pragma once
#include "trace/records.hpp"
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace snitch {

struct FlowDelta {
	flow_key key;
	flow_value value;   // counters as the kernel holds them now
	uint64_t sent, recv, events;  // since the last interval
};

// Turns the kernel's running per-flow counters into per-interval deltas, and
// reclaims flows of closed sockets (after their last delta) and long-idle ones.
class FlowCollector {
public:
	FlowCollector(int flows_fd, int closed_fd, unsigned idle_intervals = 300)
		: flows_fd_(flows_fd), closed_fd_(closed_fd), idle_limit_(idle_intervals) {}

	// Calls `emit` for every flow that moved bytes (or is new) since the last call.
	// `read_tcp` returns TCP's own read counts of the live sockets of
	// `own_netns`; bytes the owner read that the tracepoints did not see
	// (splice from a TCP socket) are added to the socket's flow. It is called
	// after the close marks are taken and before the flows are read, so that
	// a socket marked closed has its final count and no read in flight is
	// counted twice.
	void collect(const std::function<void(const FlowDelta&)>& emit,
		     const std::function<TcpReadCounts()>& read_tcp = nullptr);
	// Sockets open before tracing began: their earlier reads are not ours.
	void set_tcp_baseline(const TcpReadCounts& tcp_read, uint32_t own_netns);

private:
	struct Seen {
		uint64_t sent = 0, recv = 0, events = 0;
		unsigned idle = 0;
	};
	struct KeyHash {
		size_t operator()(const flow_key& k) const noexcept;
	};
	struct KeyEq {
		bool operator()(const flow_key& a, const flow_key& b) const noexcept;
	};
	struct TcpGap {
		uint64_t baseline = 0, credited = 0;
		int64_t prev = 0;
		bool have_prev = false;
	};
	uint64_t tcp_credit(uint64_t cookie, uint64_t tcp_read, uint64_t traced, bool final);
	int flows_fd_, closed_fd_;
	uint32_t own_netns_ = 0;
	std::unordered_map<uint64_t, TcpGap> tcp_;
	unsigned idle_limit_;
	std::unordered_map<flow_key, Seen, KeyHash, KeyEq> last_;
};

// Sums a per-CPU counter of the `lost` map.
uint64_t read_percpu_counter(int map_fd, uint32_t index);

} // namespace snitch
