#include "config.hpp"
#include "event.hpp"
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace snitch {
namespace {

std::string home_of_invoking_user()
{
	if (const char* sudo_user = std::getenv("SUDO_USER"); sudo_user && geteuid() == 0)
		if (const passwd* pw = getpwnam(sudo_user))
			return pw->pw_dir;
	if (const char* home = std::getenv("HOME"); home && *home)
		return home;
	if (const passwd* pw = getpwuid(getuid()))
		return pw->pw_dir;
	return "/root";
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
	bool sudo = std::getenv("SUDO_USER") && geteuid() == 0;
	if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg && !sudo)
		return std::string(xdg) + "/picosnitch";
	return home_of_invoking_user() + "/.config/picosnitch";
}

Config load_config(const std::string& path)
{
	std::ifstream f(path);
	if (!f)
		return Config{};
	std::stringstream text;
	text << f.rdbuf();
	return parse_config(text.str(), path);
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

std::string default_config_json()
{
	Json j = {{"DB retention (days)", 365}, {"DB write limit (seconds)", 1}, {"Database", ""},
		{"Desktop notifications", true}, {"Log addresses", true}, {"Log commands", true},
		{"Log ignore", Json::array()}, {"Set RLIMIT_NOFILE", nullptr}, {"VT API key", ""},
		{"VT file upload", false}, {"VT request limit (seconds)", 15}};
	return j.dump(4) + "\n";
}

} // namespace snitch
