#include "vt/worker.hpp"
#include "core/clock.hpp"
#include "core/event.hpp"
#include "core/sha256_file.hpp"
#include "core/stop_flag.hpp"
#include "vt/reply.hpp"
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace snitch {
namespace {

std::string http_problem(const HttpReply& r)
{
	std::string what = "HTTP " + std::to_string(r.status);
	if (r.status == 401)
		what += " (API key rejected)";
	else if (r.status == 429)
		what += " (quota exceeded)";
	std::string detail = api_error_text(r.body).substr(0, 200);
	return detail.empty() ? what : what + ": " + detail;
}


} // namespace

VtWorker::VtWorker(VtSettings settings, const std::string& cache_path)
	: s_(std::move(settings)), store_(cache_path), api_(s_.api_url, s_.key, s_.ca_file, stop_),
	  wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
	if (!wake_)
		throw std::system_error(errno, std::generic_category(), "eventfd");
}

VtWorker::~VtWorker()
{
	join();
}

void VtWorker::join()
{
	stop();
	if (thread_.joinable())
		thread_.join();
}

void VtWorker::start()
{
	with_signals_blocked([this] { thread_ = std::thread([this] { run(); }); });
}

void VtWorker::submit(std::string sha256, std::string exe)
{
	std::lock_guard lock(mu_);
	if (finished_)
		return;
	inbox_.emplace_back(std::move(sha256), std::move(exe));
	cv_.notify_one();
}

void VtWorker::finish_input()
{
	std::lock_guard lock(mu_);
	input_done_ = true;
	cv_.notify_one();
}

void VtWorker::stop()
{
	stop_ = true;
	std::lock_guard lock(mu_);
	cv_.notify_one();
}

std::vector<std::string> VtWorker::take_output()
{
	uint64_t count;
	while (::read(wake_.get(), &count, sizeof count) < 0 && errno == EINTR) {
	}
	std::vector<std::string> lines;
	std::lock_guard lock(mu_);
	lines.swap(outbox_);
	if (lines.empty() && finished_ && error_)
		std::rethrow_exception(std::exchange(error_, nullptr));
	return lines;
}

void VtWorker::run() noexcept
{
	try {
		work();
	} catch (const std::exception& e) {
		emit(dump_line(error_event("snitch-vt", std::string("VirusTotal lookups stopped: ") + e.what())));
		std::lock_guard lock(mu_);
		error_ = std::current_exception();
	}
	finished_ = true;
	wake();
}

void VtWorker::work()
{
	next_request_ = store_.last_request() + s_.request_limit;
	for (;;) {
		std::vector<std::pair<std::string, std::string>> fresh;
		bool done;
		{
			std::lock_guard lock(mu_);
			fresh.swap(inbox_);
			done = input_done_;
		}
		if (stop_)
			return;
		for (auto& [sha, exe] : fresh)
			if (!store_.known(sha))
				store_.enqueue(sha, exe, epoch_now());
		std::optional<VtQueueItem> item = store_.next_item();
		if (!item && done)
			return;
		double due = item ? std::max(item->next_try, next_request_) : INFINITY;
		if (due > epoch_now())
			wait_until(due, done);
		else
			process(*item);
	}
}

bool VtWorker::wait_until(double when, bool done_seen)
{
	std::unique_lock lock(mu_);
	// Compared with what the caller saw, not with input_done_ now: an end of
	// input between the two would otherwise be slept through, forever.
	auto woken = [&] { return stop_ || !inbox_.empty() || input_done_ != done_seen; };
	if (std::isinf(when)) {
		cv_.wait(lock, woken);
		return false;
	}
	auto wait = std::chrono::duration<double>(when - epoch_now());
	return !cv_.wait_for(lock, wait, woken);
}

void VtWorker::process(VtQueueItem& item)
{
	double now = epoch_now();
	next_request_ = now + s_.request_limit;
	store_.set_last_request(now);
	if (item.stage == "upload")
		upload(item, now);
	else if (item.stage == "poll")
		poll(item, now);
	else
		lookup(item, now);
}

void VtWorker::lookup(VtQueueItem& item, double now)
{
	HttpReply r = api_.get(api_.url("/files/" + item.sha256));
	if (stop_)
		return;
	if (!r.error.empty())
		return failed(item, "network error: " + r.error, now);
	if (r.status == 404 && s_.upload && !item.exe.empty()) {
		item.stage = "upload";
		item.attempts = 0;
		item.next_try = now;
		failures_in_a_row_ = 0;
		return store_.update(item);
	}
	if (r.status == 404)
		return answer(item, "unknown", nullptr, now);
	if (r.status != 200)
		return failed(item, http_problem(r), now);
	VtCounts counts;
	try {
		counts = file_report_counts(r.body);
	} catch (const std::exception& e) {
		return failed(item, std::string("unreadable reply: ") + e.what(), now);
	}
	answer(item, "found", &counts, now);
}

namespace {

// The executable, opened once: not through a link, not blocking on a FIFO,
// and only a regular file; it is hashed and sent from this descriptor.
UniqueFd open_upload(const std::string& path, struct stat& st)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
	if (!fd)
		throw std::system_error(errno, std::generic_category(), "open");
	if (::fstat(fd.get(), &st) != 0)
		throw std::system_error(errno, std::generic_category(), "fstat");
	if (!S_ISREG(st.st_mode))
		throw std::runtime_error("not a regular file");
	return fd;
}

} // namespace

void VtWorker::upload(VtQueueItem& item, double now)
{
	struct stat st;
	std::string actual;
	UniqueFd fd;
	try {
		fd = open_upload(item.exe, st);
		actual = to_string(Sha256File().hash_fd(fd.get()));
	} catch (const std::exception& e) {
		emit(dump_line(error_event("snitch-vt", "cannot upload " + item.exe + ": " + e.what())));
		return answer(item, "unknown", nullptr, now);
	}
	if (actual != item.sha256) {
		emit(dump_line(error_event("snitch-vt", "not uploading " + item.exe + ": its contents changed since it was hashed")));
		return answer(item, "unknown", nullptr, now);
	}
	std::string target = api_.url("/files");
	if (st.st_size > s_.direct_upload_max) {
		HttpReply u = api_.get(api_.url("/files/upload_url"));
		if (stop_)
			return;
		if (!u.error.empty() || u.status != 200)
			return failed(item, u.error.empty() ? http_problem(u) : "network error: " + u.error, now);
		try {
			target = upload_url_of(u.body);
		} catch (const std::exception& e) {
			return failed(item, std::string("unreadable reply: ") + e.what(), now);
		}
	}
	HttpReply r = api_.post_file(target, fd.get(), st.st_size, std::filesystem::path(item.exe).filename());
	if (stop_)
		return;
	if (!r.error.empty() || r.status != 200)
		return failed(item, r.error.empty() ? http_problem(r) : "network error: " + r.error, now);
	try {
		item.analysis_id = analysis_id_of(r.body);
	} catch (const std::exception& e) {
		return failed(item, std::string("unreadable reply: ") + e.what(), now);
	}
	item.stage = "poll";
	item.attempts = item.polls = 0;
	item.next_try = now;
	failures_in_a_row_ = 0;
	store_.update(item);
}

void VtWorker::poll(VtQueueItem& item, double now)
{
	HttpReply r = api_.get(api_.url("/analyses/" + item.analysis_id));
	if (stop_)
		return;
	if (!r.error.empty() || r.status != 200)
		return failed(item, r.error.empty() ? http_problem(r) : "network error: " + r.error, now);
	VtCounts counts;
	std::string analysed;
	bool done;
	try {
		done = analysis_done(r.body, counts, analysed);
	} catch (const std::exception& e) {
		return failed(item, std::string("unreadable reply: ") + e.what(), now);
	}
	failures_in_a_row_ = 0;
	if (done && !analysed.empty() && analysed != item.sha256)
		return give_up(item, "the uploaded file was analysed as " + analysed + ", not as the hash asked for");
	if (done)
		return answer(item, "analysed", &counts, now);
	if (++item.polls >= s_.max_polls)
		return give_up(item, "analysis " + item.analysis_id + " not completed after " + std::to_string(item.polls) + " polls");
	item.next_try = now;
	store_.update(item);
}

void VtWorker::answer(const VtQueueItem& item, const std::string& status, const VtCounts* counts, double asked)
{
	std::string line = dump_line(vt_event(item.sha256, item.exe, status, counts, asked));
	store_.answer(item.sha256, asked, line);
	failures_in_a_row_ = 0;
	emit(std::move(line));
}

void VtWorker::failed(VtQueueItem& item, const std::string& what, double now)
{
	++failures_in_a_row_;
	++item.attempts;
	double backoff = std::min(s_.max_backoff,
		std::max(s_.request_limit, 0.1) * std::pow(2.0, static_cast<double>(std::min(failures_in_a_row_ - 1, 40L))));
	next_request_ = std::max(next_request_, now + backoff);
	if (item.attempts >= s_.max_attempts)
		return give_up(item, what + "; gave up after " + std::to_string(item.attempts) + " attempts");
	item.next_try = now + backoff;
	store_.update(item);
	emit(dump_line(error_event("snitch-vt", "VirusTotal " + item.stage + " of " + item.sha256 + " (" + item.exe +
		") failed: " + what + "; retrying in " + seconds_text(backoff) + " (attempt " +
		std::to_string(item.attempts) + " of " + std::to_string(s_.max_attempts) + ")")));
}

void VtWorker::give_up(const VtQueueItem& item, const std::string& why)
{
	store_.drop(item.sha256);
	emit(dump_line(error_event("snitch-vt", "VirusTotal " + item.stage + " of " + item.sha256 + " (" + item.exe +
		") failed: " + why)));
}

void VtWorker::emit(std::string line)
{
	{
		std::lock_guard lock(mu_);
		outbox_.push_back(std::move(line));
	}
	wake();
}

void VtWorker::wake()
{
	uint64_t one = 1;
	while (::write(wake_.get(), &one, sizeof one) < 0 && errno == EINTR) {
	}
}

} // namespace snitch
