#include "trace/check.hpp"
#include "core/c_handle.hpp"
#include "trace/records.hpp"
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <vector>

namespace snitch {
namespace {

// What the check's own calls returned, by enum check_counter.
struct Moved {
	uint64_t n[CHECK_COUNTERS] = {};
};

[[noreturn]] void fail(const char* what)
{
	throw std::system_error(errno, std::generic_category(), std::string("hook self-check: ") + what);
}

uint64_t must(ssize_t r, const char* what)
{
	if (r < 0)
		fail(what);
	return static_cast<uint64_t>(r);
}

// Loopback of a family, port 0; socklen in *len. False when the family has none here.
bool loopback(int family, sockaddr_storage& a, socklen_t& len)
{
	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		auto* s = reinterpret_cast<sockaddr_in*>(&a);
		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s);
		return true;
	}
	auto* s = reinterpret_cast<sockaddr_in6*>(&a);
	s->sin6_family = AF_INET6;
	s->sin6_addr = in6addr_loopback;
	len = sizeof(*s);
	UniqueFd probe(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	return probe && bind(probe.get(), reinterpret_cast<sockaddr*>(&a), len) == 0;
}

UniqueFd bound_socket(int family, int type, sockaddr_storage& a, socklen_t& len)
{
	if (!loopback(family, a, len))
		fail("no loopback address");
	UniqueFd fd(socket(family, type | SOCK_CLOEXEC, 0));
	if (!fd)
		fail("socket");
	// never wait long for the check's own bytes
	timeval tv{2, 0};
	if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		fail("setsockopt");
	if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0)
		fail("bind");
	if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
		fail("getsockname");
	return fd;
}

// Reads exactly n bytes, by one of three calls in turn.
uint64_t read_all(int fd, uint64_t n, int how)
{
	std::vector<char> buf(n);
	uint64_t got = 0;
	while (got < n) {
		char* p = buf.data() + got;
		size_t left = n - got;
		ssize_t r;
		if (how == 0) {
			r = read(fd, p, left);
		} else if (how == 1) {
			r = recv(fd, p, left, 0);
		} else {
			iovec iov{p, left};
			msghdr m{};
			m.msg_iov = &iov;
			m.msg_iovlen = 1;
			r = recvmsg(fd, &m, 0);
		}
		if (r == 0)
			errno = ECONNRESET;
		got += must(r > 0 ? r : -1, "read");
	}
	return got;
}

// One direction of a TCP connection: four sends (write, send, sendmsg,
// sendfile), each read back whole before the next.
void tcp_way(int from, int to, Moved& m, unsigned salt)
{
	std::vector<char> data(6000 + salt, 'x');
	uint64_t sent = must(write(from, data.data(), 1000 + salt), "write");
	m.n[CHECK_TCP_RECV] += read_all(to, sent, 0);
	m.n[CHECK_TCP_SENT] += sent;
	sent = must(send(from, data.data(), 2000 + salt, 0), "send");
	m.n[CHECK_TCP_RECV] += read_all(to, sent, 1);
	m.n[CHECK_TCP_SENT] += sent;
	iovec iov[2] = {{data.data(), 1500}, {data.data(), 1700 + salt}};
	msghdr msg{};
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	sent = must(sendmsg(from, &msg, 0), "sendmsg");
	m.n[CHECK_TCP_RECV] += read_all(to, sent, 2);
	m.n[CHECK_TCP_SENT] += sent;
	UniqueFd file(memfd_create("snitch-check", MFD_CLOEXEC));
	if (!file || write(file.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
		fail("memfd");
	off_t off = 0;
	sent = must(sendfile(from, file.get(), &off, data.size()), "sendfile");
	m.n[CHECK_TCP_RECV] += read_all(to, sent, 0);
	m.n[CHECK_TCP_SENT] += sent;
}

void tcp_check(int family, Moved& m)
{
	sockaddr_storage a;
	socklen_t len;
	UniqueFd listener = bound_socket(family, SOCK_STREAM, a, len);
	if (listen(listener.get(), 1) != 0)
		fail("listen");
	sockaddr_storage c;
	socklen_t clen;
	UniqueFd client = bound_socket(family, SOCK_STREAM, c, clen);
	if (connect(client.get(), reinterpret_cast<sockaddr*>(&a), len) != 0)
		fail("connect");
	UniqueFd server(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
	if (!server)
		fail("accept");
	tcp_way(client.get(), server.get(), m, 11);
	tcp_way(server.get(), client.get(), m, 23);
}

uint64_t recv_one(int fd, int how)
{
	char buf[2048];
	if (how == 0)
		return must(recvfrom(fd, buf, sizeof(buf), 0, nullptr, nullptr), "recvfrom");
	if (how == 1)
		return must(read(fd, buf, sizeof(buf)), "read");
	iovec iov{buf, sizeof(buf)};
	msghdr m{};
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	return must(recvmsg(fd, &m, 0), "recvmsg");
}

void udp_check(int family, Moved& m)
{
	sockaddr_storage a, b;
	socklen_t alen, blen;
	UniqueFd sa = bound_socket(family, SOCK_DGRAM, a, alen);
	UniqueFd sb = bound_socket(family, SOCK_DGRAM, b, blen);
	if (connect(sb.get(), reinterpret_cast<sockaddr*>(&a), alen) != 0)
		fail("connect");
	char data[1500];
	memset(data, 'u', sizeof(data));
	auto* to_b = reinterpret_cast<sockaddr*>(&b);
	// unconnected a -> b: sendto, sendmsg, sendmmsg of two (its second skips
	// the LSM check in sock_sendmsg on some kernels)
	uint64_t sent = must(sendto(sa.get(), data, 1201, 0, to_b, blen), "sendto");
	m.n[CHECK_UDP_SENT] += sent;
	m.n[CHECK_UDP_RECV] += recv_one(sb.get(), 0);
	iovec iov{data, 703};
	msghdr msg{};
	msg.msg_name = to_b;
	msg.msg_namelen = blen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	m.n[CHECK_UDP_SENT] += must(sendmsg(sa.get(), &msg, 0), "sendmsg");
	m.n[CHECK_UDP_RECV] += recv_one(sb.get(), 2);
	iovec iovs[2] = {{data, 307}, {data, 401}};
	mmsghdr mm[2] = {};
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = to_b;
		mm[i].msg_hdr.msg_namelen = blen;
		mm[i].msg_hdr.msg_iov = &iovs[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(sa.get(), mm, 2, 0) != 2)
		fail("sendmmsg");
	m.n[CHECK_UDP_SENT] += mm[0].msg_len + mm[1].msg_len;
	char b0[2048], b1[2048];
	iovec riov[2] = {{b0, sizeof(b0)}, {b1, sizeof(b1)}};
	mmsghdr rm[2] = {};
	for (int i = 0; i < 2; i++) {
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	int got = recvmmsg(sb.get(), rm, 2, MSG_WAITFORONE, nullptr);
	if (got < 1)
		fail("recvmmsg");
	m.n[CHECK_UDP_RECV] += rm[0].msg_len + (got == 2 ? rm[1].msg_len : recv_one(sb.get(), 1));
	// connected b -> a: send, write
	m.n[CHECK_UDP_SENT] += must(send(sb.get(), data, 913, 0), "send");
	m.n[CHECK_UDP_RECV] += recv_one(sa.get(), 1);
	m.n[CHECK_UDP_SENT] += must(write(sb.get(), data, 517), "write");
	m.n[CHECK_UDP_RECV] += recv_one(sa.get(), 0);
}

const char* counter_name(int i)
{
	static const char* names[CHECK_COUNTERS] = {"TCP sent", "UDP sent", "TCP received", "UDP received"};
	return names[i];
}

} // namespace

std::string check_hook_counts(int check_map_fd)
{
	Moved moved;
	for (int family : {AF_INET, AF_INET6}) {
		sockaddr_storage a;
		socklen_t len;
		if (!loopback(family, a, len))
			continue;
		tcp_check(family, moved);
		udp_check(family, moved);
	}
	std::string wrong;
	for (uint32_t i = 0; i < CHECK_COUNTERS; i++) {
		uint64_t counted = 0;
		if (bpf_map_lookup_elem(check_map_fd, &i, &counted))
			fail("read the check map");
		uint64_t zero = 0;
		if (bpf_map_update_elem(check_map_fd, &i, &zero, BPF_ANY))
			fail("reset the check map");
		if (counted != moved.n[i])
			wrong += (wrong.empty() ? "" : ", ") + std::string(counter_name(i)) + " " +
				 std::to_string(counted) + " of " + std::to_string(moved.n[i]) + " bytes";
	}
	return wrong;
}

} // namespace snitch
