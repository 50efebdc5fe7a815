#pragma once
// The config's "Log ignore" list: connections matching any entry are not logged.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace snitch {

struct IgnoreSubject {
	std::string_view name, exe, sha256, raddr, domain;
	int64_t lport = 0, rport = 0;
};

// Entries: a sha256 (64 hex digits), a port (digits), an IP address or CIDR
// range, a domain suffix (".example.com": the domain and its subdomains), an
// executable path ("/usr/bin/x"), else a process name (comm).
class IgnoreRules {
public:
	IgnoreRules() = default;
	explicit IgnoreRules(const std::vector<std::string>& entries);
	bool matches(const IgnoreSubject& s) const;
	bool empty() const { return empty_; }

private:
	struct Net {
		int family = 0;
		std::array<unsigned char, 16> addr{};
		int prefix = 0;
	};
	bool net_matches(std::string_view addr) const;

	bool empty_ = true;
	std::unordered_set<std::string> names_, exes_, hashes_;
	std::unordered_set<int64_t> ports_;
	std::vector<std::string> suffixes_;  // without the leading dot
	std::vector<Net> nets_;
};

} // namespace snitch
