#include "trace/session.hpp"
#include "trace/net_names.hpp"
#include "core/stop_flag.hpp"
#include <cerrno>
#include <cstddef>
#include <malloc.h>
#include <sys/stat.h>
#include <system_error>
#include <time.h>

namespace snitch {
namespace {

Json exec_json(const ProcessInfo& p) { return exec_event(epoch_now(), p, p.ppid, p.uid); }

uint32_t own_netns()
{
	struct stat st;
	if (stat("/proc/self/ns/net", &st) != 0)
		throw std::system_error(errno, std::generic_category(), "stat /proc/self/ns/net");
	return static_cast<uint32_t>(st.st_ino);
}

} // namespace

TraceSession::TraceSession(LoadedTrace& trace, JsonlWriter& out, SessionOptions opts)
	: trace_(trace), out_(out), opts_(opts),
	  maps_(trace), flows_(static_cast<unsigned>(300 / opts.interval) + 1),
	  cgroups_(cgroup2_mount()),
	  boot_to_epoch_(clock_seconds(CLOCK_REALTIME) - clock_seconds(CLOCK_BOOTTIME))
{
	rb_.reset(ring_buffer__new(bpf_map__fd(trace.skel->maps.records), on_record, this, nullptr));
	if (!rb_)
		throw std::system_error(errno, std::generic_category(), "ring buffer");
	if (int err = ring_buffer__add(rb_.get(), bpf_map__fd(trace.skel->maps.dns_records), on_record, this))
		throw std::system_error(-err, std::generic_category(), "DNS ring buffer");
	procs_.scan_proc();
	flows_.set_tcp_baseline(maps_.baseline_tcp_reads(), own_netns());
	scan_open_sockets(trace_);
	malloc_trim(0); // libbpf's parse of the kernel BTF is done: give that memory back
}

int TraceSession::on_record(void* ctx, void* data, size_t size)
{
	static_cast<TraceSession*>(ctx)->handle_record(data, size);
	return 0;
}

void TraceSession::handle_record(const void* data, size_t size)
{
	record_header hdr;
	if (size < sizeof(hdr))
		return;
	memcpy(&hdr, data, sizeof(hdr));
	if (hdr.kind == RECORD_EXEC && size >= offsetof(exec_record, path)) {
		auto r = std::make_unique<exec_record>();
		memcpy(r.get(), data, std::min(size, sizeof(*r)));
		r->path_len = std::min<uint32_t>(r->path_len, static_cast<uint32_t>(size - offsetof(exec_record, path)));
		const ProcessInfo& p = procs_.on_exec(*r);
		if (opts_.exec_events)
			out_.write_line(dump_line(exec_json(p)));
	} else if (hdr.kind == RECORD_FORK && size >= sizeof(fork_record)) {
		fork_record r;
		memcpy(&r, data, sizeof(r));
		procs_.on_fork(r.hdr.pid, r.ppid);
	} else if (hdr.kind == RECORD_EXIT) {
		procs_.on_exit(hdr.pid);
	} else if (hdr.kind == RECORD_DNS && size >= offsetof(dns_record, data)) {
		const auto* r = static_cast<const dns_record*>(data);
		size_t len = std::min<size_t>({r->len, size - offsetof(dns_record, data), DNS_MAX});
		size_t query_len = std::min<size_t>(r->query_len, DNS_QUERY_MAX);
		dns_.add_answer(r->query, query_len, r->data, len, epoch_now());
	}
}

// A flow of a process born after this interval's records were drained: its
// fork or exec record is already in the ring buffer. Read it now, before
// anything is written, so that no process record lands among the flows.
void TraceSession::attribute(const std::vector<FlowDelta>& deltas)
{
	for (const FlowDelta& d : deltas) {
		const ProcessInfo* p = procs_.find(d.key.tgid);
		if (!p || p->exe.empty()) {
			ring_buffer__consume(rb_.get());
			return;
		}
	}
}

FlowEvent TraceSession::flow_event(const FlowDelta& d, double now)
{
	const flow_value& v = d.value;
	FlowEvent f;
	f.time = now;
	f.start = boot_to_epoch_ + static_cast<double>(v.start_ns) / 1e9;
	if (const ProcessInfo* p = procs_.find(d.key.tgid)) {
		f.proc = *p;
		if (const ProcessInfo* parent = procs_.find(v.ppid ? v.ppid : p->ppid)) {
			f.parent = parent;
			if (parent->ppid)
				f.grandparent = procs_.find(parent->ppid);
		}
	}
	f.proc.pid = d.key.tgid;
	f.proc.comm.assign(v.comm, strnlen(v.comm, sizeof(v.comm)));
	f.ppid = v.ppid;
	f.uid = v.uid;
	f.netns = v.netns;
	f.cgroup = cgroups_.path(v.cgroup);
	f.family = family_name(v.family);
	f.proto = protocol_name(v.family, v.protocol);
	f.domain = dns_.lookup(v.family, v.raddr, now);
	f.laddr = address_string(v.family, v.laddr);
	f.raddr = address_string(v.family, v.raddr);
	f.lport = v.lport;
	f.rport = v.rport;
	f.sent = d.sent;
	f.recv = d.recv;
	f.events = d.events;
	return f;
}

void TraceSession::report_losses()
{
	const LossCounts now = maps_.losses();
	uint64_t ring = now[LOST_RINGBUF] - lost_seen_[LOST_RINGBUF];
	uint64_t dns = now[LOST_DNS_RING] - lost_seen_[LOST_DNS_RING];
	uint64_t flows = now[LOST_FLOW_MAP] - lost_seen_[LOST_FLOW_MAP];
	uint64_t bytes = now[LOST_BYTES] - lost_seen_[LOST_BYTES];
	uint64_t stash = now[LOST_IO_ARGS] - lost_seen_[LOST_IO_ARGS];
	if (ring)
		out_.write_line(dump_line(error_event("snitch-trace",
			"ring buffer full: process start/exit records dropped, attribution may be incomplete", ring)));
	if (dns)
		out_.write_line(dump_line(error_event("snitch-trace",
			"DNS ring buffer full: answers dropped, domain names may be missing", dns)));
	if (flows)
		out_.write_line(dump_line(error_event("snitch-trace",
			"flow map full: " + std::to_string(bytes) + " bytes of new flows not attributed", flows)));
	if (stash)
		out_.write_line(dump_line(error_event("snitch-trace",
			"kprobe stash full: the bytes of these sends and receives not counted", stash)));
	lost_seen_ = now;
	if (unattributed_)
		out_.write_line(dump_line(error_event("snitch-trace",
			"flows of processes whose executable could not be identified (gone before it was read, or kernel threads)",
			unattributed_)));
	unattributed_ = 0;
}

void TraceSession::report_interval()
{
	ring_buffer__consume(rb_.get());
	const double now = epoch_now();
	const Interval interval = flows_.collect(maps_.snapshot());
	attribute(interval.deltas);
	for (const FlowDelta& d : interval.deltas) {
		const FlowEvent f = flow_event(d, now);
		if (f.proc.exe.empty())
			++unattributed_;
		out_.write_line(dump_line(to_json(f)));
	}
	maps_.forget(interval.done_flows, interval.done_marks);
	report_losses();
	procs_.expire(std::max(10.0, 3 * opts_.interval));
	out_.flush();
}

void TraceSession::run()
{
	double next = monotonic_now() + opts_.interval;
	while (!stop_requested()) {
		double wait = next - monotonic_now();
		if (wait > 0) {
			int err = ring_buffer__poll(rb_.get(), static_cast<int>(std::min(wait, 0.1) * 1000) + 1);
			if (err < 0 && err != -EINTR)
				throw std::system_error(-err, std::generic_category(), "ring buffer poll");
			if (err == 0) // records come without a wake-up until a ring fills (BPF_RB_NO_WAKEUP)
				ring_buffer__consume(rb_.get());
			out_.flush();
			out_.check_reader();
			continue;
		}
		report_interval();
		next += opts_.interval;
	}
	report_interval();
}

} // namespace snitch
