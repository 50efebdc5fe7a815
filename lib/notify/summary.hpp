#pragma once
// summary.json as picosnitch 2.x keeps it: what snitch-notify has seen, so a
// restart does not announce known programs again.
//   {"Latest Entries": ["2026-01-02 03:04:05 curl - /usr/bin/curl", ...],
//    "Names": {name: [exe...]}, "Processes": {exe: [name...]},
//    "SHA256": {exe: {sha256: verdict}}}
#include "core/event.hpp"
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace snitch {

// What one flow taught us.
struct Seen {
	bool new_exe = false;   // first connection of this executable
	bool new_hash = false;  // a known executable with a sha256 not seen for it before
	bool changed = false;   // anything worth writing to disk
};

class Summary {
public:
	static constexpr size_t max_latest = 1000;
	inline static const std::string pending_verdict = "VT Pending";

	// Reads `path`; a missing file is an empty summary. Throws
	// std::runtime_error naming the file and the problem when it is malformed.
	static Summary load(const std::string& path);

	Seen record_flow(const std::string& name, const std::string& exe, const std::string& sha256, double now);
	// Sets the verdict of `sha256` for every executable that has it (and for
	// `exe` when given). True when something changed.
	bool record_verdict(const std::string& sha256, const std::string& exe, const std::string& verdict);

	Json to_json() const;
	// Writes atomically: a temporary file beside `path`, fsync, rename, fsync of the directory.
	void save(const std::string& path) const;

private:
	using Lists = std::map<std::string, std::vector<std::string>>;
	std::deque<std::string> latest_;
	Lists names_, processes_;
	std::map<std::string, std::map<std::string, std::string>> hashes_;
	Json extra_ = Json::object();  // unknown top-level keys, kept as they were
};

} // namespace snitch
