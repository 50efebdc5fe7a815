#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

namespace snitch {

// cgroup v2 id (the inode of its directory) to its path below the cgroup2
// mount ("/system.slice/foo.service"); unresolvable ids read as their number.
class CgroupPaths {
public:
	explicit CgroupPaths(std::string mount) : mount_(std::move(mount)) {}
	std::string path(uint64_t id);

private:
	void rescan();
	std::string mount_;
	std::unordered_map<uint64_t, std::string> paths_;
	double last_scan_ = 0;
};

} // namespace snitch
