#include "hash/exe_hash.hpp"
#include "core/clock.hpp"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/fanotify.h>
#include <sys/resource.h>
#include <system_error>
#include <time.h>
#include <unistd.h>

namespace snitch {
namespace {

constexpr int64_t refresh_period_ns = 1000000;
constexpr size_t fd_reserve = 64; // stdin/stdout/stderr, fanotify, event fds, the file being hashed

std::string identity(uint64_t dev, uint64_t ino)
{
	return "(dev " + std::to_string(dev) + ", ino " + std::to_string(ino) + ")";
}

// Why opening `path` did not give the event's file; empty when it did.
std::string check_open(const UniqueFd& fd, int open_errno, const ExeRef& ref, bool via_proc)
{
	std::string subject = via_proc ? "process " + std::to_string(ref.pid) : std::string(ref.exe);
	if (!fd) {
		if (via_proc && open_errno == ENOENT)
			return subject + " has exited";
		if (!via_proc && open_errno == ENOENT)
			return subject + " no longer exists";
		std::string path = via_proc ? "/proc/" + std::to_string(ref.pid) + "/exe" : std::string(ref.exe);
		return "cannot open " + path + ": " + std::strerror(open_errno);
	}
	struct stat st;
	if (::fstat(fd.get(), &st) != 0)
		return "cannot stat " + subject + ": " + std::strerror(errno);
	std::string now = identity(st.st_dev, st.st_ino);
	bool same = static_cast<uint64_t>(st.st_dev) == ref.dev && static_cast<uint64_t>(st.st_ino) == ref.ino;
	if (same && !S_ISREG(st.st_mode))
		return subject + " is not a regular file " + now; // a FIFO or device would never end
	if (same)
		return {};
	return via_proc ? subject + " now runs another executable " + now
			: subject + " is now another file " + now;
}

// A path the process chose (its exe as its own mount namespace names it) is
// looked at through O_PATH first, which opens nothing: a device or FIFO there
// never sees an open(2) from us. Only when it is the event's regular file is it
// opened for reading, through that descriptor, so no swap can come between.
UniqueFd open_checked(const std::string& path, const ExeRef& ref, bool via_proc, std::string& why)
{
	// O_NONBLOCK: a FIFO named by a crafted event must not block the stream.
	constexpr int read_flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	UniqueFd fd(::open(path.c_str(), via_proc ? read_flags : O_PATH | O_NOFOLLOW | O_CLOEXEC));
	int err = errno;
	why = check_open(fd, err, ref, via_proc);
	if (!why.empty() || via_proc) {
		if (!why.empty())
			fd.reset();
		return fd;
	}
	UniqueFd readable(::open(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), read_flags));
	if (!readable)
		why = "cannot open " + path + ": " + std::strerror(errno);
	return readable;
}

// Removes our mark from a file leaving the cache. A failure (the mark is
// already gone) leaves nothing to undo: events for inodes we no longer track
// find no entry and are dropped.
void unwatch_fd(int fan, int fd) noexcept
{
	if (fanotify_mark(fan, FAN_MARK_REMOVE, FAN_MODIFY, fd, nullptr) != 0)
		return;
}

// The file changed, or we can no longer tell: hash it again when next seen,
// and ignore what the background hasher says of its old contents.
template <class Entry> void void_entry(Entry& e)
{
	e.valid = false;
	if (e.pending) {
		e.pending = false;
		++e.generation;
	}
}

UniqueFd init_fanotify()
{
	// EPERM without CAP_SYS_ADMIN: the ctime check takes over.
	return UniqueFd(fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC));
}

} // namespace

ExeHashCache::ExeHashCache(size_t max_open, bool watch, HashLimits limits)
	: max_open_(max_open ? max_open : 1), limits_(limits)
{
	if (limits_.inline_max > 0)
		background_ = std::make_unique<BackgroundHasher>(limits_.max_seconds);
	if (watch)
		fan_ = init_fanotify();
}

HashOutcome ExeHashCache::lookup(const ExeRef& ref)
{
	if (ref.ino == 0)
		return {false, {}, "the event names no executable (ino 0)"};
	apply_background();
	Key key{ref.dev, ref.ino};
	if (auto it = entries_.find(key); it != entries_.end()) {
		lru_.splice(lru_.begin(), lru_, it->second.lru);
		return from_entry(key, it->second);
	}
	std::string why;
	UniqueFd fd = open_identity(ref, why);
	if (!fd)
		return {false, {}, why};
	return from_entry(key, insert(key, std::move(fd)));
}

UniqueFd ExeHashCache::open_identity(const ExeRef& ref, std::string& why)
{
	UniqueFd fd;
	if (ref.pid)
		fd = open_checked("/proc/" + std::to_string(ref.pid) + "/exe", ref, true, why);
	else
		why = "the event names no process (pid 0)";
	if (fd)
		return fd;
	if (ref.unverified) {
		why += ", and the event's exe path is not tried: it is marked exe_unverified";
		return fd;
	}
	if (ref.exe.empty() || ref.exe.front() != '/') {
		why += ", and the event names no absolute exe path to try";
		return fd;
	}
	std::string path_why;
	fd = open_checked(std::string(ref.exe), ref, false, path_why);
	if (!fd)
		why += ", and " + path_why;
	return fd;
}

ExeHashCache::Entry& ExeHashCache::insert(const Key& key, UniqueFd fd)
{
	while (entries_.size() >= max_open_)
		evict_oldest();
	lru_.push_front(key);
	Entry& e = entries_[key];
	e.lru = lru_.begin();
	e.fd = std::move(fd);
	// The mark goes on before the first read, so no write after it is missed.
	e.watched = fan_ && fanotify_mark(fan_.get(), FAN_MARK_ADD, FAN_MODIFY, e.fd.get(), nullptr) == 0;
	return e;
}

void ExeHashCache::evict_oldest()
{
	auto it = entries_.find(lru_.back());
	if (it->second.watched)
		unwatch_fd(fan_.get(), it->second.fd.get());
	entries_.erase(it);
	lru_.pop_back();
}

bool ExeHashCache::unchanged(Entry& e)
{
	if (e.watched)
		return true;
	struct stat st;
	if (::fstat(e.fd.get(), &st) != 0)
		return false;
	return st.st_ctim.tv_sec == e.ctime.tv_sec && st.st_ctim.tv_nsec == e.ctime.tv_nsec && st.st_size == e.size;
}

HashOutcome ExeHashCache::from_entry(const Key& key, Entry& e)
{
	if ((!e.valid || !unchanged(e)) && !e.pending) {
		struct stat st;
		if (::fstat(e.fd.get(), &st) != 0)
			return {false, {}, std::string("cannot stat the executable: ") + std::strerror(errno)};
		hash_entry(key, e, st);
	}
	if (e.pending)
		return {false, {}, "being hashed off the event loop (" + std::to_string(e.size) + " bytes): later events get its sha256"};
	if (!e.error.empty())
		return {false, {}, e.error};
	return {true, e.sha256, {}};
}

void ExeHashCache::hash_entry(const Key& key, Entry& e, const struct stat& st)
{
	e.error.clear();
	e.ctime = st.st_ctim;
	e.size = st.st_size;
	e.valid = true;
	if (limits_.max_size > 0 && st.st_size > limits_.max_size) {
		e.error = "the executable is " + std::to_string(st.st_size) + " bytes, over the cap of " +
			  std::to_string(limits_.max_size) + " (--max-size): not hashed";
		return;
	}
	if (background_ && st.st_size > limits_.inline_max) {
		UniqueFd dup(::fcntl(e.fd.get(), F_DUPFD_CLOEXEC, 0));
		if (dup) {
			background_->submit({key.dev, key.ino, ++e.generation, std::move(dup), st.st_size});
			e.pending = true;
			return;
		}
	}
	HashDone d = hash_capped(hasher_, e.fd.get(), st.st_size, limits_.max_seconds);
	e.sha256 = d.sha256;
	e.error = d.error;
	e.valid = !d.retry;
}

void ExeHashCache::apply_background()
{
	if (!background_)
		return;
	for (HashDone& d : background_->take()) {
		auto it = entries_.find(Key{d.dev, d.ino});
		if (it == entries_.end() || it->second.generation != d.generation)
			continue;  // evicted, or changed since: hashed again when next seen
		Entry& e = it->second;
		e.pending = false;
		e.sha256 = d.sha256;
		e.error = d.error;
		e.valid = e.valid && !d.retry;
	}
}

void ExeHashCache::refresh_if_due()
{
	if (!fan_)
		return;
	int64_t now = clock_ns(CLOCK_MONOTONIC);
	if (!refresh_due_ && now - last_refresh_ns_ < refresh_period_ns)
		return;
	refresh_due_ = false;
	last_refresh_ns_ = now;
	refresh();
}

void ExeHashCache::refresh()
{
	if (!fan_)
		return;
	// The kernel opens a descriptor per event returned: read few at a time,
	// so they fit in the reserve left under RLIMIT_NOFILE.
	alignas(struct fanotify_event_metadata) char buf[fd_reserve / 2 * sizeof(struct fanotify_event_metadata)];
	for (;;) {
		ssize_t n = ::read(fan_.get(), buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) { // e.g. EMFILE: events may be lost, trust nothing
			for (auto& kv : entries_)
				void_entry(kv.second);
			return;
		}
		if (n <= 0)
			return; // EAGAIN: nothing pending
		auto* m = reinterpret_cast<const struct fanotify_event_metadata*>(buf);
		for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			UniqueFd fd(m->fd); // the kernel opened it for us: always close it
			if (m->vers != FANOTIFY_METADATA_VERSION || (m->mask & FAN_Q_OVERFLOW))
				for (auto& kv : entries_)
					void_entry(kv.second);
			else if (fd)
				invalidate(fd.get());
		}
	}
}

void ExeHashCache::invalidate(int event_fd)
{
	struct stat st;
	if (::fstat(event_fd, &st) != 0) {
		for (auto& kv : entries_)
			void_entry(kv.second);
		return;
	}
	if (auto it = entries_.find(Key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)}); it != entries_.end())
		void_entry(it->second);
}

size_t open_file_budget(long set_rlimit_nofile, size_t requested)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) != 0)
		throw std::system_error(errno, std::generic_category(), "getrlimit(RLIMIT_NOFILE)");
	if (set_rlimit_nofile > 0) {
		r.rlim_cur = static_cast<rlim_t>(set_rlimit_nofile);
		if (r.rlim_max != RLIM_INFINITY && r.rlim_cur > r.rlim_max)
			r.rlim_max = r.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &r) != 0)
			throw std::system_error(errno, std::generic_category(),
				"setrlimit(RLIMIT_NOFILE, " + std::to_string(set_rlimit_nofile) + ") from config \"Set RLIMIT_NOFILE\"");
	}
	size_t soft = r.rlim_cur == RLIM_INFINITY ? size_t(1) << 20 : static_cast<size_t>(r.rlim_cur);
	size_t budget = soft > fd_reserve + 16 ? soft - fd_reserve : 16;
	return requested ? std::min(requested, budget) : budget;
}

} // namespace snitch
