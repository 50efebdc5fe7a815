#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace snitch {

// config.json as picosnitch keeps it (picosnitch-config(5)); each stage reads
// the keys it concerns. Missing keys take their defaults.
struct Config {
	double db_retention_days = 365;           // "DB retention (days)"
	double db_write_limit_seconds = 1;        // "DB write limit (seconds)"
	bool desktop_notifications = true;        // "Desktop notifications"
	bool log_addresses = true;                // "Log addresses"
	bool log_commands = true;                 // "Log commands"
	std::vector<std::string> log_ignore;      // "Log ignore"
	long set_rlimit_nofile = 0;               // "Set RLIMIT_NOFILE" (0: leave as is)
	std::string vt_api_key;                   // "VT API key"
	bool vt_file_upload = false;              // "VT file upload"
	double vt_request_limit_seconds = 15;     // "VT request limit (seconds)"
	std::string database;                     // "Database": SQLite path or postgresql:// URI ("" = dir/snitch.db)
};

// Where config.json is: $PICOSNITCH_DIR, else /etc/picosnitch as root, else
// $XDG_CONFIG_HOME/picosnitch or ~/.config/picosnitch (never a sudo user's
// home: root does not read or write there).
std::string config_dir();
// Where the stages keep their files: $PICOSNITCH_DIR, else /var/lib/picosnitch
// as root, else config_dir().
std::string state_dir();

// Reads `path` (a missing file gives the defaults; "/dev/fd/N" reads the open
// descriptor N without reopening it; at most 1 MiB, a regular file). Throws std::runtime_error
// naming the key and the reason on a malformed file or a value of the wrong type.
Config load_config(const std::string& path);
// The same for the text of a config.json; `path` names it in errors.
Config parse_config(std::string_view text, const std::string& path);

} // namespace snitch
