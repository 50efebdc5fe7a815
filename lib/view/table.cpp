#include "view/table.hpp"
#include <map>
#include <pwd.h>
#include <unistd.h>

namespace snitch {

std::string user_name(int64_t uid)
{
	if (uid < 0)
		return {};
	struct passwd pw, *found = nullptr;
	std::vector<char> buf(16384);
	if (::getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &found) != 0 || !found)
		return {};
	return found->pw_name;
}

namespace {

// Keys come back as text; numeric screens give numbers (null when empty).
Cell key_cell(ScreenKind screen, const std::string& key)
{
	if (screen != ScreenKind::rport && screen != ScreenKind::uid && screen != ScreenKind::time)
		return key;
	if (key.empty())
		return std::monostate{};
	try {
		return static_cast<int64_t>(std::stoll(key));
	} catch (const std::exception&) {
		return key;
	}
}

class UserNames {
public:
	Cell operator()(int64_t uid)
	{
		if (uid < 0)
			return std::monostate{};
		auto it = names_.find(uid);
		if (it == names_.end())
			it = names_.emplace(uid, user_name(uid)).first;
		return it->second.empty() ? Cell{} : Cell{it->second};
	}

private:
	std::map<int64_t, std::string> names_;
};

Cell time_cell(double t)
{
	return t > 0 ? Cell{t} : Cell{};
}

} // namespace

ResultTable rows_table(ScreenKind screen, const std::vector<Row>& rows)
{
	ResultTable t;
	const auto& info = screen_info(screen);
	bool user = screen == ScreenKind::uid;
	t.columns = {{"events", CellType::integer, "EVENTS", 10}, {"sent", CellType::integer, "SENT", 14},
		     {"received", CellType::integer, "RECEIVED", 14}, {"last_seen", CellType::time, "LAST_SEEN", 19}};
	CellType key_type = screen == ScreenKind::time ? CellType::time
			    : screen == ScreenKind::rport || user ? CellType::integer : CellType::text;
	t.columns.push_back({user ? "uid" : info.id, key_type, user ? "" : info.title, 0});
	if (user)
		t.columns.push_back({"user", CellType::text, info.title, 0});
	UserNames names;
	for (const auto& r : rows) {
		auto& out = t.rows.emplace_back();
		out = {r.events, r.sent, r.recv, time_cell(r.last), key_cell(screen, r.key)};
		if (user)
			out.push_back(r.key.empty() ? Cell{} : names(std::stoll(r.key)));
	}
	return t;
}

ResultTable sightings_table(const std::vector<Sighting>& rows)
{
	ResultTable t;
	t.columns = {{"first_seen", CellType::time, "FIRST_SEEN", 19}, {"kind", CellType::text, "KIND", 6},
		     {"value", CellType::text, "VALUE", -24}, {"exe", CellType::text, "EXECUTABLE", 0}};
	for (const auto& r : rows)
		t.rows.push_back({time_cell(r.time), r.kind, r.value, r.exe});
	return t;
}

ResultTable connections_table(const std::vector<Connection>& rows)
{
	ResultTable t;
	t.columns = {
		{"last_time", CellType::time, "LAST_SEEN", 19},  {"first_time", CellType::time, "", -1},
		{"events", CellType::integer, "EVENTS", 7},     {"sent", CellType::integer, "SENT", 12},
		{"received", CellType::integer, "RECEIVED", 12}, {"proto", CellType::text, "PROTO", 5},
		{"rport", CellType::integer, "PORT", 5},         {"raddr", CellType::text, "ADDRESS", -15},
		{"domain", CellType::text, "DOMAIN", -20},      {"pid", CellType::integer, "PID", 7},
		{"uid", CellType::integer, "", -1},              {"user", CellType::text, "USER", -8},
		{"exe", CellType::text, "EXECUTABLE", 0},       {"name", CellType::text, "", -1},
		{"cmdline", CellType::text, "", -1},             {"sha256", CellType::text, "", -1},
		{"parent_exe", CellType::text, "", -1},          {"parent_name", CellType::text, "", -1},
		{"family", CellType::text, "", -1},              {"laddr", CellType::text, "", -1},
		{"lport", CellType::integer, "", -1},            {"cgroup", CellType::text, "", -1},
		{"host", CellType::text, "", -1},                {"exe_unverified", CellType::text, "", -1},
	};
	UserNames names;
	for (const auto& c : rows)
		t.rows.push_back({time_cell(c.last), time_cell(c.first), c.events, c.sent, c.recv, c.proto, c.rport, c.raddr,
				  c.domain, c.pid, c.uid < 0 ? Cell{} : Cell{c.uid}, names(c.uid), c.exe, c.name, c.cmdline,
				  c.sha256, c.parent_exe, c.parent_name, c.family, c.laddr, c.lport, c.cgroup, c.host,
				  c.exe_unverified});
	return t;
}

ResultTable detail_table(const ExeDetail& d)
{
	ResultTable t;
	t.columns = {{"field", CellType::text, "", -1}, {"value", CellType::text, "", -1}, {"verdict", CellType::text, "", -1}};
	t.rows.push_back({std::string("exe"), d.exe, std::monostate{}});
	for (const auto& h : d.hashes)
		t.rows.push_back({std::string("sha256"), h.sha256, h.verdict});
	for (const auto& p : d.parents)
		t.rows.push_back({std::string("parent"), p, std::monostate{}});
	t.rows.push_back({std::string("first_seen"), d.first > 0 ? Cell{d.first} : Cell{}, std::monostate{}});
	t.rows.push_back({std::string("last_seen"), d.last > 0 ? Cell{d.last} : Cell{}, std::monostate{}});
	return t;
}

} // namespace snitch
