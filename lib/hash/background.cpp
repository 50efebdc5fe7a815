#include "hash/background.hpp"
#include "core/stop_flag.hpp"
#include <utility>

namespace snitch {

BackgroundHasher::BackgroundHasher(double max_seconds) : max_seconds_(max_seconds)
{
	with_signals_blocked([this] { thread_ = std::thread([this] { run(); }); });
}

BackgroundHasher::~BackgroundHasher()
{
	stop_ = true;  // also ends the hash in progress (hash_fd's cancel)
	{
		std::lock_guard lock(mu_);
		cv_.notify_one();
	}
	thread_.join();
}

void BackgroundHasher::submit(HashJob job)
{
	std::lock_guard lock(mu_);
	jobs_.push_back(std::move(job));
	++outstanding_;
	cv_.notify_one();
}

std::vector<HashDone> BackgroundHasher::take()
{
	if (outstanding_ == 0)
		return {};
	std::lock_guard lock(mu_);
	outstanding_ -= done_.size();
	return std::exchange(done_, {});
}

void BackgroundHasher::run()
{
	for (;;) {
		HashJob job;
		{
			std::unique_lock lock(mu_);
			cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
			if (stop_)
				return;
			job = std::move(jobs_.front());
			jobs_.pop_front();
		}
		HashDone d = hash(job);
		std::lock_guard lock(mu_);
		done_.push_back(std::move(d));
	}
}

HashDone BackgroundHasher::hash(HashJob& job)
{
	HashDone d = hash_capped(hasher_, job.fd.get(), job.size, max_seconds_, &stop_);
	d.dev = job.dev;
	d.ino = job.ino;
	d.generation = job.generation;
	return d;
}

HashDone hash_capped(Sha256File& hasher, int fd, off_t size, double max_seconds, const std::atomic<bool>* cancel)
{
	HashDone d;
	try {
		d.sha256 = hasher.hash_fd(fd, max_seconds, cancel);
		d.ok = true;
	} catch (const HashTimedOut& e) {
		d.error = std::string("not hashed: ") + e.what() + " of " + std::to_string(size) + " (--max-seconds)";
	} catch (const std::exception& e) {
		d.error = std::string("cannot hash the executable: ") + e.what();
		d.retry = true;
	}
	return d;
}

} // namespace snitch
