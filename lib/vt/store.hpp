#pragma once
#include "db/handles.hpp"
#include <optional>
#include <sqlite3.h>
#include <string>

namespace snitch {

// One hash waiting for VirusTotal. `stage` is "lookup", "upload" or "poll".
struct VtQueueItem {
	std::string sha256, exe, stage = "lookup", analysis_id;
	long attempts = 0, polls = 0;
	double next_try = 0, added = 0;
};


// The persistent side of snitch-vt (one SQLite file): verdicts already
// received (no hash is asked twice), the queue of hashes still to ask (it
// survives restarts) and the time of the last request (the rate limit too).
// Not thread-safe: one thread uses it at a time.
class VtStore {
public:
	explicit VtStore(const std::string& path);

	// True when the hash has a verdict or is already queued.
	bool known(const std::string& sha256);
	void enqueue(const std::string& sha256, const std::string& exe, double now);
	// The queued item due first, if any.
	std::optional<VtQueueItem> next_item();
	void update(const VtQueueItem& item);
	// Records the verdict event and takes the hash off the queue.
	void answer(const std::string& sha256, double asked, const std::string& event_line);
	// Takes the hash off the queue without a verdict (it will be asked again next run).
	void drop(const std::string& sha256);
	std::optional<std::string> verdict(const std::string& sha256);
	long queued();
	double last_request();
	void set_last_request(double t);

private:
	void exec(const char* sql);
	Sqlite db_;
};

} // namespace snitch
