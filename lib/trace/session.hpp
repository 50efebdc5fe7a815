#pragma once
#include "trace/cgroup_paths.hpp"
#include "trace/dns_cache.hpp"
#include "trace/flow_collector.hpp"
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
// buffer as they come, and on every interval turns the flow counters into
// `flow` events and the kernel's loss counters into `error` events.
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
	void report_flow(const FlowDelta& d, double now);
	void report_losses();

	LoadedTrace& trace_;
	JsonlWriter& out_;
	SessionOptions opts_;
	ProcessTable procs_;
	FlowCollector flows_;
	CgroupPaths cgroups_;
	DnsCache dns_;
	RingBuf rb_;
	double boot_to_epoch_;
	uint64_t lost_seen_[LOST_COUNTERS] = {};
	uint64_t unattributed_ = 0;
};

} // namespace snitch
