#include "vt/event_scan.hpp"
#include <stdexcept>

namespace snitch {

namespace od = simdjson::ondemand;

const std::vector<HashRef>& VtEventScanner::scan(std::string_view line)
{
	found_.clear();
	has_type_ = false;
	od::object& obj = parser_.parse(line);
	read_identity(obj, true);
	std::string_view text = parser_.line();
	if (text.empty() || text.back() != '}')
		throw std::runtime_error("not a JSON object: bytes after the closing brace");
	if (!has_type_)
		throw std::runtime_error("no \"type\" string");
	return found_;
}

void VtEventScanner::read_identity(od::object& obj, bool top)
{
	HashRef ref;
	bool has_sha = false;
	for (auto field : obj) {
		std::string_view key;
		od::value v;
		if (field.unescaped_key().get(key) || field.value().get(v))
			throw std::runtime_error("not a JSON object: bad field");
		std::string_view s;
		od::object sub;
		if (key == "type" && top)
			has_type_ = !v.get_string().get(s);
		else if (key == "sha256" && !v.get_string().get(s)) {
			ref.sha256 = s;
			has_sha = true;
		} else if (key == "exe" && !v.get_string().get(s))
			ref.exe = s;
		else if (top && (key == "parent" || key == "grandparent") && !v.get_object().get(sub))
			read_identity(sub, false);
	}
	if (has_sha)
		found_.push_back(std::move(ref));
}

} // namespace snitch
