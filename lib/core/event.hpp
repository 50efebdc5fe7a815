#pragma once
#include "core/clock.hpp"
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

// The event contract of snitch-events(7): what crosses the pipes between stages.
namespace snitch {

using Json = nlohmann::ordered_json;

// Compact one-line JSON; invalid UTF-8 (common in comm and cmdline) is replaced, not fatal.
std::string dump_line(const Json& j);

// Parses one event line with nlohmann (off the hot paths). Throws
// std::runtime_error saying why when it is not a JSON object with a string "type".
Json parse_event(std::string_view line);

// {"type":"error","time":...,"source":...,"message":...[,"lost":N]}
Json error_event(std::string_view source, std::string_view message, uint64_t lost = 0);

struct ProcessIdentity {
	uint32_t pid = 0;
	std::string comm;
	std::string exe;
	uint64_t dev = 0;
	uint64_t ino = 0;
	std::string cmdline;
	// Why exe may not name the file that ran ("" when it does): "deleted",
	// "no mount" (a memfd, a file of another mount namespace), "other mount namespace".
	std::string exe_unverified;
};

// {"pid":...,"comm":...,"exe":...,"cmdline":...,"dev":...,"ino":...[,"exe_unverified":...]}
Json to_json(const ProcessIdentity& p);
// {"type":"exec","time":...,"pid":...,"ppid":...,"uid":...,"comm":...}: the
// process named in the same code and key order as a flow event's.
Json exec_event(double time, const ProcessIdentity& p, uint32_t ppid, uint32_t uid);

struct FlowEvent {
	double time = 0, start = 0;
	ProcessIdentity proc;
	uint32_t ppid = 0, uid = 0;
	const ProcessIdentity* parent = nullptr;
	const ProcessIdentity* grandparent = nullptr;
	uint64_t netns = 0;
	std::string cgroup;
	std::string family, proto;
	std::string laddr, raddr;
	uint16_t lport = 0, rport = 0;
	std::string domain;
	uint64_t sent = 0, recv = 0, events = 0;
};

Json to_json(const FlowEvent& f);

} // namespace snitch
