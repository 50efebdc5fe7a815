#pragma once
// snitch-web's live view: snitch-view --live's table fed from an event
// stream on a thread of its own, read by the HTTP handlers.
#include "view/live.hpp"
#include <atomic>
#include <mutex>
#include <thread>

namespace snitch {

class LiveFeed {
public:
	// Reads JSON Lines from `fd` until it ends or the feed is destroyed.
	LiveFeed(int fd, double window);
	~LiveFeed();
	LiveFeed(const LiveFeed&) = delete;
	LiveFeed& operator=(const LiveFeed&) = delete;

	struct Snapshot {
		std::vector<LiveTable::Entry> entries;
		uint64_t lines = 0, bad_lines = 0;
		bool ended = false;
	};
	Snapshot snapshot();
	double window() const { return window_; }

private:
	void run(int fd);
	double window_;
	std::mutex mu_;
	LiveTable table_;
	std::atomic<bool> stop_{false}, ended_{false};
	std::thread reader_;
};

} // namespace snitch
