#include "notify/summary.hpp"
#include "core/file_io.hpp"
#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>
#include <system_error>

namespace snitch {
namespace {

bool add_unique(std::vector<std::string>& v, const std::string& s)
{
	if (std::find(v.begin(), v.end(), s) != v.end())
		return false;
	v.push_back(s);
	return true;
}

std::string local_time_text(double now)
{
	time_t t = static_cast<time_t>(now);
	struct tm tm_now = {};
	localtime_r(&t, &tm_now);
	char text[32];
	size_t n = strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm_now);
	return std::string(text, n);
}

void read_lists(const Json& j, const char* key, std::map<std::string, std::vector<std::string>>& out, const std::string& path)
{
	auto it = j.find(key);
	if (it == j.end())
		return;
	if (!it->is_object())
		throw std::runtime_error(path + ": \"" + key + "\" is not an object");
	for (const auto& [k, v] : it->items()) {
		if (!v.is_array())
			throw std::runtime_error(path + ": \"" + key + "\" entry \"" + k + "\" is not a list");
		for (const auto& e : v)
			if (e.is_string())
				add_unique(out[k], e.get<std::string>());
	}
}

} // namespace

Summary Summary::load(const std::string& path)
{
	Summary s;
	std::ifstream f(path);
	if (!f)
		return s;
	std::stringstream text;
	text << f.rdbuf();
	Json j = Json::parse(text.str(), nullptr, false);
	if (j.is_discarded() || !j.is_object())
		throw std::runtime_error(path + ": not a JSON object (move it aside to start afresh)");
	if (auto it = j.find("Latest Entries"); it != j.end() && it->is_array())
		for (const auto& e : *it)
			if (e.is_string() && s.latest_.size() < max_latest)
				s.latest_.push_back(e.get<std::string>());
	read_lists(j, "Names", s.names_, path);
	read_lists(j, "Processes", s.processes_, path);
	if (auto it = j.find("SHA256"); it != j.end() && it->is_object())
		for (const auto& [exe, hashes] : it->items())
			if (hashes.is_object())
				for (const auto& [sha, verdict] : hashes.items())
					s.hashes_[exe][sha] = verdict.is_string() ? verdict.get<std::string>() : verdict.dump();
	for (const auto& [k, v] : j.items())
		if (k != "Latest Entries" && k != "Names" && k != "Processes" && k != "SHA256")
			s.extra_[k] = v;
	return s;
}

Seen Summary::record_flow(const std::string& name, const std::string& exe, const std::string& sha256, double now)
{
	Seen seen;
	auto proc = processes_.find(exe);
	seen.new_exe = proc == processes_.end();
	bool new_name = add_unique(processes_[exe], name);
	new_name = add_unique(names_[name], exe) || new_name;
	if (seen.new_exe || new_name) {
		latest_.push_front(local_time_text(now) + " " + name + " - " + exe);
		if (latest_.size() > max_latest)
			latest_.pop_back();
		seen.changed = true;
	}
	if (!sha256.empty()) {
		auto& known = hashes_[exe];
		if (!known.count(sha256)) {
			seen.new_hash = !seen.new_exe && !known.empty();
			known.emplace(sha256, pending_verdict);
			seen.changed = true;
		}
	}
	return seen;
}

bool Summary::record_verdict(const std::string& sha256, const std::string& exe, const std::string& verdict)
{
	bool changed = false;
	for (auto& [path, known] : hashes_) {
		auto it = known.find(sha256);
		if (it != known.end() && it->second != verdict) {
			it->second = verdict;
			changed = true;
		}
	}
	if (!exe.empty() && !hashes_[exe].count(sha256)) {
		hashes_[exe][sha256] = verdict;
		changed = true;
	}
	return changed;
}

Json Summary::to_json() const
{
	Json j = Json::object();
	j["Latest Entries"] = Json::array();
	for (const auto& e : latest_)
		j["Latest Entries"].push_back(e);
	j["Names"] = Json::object();
	for (const auto& [k, v] : names_)
		j["Names"][k] = v;
	j["Processes"] = Json::object();
	for (const auto& [k, v] : processes_)
		j["Processes"][k] = v;
	j["SHA256"] = Json::object();
	for (const auto& [exe, known] : hashes_)
		for (const auto& [sha, verdict] : known)
			j["SHA256"][exe][sha] = verdict;
	for (const auto& [k, v] : extra_.items())
		j[k] = v;
	return j;
}

void Summary::save(const std::string& path) const
{
	write_file_durably(path, to_json().dump(2, ' ', false, nlohmann::detail::error_handler_t::replace) + "\n");
}

} // namespace snitch
