#include "trace/cgroup_paths.hpp"
#include "core/event.hpp"
#include <filesystem>
#include <sys/stat.h>

namespace snitch {

void CgroupPaths::rescan()
{
	namespace fs = std::filesystem;
	last_scan_ = epoch_now();
	if (mount_.empty())
		return;
	std::error_code ec;
	struct stat st;
	if (stat(mount_.c_str(), &st) == 0)
		paths_[st.st_ino] = "/";
	for (fs::recursive_directory_iterator it(mount_, fs::directory_options::skip_permission_denied, ec), end;
	     !ec && it != end; it.increment(ec)) {
		if (!it->is_directory(ec) || it.depth() > 12)
			continue;
		if (stat(it->path().c_str(), &st) == 0)
			paths_[st.st_ino] = "/" + fs::relative(it->path(), mount_, ec).string();
	}
}

std::string CgroupPaths::path(uint64_t id)
{
	auto it = paths_.find(id);
	if (it == paths_.end() && epoch_now() - last_scan_ > 1.0) {
		rescan();
		it = paths_.find(id);
	}
	return it == paths_.end() ? std::to_string(id) : it->second;
}

} // namespace snitch
