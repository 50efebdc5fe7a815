#pragma once
// Notices handed from the daemon's snitch-notify to the desktop. The daemon's
// stage runs as the service user with no capabilities: it cannot, and must
// not, get onto a user's session bus. So it appends each notice as one JSON
// line to a file in the state directory (readable by the picosnitch group),
// and a listener that the desktop session starts as its own user follows that
// file and delivers to its own bus.
#include "core/c_handle.hpp"
#include "notify/dbus.hpp"
#include "notify/text.hpp"
#include <string>
#include <sys/types.h>
#include <vector>

namespace snitch {

class NoticeWriter {
public:
	// Past `max_size` bytes the file is renamed to PATH.1 and begun again.
	explicit NoticeWriter(std::string path, off_t max_size = 1 << 20) : path_(std::move(path)), max_size_(max_size) {}
	// Throws std::system_error when the file cannot be opened (a link there is
	// refused, never followed) or written.
	void write(const Notification& n, double now);

private:
	void open_file();

	std::string path_;
	off_t max_size_;
	UniqueFd fd_;
};

class NoticeFollower {
public:
	explicit NoticeFollower(std::string path) : path_(std::move(path)) {}
	// Notices appended since the last call. A file there when the listener
	// starts is read from its end (what was told before stays told); one that
	// appears later, or replaces it in a rotation, from its start (after the
	// old one is read to its end).
	std::vector<Notification> poll();

private:
	void read_lines(std::vector<Notification>& out);
	bool rotated() const;

	std::string path_;
	UniqueFd fd_;
	bool first_poll_ = true;
	std::string partial_;
};

// snitch-notify --listen: follows `path` and delivers each new notice to
// `target` (this user's own session bus) until SIGINT or SIGTERM. Returns 0.
int listen_notices(const std::string& path, const BusTarget& target, double poll_seconds = 0.5);

} // namespace snitch
