#include "core/file_io.hpp"
#include "core/c_handle.hpp"
#include <cerrno>
#include <fcntl.h>
#include <system_error>
#include <unistd.h>

namespace snitch {
namespace {

[[noreturn]] void throw_errno(const std::string& what)
{
	throw std::system_error(errno, std::generic_category(), what);
}

std::string parent_dir(const std::string& path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void write_and_sync(int fd, std::string_view text, const std::string& path)
{
	write_all(fd, text, "write " + path);
	if (::fsync(fd) != 0)
		throw_errno("fsync " + path);
}

// Without this a new name may not survive a crash. A directory we may write
// but not read cannot be opened: the name stands unsynced.
void sync_parent_dir(const std::string& path)
{
	std::string dir = parent_dir(path);
	UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (d && ::fsync(d.get()) != 0)
		throw_errno("fsync " + dir);
}

} // namespace

void write_all(int fd, std::string_view data, const std::string& what)
{
	while (!data.empty()) {
		ssize_t n = ::write(fd, data.data(), data.size());
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno(what);
		data.remove_prefix(static_cast<size_t>(n));
	}
}

void write_file_durably(const std::string& path, std::string_view text)
{
	std::string tmp = path + ".tmp";
	UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	if (!fd)
		throw_errno("open " + tmp);
	write_and_sync(fd.get(), text, tmp);
	fd.reset();
	if (::rename(tmp.c_str(), path.c_str()) != 0)
		throw_errno("rename " + tmp);
	sync_parent_dir(path);
}

bool create_file_durably(const std::string& path, std::string_view text)
{
	UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
	if (!fd && errno == EEXIST)
		return false;
	if (!fd)
		throw_errno(path);
	write_and_sync(fd.get(), text, path);
	sync_parent_dir(path);
	return true;
}

} // namespace snitch
