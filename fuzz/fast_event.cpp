// FastEventParser (simdjson on demand), splice_field and json_quote: the hot
// path of snitch-hash, snitch-vt and snitch-store. Every field is read; a
// field spliced into an object line nlohmann accepts keeps it an object.
#include "event.hpp"
#include "fast_event.hpp"
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

void check_splice(std::string_view line, std::string_view key)
{
	snitch::Json j = snitch::Json::parse(line, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		return;
	std::string out;
	snitch::splice_field(out, line, key, snitch::json_quote(line));
	snitch::Json spliced = snitch::Json::parse(out, nullptr, false);
	if (spliced.is_discarded() || !spliced.is_object())
		snitch::fuzz::property_failed("splice_field broke a JSON object", line);
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
		check_splice(line, line.substr(0, 8));
	});
	return 0;
}
