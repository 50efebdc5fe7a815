// Unit tests of the event contract's builders (lib/core/event): an exec event,
// a flow event and its parent name a process with the same keys in the same order.
#include "core/event.hpp"
#include <cstdio>
#include <string>
#include <vector>

using namespace snitch;

namespace {

int failures = 0;

std::vector<std::string> keys(const Json& j, const std::vector<std::string>& of)
{
	std::vector<std::string> out;
	for (auto it = j.begin(); it != j.end(); ++it)
		for (const std::string& k : of)
			if (it.key() == k)
				out.push_back(k);
	return out;
}

void expect_keys(const Json& j, const std::vector<std::string>& want, const char* what)
{
	std::vector<std::string> got = keys(j, want);
	if (got == want)
		return;
	std::fprintf(stderr, "%s: keys out of order in %s\n", what, dump_line(j).c_str());
	++failures;
}

} // namespace

int main()
{
	ProcessIdentity p{42, "curl", "/usr/bin/curl", 65024, 247228, "curl https://example.org", "deleted"};
	ProcessIdentity parent{41, "bash", "/usr/bin/bash", 65024, 1, "bash", ""};
	const std::vector<std::string> identity = {"pid", "ppid", "uid", "comm", "exe", "cmdline", "dev", "ino", "exe_unverified"};

	Json exec = exec_event(1.5, p, 41, 1000);
	expect_keys(exec, {"type", "time"}, "exec");
	expect_keys(exec, identity, "exec");

	FlowEvent f;
	f.proc = p;
	f.parent = &parent;
	Json flow = to_json(f);
	expect_keys(flow, identity, "flow");
	expect_keys(flow["parent"], {"pid", "comm", "exe", "cmdline", "dev", "ino"}, "flow's parent");
	if (exec["ppid"] != 41 || exec["uid"] != 1000 || exec["exe_unverified"] != "deleted" || flow["parent"].contains("exe_unverified")) {
		std::fprintf(stderr, "wrong values: %s\n", dump_line(exec).c_str());
		++failures;
	}
	return failures ? 1 : 0;
}
