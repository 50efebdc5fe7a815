#pragma once
// SHA-256 of the executable a process runs, cached by (dev, ino).
//
// Identity comes from the event (stat(2) st_dev and st_ino, as the kernel
// reported them at exec). A miss opens /proc/PID/exe, or failing that the
// event's exe path (never when the event marks it exe_unverified), and hashes
// the file only when the opened file's (dev, ino) is the event's. The opened descriptor stays in the cache (bounded LRU), so a
// process that is gone later is still hashed by identity, and the inode cannot
// be reused while we hold it. Entries are invalidated by fanotify FAN_MODIFY
// marks (root), else by a ctime check on every hit: neither can be fooled by
// restoring the mtime. A file over the size cap, or whose hashing outlasts the
// time cap, gets an error instead, cached like a hash: a hostile executable
// (a 100 GiB sparse ELF runs) holds the stream for the time cap once, not for
// minutes on every event. Files over `inline_max` are hashed on a thread of
// their own (BackgroundHasher): their first events pass on at once with a
// sha256_error saying so, later ones get the sha256.
#include "core/c_handle.hpp"
#include "core/sha256_file.hpp"
#include "hash/background.hpp"
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unordered_map>

namespace snitch {

// The executable of one process as an event names it.
struct ExeRef {
	uint64_t pid = 0;
	uint64_t dev = 0, ino = 0;
	std::string_view exe; // may be empty
	bool unverified = false; // the event's exe_unverified: its path may name another file
};

struct HashLimits {
	off_t max_size = off_t(4) << 30;     // bytes; 0: no cap
	double max_seconds = 10;             // per file; 0: no cap
	off_t inline_max = off_t(256) << 20; // larger files are hashed off the event loop; 0: none are
};

struct HashOutcome {
	bool ok = false;
	Sha256Hex sha256{};
	std::string error; // a sentence, when !ok
};

class ExeHashCache {
public:
	// `max_open`: descriptors kept open at most (see open_file_budget).
	// `watch`: try fanotify first (needs CAP_SYS_ADMIN).
	explicit ExeHashCache(size_t max_open, bool watch = true, HashLimits limits = {});

	HashOutcome lookup(const ExeRef& ref);
	// Applies pending fanotify modifications: at once after refresh_soon()
	// (the input went idle), else at most once a millisecond, so a busy
	// stream does not pay a read(2) per event.
	void refresh_if_due();
	void refresh_soon() { refresh_due_ = true; }
	// Applies them now.
	void refresh();

	const char* invalidation() const { return fan_ ? "fanotify FAN_MODIFY" : "ctime check on every hit"; }
	size_t size() const { return entries_.size(); }
	size_t capacity() const { return max_open_; }

private:
	struct Key {
		uint64_t dev, ino;
		bool operator==(const Key&) const = default;
	};
	struct KeyHash {
		size_t operator()(const Key& k) const noexcept { return std::hash<uint64_t>()(k.ino * 0x9e3779b97f4a7c15ULL ^ k.dev); }
	};
	struct Entry {
		UniqueFd fd;
		bool watched = false;
		bool valid = false;
		Sha256Hex sha256{};
		std::string error; // when valid: why this file gets no hash
		bool pending = false;   // with the background hasher
		uint64_t generation = 0; // bumped when the file changes: a result for an older one is void
		struct timespec ctime {};
		off_t size = 0;
		std::list<Key>::iterator lru;
	};

	HashOutcome from_entry(const Key& key, Entry& e);
	void hash_entry(const Key& key, Entry& e, const struct stat& st);
	void apply_background();
	UniqueFd open_identity(const ExeRef& ref, std::string& why);
	Entry& insert(const Key& key, UniqueFd fd);
	void evict_oldest();
	bool unchanged(Entry& e);
	void invalidate(int event_fd);

	size_t max_open_;
	HashLimits limits_;
	std::unique_ptr<BackgroundHasher> background_;
	UniqueFd fan_;
	std::unordered_map<Key, Entry, KeyHash> entries_;
	std::list<Key> lru_; // most recent first
	Sha256File hasher_;
	bool refresh_due_ = true;
	int64_t last_refresh_ns_ = 0;
};

// Applies the config's "Set RLIMIT_NOFILE" (when > 0) and returns how many
// executables may stay open: `requested` (0: as many as the limit allows),
// capped to the soft limit less a reserve for the tool itself. Throws
// std::system_error when the limit cannot be set.
size_t open_file_budget(long set_rlimit_nofile, size_t requested);

} // namespace snitch
