#pragma once
// Delivery of notifications to org.freedesktop.Notifications on a desktop
// user's D-Bus session bus, through a helper process that runs as that user.
#include "core/c_handle.hpp"
#include "notify/text.hpp"
#include <deque>
#include <string>
#include <sys/types.h>

namespace snitch {

struct BusTarget {
	std::string user;     // whose session bus
	uid_t uid = 0;
	gid_t gid = 0;
	std::string address;  // D-Bus address, e.g. unix:path=/run/user/1000/bus
	std::string refused;  // why no user was chosen (each delivery fails with it)
};

// The user: `user` when given (a name or a uid), else the one who ran sudo,
// else (as root) the user of logind's active session on seat0, else the one
// user with a /run/user/UID/bus; with several and no seat user it refuses
// (BusTarget::refused) rather than guess.
// The address: $DBUS_SESSION_BUS_ADDRESS when set, else unix:path=/run/user/UID/bus.
// Throws std::runtime_error for an unknown user.
BusTarget resolve_bus_target(const std::string& user);

// Owns the helper process and the queue of what it has not yet delivered.
// Single-threaded: the owner polls fd() and calls on_readable() and pump().
class NotifyDelivery {
public:
	explicit NotifyDelivery(BusTarget target, size_t max_queue = 256) : target_(std::move(target)), max_queue_(max_queue) {}
	NotifyDelivery(const NotifyDelivery&) = delete;
	NotifyDelivery& operator=(const NotifyDelivery&) = delete;
	~NotifyDelivery();

	void enqueue(Notification n);
	// Starts the helper when needed and hands it the next notification when due.
	void pump(double now);
	// The helper's socket while an answer is awaited, else -1.
	int fd() const { return in_flight_ ? sock_.get() : -1; }
	// Reads the helper's answers (call when fd() is readable).
	void on_readable(double now);
	double next_deadline() const;
	size_t queued() const { return queue_.size(); }

private:
	void spawn();
	void stop_helper();
	void send_head(double now);
	void failed(const std::string& why, double now);
	void delivered();

	BusTarget target_;
	size_t max_queue_;
	std::deque<Notification> queue_;
	UniqueFd sock_;
	pid_t pid_ = -1;
	bool in_flight_ = false;
	double sent_at_ = 0, retry_at_ = 0, backoff_ = 0.5;
	bool failing_ = false, hinted_ = false;
	unsigned long dropped_ = 0;
	std::string replies_;
};

} // namespace snitch
