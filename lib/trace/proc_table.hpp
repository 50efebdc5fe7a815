#pragma once
#include "core/event.hpp"
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

struct exec_record;

namespace snitch {

struct ProcessInfo : ProcessIdentity {
	uint32_t ppid = 0;
	uint32_t uid = 0;
	double exited = 0; // epoch seconds, 0 while running
};

// What snitch-trace knows of every process: seeded from /proc at start, then
// kept current from the kernel's exec, fork and exit records, so that a process
// that is gone by the time its traffic is reported is still attributed.
class ProcessTable {
public:
	void scan_proc();
	const ProcessInfo& on_exec(const exec_record& r);
	void on_fork(uint32_t pid, uint32_t ppid);
	void on_exit(uint32_t pid);
	// Known process, else what /proc still says, else nullptr.
	const ProcessInfo* find(uint32_t pid);
	// Forgets processes that exited more than `keep` seconds ago.
	void expire(double keep);
	size_t size() const { return procs_.size(); }

private:
	std::unordered_map<uint32_t, ProcessInfo> procs_;
	uint32_t own_mnt_ns_ = 0;
};

// /proc/PID as it is now; nullopt when the process is gone.
std::optional<ProcessInfo> read_proc(uint32_t pid);

// `path` as the kernel saw it from the process's own mount namespace (a
// container's root), turned into the path that names the same file (dev,
// ino) here: tried as is, then below every mount of that device.
std::string host_path(const std::string& path, uint64_t dev, uint64_t ino);

// Absolute path from the components the kernel wrote leaf first.
std::string path_from_components(const char* buf, uint32_t len, uint32_t depth);

// argv as the kernel keeps it (NUL-separated) joined by spaces.
std::string join_args(const char* buf, uint32_t len);

} // namespace snitch
