#include "trace/dns_message.hpp"
#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <sys/socket.h>
#include <unordered_map>

namespace snitch {
namespace {

constexpr uint16_t TYPE_A = 1, TYPE_CNAME = 5, TYPE_AAAA = 28, CLASS_IN = 1;
constexpr int MAX_POINTERS = 32, MAX_CHAIN = 16;

class Reader {
public:
	Reader(const uint8_t* msg, size_t len) : msg_(msg), len_(len) {}
	bool ok() const { return ok_; }
	size_t pos() const { return pos_; }
	void skip(size_t n) { need(n) ? void(pos_ += n) : void(); }
	uint16_t u16()
	{
		if (!need(2))
			return 0;
		uint16_t v = static_cast<uint16_t>(msg_[pos_] << 8 | msg_[pos_ + 1]);
		pos_ += 2;
		return v;
	}
	uint32_t u32() { return static_cast<uint32_t>(u16()) << 16 | u16(); }
	const uint8_t* bytes(size_t n) { return need(n) ? msg_ + (pos_ += n) - n : nullptr; }
	std::string name();

private:
	bool need(size_t n)
	{
		ok_ = ok_ && pos_ + n <= len_;
		return ok_;
	}
	const uint8_t* msg_;
	size_t len_, pos_ = 0;
	bool ok_ = true;
};

// A domain name at the current position; follows compression pointers.
std::string Reader::name()
{
	std::string out;
	size_t at = pos_, resume = 0, wire = 0;
	int jumps = 0;
	while (ok_) {
		if (at >= len_)
			return ok_ = false, out;
		uint8_t n = msg_[at];
		if ((n & 0xc0) == 0xc0) {
			if (at + 1 >= len_ || ++jumps > MAX_POINTERS)
				return ok_ = false, out;
			if (!resume)
				resume = at + 2;
			at = static_cast<size_t>((n & 0x3f) << 8 | msg_[at + 1]);
			continue;
		}
		if (n == 0) {
			pos_ = resume ? resume : at + 1;
			return out;
		}
		// RFC 1035 3.1: 255 octets at most. Pointers could otherwise build one
		// name of megabytes from a single 64 KiB answer.
		wire += 1 + n;
		if (n > 63 || at + 1 + n > len_ || wire + 1 > 255)
			return ok_ = false, out;
		if (!out.empty())
			out += '.';
		for (size_t i = 0; i < n; i++)
			out += static_cast<char>(std::tolower(msg_[at + 1 + i]));
		at += 1 + n;
	}
	return out;
}

// Follows CNAMEs from `from`; true when the chain reaches `to`.
bool chain_reaches(const std::unordered_map<std::string, std::string>& cnames, std::string from,
		   const std::string& to)
{
	for (int i = 0; i < MAX_CHAIN; i++) {
		if (from == to)
			return true;
		auto it = cnames.find(from);
		if (it == cnames.end())
			return false;
		from = it->second;
	}
	return false;
}

} // namespace

std::optional<DnsQuestion> parse_dns_question(const uint8_t* msg, size_t len)
{
	Reader r(msg, len);
	DnsQuestion q;
	q.id = r.u16();
	r.skip(2);
	uint16_t qd = r.u16();
	r.skip(6);
	q.name = r.name();
	q.type = r.u16();
	q.cls = r.u16();
	if (!r.ok() || qd != 1)
		return std::nullopt;
	return q;
}

std::vector<DnsAddress> parse_dns_answers(const uint8_t* msg, size_t len)
{
	std::vector<DnsAddress> out;
	Reader r(msg, len);
	r.skip(2);
	uint16_t flags = r.u16(), qd = r.u16(), an = r.u16();
	r.skip(4);
	if (!r.ok() || !(flags & 0x8000) || (flags & 0x000f) != 0)
		return out;
	std::string question;
	for (uint16_t i = 0; i < qd && r.ok(); i++) {
		std::string q = r.name();
		r.skip(4);
		if (i == 0)
			question = q;
	}
	std::unordered_map<std::string, std::string> cnames;
	for (uint16_t i = 0; i < an && r.ok(); i++) {
		std::string owner = r.name();
		uint16_t type = r.u16(), cls = r.u16();
		uint32_t ttl = r.u32();
		uint16_t rdlen = r.u16();
		size_t rdata = r.pos();
		if (!r.ok() || cls != CLASS_IN) {
			r.skip(rdlen);
			continue;
		}
		if (type == TYPE_CNAME) {
			cnames[owner] = r.name();
		} else if ((type == TYPE_A && rdlen == 4) || (type == TYPE_AAAA && rdlen == 16)) {
			const uint8_t* a = r.bytes(rdlen);
			if (!a)
				break;
			DnsAddress d;
			d.family = type == TYPE_A ? AF_INET : AF_INET6;
			std::memcpy(d.addr.data(), a, rdlen);
			d.name = owner;
			d.ttl = ttl;
			out.push_back(std::move(d));
			continue;
		}
		r = Reader(msg, len); // resynchronise on rdlen whatever the record held
		r.skip(rdata + rdlen);
	}
	for (DnsAddress& d : out)
		if (!question.empty() && chain_reaches(cnames, question, d.name))
			d.name = question;
	return out;
}

} // namespace snitch
