#pragma once
// The per-line work of snitch-hash: `sha256` (or `sha256_error`) added to
// flow and exec events and to their `parent` and `grandparent` objects.
// Other events pass through byte for byte. The new fields are spliced into the
// original bytes; only when a key we would add already exists is the event
// rebuilt (nlohmann ordered_json, field order kept).
#include "hash/exe_hash.hpp"
#include "core/fast_event.hpp"
#include "core/jsonl_writer.hpp"
#include <array>
#include <string>
#include <string_view>

namespace snitch {

class ExeHashFilter {
public:
	explicit ExeHashFilter(ExeHashCache& cache) : cache_(cache) {}
	// Throws std::runtime_error when the line is not a JSON object with a
	// "type" string (the filter loop reports and skips it).
	void handle(std::string_view line, JsonlWriter& out);

	// One process of an event: the top level, its parent or its grandparent.
	struct Target {
		const char* label = "";   // "", "parent", "grandparent"
		bool present = false;
		ExeRef ref;
		std::string exe_storage; // ref.exe when it had to be unescaped
		bool has_dev = false, has_ino = false;
		bool has_hash_key = false; // "sha256" or "sha256_error" already there
		size_t close = 0;          // offset of the object's closing brace in the line
		bool empty_object = false;
		HashOutcome outcome;
	};

private:
	// Reads the top level into targets_[0] and the raw text of parent and
	// grandparent into nested[1], nested[2]; true for flow and exec events.
	bool scan_top(simdjson::ondemand::object& obj, std::string_view (&nested)[3]);
	void read_nested(int i, std::string_view raw, std::string_view line);
	void hash(Target& t);
	void splice(std::string_view line, JsonlWriter& out);
	void rebuild(std::string_view line, JsonlWriter& out);
	void report_errors(JsonlWriter& out);

	ExeHashCache& cache_;
	FastEventParser parser_;
	// One parser per nested object: the strings each returns live in it.
	std::array<simdjson::ondemand::parser, 2> sub_parser_;
	std::array<std::string, 2> sub_buf_;
	std::string out_;
	std::array<Target, 3> targets_;
};

} // namespace snitch
