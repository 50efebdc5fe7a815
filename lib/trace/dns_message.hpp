#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace snitch {

// One address a DNS answer gave, with the name the client asked for (the
// question, so that a CNAME chain maps its final address to the first name).
struct DnsAddress {
	uint16_t family = 0;           // AF_INET or AF_INET6
	std::array<uint8_t, 16> addr{}; // network order; IPv4 in the first 4 bytes
	std::string name;              // lower case, no trailing dot
	uint32_t ttl = 0;
};

// The question of a DNS message: its id and first question.
struct DnsQuestion {
	uint16_t id = 0, type = 0, cls = 0;
	std::string name; // lower case, no trailing dot
	bool operator==(const DnsQuestion&) const = default;
};

// nullopt unless the message holds exactly one question, readable whole.
std::optional<DnsQuestion> parse_dns_question(const uint8_t* msg, size_t len);

// The A and AAAA records of a DNS response (RFC 1035 wire format, name
// compression included). Queries, truncated or malformed messages yield
// what could be read before the damage, never an exception.
std::vector<DnsAddress> parse_dns_answers(const uint8_t* msg, size_t len);

} // namespace snitch
