#pragma once
// snitch-store's write window: events are decoded (simdjson) into rows and
// merged by key and by the window of event time they fall in (time / window),
// so that a replayed stream yields the rows the live one did.
#include "core/fast_event.hpp"
#include "store/ignore.hpp"
#include "db/schema.hpp"
#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace snitch {

struct WindowOptions {
	double window = 1;           // seconds; 0: no merging, commit at idle or every commit_interval
	bool log_addresses = true;   // false: laddr, raddr and domain stored empty
	bool log_commands = true;    // false: cmdline stored empty
	IgnoreRules ignore;
	size_t max_rows = 100000;    // commit early past this many pending rows
};

class EventWindow {
public:
	explicit EventWindow(WindowOptions o) : o_(std::move(o)) {}
	// Decodes one event line into the window. Throws when it is not a JSON
	// object with a string "type", or when a field of a known type has the
	// wrong JSON type or is out of range; events of unknown types are ignored.
	void add(std::string_view line);
	// Whether the window should be committed now (monotonic seconds).
	bool due(double now) const;
	// No input for a whole window: the newest rows will get no more events.
	bool quiet(double now) const { return last_add_ >= 0 && now - last_add_ >= std::max(o_.window, 0.0); }
	bool idle_commit() const { return o_.window <= 0; }
	bool empty() const { return batch_.empty() && !batch_.events; }
	uint64_t pending_events() const { return batch_.events; }
	// The window's rows. Unless `all`, the rows of the newest event-time
	// window stay for the events still to come (and their processes with them),
	// until input is quiet or an event from a later window arrives.
	Batch take(bool all);
	// Processes written so far are not repeated in later batches; after a
	// batch was dropped they must be.
	void forget_processes() { known_.clear(); }

	// One process as an event names it (top level, parent or grandparent).
	struct Identity {
		std::string_view comm, exe, cmdline, sha256, exe_unverified;
		bool present = false;
	};

private:
	struct Fields;
	void read_fields(simdjson::ondemand::object& obj, Fields& f);
	std::string_view type_of(std::string_view line);
	int64_t record_process(const Identity& p, double time);
	int64_t cached_process_id(const Identity& p, std::string_view cmdline);
	void add_flow(const Fields& f);
	void add_exec(const Fields& f);
	void merge(ConnRow&& row, uint64_t lines = 1);
	double event_time(const Fields& f) const;
	bool keep_newest() const;

	struct Slot {
		double bucket;   // floor(event time / window)
		uint64_t lines;  // input lines merged into the row
	};

	WindowOptions o_;
	FastEventParser parser_;
	Batch batch_;
	std::unordered_map<std::string, size_t> index_;
	std::unordered_set<int64_t> known_;
	std::unordered_map<std::string, int64_t> process_ids_;
	std::string id_key_;
	std::vector<Slot> slots_;  // one per batch_.connections row
	std::string key_;
	double opened_ = -1, last_add_ = -1, newest_ = -HUGE_VAL;
	double latest_ = -HUGE_VAL; // the latest event time seen, of any type
};

} // namespace snitch
