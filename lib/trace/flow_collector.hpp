#pragma once
#include "trace/maps.hpp"
#include "trace/records.hpp"
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace snitch {

struct FlowDelta {
	flow_key key;
	flow_value value;   // counters as the kernel holds them now
	uint64_t sent, recv, events;  // since the last interval
};

// What one interval yields: the flows to report, and the map entries the
// kernel may drop now that their last delta is taken.
struct Interval {
	std::vector<FlowDelta> deltas;
	std::vector<flow_key> done_flows;
	std::vector<uint64_t> done_marks;
};

// Turns snapshots of the kernel's running per-flow counters into
// per-interval deltas, and says which flows are done: those of closed sockets
// (after their last delta) and long-idle ones. No I/O: the snapshot comes in,
// the interval goes out.
class FlowCollector {
public:
	explicit FlowCollector(unsigned idle_intervals = 300) : idle_limit_(idle_intervals) {}

	// Sockets open before tracing began: their earlier reads are not ours.
	// TCP's read counts credit only sockets of `own_netns`.
	void set_tcp_baseline(const TcpReadCounts& tcp_read, uint32_t own_netns);
	// Every flow that moved bytes (or is new) since the last call. Bytes the
	// owner of a TCP socket read that the tracepoints did not see (splice) are
	// added to the socket's first flow.
	Interval collect(const FlowSnapshot& now);

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
	using Traced = std::unordered_map<uint64_t, uint64_t>;
	uint64_t tcp_credit(uint64_t cookie, uint64_t tcp_read, uint64_t traced, bool final);
	uint64_t splice_credit(const FlowSnapshot& now, const FlowDelta& d, bool closed, Traced& traced);
	uint32_t own_netns_ = 0;
	std::unordered_map<uint64_t, TcpGap> tcp_;
	unsigned idle_limit_;
	std::unordered_map<flow_key, Seen, KeyHash, KeyEq> last_;
};

} // namespace snitch
