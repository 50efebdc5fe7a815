#pragma once
#include "core/c_handle.hpp"
#include <bpf/libbpf.h>
#include <memory>
#include <string>

namespace snitch {

// A kretprobe defined through tracefs, with room for `maxactive` calls in
// flight at once. The perf kprobe PMU that libbpf attaches by keeps the
// kernel's default, two per CPU (at least 10): a call that returns while
// that many others are still inside the function, e.g. one of many threads
// blocked in a receive, is not seen. Removes its event when destroyed.
class TracefsKretprobe {
public:
	// Throws std::system_error when tracefs is not mounted or refuses.
	TracefsKretprobe(bpf_program* prog, const std::string& function, unsigned maxactive);
	~TracefsKretprobe();
	TracefsKretprobe(const TracefsKretprobe&) = delete;
	TracefsKretprobe& operator=(const TracefsKretprobe&) = delete;

private:
	void attach(bpf_program* prog, const std::string& id_file);
	std::string control_;  // kprobe_events
	std::string event_;    // group/name
	std::unique_ptr<bpf_link, CFree<bpf_link__destroy>> link_;
};

} // namespace snitch
