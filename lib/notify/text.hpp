#pragma once
// The words of snitch-notify's notifications, made safe for a notification
// server: everything that came from another process is escaped here.
#include <string>
#include <string_view>

namespace snitch {

struct Notification {
	std::string summary;  // escaped, one line
	std::string body;     // escaped; lines separated by '\n'
	bool urgent = false;  // VirusTotal detections
};

// Text from an untrusted process (comm, exe, cmdline, error messages) made fit
// for a notification: invalid UTF-8, C0/C1 control characters (newlines and
// tabs included) and bidi overrides become U+FFFD, markup characters
// (& < > " ') become entities, and anything past `max_bytes` is cut at a
// character boundary and marked with an ellipsis.
std::string notify_escape(std::string_view untrusted, size_t max_bytes = 240);

} // namespace snitch
