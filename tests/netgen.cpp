// netgen: traffic generator for the tests and benchmarks. Prints what its own
// send and receive calls returned ("sent=N recv=M"), the reference that
// snitch-trace's byte counts are checked against.
#include <arpa/inet.h>
#include <atomic>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <netpacket/packet.h>
#include <linux/io_uring.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void die(const char* what)
{
	std::perror(what);
	std::exit(1);
}

unsigned long long num(const char* s) { return std::strtoull(s, nullptr, 0); }

sockaddr_storage resolve(const char* host, const char* port, socklen_t& len)
{
	addrinfo hints = {}, *res = nullptr;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
		die("getaddrinfo");
	sockaddr_storage ss = {};
	std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
	len = res->ai_addrlen;
	freeaddrinfo(res);
	return ss;
}

// Sends `to_send` bytes and reads until EOF, at the same time: full duplex.
void pump(int fd, unsigned long long to_send, unsigned long long& sent, unsigned long long& recvd)
{
	static char buf[1 << 16];
	bool wr_done = to_send == 0, rd_done = false;
	if (wr_done)
		shutdown(fd, SHUT_WR);
	while (!wr_done || !rd_done) {
		pollfd p = {fd, static_cast<short>((rd_done ? 0 : POLLIN) | (wr_done ? 0 : POLLOUT)), 0};
		if (poll(&p, 1, 10000) <= 0)
			die("poll timeout");
		if (!rd_done && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0)
				rd_done = true;
			if (n > 0)
				recvd += n;
			else if (n < 0 && errno != EAGAIN)
				die("recv");
		}
		if (!wr_done && (p.revents & POLLOUT)) {
			size_t want = std::min<unsigned long long>(sizeof(buf), to_send - sent);
			ssize_t n = send(fd, buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += n;
			else if (n < 0 && errno != EAGAIN)
				die("send");
			if (sent == to_send) {
				shutdown(fd, SHUT_WR);
				wr_done = true;
			}
		}
	}
}

int tcp_connect(const char* host, const char* port)
{
	socklen_t len;
	sockaddr_storage ss = resolve(host, port, len);
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
		die("connect");
	return fd;
}

int bound_socket(int type, const char* port)
{
	int fd = socket(AF_INET6, type, 0);
	int on = 1, off = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	sockaddr_in6 a = {};
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(static_cast<uint16_t>(num(port)));
	a.sin6_addr = in6addr_any;
	if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0)
		die("bind");
	return fd;
}

void report(unsigned long long sent, unsigned long long recvd)
{
	std::printf("sent=%llu recv=%llu\n", sent, recvd);
	std::fflush(stdout);
}

// tcp-client HOST PORT SEND [COUNT]: COUNT sequential connections, each sends SEND and reads to EOF.
int tcp_client(char** a, int n)
{
	unsigned long long count = n > 3 ? num(a[3]) : 1, sent = 0, recvd = 0;
	for (unsigned long long i = 0; i < count; i++) {
		unsigned long long s = 0;
		int fd = tcp_connect(a[0], a[1]);
		pump(fd, num(a[2]), s, recvd);
		sent += s;
		close(fd);
	}
	report(sent, recvd);
	return 0;
}

// tcp-server PORT SEND [COUNT]: accepts COUNT connections in turn; each gets SEND bytes and is read to EOF.
int tcp_server(char** a, int n)
{
	unsigned long long count = n > 2 ? num(a[2]) : 1, sent = 0, recvd = 0;
	int lfd = bound_socket(SOCK_STREAM, a[0]);
	if (listen(lfd, 128) < 0)
		die("listen");
	std::printf("listening\n");
	std::fflush(stdout);
	for (unsigned long long i = 0; i < count; i++) {
		int fd = accept(lfd, nullptr, nullptr);
		if (fd < 0)
			die("accept");
		unsigned long long s = 0;
		pump(fd, num(a[1]), s, recvd);
		sent += s;
		close(fd);
	}
	report(sent, recvd);
	return 0;
}

// udp-send HOST PORT SIZE COUNT [connected|unconnected]: datagrams of SIZE bytes; reads replies for 0.5 s.
int udp_send(char** a, int n)
{
	socklen_t len;
	sockaddr_storage ss = resolve(a[0], a[1], len);
	bool connected = n > 4 && !std::strcmp(a[4], "connected");
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (connected && connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
		die("connect");
	std::vector<char> buf(num(a[2]));
	unsigned long long sent = 0, recvd = 0, count = num(a[3]);
	for (unsigned long long i = 0; i < count; i++) {
		ssize_t r = connected ? send(fd, buf.data(), buf.size(), 0)
				      : sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
		if (r < 0 && errno != ECONNREFUSED)
			die("send");
		if (r > 0)
			sent += r;
	}
	char rb[65536];
	pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, 500) > 0) {
		ssize_t r = recv(fd, rb, sizeof(rb), 0);
		if (r <= 0)
			break;
		recvd += r;
	}
	report(sent, recvd);
	return 0;
}

// Announces "listening", then receives until IDLE_MS pass without a datagram
// (30 s for the first), handing each to `reply`, which returns the bytes it sent back.
template <class Reply> int serve_until_idle(int fd, const char* idle_ms, const char* what, Reply reply)
{
	std::printf("listening\n");
	std::fflush(stdout);
	unsigned long long sent = 0, recvd = 0;
	static char buf[65536];
	pollfd p = {fd, POLLIN, 0};
	bool started = false;
	while (poll(&p, 1, started ? static_cast<int>(num(idle_ms)) : 30000) > 0) {
		started = true;
		sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fl);
		if (r < 0)
			die(what);
		recvd += r;
		ssize_t w = reply(buf, r, reinterpret_cast<sockaddr*>(&from), fl);
		if (w > 0)
			sent += w;
	}
	report(sent, recvd);
	return 0;
}

// udp-echo PORT IDLE_MS [echo|sink]: receives until idle, echoing each datagram back unless sink.
int udp_echo(char** a, int n)
{
	int fd = bound_socket(SOCK_DGRAM, a[0]);
	bool echo = !(n > 2 && !std::strcmp(a[2], "sink"));
	return serve_until_idle(fd, a[1], "recvfrom", [&](const char* buf, ssize_t r, sockaddr* from, socklen_t fl) {
		return echo ? sendto(fd, buf, r, 0, from, fl) : 0;
	});
}

// children N HOST PORT BYTES: N children each connect, send BYTES and exit without closing.
int children(char** a, int)
{
	unsigned long long count = num(a[0]), bytes = num(a[3]);
	for (unsigned long long i = 0; i < count; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int fd = tcp_connect(a[1], a[2]);
			std::vector<char> buf(bytes);
			size_t done = 0;
			while (done < bytes) {
				ssize_t r = send(fd, buf.data() + done, bytes - done, MSG_NOSIGNAL);
				if (r <= 0)
					_exit(1);
				done += r;
			}
			_exit(0);
		}
		if (pid < 0)
			die("fork");
	}
	int failed = 0, status;
	while (wait(&status) > 0)
		failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	report(failed ? 0 : count * bytes, 0);
	return failed != 0;
}

// Reads replies on fd until it has been idle for `idle_ms`; returns the bytes the calls returned.
unsigned long long drain(int fd, int idle_ms)
{
	static char rb[65536];
	unsigned long long recvd = 0;
	pollfd p = {fd, POLLIN, 0};
	while (poll(&p, 1, idle_ms) > 0) {
		ssize_t r = recv(fd, rb, sizeof(rb), MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			break;
		recvd += r;
	}
	return recvd;
}

// ping HOST COUNT SIZE [raw]: echo requests with SIZE bytes of payload through an
// unconnected ping socket (or a raw ICMP socket), each reply awaited for 1 s.
int ping_mode(char** a, int n)
{
	socklen_t len;
	sockaddr_storage ss = resolve(a[0], "0", len);
	bool v6 = ss.ss_family == AF_INET6, raw = n > 3 && !std::strcmp(a[3], "raw");
	int fd = socket(ss.ss_family, raw ? SOCK_RAW : SOCK_DGRAM, v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
	if (fd < 0)
		die("socket icmp");
	std::vector<char> buf(sizeof(icmphdr) + num(a[2]));
	unsigned long long sent = 0, recvd = 0, count = num(a[1]);
	char rb[65536];
	for (unsigned long long i = 0; i < count; i++) {
		auto* h = reinterpret_cast<icmphdr*>(buf.data());
		h->type = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		h->un.echo.sequence = htons(static_cast<uint16_t>(i));
		h->un.echo.id = htons(static_cast<uint16_t>(getpid()));
		if (raw && !v6) { // the kernel fills the checksum only for ping sockets and ICMPv6
			h->checksum = 0;
			uint32_t sum = 0;
			for (size_t k = 0; k + 1 < buf.size(); k += 2)
				sum += static_cast<uint16_t>((uint8_t)buf[k] << 8 | (uint8_t)buf[k + 1]);
			if (buf.size() & 1)
				sum += static_cast<uint16_t>((uint8_t)buf.back() << 8);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			h->checksum = htons(static_cast<uint16_t>(~sum));
		}
		ssize_t r = sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
		if (r < 0)
			die("sendto icmp");
		sent += r;
		for (pollfd p = {fd, POLLIN, 0}; poll(&p, 1, 1000) > 0;) {
			ssize_t got = recv(fd, rb, sizeof(rb), 0);
			if (got <= 0)
				break;
			recvd += got;
			size_t off = raw && !v6 ? static_cast<size_t>((rb[0] & 0xf) * 4) : 0;
			auto* reply = reinterpret_cast<icmphdr*>(rb + off);
			if (reply->type == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
				break;
		}
	}
	report(sent, recvd);
	return 0;
}

int raw_socket(int family, const char* proto)
{
	int fd = socket(family, SOCK_RAW, static_cast<int>(num(proto)));
	if (fd < 0)
		die("socket raw");
	return fd;
}

// raw-send HOST PROTO SIZE COUNT: IP datagrams of protocol PROTO from an unconnected raw socket; reads replies.
int raw_send(char** a, int)
{
	socklen_t len;
	sockaddr_storage ss = resolve(a[0], "0", len);
	int fd = raw_socket(ss.ss_family, a[1]);
	std::vector<char> buf(num(a[2]), 'r');
	unsigned long long sent = 0, count = num(a[3]);
	for (unsigned long long i = 0; i < count; i++) {
		ssize_t r = sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
		if (r < 0)
			die("sendto raw");
		sent += r;
	}
	report(sent, drain(fd, 1000));
	return 0;
}

// raw-echo PROTO IDLE_MS [6]: echoes each IPv4 (or IPv6) datagram of protocol PROTO back to its sender.
int raw_echo(char** a, int n)
{
	bool v6 = n > 2 && !std::strcmp(a[2], "6");
	int fd = raw_socket(v6 ? AF_INET6 : AF_INET, a[0]);
	return serve_until_idle(fd, a[1], "recvfrom raw", [&](const char* buf, ssize_t r, sockaddr* from, socklen_t fl) {
		size_t off = v6 ? 0 : static_cast<size_t>((buf[0] & 0xf) * 4);  // IPv4 raw reads include the header
		return sendto(fd, buf + off, r - off, 0, from, fl);
	});
}

int packet_socket(const char* ifname, const char* ethertype, bool raw, sockaddr_ll& to)
{
	uint16_t type = static_cast<uint16_t>(num(ethertype));
	int fd = socket(AF_PACKET, raw ? SOCK_RAW : SOCK_DGRAM, htons(type));
	if (fd < 0)
		die("socket packet");
	to = {};
	to.sll_family = AF_PACKET;
	to.sll_protocol = htons(type);
	to.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
	to.sll_halen = ETH_ALEN;
	std::memset(to.sll_addr, 0xff, ETH_ALEN);
	if (!to.sll_ifindex || bind(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0)
		die("bind packet");
	return fd;
}

// packet-send IFNAME ETHERTYPE SIZE COUNT raw|dgram: broadcast frames from an AF_PACKET
// socket (SOCK_RAW: SIZE bytes of whole frame; SOCK_DGRAM: SIZE bytes of payload); reads replies.
int packet_send(char** a, int)
{
	sockaddr_ll to;
	bool raw = !std::strcmp(a[4], "raw");
	int fd = packet_socket(a[0], a[1], raw, to);
	std::vector<unsigned char> frame(num(a[2]), 0x5a);
	if (raw) {
		if (frame.size() < ETH_HLEN)
			die("frame too short");
		std::memset(frame.data(), 0xff, ETH_ALEN);
		std::memset(frame.data() + ETH_ALEN, 0x02, ETH_ALEN);
		uint16_t type = htons(static_cast<uint16_t>(num(a[1])));
		std::memcpy(frame.data() + 2 * ETH_ALEN, &type, 2);
	}
	unsigned long long sent = 0, count = num(a[3]);
	for (unsigned long long i = 0; i < count; i++) {
		ssize_t r = sendto(fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
		if (r < 0)
			die("sendto packet");
		sent += r;
	}
	report(sent, drain(fd, 1000));
	return 0;
}

// packet-echo IFNAME ETHERTYPE IDLE_MS: answers each frame's payload with a broadcast frame.
int packet_echo(char** a, int)
{
	sockaddr_ll to;
	int fd = packet_socket(a[0], a[1], false, to);
	return serve_until_idle(fd, a[2], "recv packet", [&](const char* buf, ssize_t r, sockaddr*, socklen_t) {
		return sendto(fd, buf, r, 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
	});
}

// The smallest io_uring that works without liburing: one request at a time.
class Uring {
public:
	Uring()
	{
		io_uring_params p = {};
		fd_ = static_cast<int>(syscall(__NR_io_uring_setup, 4, &p));
		if (fd_ < 0)
			die("io_uring_setup");
		size_t sq = p.sq_off.array + p.sq_entries * sizeof(unsigned);
		size_t cq = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
		size_t ring = std::max(sq, cq);
		auto* base = static_cast<char*>(map(ring, IORING_OFF_SQ_RING));
		auto* cbase = (p.features & IORING_FEAT_SINGLE_MMAP) ? base : static_cast<char*>(map(cq, IORING_OFF_CQ_RING));
		sqes_ = static_cast<io_uring_sqe*>(map(p.sq_entries * sizeof(io_uring_sqe), IORING_OFF_SQES));
		sq_tail_ = reinterpret_cast<unsigned*>(base + p.sq_off.tail);
		sq_mask_ = *reinterpret_cast<unsigned*>(base + p.sq_off.ring_mask);
		sq_array_ = reinterpret_cast<unsigned*>(base + p.sq_off.array);
		cq_head_ = reinterpret_cast<unsigned*>(cbase + p.cq_off.head);
		cq_tail_ = reinterpret_cast<unsigned*>(cbase + p.cq_off.tail);
		cq_mask_ = *reinterpret_cast<unsigned*>(cbase + p.cq_off.ring_mask);
		cqes_ = reinterpret_cast<io_uring_cqe*>(cbase + p.cq_off.cqes);
	}
	// IORING_OP_SEND or IORING_OP_RECV; returns the completion's result.
	int io(uint8_t op, int fd, void* buf, size_t len)
	{
		unsigned tail = *sq_tail_, idx = tail & sq_mask_;
		io_uring_sqe* s = &sqes_[idx];
		std::memset(s, 0, sizeof(*s));
		s->opcode = op;
		s->fd = fd;
		s->addr = reinterpret_cast<uintptr_t>(buf);
		s->len = static_cast<unsigned>(len);
		s->msg_flags = op == IORING_OP_SEND ? MSG_NOSIGNAL : 0;
		sq_array_[idx] = idx;
		__atomic_store_n(sq_tail_, tail + 1, __ATOMIC_RELEASE);
		unsigned head = *cq_head_;
		if (syscall(__NR_io_uring_enter, fd_, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0) < 0)
			die("io_uring_enter");
		while (__atomic_load_n(cq_tail_, __ATOMIC_ACQUIRE) == head)
			if (syscall(__NR_io_uring_enter, fd_, 0, 1, IORING_ENTER_GETEVENTS, nullptr, 0) < 0)
				die("io_uring_enter");
		int res = cqes_[head & cq_mask_].res;
		__atomic_store_n(cq_head_, head + 1, __ATOMIC_RELEASE);
		return res;
	}

private:
	void* map(size_t len, off_t what)
	{
		void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, what);
		if (p == MAP_FAILED)
			die("mmap io_uring");
		return p;
	}
	int fd_;
	unsigned *sq_tail_, *sq_array_, *cq_head_, *cq_tail_, sq_mask_, cq_mask_;
	io_uring_sqe* sqes_;
	io_uring_cqe* cqes_;
};

// Drains MSG_ZEROCOPY completions so that the socket's option memory does not run out.
void drain_errqueue(int fd)
{
	char control[256];
	msghdr m = {};
	for (;;) {
		m.msg_control = control;
		m.msg_controllen = sizeof(control);
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
	}
}

ssize_t send_chunk(const char* how, int fd, char* buf, size_t n, int pipefd[2], int file, off_t& foff, Uring* ring)
{
	if (!std::strcmp(how, "write"))
		return write(fd, buf, n);
	if (!std::strcmp(how, "writev")) {
		iovec v[2] = {{buf, n / 2}, {buf + n / 2, n - n / 2}};
		return writev(fd, v, 2);
	}
	if (!std::strcmp(how, "sendmsg")) {
		iovec v = {buf, n};
		msghdr m = {};
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		return sendmsg(fd, &m, MSG_NOSIGNAL);
	}
	if (!std::strcmp(how, "sendfile"))
		return sendfile(fd, file, &foff, n);
	if (!std::strcmp(how, "splice")) {
		ssize_t w = write(pipefd[1], buf, n);
		if (w <= 0)
			return w;
		ssize_t done = 0;
		while (done < w) {
			ssize_t r = splice(pipefd[0], nullptr, fd, nullptr, static_cast<size_t>(w - done), SPLICE_F_MOVE);
			if (r <= 0)
				return r;
			done += r;
		}
		return done;
	}
	if (!std::strcmp(how, "uring"))
		return ring->io(IORING_OP_SEND, fd, buf, n);
	if (!std::strcmp(how, "zerocopy")) {
		ssize_t r = send(fd, buf, n, MSG_ZEROCOPY | MSG_NOSIGNAL);
		if (r < 0 && errno == ENOBUFS) {
			drain_errqueue(fd);
			return 0;
		}
		drain_errqueue(fd);
		return r;
	}
	return send(fd, buf, n, MSG_NOSIGNAL);
}

ssize_t recv_chunk(const char* how, int fd, char* buf, size_t n, int pipefd[2], int devnull, Uring* ring)
{
	if (!std::strcmp(how, "read"))
		return read(fd, buf, n);
	if (!std::strcmp(how, "readv")) {
		iovec v[2] = {{buf, n / 2}, {buf + n / 2, n - n / 2}};
		return readv(fd, v, 2);
	}
	if (!std::strcmp(how, "recvmsg")) {
		iovec v = {buf, n};
		msghdr m = {};
		m.msg_iov = &v;
		m.msg_iovlen = 1;
		return recvmsg(fd, &m, 0);
	}
	if (!std::strcmp(how, "splice")) { // socket -> pipe -> /dev/null
		ssize_t r = splice(fd, nullptr, pipefd[1], nullptr, n, SPLICE_F_MOVE);
		for (ssize_t done = 0; r > 0 && done < r;) {
			ssize_t w = splice(pipefd[0], nullptr, devnull, nullptr, static_cast<size_t>(r - done), SPLICE_F_MOVE);
			if (w <= 0)
				die("splice to /dev/null");
			done += w;
		}
		return r;
	}
	if (!std::strcmp(how, "uring"))
		return ring->io(IORING_OP_RECV, fd, buf, n);
	return recv(fd, buf, n, 0);
}

// tcp-io HOST PORT SEND SENDWAY RECVWAY: one connection that sends SEND bytes by
// SENDWAY (send write writev sendmsg sendfile splice uring zerocopy), then reads
// to EOF by RECVWAY (recv read readv recvmsg splice uring).
int tcp_io(char** a, int)
{
	static char buf[1 << 16];
	int fd = tcp_connect(a[0], a[1]);
	unsigned long long total = num(a[2]), sent = 0, recvd = 0;
	int pipefd[2];
	if (pipe(pipefd) < 0)
		die("pipe");
	int file = static_cast<int>(syscall(SYS_memfd_create, "netgen", 0));
	if (file < 0 || ftruncate(file, static_cast<off_t>(total)) < 0)
		die("memfd");
	int devnull = open("/dev/null", O_WRONLY);
	int on = 1;
	if (!std::strcmp(a[3], "zerocopy") && setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof(on)) < 0)
		die("SO_ZEROCOPY");
	Uring ring;
	off_t foff = 0;
	while (sent < total) {
		size_t n = std::min<unsigned long long>(sizeof(buf), total - sent);
		ssize_t r = send_chunk(a[3], fd, buf, n, pipefd, file, foff, &ring);
		if (r < 0)
			die(a[3]);
		sent += static_cast<unsigned long long>(r);
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t r = recv_chunk(a[4], fd, buf, sizeof(buf), pipefd, devnull, &ring);
		if (r < 0)
			die(a[4]);
		if (r == 0)
			break;
		recvd += static_cast<unsigned long long>(r);
	}
	close(fd);
	report(sent, recvd);
	return 0;
}

// udp-mmsg HOST PORT SIZE COUNT: datagrams by sendmmsg in batches of 16, replies by recvmmsg.
int udp_mmsg(char** a, int)
{
	socklen_t len;
	sockaddr_storage ss = resolve(a[0], a[1], len);
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
		die("connect");
	constexpr int batch = 16;
	static char bufs[batch][2048];
	size_t size = std::min<size_t>(num(a[2]), sizeof(bufs[0]));
	iovec iov[batch];
	mmsghdr msgs[batch] = {};
	for (int i = 0; i < batch; i++) {
		iov[i] = {bufs[i], size};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	unsigned long long sent = 0, recvd = 0, count = num(a[3]);
	for (unsigned long long i = 0; i < count; i += batch) {
		int want = static_cast<int>(std::min<unsigned long long>(batch, count - i));
		int r = sendmmsg(fd, msgs, static_cast<unsigned>(want), 0);
		if (r < 0)
			die("sendmmsg");
		for (int k = 0; k < r; k++)
			sent += msgs[k].msg_len;
	}
	for (pollfd p = {fd, POLLIN, 0}; poll(&p, 1, 1000) > 0;) {
		for (auto& v : iov)
			v.iov_len = sizeof(bufs[0]);
		int r = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, nullptr);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0)
			break;
		for (int k = 0; k < r; k++)
			recvd += msgs[k].msg_len;
	}
	report(sent, recvd);
	return 0;
}

// tcp-threads HOST PORT SEND THREADS: THREADS threads, released at once, each connects and sends SEND bytes.
int tcp_threads(char** a, int)
{
	unsigned long long bytes = num(a[2]);
	int count = static_cast<int>(num(a[3]));
	std::atomic<bool> go{false};
	std::atomic<unsigned long long> sent{0};
	std::vector<std::thread> threads;
	for (int i = 0; i < count; i++)
		threads.emplace_back([&] {
			while (!go.load())
				std::this_thread::yield();
			unsigned long long s = 0, r = 0;
			int fd = tcp_connect(a[0], a[1]);
			pump(fd, bytes, s, r);
			close(fd);
			sent += s;
		});
	go = true;
	for (auto& t : threads)
		t.join();
	report(sent.load(), 0);
	return 0;
}

// tcp-slow HOST PORT SEND SECONDS: SEND bytes in 1 KiB writes spread evenly over SECONDS.
int tcp_slow(char** a, int)
{
	static char buf[1024];
	int fd = tcp_connect(a[0], a[1]);
	unsigned long long total = num(a[2]), sent = 0;
	unsigned long long chunks = (total + sizeof(buf) - 1) / sizeof(buf);
	useconds_t pause = static_cast<useconds_t>(num(a[3]) * 1000000ULL / std::max(1ULL, chunks));
	while (sent < total) {
		size_t n = std::min<unsigned long long>(sizeof(buf), total - sent);
		ssize_t r = send(fd, buf, n, MSG_NOSIGNAL);
		if (r <= 0)
			die("send");
		sent += static_cast<unsigned long long>(r);
		usleep(pause);
	}
	shutdown(fd, SHUT_WR);
	unsigned long long s = 0, recvd = 0;
	pump(fd, 0, s, recvd);
	report(sent, recvd);
	return 0;
}

// udp-source PORT SIZE COUNT: waits for one request datagram, then sends COUNT
// datagrams of SIZE bytes back to its sender: a UDP download.
int udp_source(char** a, int)
{
	int fd = bound_socket(SOCK_DGRAM, a[0]);
	std::printf("listening\n");
	std::fflush(stdout);
	char req[64];
	sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t r = recvfrom(fd, req, sizeof(req), 0, reinterpret_cast<sockaddr*>(&from), &fl);
	if (r < 0)
		die("recvfrom");
	std::vector<char> buf(num(a[1]));
	unsigned long long sent = 0, count = num(a[2]);
	for (unsigned long long i = 0; i < count; i++) {
		ssize_t w = sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
		if (w < 0)
			die("sendto");
		sent += static_cast<unsigned long long>(w);
		if (i % 64 == 63) // paced, so that the receiver's buffer keeps up
			usleep(200);
	}
	report(sent, static_cast<unsigned long long>(r));
	return 0;
}

// udp-fetch HOST PORT: one request datagram to a udp-source, then receives until idle for 1 s.
int udp_fetch(char** a, int)
{
	socklen_t len;
	sockaddr_storage ss = resolve(a[0], a[1], len);
	int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0)
		die("connect");
	ssize_t s = send(fd, "go", 2, 0);
	if (s < 0)
		die("send");
	report(static_cast<unsigned long long>(s), drain(fd, 1000));
	return 0;
}

} // namespace

int main(int argc, char** argv)
{
	struct Mode {
		const char* name;
		int args;
		int (*fn)(char**, int);
	} modes[] = {
		{"tcp-client", 3, tcp_client}, {"tcp-server", 2, tcp_server}, {"udp-send", 4, udp_send},
		{"udp-echo", 2, udp_echo}, {"children", 4, children}, {"ping", 3, ping_mode},
		{"raw-send", 4, raw_send}, {"raw-echo", 2, raw_echo}, {"packet-send", 5, packet_send},
		{"packet-echo", 3, packet_echo}, {"tcp-io", 5, tcp_io}, {"udp-mmsg", 4, udp_mmsg},
		{"tcp-threads", 4, tcp_threads}, {"tcp-slow", 4, tcp_slow},
		{"udp-source", 3, udp_source}, {"udp-fetch", 2, udp_fetch},
	};
	for (const Mode& m : modes)
		if (argc >= 2 + m.args && !std::strcmp(argv[1], m.name))
			return m.fn(argv + 2, argc - 2);
	std::fprintf(stderr, "usage: netgen tcp-client HOST PORT SEND [COUNT] | tcp-server PORT SEND [COUNT]\n"
			     "       | udp-send HOST PORT SIZE COUNT [connected] | udp-echo PORT IDLE_MS [sink]\n"
			     "       | children N HOST PORT BYTES | ping HOST COUNT SIZE [raw]\n"
			     "       | raw-send HOST PROTO SIZE COUNT | raw-echo PROTO IDLE_MS [6]\n"
			     "       | packet-send IF ETHERTYPE SIZE COUNT raw|dgram | packet-echo IF ETHERTYPE IDLE_MS\n"
			     "       | tcp-io HOST PORT SEND SENDWAY RECVWAY | udp-mmsg HOST PORT SIZE COUNT\n"
			     "       | tcp-threads HOST PORT SEND THREADS | tcp-slow HOST PORT SEND SECONDS\n"
			     "       | udp-source PORT SIZE COUNT | udp-fetch HOST PORT\n");
	return 2;
}
