#pragma once
#include "trace/dns_message.hpp"
#include <cstdint>
#include <string>
#include <unordered_map>

namespace snitch {

// Address -> the DNS name whose answer the host last saw for it. Entries
// live for their TTL (at most a day: the answer's sender picks it) plus
// `grace` seconds (connections outlive TTLs), and the oldest go first when
// there are more than `capacity`.
class DnsCache {
public:
	explicit DnsCache(double grace = 600, size_t capacity = 65536) : grace_(grace), capacity_(capacity) {}
	// Remembers the A/AAAA records of a DNS response when it answers
	// `query` (same id and question); false when it does not.
	bool add_answer(const uint8_t* query, size_t query_len, const uint8_t* msg, size_t len, double now);
	void add(const DnsAddress& a, double now);
	// The name for a 4- or 16-byte address, or "".
	std::string lookup(uint16_t family, const uint8_t* addr, double now) const;
	size_t size() const { return names_.size(); }

private:
	struct Entry {
		std::string name;
		double expires;
	};
	static std::string key(uint16_t family, const uint8_t* addr);
	void evict(double now);
	double grace_;
	size_t capacity_;
	std::unordered_map<std::string, Entry> names_;
};

} // namespace snitch
