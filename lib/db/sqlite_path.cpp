#include "db/sqlite_path.hpp"
#include <filesystem>
#include <stdexcept>

namespace snitch {

void check_sqlite_path(const std::string& path, const std::string& what)
{
	namespace fs = std::filesystem;
	std::error_code ec;
	if (fs::is_directory(path, ec))
		throw std::runtime_error(what + " " + path + ": is a directory");
	for (fs::path p = fs::path(path).parent_path(); !p.empty(); p = p.parent_path()) {
		fs::file_status st = fs::status(p, ec);
		if (fs::exists(st)) {
			if (!fs::is_directory(st))
				throw std::runtime_error(what + " " + path + ": cannot be created, " + p.string() + " is not a directory");
			return;
		}
		if (p == p.parent_path())
			return;
	}
}

} // namespace snitch
