#include "core/config.hpp"
#include "core/c_handle.hpp"
#include "core/event.hpp"
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <algorithm>
#include <cstdlib>
#include <pwd.h>
#include <stdexcept>
#include <unistd.h>

namespace snitch {
namespace {

std::string home_of_user()
{
	if (const char* home = std::getenv("HOME"); home && *home)
		return home;
	if (const passwd* pw = getpwuid(getuid()))
		return pw->pw_dir;
	return "/root";
}

// "/dev/fd/N" is a descriptor the caller opened for us (picosnitch(1) hands
// unprivileged stages root's config that way): reopening it through /proc
// would check the file's mode against our uid. A missing file gives -1.
UniqueFd open_config(const std::string& path)
{
	if (path.rfind("/dev/fd/", 0) == 0 && path.size() > 8 && path.find_first_not_of("0123456789", 8) == std::string::npos) {
		int fd = fcntl(std::stoi(path.substr(8)), F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			throw std::system_error(errno, std::generic_category(), path);
		return UniqueFd(fd);
	}
	int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		throw std::system_error(errno, std::generic_category(), "open " + path);
	return UniqueFd(fd);
}

template <class T> void read_key(const Json& j, const char* key, T& out, bool (Json::*is_type)() const noexcept, const char* type)
{
	auto it = j.find(key);
	if (it == j.end() || it->is_null())
		return;
	if (!((*it).*is_type)())
		throw std::runtime_error(std::string("config key \"") + key + "\": expected " + type);
	out = it->get<T>();
}

} // namespace

std::string config_dir()
{
	if (const char* dir = std::getenv("PICOSNITCH_DIR"); dir && *dir)
		return dir;
	if (geteuid() == 0)
		return "/etc/picosnitch";
	if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
		return std::string(xdg) + "/picosnitch";
	return home_of_user() + "/.config/picosnitch";
}

std::string state_dir()
{
	if (const char* dir = std::getenv("PICOSNITCH_DIR"); dir && *dir)
		return dir;
	return geteuid() == 0 ? "/var/lib/picosnitch" : config_dir();
}

Config load_config(const std::string& path)
{
	constexpr size_t max_size = 1 << 20;
	UniqueFd fd = open_config(path);
	if (!fd)
		return Config{};
	struct stat st;
	if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
		throw std::runtime_error(path + ": not a regular file");
	std::string text;
	char buf[65536];
	for (off_t off = 0;;) {
		ssize_t n = pread(fd.get(), buf, sizeof(buf), off);
		if (n < 0)
			throw std::system_error(errno, std::generic_category(), "read " + path);
		if (n == 0)
			break;
		text.append(buf, static_cast<size_t>(n));
		off += n;
		if (text.size() > max_size)
			throw std::runtime_error(path + ": larger than 1 MiB");
	}
	return parse_config(text, path);
}

Config parse_config(std::string_view text, const std::string& path)
{
	Config c;
	Json j = Json::parse(text, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		throw std::runtime_error(path + ": not a JSON object");
	read_key(j, "DB retention (days)", c.db_retention_days, &Json::is_number, "a number");
	read_key(j, "DB write limit (seconds)", c.db_write_limit_seconds, &Json::is_number, "a number");
	read_key(j, "Desktop notifications", c.desktop_notifications, &Json::is_boolean, "true or false");
	read_key(j, "Log addresses", c.log_addresses, &Json::is_boolean, "true or false");
	read_key(j, "Log commands", c.log_commands, &Json::is_boolean, "true or false");
	if (auto it = j.find("Log ignore"); it != j.end() && !it->is_null()) {
		if (!it->is_array() || !std::all_of(it->begin(), it->end(), [](const Json& e) { return e.is_string(); }))
			throw std::runtime_error("config key \"Log ignore\": expected a list of strings");
		c.log_ignore = it->get<std::vector<std::string>>();
	}
	read_key(j, "Set RLIMIT_NOFILE", c.set_rlimit_nofile, &Json::is_number_integer, "an integer");
	read_key(j, "VT API key", c.vt_api_key, &Json::is_string, "a string");
	read_key(j, "VT file upload", c.vt_file_upload, &Json::is_boolean, "true or false");
	read_key(j, "VT request limit (seconds)", c.vt_request_limit_seconds, &Json::is_number, "a number");
	read_key(j, "Database", c.database, &Json::is_string, "a string");
	if (c.db_retention_days < 0)
		throw std::runtime_error("config key \"DB retention (days)\": must not be negative");
	if (c.db_write_limit_seconds < 0)
		throw std::runtime_error("config key \"DB write limit (seconds)\": must not be negative");
	if (c.vt_request_limit_seconds < 0)
		throw std::runtime_error("config key \"VT request limit (seconds)\": must not be negative");
	return c;
}

} // namespace snitch
