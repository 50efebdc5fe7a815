#pragma once
// snitch-notify's work: watch the stream, keep summary.json, tell the user.
#include "notify/dbus.hpp"
#include "notify/notices.hpp"
#include "core/jsonl_writer.hpp"
#include "notify/policy.hpp"
#include "notify/summary.hpp"
#include <memory>
#include <optional>
#include <string>

namespace snitch {

struct NotifyServiceOptions {
	std::string summary_path;
	bool print = false;                 // notices to stdout instead of D-Bus
	std::string notices_path;           // notices appended there instead of D-Bus (the daemon)
	bool desktop = true;                // "Desktop notifications"
	std::optional<BusTarget> target;    // where D-Bus notifications go (desktop && !print)
	NotifyPolicyOptions policy;
	double save_interval = 1.0;         // seconds between summary.json writes while busy
	double exit_grace = 5.0;            // seconds to deliver what is queued at exit
};

class NotifyService {
public:
	explicit NotifyService(NotifyServiceOptions o);

	// Passes the line on unchanged and learns from it.
	void on_line(std::string_view line, JsonlWriter& out);
	void on_tick(double now, JsonlWriter& out);
	double next_deadline() const;
	int wake_fd() const { return delivery_ ? delivery_->fd() : -1; }
	// Tells what is still gathered, saves, and waits a little for delivery.
	void on_finish(JsonlWriter& out);

private:
	void tell(std::vector<Notification> notes, double now, JsonlWriter& out);
	void write_notice(const Notification& n, double now);
	void save_if_due(double now, bool force);
	void pump_delivery(double now);

	NotifyServiceOptions o_;
	Summary summary_;
	NotifyPolicy policy_;
	std::unique_ptr<NotifyDelivery> delivery_;
	std::unique_ptr<NoticeWriter> notices_;
	bool dirty_ = false;
	double last_save_ = 0;
};

} // namespace snitch
