// netgen: traffic generator for the tests and benchmarks. Prints what its own
// send and receive calls returned ("sent=N recv=M"), the reference that
// snitch-trace's byte counts are checked against.
#include <arpa/inet.h>
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

// udp-echo PORT IDLE_MS [echo|sink]: receives until idle, echoing each datagram back unless sink.
int udp_echo(char** a, int n)
{
	int fd = bound_socket(SOCK_DGRAM, a[0]);
	bool echo = !(n > 2 && !std::strcmp(a[2], "sink"));
	std::printf("listening\n");
	std::fflush(stdout);
	unsigned long long sent = 0, recvd = 0;
	char buf[65536];
	pollfd p = {fd, POLLIN, 0};
	bool started = false;
	while (poll(&p, 1, started ? static_cast<int>(num(a[1])) : 30000) > 0) {
		started = true;
		sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fl);
		if (r < 0)
			die("recvfrom");
		recvd += r;
		if (echo) {
			ssize_t w = sendto(fd, buf, r, 0, reinterpret_cast<sockaddr*>(&from), fl);
			if (w > 0)
				sent += w;
		}
	}
	report(sent, recvd);
	return 0;
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

} // namespace

int main(int argc, char** argv)
{
	struct Mode {
		const char* name;
		int args;
		int (*fn)(char**, int);
	} modes[] = {
		{"tcp-client", 3, tcp_client}, {"tcp-server", 2, tcp_server}, {"udp-send", 4, udp_send},
		{"udp-echo", 2, udp_echo}, {"children", 4, children},
	};
	for (const Mode& m : modes)
		if (argc >= 2 + m.args && !std::strcmp(argv[1], m.name))
			return m.fn(argv + 2, argc - 2);
	std::fprintf(stderr, "usage: netgen tcp-client HOST PORT SEND [COUNT] | tcp-server PORT SEND [COUNT]\n"
			     "       | udp-send HOST PORT SIZE COUNT [connected] | udp-echo PORT IDLE_MS [sink]\n"
			     "       | children N HOST PORT BYTES\n");
	return 2;
}
