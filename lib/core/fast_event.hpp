#pragma once
// simdjson on-demand reading of one event line, for the hot paths
// (snitch-hash, snitch-store): no DOM, no re-serialisation.
#include <simdjson.h>
#include <string>
#include <string_view>

namespace snitch {

class FastEventParser {
public:
	// Parses `line` (copied into a padded buffer owned by the parser). Throws
	// std::runtime_error naming the problem when it is not a JSON object.
	simdjson::ondemand::object& parse(std::string_view line);
	// The line as parsed, without trailing whitespace.
	std::string_view line() const { return std::string_view(buf_.data(), len_); }

private:
	simdjson::ondemand::parser parser_;
	simdjson::ondemand::document doc_;
	simdjson::ondemand::object obj_;
	std::string buf_;
	size_t len_ = 0;
};

// A JSON string literal for `s` (quotes included), control characters escaped.
std::string json_quote(std::string_view s);

} // namespace snitch
