#include "store/ignore.hpp"
#include <algorithm>
#include <arpa/inet.h>
#include <stdexcept>

namespace snitch {
namespace {

bool all_of_class(std::string_view s, int (*is)(int))
{
	return !s.empty() && std::all_of(s.begin(), s.end(), [is](unsigned char c) { return is(c) != 0; });
}

// Parses an address into 16 bytes; returns its family, or 0 when it is none.
int parse_addr(std::string_view text, std::array<unsigned char, 16>& out)
{
	std::string s(text);
	if (inet_pton(AF_INET, s.c_str(), out.data()) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1)
		return AF_INET6;
	return 0;
}

bool prefix_equal(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (!std::equal(a.begin(), a.begin() + whole, b.begin()))
		return false;
	if (!rest)
		return true;
	unsigned mask = (0xffu << (8 - rest)) & 0xffu;
	return (a[static_cast<size_t>(whole)] & mask) == (b[static_cast<size_t>(whole)] & mask);
}

} // namespace

IgnoreRules::IgnoreRules(const std::vector<std::string>& entries)
{
	for (const std::string& e : entries) {
		if (e.empty())
			continue;
		empty_ = false;
		Net net;
		size_t slash = e.find('/');
		std::string_view host = slash == std::string::npos ? std::string_view(e) : std::string_view(e).substr(0, slash);
		if (e.size() == 64 && all_of_class(e, isxdigit)) {
			std::string lower(e);
			std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
			hashes_.insert(lower);
		} else if (all_of_class(e, isdigit) && e.size() <= 5) {
			ports_.insert(std::stol(e));
		} else if ((net.family = parse_addr(host, net.addr))) {
			int max = net.family == AF_INET ? 32 : 128;
			std::string_view bits = slash == std::string::npos ? "" : std::string_view(e).substr(slash + 1);
			if (slash != std::string::npos && (!all_of_class(bits, isdigit) || bits.size() > 3 || std::stoi(std::string(bits)) > max))
				throw std::runtime_error("Log ignore: bad CIDR range \"" + e + "\"");
			net.prefix = bits.empty() ? max : std::stoi(std::string(bits));
			nets_.push_back(net);
		} else if (e[0] == '.') {
			suffixes_.push_back(e.substr(1));
		} else if (e[0] == '/') {
			exes_.insert(e);
		} else {
			names_.insert(e);
		}
	}
}

bool IgnoreRules::net_matches(std::string_view addr) const
{
	std::array<unsigned char, 16> a{};
	int family = parse_addr(addr, a);
	for (const Net& n : nets_)
		if (n.family == family && prefix_equal(n.addr, a, n.prefix))
			return true;
	return false;
}

bool IgnoreRules::matches(const IgnoreSubject& s) const
{
	if (empty_)
		return false;
	auto in = [](const std::unordered_set<std::string>& set, std::string_view v) {
		return !set.empty() && !v.empty() && set.count(std::string(v));
	};
	if (in(names_, s.name) || in(exes_, s.exe) || in(hashes_, s.sha256))
		return true;
	if (ports_.count(s.rport) || (s.lport && ports_.count(s.lport)))
		return true;
	for (const std::string& suf : suffixes_) {
		std::string_view d = s.domain;
		if (d == suf || (d.size() > suf.size() && d.substr(d.size() - suf.size()) == suf && d[d.size() - suf.size() - 1] == '.'))
			return true;
	}
	return !nets_.empty() && !s.raddr.empty() && net_matches(s.raddr);
}

} // namespace snitch
