#pragma once
// Which events become notifications, and how bursts are folded into one.
#include "core/event.hpp"
#include "notify/text.hpp"
#include "notify/summary.hpp"
#include <limits>
#include <string>
#include <vector>

namespace snitch {

struct NotifyPolicyOptions {
	double window = 1.0;           // a burst is told once this many seconds pass without more of it
	double max_gather = 5.0;       // ...or this long after it began, whichever comes first
	double error_interval = 10.0;  // at most one error notification this often
	size_t individual_max = 3;     // up to this many of a kind in one window: one notification each
	size_t list_max = 50;          // lines listed in a folded notification
};

// Reads the stream's events, keeps the Summary current and says what to tell.
class NotifyPolicy {
public:
	NotifyPolicy(Summary& summary, NotifyPolicyOptions o) : summary_(summary), o_(o) {}

	// One event; true when the summary changed.
	bool observe(const Json& event, double now);
	// Notifications whose gathering window has closed by `now` (all pending ones when `final`).
	std::vector<Notification> take_due(double now, bool final = false);
	// When take_due will next have something (infinity: nothing pending).
	double next_deadline() const;

	enum class Kind { new_program, changed, flagged };
	struct Item {
		Kind kind;
		std::string name, exe, sha256, parent_name, parent_exe, counts;
		std::string unverified; // the flow's exe_unverified: why its path may name another file
	};

private:
	bool observe_flow(const Json& e, double now);
	bool observe_vt(const Json& e, double now);
	void observe_error(const Json& e, double now);
	void add_item(Item item, double now);
	void take_items(std::vector<Notification>& out);
	void take_errors(std::vector<Notification>& out, double now);
	double items_due() const;

	Summary& summary_;
	NotifyPolicyOptions o_;
	std::vector<Item> items_;
	double items_since_ = 0, items_last_ = 0;
	uint64_t errors_ = 0;
	std::string last_error_;
	double errors_since_ = 0;
	double last_error_notice_ = -std::numeric_limits<double>::infinity();
};

} // namespace snitch
