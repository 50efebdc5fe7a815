// snitch-trace: every network flow of every process, as JSON Lines, from eBPF.
#include "core/cli.hpp"
#include "core/stop_flag.hpp"
#include "trace/session.hpp"
#include <iostream>
#include <unistd.h>

namespace {

struct Options {
	double interval = 1.0;
	bool exec = false;
	bool verbose = false;
	snitch::TraceOptions trace;
};

void make_options(CLI::App& app, Options& o)
{
	app.add_option("-i,--interval", o.interval, "Seconds of traffic each flow event covers")
		->check(CLI::Range(0.01, 3600.0))->capture_default_str();
	app.add_flag("--exec", o.exec, "Also emit an exec event for every process start");
	std::vector<std::string> names;
	for (const auto& s : snitch::hook_sets())
		names.emplace_back(s.name);
	app.add_option("--hooks", o.trace.hooks, "Force one hook set; default: the best that loads")
		->check(CLI::IsMember(names));
	app.add_option("--skip-hook", o.trace.skip_hooks,
		       "Leave out a hook (e.g. fexit/inet_sendmsg, or a function in every set), as a kernel that inlined it would")
		->type_name("HOOK");
	app.add_option("--ringbuf-bytes", o.trace.ringbuf_bytes, "Ring buffer size for process records (power of 2)");
	app.add_option("--flow-entries", o.trace.flow_entries, "Flow map capacity");
	app.add_flag("-v,--verbose", o.verbose, "Say which hooks were tried and why they failed");
}

int print_quiet(libbpf_print_level, const char*, va_list) { return 0; }
int print_verbose(libbpf_print_level level, const char* fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

int run(const Options& o)
{
	if (geteuid() != 0) {
		std::cerr << "snitch-trace: needs root (CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN) to load eBPF programs\n";
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		std::cerr << "snitch-trace: this kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE eBPF cannot load\n";
		return 1;
	}
	libbpf_set_print(o.verbose ? print_verbose : print_quiet);
	snitch::install_stop_handlers();
	snitch::LoadedTrace trace = snitch::load_trace(o.trace);
	if (o.verbose)
		for (const auto& note : trace.notes)
			std::cerr << "snitch-trace: " << note << '\n';
	snitch::JsonlWriter out(1);
	snitch::TraceSession session(trace, out, {o.interval, o.exec});
	std::cerr << "snitch-trace: hooks " << trace.hooks << (trace.cgroup_hooks ? " + cgroup" : "")
		  << ", ready\n";
	session.run();
	return 0;
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Report every network flow of every process as JSON Lines (eBPF)", "snitch-trace"};
	snitch::setup_app(app, "\nExamples:\n"
			       "  sudo snitch-trace                       # flow events every second\n"
			       "  sudo snitch-trace --exec -i 5           # plus exec events, 5 s intervals\n"
			       "  sudo snitch-trace | snitch-hash | snitch-store\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] { return run(o); });
}
