#pragma once
// snitch-store's write window: events are decoded (simdjson) into rows and
// merged by key until the window is committed as one Batch.
#include "core/fast_event.hpp"
#include "store/ignore.hpp"
#include "db/schema.hpp"
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

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
	bool idle_commit() const { return o_.window <= 0; }
	bool empty() const { return batch_.empty() && !batch_.events; }
	// The window's rows; the next window starts empty.
	Batch take();
	// Processes written so far are not repeated in later batches; after a
	// batch was dropped they must be.
	void forget_processes() { known_.clear(); }

private:
	struct Identity {
		std::string_view comm, exe, cmdline, sha256;
		bool present = false;
	};
	struct Fields;
	void read_fields(simdjson::ondemand::object& obj, Fields& f);
	std::string_view type_of(std::string_view line);
	int64_t record_process(const Identity& p, double time);
	void add_flow(const Fields& f);
	void add_exec(const Fields& f);
	void merge(ConnRow&& row);

	WindowOptions o_;
	FastEventParser parser_;
	Batch batch_;
	std::unordered_map<std::string, size_t> index_;
	std::unordered_set<int64_t> known_;
	std::string key_;
	double opened_ = -1;
};

} // namespace snitch
