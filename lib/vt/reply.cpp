#include "vt/reply.hpp"
#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace snitch {
namespace {

Json parse_reply(const std::string& body)
{
	Json j = Json::parse(body, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		throw std::runtime_error("reply is not a JSON object");
	return j;
}

const Json& member(const Json& j, const char* key, const char* what)
{
	auto it = j.find(key);
	if (it == j.end() || !it->is_object())
		throw std::runtime_error(std::string("reply has no ") + what);
	return *it;
}

VtCounts counts_of(const Json& stats)
{
	auto num = [&](const char* k) {
		auto it = stats.find(k);
		if (it == stats.end() || !it->is_number_integer())
			throw std::runtime_error(std::string("reply has no count \"") + k + "\"");
		return it->get<long>();
	};
	return {num("malicious"), num("suspicious"), num("undetected"), num("harmless")};
}

std::string data_string(const Json& j, const char* key, const char* what)
{
	auto it = j.find(key);
	if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
		throw std::runtime_error(std::string("reply has no ") + what);
	return it->get<std::string>();
}

} // namespace

VtCounts file_report_counts(const std::string& body)
{
	Json j = parse_reply(body);
	const Json& attrs = member(member(j, "data", "\"data\" object"), "attributes", "\"data.attributes\"");
	return counts_of(member(attrs, "last_analysis_stats", "\"last_analysis_stats\""));
}

std::string upload_url_of(const std::string& body)
{
	return data_string(parse_reply(body), "data", "upload URL in \"data\"");
}

std::string analysis_id_of(const std::string& body)
{
	Json j = parse_reply(body);
	return data_string(member(j, "data", "\"data\" object"), "id", "analysis id in \"data.id\"");
}

bool analysis_done(const std::string& body, VtCounts& counts, std::string& file_sha256)
{
	Json j = parse_reply(body);
	const Json& attrs = member(member(j, "data", "\"data\" object"), "attributes", "\"data.attributes\"");
	if (data_string(attrs, "status", "analysis status") != "completed")
		return false;
	counts = counts_of(member(attrs, "stats", "\"stats\""));
	file_sha256.clear();
	if (auto m = j.find("meta"); m != j.end() && m->is_object())
		if (auto fi = m->find("file_info"); fi != m->end() && fi->is_object())
			if (auto s = fi->find("sha256"); s != fi->end() && s->is_string())
				file_sha256 = s->get<std::string>();
	return true;
}

std::string api_error_text(const std::string& body)
{
	Json j = Json::parse(body, nullptr, false);
	if (j.is_discarded() || !j.is_object())
		return "";
	auto e = j.find("error");
	if (e == j.end() || !e->is_object())
		return "";
	std::string out;
	for (const char* k : {"code", "message"})
		if (auto it = e->find(k); it != e->end() && it->is_string())
			out += (out.empty() ? "" : ": ") + it->get<std::string>();
	return out;
}

bool is_sha256(const std::string& s)
{
	return s.size() == 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c); });
}

Json vt_event(const std::string& sha256, const std::string& exe, const std::string& status,
	const VtCounts* counts, double asked)
{
	Json e = {{"type", "vt"}, {"time", epoch_now()}, {"sha256", sha256}, {"exe", exe}, {"status", status}};
	if (counts)
		e.update({{"malicious", counts->malicious}, {"suspicious", counts->suspicious},
			{"undetected", counts->undetected}, {"harmless", counts->harmless}});
	e["link"] = "https://www.virustotal.com/gui/file/" + sha256;
	e["asked"] = asked;
	return e;
}

} // namespace snitch
