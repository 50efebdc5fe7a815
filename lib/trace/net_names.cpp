#include "trace/net_names.hpp"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cstdio>
#include <sys/socket.h>

namespace snitch {

std::string family_name(uint16_t family)
{
	switch (family) {
	case AF_INET: return "ipv4";
	case AF_INET6: return "ipv6";
	case AF_PACKET: return "packet";
	default: return "af:" + std::to_string(family);
	}
}

std::string protocol_name(uint16_t family, uint16_t protocol)
{
	if (family == AF_PACKET) {
		uint16_t type = ntohs(protocol); // sk_protocol of a packet socket is in network order
		if (type == 0)
			return "eth:none";
		if (type == 3) // ETH_P_ALL
			return "eth:all";
		char buf[16];
		snprintf(buf, sizeof(buf), "eth:0x%04x", type);
		return buf;
	}
	switch (protocol) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	default: return "raw:" + std::to_string(protocol);
	}
}

std::string address_string(uint16_t family, const uint8_t* addr)
{
	char buf[INET6_ADDRSTRLEN] = "";
	if (family != AF_INET && family != AF_INET6)
		return "";
	inet_ntop(family, addr, buf, sizeof(buf));
	return buf;
}

} // namespace snitch
