#include "trace/loader.hpp"
#include "trace/check.hpp"
#include "trace/records.hpp"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <unistd.h>

namespace snitch {

void TraceSkelFree::operator()(trace_bpf* skel) const noexcept
{
	trace_bpf__destroy(skel);
}

namespace {

// The functions every send and receive of a traced family ends in, called
// through sock->ops (no build can inline them), and inet_sendpage, which
// sendfile and splice to a socket reach instead on Linux < 6.5.
constexpr const char* send_functions[] = {"inet_sendmsg", "inet6_sendmsg", "packet_sendmsg", "packet_sendmsg_spkt"};
constexpr const char* recv_functions[] = {"inet_recvmsg", "inet6_recvmsg", "sock_common_recvmsg", "packet_recvmsg"};

// The program on function f is f_fexit (bpf/trace.bpf.c).
std::vector<Hook> fexit_hooks()
{
	std::vector<Hook> hooks;
	for (std::string f : send_functions)
		hooks.push_back({"fexit", f + "_fexit", f});
	hooks.push_back({"fexit", "inet_sendpage_fexit", "inet_sendpage"});
	for (std::string f : recv_functions)
		hooks.push_back({"fexit", f + "_fexit", f});
	return hooks;
}

void add_probe_pair(std::vector<Hook>& hooks, const char* entry, const char* ret, const char* target)
{
	hooks.push_back({"kprobe", entry, target});
	hooks.push_back({"kretprobe", ret, target});
}

std::vector<Hook> kprobe_hooks()
{
	std::vector<Hook> hooks;
	for (const char* f : send_functions)
		add_probe_pair(hooks, "send_kprobe", "send_kretprobe", f);
	add_probe_pair(hooks, "sendpage_kprobe", "send_kretprobe", "inet_sendpage");
	for (const char* f : recv_functions)
		add_probe_pair(hooks, "recv_kprobe", "recv_kretprobe", f);
	return hooks;
}

} // namespace

const std::vector<HookSet>& hook_sets()
{
	// Most accurate and cheapest first: fexit sees the proto_ops functions'
	// return values on any kernel with trampolines; the tracepoints are as
	// exact (Linux >= 6.3); a kprobe/kretprobe pair costs two probes per call.
	static const std::vector<HookSet> sets = {
		{"fentry", fexit_hooks(), "BPF trampolines (fexit on inet_sendmsg, inet_recvmsg and the like)"},
		{"tp_btf",
		 {{"tp_btf", "send_length_btf", "sock_send_length"}, {"tp_btf", "recv_length_btf", "sock_recv_length"}},
		 "tracepoints sock_send_length/sock_recv_length (Linux >= 6.3)"},
		{"kprobe", kprobe_hooks(), "kprobes (CONFIG_KPROBES) on inet_sendmsg, inet_recvmsg and the like"},
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

using BtfPtr = std::unique_ptr<btf, CFree<btf__free>>;

// Whether the running kernel has a function, by its BTF: vmlinux's, then
// that of each loaded module. A function some build inlined everywhere, or
// renamed, has no entry.
class KernelFunctions {
public:
	bool has(const std::string& name)
	{
		if (!loaded_)
			load();
		if (vmlinux_ && btf__find_by_name_kind(vmlinux_.get(), name.c_str(), BTF_KIND_FUNC) > 0)
			return true;
		for (const auto& m : modules_)
			if (btf__find_by_name_kind(m.get(), name.c_str(), BTF_KIND_FUNC) > 0)
				return true;
		return false;
	}

private:
	void load()
	{
		loaded_ = true;
		vmlinux_.reset(btf__load_vmlinux_btf());
		if (!vmlinux_)
			return;
		std::error_code ec;
		for (const auto& e : std::filesystem::directory_iterator("/sys/kernel/btf", ec))
			if (e.path().filename() != "vmlinux")
				if (BtfPtr m{btf__parse_split(e.path().c_str(), vmlinux_.get())})
					modules_.push_back(std::move(m));
	}
	bool loaded_ = false;
	BtfPtr vmlinux_;
	std::vector<BtfPtr> modules_;
};

bool is_byte_hook(const char* prog)
{
	for (const auto& s : hook_sets())
		for (const auto& h : s.hooks)
			if (h.prog == prog)
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

bool skipped(const Hook& h, const TraceOptions& opts)
{
	for (const auto& s : opts.skip_hooks)
		if (s == h.target || s == h.name())
			return true;
	return false;
}

// The hooks of a set that this kernel can take; notes those left out.
std::vector<Hook> usable_hooks(const HookSet& set, const TraceOptions& opts, KernelFunctions& kernel,
			       std::vector<std::string>& notes)
{
	std::vector<Hook> use;
	for (const auto& h : set.hooks) {
		if (skipped(h, opts))
			notes.push_back(std::string("hook set ") + set.name + ": " + h.name() + " left out (--skip-hook)");
		else if (h.kind != "tp_btf" && !kernel.has(h.target))
			notes.push_back(std::string("hook set ") + set.name + ": " + h.name() + " left out (no such function here)");
		else
			use.push_back(h);
	}
	return use;
}

bool uses_prog(const std::vector<Hook>& hooks, const char* prog)
{
	for (const auto& h : hooks)
		if (h.prog == prog)
			return true;
	return false;
}

// libbpf's setters return a negative errno.
void libbpf_must(int err, const std::string& what)
{
	if (err)
		throw std::system_error(-err, std::generic_category(), what);
}

TraceSkel open_with(const std::vector<Hook>& hooks, const TraceOptions& opts)
{
	TraceSkel skel(trace_bpf__open());
	if (!skel)
		throw std::system_error(errno, std::generic_category(), "open BPF object");
	skel->rodata->self_tgid = static_cast<uint32_t>(getpid());
	skel->rodata->peers_in_hash = std::any_of(hooks.begin(), hooks.end(), [](const Hook& h) { return h.kind == "kprobe"; });
	if (opts.ringbuf_bytes)
		libbpf_must(bpf_map__set_max_entries(skel->maps.records, opts.ringbuf_bytes), "ring buffer size");
	if (opts.flow_entries)
		libbpf_must(bpf_map__set_max_entries(skel->maps.flows, opts.flow_entries), "flow map size");
	bpf_program* p;
	bpf_object__for_each_program(p, skel->obj) {
		const char* name = bpf_program__name(p);
		if (is_byte_hook(name))
			libbpf_must(bpf_program__set_autoload(p, uses_prog(hooks, name)), name);
	}
	return skel;
}

BpfLink attach_hook(bpf_object* obj, const Hook& h)
{
	bpf_program* p = bpf_object__find_program_by_name(obj, h.prog.c_str());
	if (!p)
		throw std::logic_error("no BPF program " + h.prog);
	BpfLink link(h.kind == "kprobe" || h.kind == "kretprobe"
			     ? bpf_program__attach_kprobe(p, h.kind == "kretprobe", h.target.c_str())
			     : bpf_program__attach(p));
	if (!link)
		throw std::system_error(errno, std::generic_category(), "attach " + h.name());
	return link;
}

// Calls in flight that a kretprobe follows at once; the kernel allows 4096.
constexpr unsigned kretprobe_room = 1024;

// By tracefs, which takes the room; false (and a note) when it cannot.
bool attach_kretprobe(LoadedTrace& t, const Hook& h)
{
	try {
		t.kretprobes.push_back(std::make_unique<TracefsKretprobe>(
			bpf_object__find_program_by_name(t.skel->obj, h.prog.c_str()), h.target, kretprobe_room));
		return true;
	} catch (const std::system_error& e) {
		t.notes.push_back(h.name() + ": " + e.what() + "; it follows the kernel's default number of calls at once");
		return false;
	}
}

void attach_tracing(LoadedTrace& t, const std::vector<Hook>& hooks)
{
	bpf_program* p;
	bpf_object__for_each_program(p, t.skel->obj) {
		if (!bpf_program__autoload(p) || is_cgroup_prog(p) || is_iter_prog(p) || is_byte_hook(bpf_program__name(p)))
			continue;
		BpfLink link(bpf_program__attach(p));
		if (!link)
			throw std::system_error(errno, std::generic_category(),
				std::string("attach ") + bpf_program__name(p));
		t.links.push_back(std::move(link));
	}
	for (const auto& h : hooks)
		if (h.kind != "kretprobe" || !attach_kretprobe(t, h))
			t.links.push_back(attach_hook(t.skel->obj, h));
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

// Why a hook set was refused; load_trace goes on to the next set.
struct SetRefused : std::runtime_error {
	using std::runtime_error::runtime_error;
};

void drop_set(LoadedTrace& t)
{
	t.links.clear();
	t.kretprobes.clear();
	t.skel.reset();
}

// Loads and attaches one set, then checks its counts. Throws SetRefused.
void try_set(LoadedTrace& t, const HookSet& set, const TraceOptions& opts, KernelFunctions& kernel)
{
	std::vector<Hook> hooks = usable_hooks(set, opts, kernel, t.notes);
	if (hooks.empty())
		throw SetRefused("none of its functions is in this kernel");
	TraceSkel skel = open_with(hooks, opts);
	if (int err = trace_bpf__load(skel.get()))
		throw SetRefused(strerror(-err));
	t.skel = std::move(skel);
	try {
		attach_tracing(t, hooks);
		if (std::string why = check_hook_counts(bpf_map__fd(t.skel->maps.check)); !why.empty())
			throw SetRefused("miscounts: " + why);
	} catch (const std::system_error& e) {
		drop_set(t);
		throw SetRefused(e.what());
	} catch (...) {
		drop_set(t);
		throw;
	}
	t.hooks = set.name;
}

BpfLink attach_iter(bpf_program* prog, const char* what)
{
	BpfLink link(bpf_program__attach_iter(prog, nullptr));
	if (!link)
		throw std::system_error(errno, std::generic_category(), std::string("attach ") + what);
	return link;
}

} // namespace

LoadedTrace load_trace(const TraceOptions& opts)
{
	LoadedTrace t;
	KernelFunctions kernel;
	std::string failures;
	bool known = opts.hooks.empty();
	for (const auto& set : hook_sets()) {
		if (!opts.hooks.empty() && opts.hooks != set.name)
			continue;
		known = true;
		try {
			try_set(t, set, opts, kernel);
			break;
		} catch (const SetRefused& e) {
			std::string why = std::string(set.name) + " (" + set.needs + "): " + e.what();
			t.notes.push_back("hook set " + why);
			failures += (failures.empty() ? "" : "; ") + why;
		}
	}
	if (!known)
		throw std::invalid_argument("unknown hook set '" + opts.hooks + "'");
	if (!t.skel)
		throw std::runtime_error((opts.hooks.empty() ? "no hook set loads and counts exactly on this kernel: "
							     : "the forced hook set does not work here: ") + failures);
	attach_cgroup(t);
	t.tcp_iter = attach_iter(t.skel->progs.tcp_counters, "iter/tcp");
	t.tcp_changed = attach_iter(t.skel->progs.tcp_changed, "iter/tcp");
	return t;
}

void scan_open_sockets(const LoadedTrace& t)
{
	BpfLink link = attach_iter(t.skel->progs.open_sockets, "iter/task_file");
	UniqueFd fd(bpf_iter_create(bpf_link__fd(link.get())));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "iter/task_file");
	char buf[256];
	ssize_t n;
	while ((n = read(fd.get(), buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			throw std::system_error(errno, std::generic_category(), "read iter/task_file");
}

TcpReadCounts read_tcp_counts(const BpfLink& iter)
{
	TcpReadCounts counts;
	UniqueFd fd(bpf_iter_create(bpf_link__fd(iter.get())));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "TCP count iterator");
	tcp_counter buf[256];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd.get(), reinterpret_cast<char*>(buf) + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw std::system_error(errno, std::generic_category(), "read TCP count iterator");
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
