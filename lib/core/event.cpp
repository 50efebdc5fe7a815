#include "core/event.hpp"

namespace snitch {

std::string dump_line(const Json& j)
{
	return j.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

Json parse_event(std::string_view line)
{
	// nlohmann ends its input at a NUL byte: "{...}\0junk" would pass as "{...}".
	if (line.find('\0') != std::string_view::npos)
		throw std::runtime_error("not valid JSON: a NUL byte");
	Json j = Json::parse(line, nullptr, false);
	if (j.is_discarded())
		throw std::runtime_error("not valid JSON");
	if (!j.is_object())
		throw std::runtime_error("not a JSON object");
	auto t = j.find("type");
	if (t == j.end() || !t->is_string())
		throw std::runtime_error("no \"type\" string");
	return j;
}

Json error_event(std::string_view source, std::string_view message, uint64_t lost)
{
	Json e = {{"type", "error"}, {"time", epoch_now()}, {"source", source}, {"message", message}};
	if (lost)
		e["lost"] = lost;
	return e;
}

namespace {

// The order every event names a process in: pid, ppid and uid (where the event
// has them), comm, exe, cmdline, dev, ino, exe_unverified.
void put_identity(Json& j, const ProcessIdentity& p)
{
	j.update({{"comm", p.comm}, {"exe", p.exe}, {"cmdline", p.cmdline}, {"dev", p.dev}, {"ino", p.ino}});
	if (!p.exe_unverified.empty())
		j["exe_unverified"] = p.exe_unverified;
}

void put_process(Json& j, const ProcessIdentity& p, uint32_t ppid, uint32_t uid)
{
	j.update({{"pid", p.pid}, {"ppid", ppid}, {"uid", uid}});
	put_identity(j, p);
}

} // namespace

Json to_json(const ProcessIdentity& p)
{
	Json j = {{"pid", p.pid}};
	put_identity(j, p);
	return j;
}

Json exec_event(double time, const ProcessIdentity& p, uint32_t ppid, uint32_t uid)
{
	Json j = {{"type", "exec"}, {"time", time}};
	put_process(j, p, ppid, uid);
	return j;
}

Json to_json(const FlowEvent& f)
{
	Json j = {{"type", "flow"}, {"time", f.time}, {"start", f.start}};
	put_process(j, f.proc, f.ppid, f.uid);
	if (f.parent)
		j["parent"] = to_json(*f.parent);
	if (f.grandparent)
		j["grandparent"] = to_json(*f.grandparent);
	j.update({{"netns", f.netns}, {"cgroup", f.cgroup},
		{"family", f.family}, {"proto", f.proto},
		{"laddr", f.laddr}, {"lport", f.lport}, {"raddr", f.raddr}, {"rport", f.rport},
		{"domain", f.domain}, {"sent", f.sent}, {"recv", f.recv}, {"events", f.events}});
	return j;
}

} // namespace snitch
