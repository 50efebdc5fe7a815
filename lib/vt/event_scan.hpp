#pragma once
#include "core/fast_event.hpp"
#include <string>
#include <string_view>
#include <vector>

namespace snitch {

// A sha256 field of an event and the exe next to it.
struct HashRef {
	std::string sha256, exe;
};

// What snitch-vt needs from each line, read with simdjson on demand: the line
// must be a JSON object with a string "type" (else std::runtime_error says why),
// and its sha256 fields (top level, "parent", "grandparent") are collected.
class VtEventScanner {
public:
	const std::vector<HashRef>& scan(std::string_view line);

private:
	void read_identity(simdjson::ondemand::object& obj, bool top);

	FastEventParser parser_;
	std::vector<HashRef> found_;
	bool has_type_ = false;
};

} // namespace snitch
