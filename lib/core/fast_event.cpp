#include "core/fast_event.hpp"
#include <cstring>
#include <stdexcept>

namespace snitch {

simdjson::ondemand::object& FastEventParser::parse(std::string_view line)
{
	while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
		line.remove_suffix(1);
	// nlohmann downstream would end the line at a NUL byte.
	if (std::memchr(line.data(), '\0', line.size()))
		throw std::runtime_error("not valid JSON: a NUL byte");
	len_ = line.size();
	if (buf_.size() < len_ + simdjson::SIMDJSON_PADDING)
		buf_.resize(len_ + simdjson::SIMDJSON_PADDING);
	std::copy(line.begin(), line.end(), buf_.begin());
	auto err = parser_.iterate(buf_.data(), len_, buf_.size()).get(doc_);
	if (!err)
		err = doc_.get_object().get(obj_);
	// On demand reads only what is asked for: walk the object to its end once
	// so that `{...}}` or `{...} x` is refused instead of passed on.
	std::string_view whole;
	if (!err)
		err = obj_.raw_json().get(whole);
	if (err)
		throw std::runtime_error(std::string("not a JSON object: ") + simdjson::error_message(err));
	if (whole.data() + whole.size() != buf_.data() + len_)
		throw std::runtime_error("not a JSON object: text after the closing brace");
	doc_.rewind();
	if (doc_.get_object().get(obj_))
		throw std::runtime_error("not a JSON object");
	return obj_;
}

std::string json_quote(std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	std::string q;
	q.reserve(s.size() + 2);
	q.push_back('"');
	for (unsigned char c : s) {
		switch (c) {
		case '"': q += "\\\""; break;
		case '\\': q += "\\\\"; break;
		case '\n': q += "\\n"; break;
		case '\r': q += "\\r"; break;
		case '\t': q += "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				q += "\\u00";
				q.push_back(hex[c >> 4]);
				q.push_back(hex[c & 15]);
			} else {
				q.push_back(static_cast<char>(c));
			}
		}
	}
	q.push_back('"');
	return q;
}

} // namespace snitch
