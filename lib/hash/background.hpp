#pragma once
// Hashing of large executables on a thread of its own, so that the stream
// never waits for them: the event that finds one passes on with a
// sha256_error saying it is being hashed, and later events of that file get
// the sha256. One file at a time, each under the time cap.
#include "core/c_handle.hpp"
#include "core/sha256_file.hpp"
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace snitch {

struct HashJob {
	uint64_t dev = 0, ino = 0, generation = 0;
	UniqueFd fd; // our own duplicate: the cache may close its descriptor meanwhile
	off_t size = 0;
};

struct HashDone {
	uint64_t dev = 0, ino = 0, generation = 0;
	bool ok = false;
	Sha256Hex sha256{};
	std::string error;   // when !ok
	bool retry = false;  // a read error, which may pass: worth another try
};

// The hash of the file open on `fd` under the time cap, or why there is none.
HashDone hash_capped(Sha256File& hasher, int fd, off_t size, double max_seconds, const std::atomic<bool>* cancel = nullptr);

class BackgroundHasher {
public:
	explicit BackgroundHasher(double max_seconds);
	~BackgroundHasher();
	BackgroundHasher(const BackgroundHasher&) = delete;
	BackgroundHasher& operator=(const BackgroundHasher&) = delete;

	void submit(HashJob job);
	// Results so far, oldest first; without a lock while nothing is submitted
	// (it is called for every event).
	std::vector<HashDone> take();

private:
	void run();
	HashDone hash(HashJob& job);

	double max_seconds_;
	std::mutex mu_;
	std::condition_variable cv_;
	std::deque<HashJob> jobs_;
	std::vector<HashDone> done_;
	std::atomic<bool> stop_{false};
	std::atomic<size_t> outstanding_{0};  // submitted, not yet taken
	Sha256File hasher_;
	std::thread thread_;
};

} // namespace snitch
