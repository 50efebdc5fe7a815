// DNS answers as snitch-trace reads them off the network (hostile input):
// whatever the bytes, parse_dns_answers and parse_dns_question return without reading out of
// bounds, and every address it gives is IPv4 or IPv6 with a sane name.
#include "trace/dns_message.hpp"
#include "fuzz_input.hpp"
#include <netinet/in.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	// A heap copy of its exact size, so ASan sees a read past the end.
	std::vector<uint8_t> msg(data, data + size);
	for (const DnsAddress& a : parse_dns_answers(msg.data(), msg.size())) {
		if (a.family != AF_INET && a.family != AF_INET6)
			fuzz::property_failed("an answer of another family", fuzz::as_text(data, size));
		if (a.name.size() > 255)
			fuzz::property_failed("a name longer than DNS allows", fuzz::as_text(data, size));
	}
	if (auto q = parse_dns_question(msg.data(), msg.size()); q && q->name.size() > 255)
		fuzz::property_failed("a question longer than DNS allows", fuzz::as_text(data, size));
	return 0;
}
