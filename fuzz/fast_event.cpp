// FastEventParser (simdjson on demand): the hot path of snitch-hash, snitch-vt
// and snitch-store. Every field of whatever it accepts is read. Splicing is
// snitch-hash's (fuzz/hash_filter.cpp).
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
	});
	return 0;
}
