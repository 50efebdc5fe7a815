#pragma once
#include <cstdint>
#include <string>

namespace snitch {

// "ipv4", "ipv6", "packet", or "af:N".
std::string family_name(uint16_t family);
// "tcp", "udp", "icmp", "icmpv6", "sctp", "udplite", else "raw:N"; for
// AF_PACKET the EtherType the socket was opened for: "eth:all", "eth:0x88b5".
std::string protocol_name(uint16_t family, uint16_t protocol);
// inet_ntop of a 4- or 16-byte address in network order.
std::string address_string(uint16_t family, const uint8_t* addr);

} // namespace snitch
