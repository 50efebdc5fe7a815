// FastEventParser (simdjson on demand), splice_field and json_quote: the hot
// path of snitch-hash, snitch-vt and snitch-store. Every field is read; a
// field spliced into an object line nlohmann accepts keeps it an object.
#include "core/event.hpp"
#include "core/fast_event.hpp"
#include "fuzz_input.hpp"
#include <stdexcept>

namespace {

void read_all(simdjson::ondemand::object& obj)
{
	for (auto field : obj) {
		std::string_view key;
		if (field.unescaped_key().get(key))
			return;
		simdjson::ondemand::value v;
		if (field.value().get(v))
			return;
		simdjson::ondemand::object sub;
		std::string_view raw;
		if (!v.get_object().get(sub)) {
			if (sub.raw_json().get(raw))
				return;
		} else if (v.raw_json_token().empty()) {
			return;
		}
	}
}

// snitch-hash splices its fields into every event line parse_event accepts.
void check_splice(std::string_view line)
{
	if (!snitch::fuzz::is_event(line))
		return;
	std::string out;
	snitch::splice_field(out, line, "sha256", snitch::json_quote("no such file"));
	if (!snitch::fuzz::is_event(out))
		snitch::fuzz::property_failed("splice_field broke an event", line);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	std::string_view text = snitch::fuzz::as_text(data, size);
	snitch::FastEventParser parser;
	snitch::fuzz::for_each_line(text, [&](std::string_view line) {
		try {
			read_all(parser.parse(line));
		} catch (const std::exception&) {
		}
		check_splice(line);
	});
	return 0;
}
