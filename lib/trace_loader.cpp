#include "trace_loader.hpp"
#include "trace_records.hpp"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <bpf/bpf.h>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace snitch {

void TraceSkelFree::operator()(trace_bpf* skel) const noexcept
{
	trace_bpf__destroy(skel);
}

const std::vector<HookSet>& hook_sets()
{
	// Most accurate and cheapest first: fexit sees sock_sendmsg/sock_recvmsg
	// return values on any kernel with trampolines; the tracepoints are as
	// exact (Linux >= 6.3); a kprobe/kretprobe pair costs two probes per call.
	static const std::vector<HookSet> sets = {
		{"fentry", {"sendmsg_fexit", "recvmsg_fexit"}, "BPF trampolines (fexit on sock_sendmsg/sock_recvmsg)"},
		{"tp_btf", {"send_length_btf", "recv_length_btf"}, "tracepoints sock_send_length/sock_recv_length (Linux >= 6.3)"},
		{"kprobe", {"sendmsg_kprobe", "sendmsg_kretprobe", "recvmsg_kprobe", "recvmsg_kretprobe"},
		 "kprobes (CONFIG_KPROBES) on sock_sendmsg/sock_recvmsg"},
	};
	return sets;
}

std::string cgroup2_mount()
{
	std::ifstream mounts("/proc/mounts");
	std::string dev, dir, type, rest;
	while (mounts >> dev >> dir >> type && std::getline(mounts, rest))
		if (type == "cgroup2")
			return dir;
	return "";
}

namespace {

bool in_set(const HookSet& set, const char* prog)
{
	for (const char* p : set.progs)
		if (!strcmp(prog, p))
			return true;
	return false;
}

bool is_byte_hook(const char* prog)
{
	for (const auto& s : hook_sets())
		if (in_set(s, prog))
			return true;
	return false;
}

bool is_cgroup_prog(bpf_program* p)
{
	return !strncmp(bpf_program__section_name(p), "cgroup", 6);
}

bool is_iter_prog(bpf_program* p)
{
	return !strncmp(bpf_program__section_name(p), "iter/", 5);
}

TraceSkel open_with(const HookSet& set, const TraceOptions& opts)
{
	TraceSkel skel(trace_bpf__open());
	if (!skel)
		throw std::system_error(errno, std::generic_category(), "open BPF object");
	skel->rodata->self_tgid = static_cast<uint32_t>(getpid());
	if (opts.ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.records, opts.ringbuf_bytes);
	if (opts.flow_entries)
		bpf_map__set_max_entries(skel->maps.flows, opts.flow_entries);
	bpf_program* p;
	bpf_object__for_each_program(p, skel->obj) {
		const char* name = bpf_program__name(p);
		if (is_byte_hook(name))
			bpf_program__set_autoload(p, in_set(set, name));
	}
	return skel;
}

void attach_tracing(LoadedTrace& t)
{
	bpf_program* p;
	bpf_object__for_each_program(p, t.skel->obj) {
		if (!bpf_program__autoload(p) || is_cgroup_prog(p) || is_iter_prog(p))
			continue;
		BpfLink link(bpf_program__attach(p));
		if (!link)
			throw std::system_error(errno, std::generic_category(),
				std::string("attach ") + bpf_program__name(p));
		t.links.push_back(std::move(link));
	}
}

// Optional: without them unconnected datagram peers read as 0.0.0.0 and closed
// UDP sockets are reclaimed only when idle.
void attach_cgroup(LoadedTrace& t)
{
	std::string dir = cgroup2_mount();
	if (dir.empty()) {
		t.notes.push_back("no cgroup2 mount: per-peer UDP accounting off");
		return;
	}
	UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "open " + dir);
	std::vector<BpfLink> links;
	bpf_program* p;
	bpf_object__for_each_program(p, t.skel->obj) {
		if (!is_cgroup_prog(p))
			continue;
		BpfLink link(bpf_program__attach_cgroup(p, fd.get()));
		if (!link) {
			t.notes.push_back(std::string("cgroup hook ") + bpf_program__name(p) + ": " + strerror(errno));
			return;
		}
		links.push_back(std::move(link));
	}
	for (auto& l : links)
		t.links.push_back(std::move(l));
	t.cgroup_hooks = true;
}


// Loads and attaches one set; "" on success, else why not.
std::string try_set(LoadedTrace& t, const HookSet& set, const TraceOptions& opts)
{
	TraceSkel skel = open_with(set, opts);
	int err = trace_bpf__load(skel.get());
	if (err)
		return strerror(-err);
	t.skel = std::move(skel);
	try {
		attach_tracing(t);
	} catch (const std::system_error& e) {
		t.links.clear();
		t.skel.reset();
		return e.what();
	}
	t.hooks = set.name;
	return "";
}

} // namespace

LoadedTrace load_trace(const TraceOptions& opts)
{
	LoadedTrace t;
	std::string failures;
	bool known = opts.hooks.empty();
	for (const auto& set : hook_sets()) {
		if (!opts.hooks.empty() && opts.hooks != set.name)
			continue;
		known = true;
		std::string why = try_set(t, set, opts);
		if (why.empty())
			break;
		why = std::string(set.name) + " (" + set.needs + "): " + why;
		t.notes.push_back("hook set " + why);
		failures += (failures.empty() ? "" : "; ") + why;
	}
	if (!known)
		throw std::invalid_argument("unknown hook set '" + opts.hooks + "'");
	if (!t.skel)
		throw std::runtime_error((opts.hooks.empty() ? "no hook set loads on this kernel: "
							     : "the forced hook set does not work here: ") + failures);
	attach_cgroup(t);
	t.tcp_iter.reset(bpf_program__attach_iter(t.skel->progs.tcp_counters, nullptr));
	if (!t.tcp_iter)
		throw std::system_error(errno, std::generic_category(), "attach iter/tcp");
	return t;
}

void scan_open_sockets(const LoadedTrace& t)
{
	BpfLink link(bpf_program__attach_iter(t.skel->progs.open_sockets, nullptr));
	if (!link)
		throw std::system_error(errno, std::generic_category(), "attach iter/task_file");
	UniqueFd fd(bpf_iter_create(bpf_link__fd(link.get())));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "iter/task_file");
	char buf[256];
	ssize_t n;
	while ((n = read(fd.get(), buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			throw std::system_error(errno, std::generic_category(), "read iter/task_file");
}

TcpReadCounts read_tcp_counts(const LoadedTrace& t)
{
	TcpReadCounts counts;
	UniqueFd fd(bpf_iter_create(bpf_link__fd(t.tcp_iter.get())));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "iter/tcp");
	tcp_counter buf[256];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd.get(), reinterpret_cast<char*>(buf) + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw std::system_error(errno, std::generic_category(), "read iter/tcp");
		if (n == 0)
			break;
		have += static_cast<size_t>(n);
		size_t whole = have / sizeof(tcp_counter);
		for (size_t i = 0; i < whole; i++)
			counts[buf[i].cookie] = buf[i].tcp_read;
		have -= whole * sizeof(tcp_counter);
		memmove(buf, buf + whole, have);
	}
	return counts;
}

} // namespace snitch
