#include "trace/dns_cache.hpp"
#include <algorithm>
#include <sys/socket.h>
#include <vector>

namespace snitch {

std::string DnsCache::key(uint16_t family, const uint8_t* addr)
{
	return std::string(reinterpret_cast<const char*>(addr), family == AF_INET ? 4 : 16);
}

bool DnsCache::add_answer(const uint8_t* query, size_t query_len, const uint8_t* msg, size_t len, double now)
{
	auto asked = parse_dns_question(query, query_len);
	if (!asked || asked != parse_dns_question(msg, len))
		return false;
	for (const DnsAddress& a : parse_dns_answers(msg, len))
		add(a, now);
	return true;
}

void DnsCache::add(const DnsAddress& a, double now)
{
	if (names_.size() >= capacity_)
		evict(now);
	constexpr uint32_t max_ttl = 86400;
	names_[key(a.family, a.addr.data())] = {a.name, now + std::min(a.ttl, max_ttl) + grace_};
}

std::string DnsCache::lookup(uint16_t family, const uint8_t* addr, double now) const
{
	if (family != AF_INET && family != AF_INET6)
		return "";
	auto it = names_.find(key(family, addr));
	if (it == names_.end() || it->second.expires < now) {
		// an IPv4-mapped IPv6 address (dual-stack socket) was answered as A
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (family == AF_INET6 && std::equal(mapped, mapped + 12, addr))
			return lookup(AF_INET, addr + 12, now);
		return "";
	}
	return it->second.name;
}

// Drops expired entries; if none had expired, the half that expires first.
void DnsCache::evict(double now)
{
	std::erase_if(names_, [now](const auto& kv) { return kv.second.expires < now; });
	if (names_.size() < capacity_)
		return;
	std::vector<double> times;
	for (const auto& kv : names_)
		times.push_back(kv.second.expires);
	std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
	double cut = times[times.size() / 2];
	std::erase_if(names_, [cut](const auto& kv) { return kv.second.expires <= cut; });
}

} // namespace snitch
