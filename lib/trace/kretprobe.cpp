#include "trace/kretprobe.hpp"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <system_error>
#include <unistd.h>

namespace snitch {
namespace {

std::string tracefs_dir()
{
	for (const char* d : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
		if (access((std::string(d) + "/kprobe_events").c_str(), W_OK) == 0)
			return d;
	errno = ENOENT;
	throw std::system_error(errno, std::generic_category(), "tracefs kprobe_events");
}

bool write_control(const std::string& control, const std::string& line)
{
	UniqueFd fd(open(control.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
	return fd && write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

// Events of snitch-trace runs that were killed before they could remove them.
void remove_stale(const std::string& control)
{
	std::ifstream in(control);
	std::string line;
	while (std::getline(in, line)) {
		size_t colon = line.find(':'), space = line.find(' ');
		if (colon == std::string::npos || space == std::string::npos || line.compare(colon + 1, 7, "snitch_"))
			continue;
		std::string event = line.substr(colon + 1, space - colon - 1);
		std::string pid = event.substr(7, event.find('/') - 7);
		if (access(("/proc/" + pid).c_str(), F_OK) != 0)
			write_control(control, "-:" + event + "\n");
	}
}

} // namespace

TracefsKretprobe::TracefsKretprobe(bpf_program* prog, const std::string& function, unsigned maxactive)
{
	std::string dir = tracefs_dir();
	control_ = dir + "/kprobe_events";
	static bool cleaned = false;
	if (!cleaned)
		remove_stale(control_);
	cleaned = true;
	std::string group = "snitch_" + std::to_string(getpid());
	event_ = group + "/" + function;
	if (!write_control(control_, "r" + std::to_string(maxactive) + ":" + event_ + " " + function + "\n")) {
		int e = errno;
		event_.clear();
		throw std::system_error(e, std::generic_category(), "tracefs kretprobe on " + function);
	}
	try {
		attach(prog, dir + "/events/" + event_ + "/id");
	} catch (...) {
		write_control(control_, "-:" + event_ + "\n");
		throw;
	}
}

void TracefsKretprobe::attach(bpf_program* prog, const std::string& id_file)
{
	std::ifstream idf(id_file);
	perf_event_attr attr{};
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	if (!(idf >> attr.config)) {
		errno = ENOENT;
		throw std::system_error(errno, std::generic_category(), id_file);
	}
	int pfd = static_cast<int>(syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC));
	if (pfd < 0)
		throw std::system_error(errno, std::generic_category(), "perf_event_open " + event_);
	link_.reset(bpf_program__attach_perf_event(prog, pfd));
	if (!link_) {
		int e = errno;
		close(pfd);
		throw std::system_error(e, std::generic_category(), "attach " + event_);
	}
}

TracefsKretprobe::~TracefsKretprobe()
{
	link_.reset(); // closes the perf event, so the kernel lets the event go
	if (!event_.empty())
		write_control(control_, "-:" + event_ + "\n");
}

} // namespace snitch
