#pragma once
#include "core/c_handle.hpp"
#include "trace/kretprobe.hpp"
#include "trace/records.hpp"
#include "trace.skel.h"
#include <bpf/libbpf.h>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace snitch {

// The skeleton's destroy function is static; this deleter gives it linkage.
struct TraceSkelFree {
	void operator()(trace_bpf* skel) const noexcept;
};
using TraceSkel = std::unique_ptr<trace_bpf, TraceSkelFree>;
using BpfLink = std::unique_ptr<bpf_link, CFree<bpf_link__destroy>>;

// One program attached to one kernel function or tracepoint.
struct Hook {
	std::string kind;   // fexit, tp_btf, kprobe or kretprobe
	std::string prog;   // in bpf/trace.bpf.c
	std::string target; // kernel function or tracepoint
	std::string name() const { return kind + "/" + target; }
};

// One way of counting socket bytes; the table in trace_loader.cpp lists them
// from most to least accurate. A hook on a function this kernel does not
// have is left out; the start-up check then says whether the rest count
// every byte.
struct HookSet {
	const char* name;
	std::vector<Hook> hooks;
	const char* needs; // what the kernel must offer, for messages
};

const std::vector<HookSet>& hook_sets();

struct TraceOptions {
	std::string hooks;      // force one set by name; empty: the best that loads
	uint32_t ringbuf_bytes = 0;  // 0: the object's default
	uint32_t flow_entries = 0;   // 0: the object's default
	std::vector<std::string> skip_hooks; // hooks left out, by name or target (as if inlined)
};

struct LoadedTrace {
	TraceSkel skel;
	std::string hooks;               // the set in use
	std::vector<BpfLink> links;
	std::vector<std::unique_ptr<TracefsKretprobe>> kretprobes;
	std::vector<std::string> notes;  // what was tried and failed, for -v
	bool cgroup_hooks = false;       // unconnected-peer and release tracking
	// TCP's own read counts, for splice: of every socket (iter/tcp, at start),
	// and of those whose count moved since the last read (tcp_changed).
	BpfLink tcp_iter, tcp_changed;
};

// TCP's own count of the bytes each TCP socket's owner read, for the
// sockets of the current netns that `iter` (one of tcp_iter, tcp_changed) writes.
TcpReadCounts read_tcp_counts(const BpfLink& iter);

// Makes every socket already open in any process a flow of its owner (the
// iter/task_file program), so that connections older than snitch-trace are
// reported at the first interval. Sockets are known by their cookies, which
// read_tcp_counts gives every TCP socket: call it first.
void scan_open_sockets(const LoadedTrace& t);

// Tries each hook set in turn (or only opts.hooks), probing by loading and
// attaching, not by guessing, then by moving bytes over loopback and checking
// that the set counted them exactly (check_hook_counts); keeps the first set
// that passes. Throws with what each set lacked or miscounted when none does.
LoadedTrace load_trace(const TraceOptions& opts);

// The cgroup v2 mount point from /proc/mounts, or "" when there is none.
std::string cgroup2_mount();

} // namespace snitch
