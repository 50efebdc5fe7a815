#pragma once
#include "trace/cgroup_paths.hpp"
#include "trace/dns_cache.hpp"
#include "trace/flow_collector.hpp"
#include "trace/maps.hpp"
#include "core/jsonl_writer.hpp"
#include "trace/proc_table.hpp"
#include "trace/loader.hpp"
#include <bpf/libbpf.h>

namespace snitch {

struct SessionOptions {
	double interval = 1.0;
	bool exec_events = false;
};

// The user-space half of snitch-trace: drains process records from the ring
// buffer as they come, and on every interval goes once down a straight line:
// drain the records, snapshot the maps, diff against the last interval,
// attribute each flow to its process, emit `flow` and `error` events, and
// give the kernel back what is done.
class TraceSession {
public:
	TraceSession(LoadedTrace& trace, JsonlWriter& out, SessionOptions opts);
	// Until SIGINT/SIGTERM; then reports the last interval and returns.
	void run();

private:
	using RingBuf = std::unique_ptr<ring_buffer, CFree<ring_buffer__free>>;
	static int on_record(void* ctx, void* data, size_t size);
	void handle_record(const void* data, size_t size);
	void report_interval();
	void attribute(const std::vector<FlowDelta>& deltas);
	FlowEvent flow_event(const FlowDelta& d, double now);
	void report_losses();

	LoadedTrace& trace_;
	JsonlWriter& out_;
	SessionOptions opts_;
	ProcessTable procs_;
	TraceMaps maps_;
	FlowCollector flows_;
	CgroupPaths cgroups_;
	DnsCache dns_;
	RingBuf rb_;
	double boot_to_epoch_;
	LossCounts lost_seen_{};
	uint64_t unattributed_ = 0;
};

} // namespace snitch
