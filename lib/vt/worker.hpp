#pragma once
#include "core/c_handle.hpp"
#include "vt/api.hpp"
#include "vt/reply.hpp"
#include "vt/store.hpp"
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace snitch {

struct VtSettings {
	std::string api_url = "https://www.virustotal.com";
	std::string key;                 // never logged, never in an event
	std::string ca_file;             // CA bundle to trust instead of the system's ("" = system)
	double request_limit = 15;       // seconds between two requests (the free quota is 4 a minute)
	bool upload = false;             // upload unknown executables
	long max_attempts = 5;           // failed requests per hash before it is given up (with an error event)
	double max_backoff = 3600;       // seconds
	long max_polls = 120;            // analysis polls per upload
	long long direct_upload_max = 32LL << 20;  // larger files go through /files/upload_url
};

// Works through the VirusTotal queue on its own thread so that the stream
// never waits for the network. The main thread submits hashes and collects
// finished event lines (vt and error events) whenever wake_fd() is readable.
class VtWorker {
public:
	VtWorker(VtSettings settings, const std::string& cache_path);
	~VtWorker();
	VtWorker(const VtWorker&) = delete;
	VtWorker& operator=(const VtWorker&) = delete;

	void start();
	// Queues a hash unless it has a verdict or is queued already.
	void submit(std::string sha256, std::string exe);
	// No more input: the thread ends once the queue is empty.
	void finish_input();
	// Stop now (SIGTERM): the queue stays on disk for the next run.
	void stop();
	// stop(), then waits for the thread to end.
	void join();
	// An eventfd that becomes readable when output is waiting or the thread ended.
	int wake_fd() const { return wake_.get(); }
	// Output lines so far (clears the eventfd); rethrows what ended the thread, if anything did.
	std::vector<std::string> take_output();
	bool finished() const { return finished_; }
	// Hashes still queued on disk; only after join().
	long queued() { return store_.queued(); }

private:
	void run() noexcept;
	void work();
	// False when woken by new input, stop, or end of input not yet seen
	// (`done_seen`: what the caller last read of input_done_).
	bool wait_until(double when, bool done_seen);
	void process(VtQueueItem& item);
	void lookup(VtQueueItem& item, double now);
	void upload(VtQueueItem& item, double now);
	void poll(VtQueueItem& item, double now);
	void answer(const VtQueueItem& item, const std::string& status, const VtCounts* counts, double asked);
	void failed(VtQueueItem& item, const std::string& what, double now);
	void give_up(const VtQueueItem& item, const std::string& why);
	void emit(std::string line);
	void wake();

	VtSettings s_;
	VtStore store_;
	std::atomic<bool> stop_{false};
	VtApi api_;
	UniqueFd wake_;
	std::mutex mu_;
	std::condition_variable cv_;
	std::vector<std::pair<std::string, std::string>> inbox_;
	std::vector<std::string> outbox_;
	bool input_done_ = false;
	std::atomic<bool> finished_{false};
	std::exception_ptr error_;
	double next_request_ = 0;
	long failures_in_a_row_ = 0;
	std::thread thread_;
};

} // namespace snitch
