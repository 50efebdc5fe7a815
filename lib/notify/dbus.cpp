#include "notify/dbus.hpp"
#include "core/event.hpp"
#include "core/line_reader.hpp"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <iostream>
#include <limits>
#include <memory>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-login.h>
#include <vector>
#include <system_error>
#include <systemd/sd-bus.h>
#include <unistd.h>

// Why a helper process: the session bus authenticates us by the credentials
// the kernel records at connect(2) (SO_PEERCRED), and dbus-daemon admits only
// the bus owner. Changing our own euid for the connection would be unsound:
// set*id(2) in glibc applies to every thread, a reconnect after the desktop
// restarts would need root again, and sd-bus would parse messages from the
// user's bus with root privileges. So a child forked while we are still
// single-threaded drops to the user for good (initgroups, setresgid,
// setresuid, checked with getresuid) and owns the sd-bus connection; we send it
// one JSON line per notification over a socketpair and it answers "ok" or
// "err <why>". sd-bus connections must not cross fork(2) anyway.

namespace snitch {
namespace {

using SdBus = std::unique_ptr<sd_bus, CFree<sd_bus_flush_close_unref>>;
using SdBusMessage = std::unique_ptr<sd_bus_message, CFree<sd_bus_message_unref>>;

constexpr uint64_t call_timeout_usec = 10'000'000;
constexpr double answer_timeout = 30;  // seconds; the helper's own calls time out after 10
constexpr double max_backoff = 5;

struct BusError {
	sd_bus_error e = SD_BUS_ERROR_NULL;
	BusError() = default;
	BusError(const BusError&) = delete;
	BusError& operator=(const BusError&) = delete;
	~BusError() { sd_bus_error_free(&e); }
};

void check(int r, const std::string& what)
{
	if (r < 0)
		throw std::system_error(-r, std::generic_category(), what);
}

const passwd* find_user(const std::string& user)
{
	if (const passwd* pw = getpwnam(user.c_str()))
		return pw;
	if (!user.empty() && user.find_first_not_of("0123456789") == std::string::npos)
		return getpwuid(static_cast<uid_t>(std::stoul(user)));
	return nullptr;
}

// Owners (not root) of the session buses in /run/user, in uid order.
std::vector<uid_t> session_bus_owners()
{
	std::vector<uid_t> owners;
	std::unique_ptr<DIR, CFree<closedir>> dir(opendir("/run/user"));
	while (dir) {
		const dirent* d = readdir(dir.get());
		if (!d)
			break;
		struct stat st;
		std::string bus = std::string("/run/user/") + d->d_name + "/bus";
		if (d->d_name[0] != '.' && lstat(bus.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid != 0 &&
			std::to_string(st.st_uid) == d->d_name)
			owners.push_back(st.st_uid);
	}
	std::sort(owners.begin(), owners.end());
	return owners;
}

// As root without sudo: the active seat0 user (logind), else the only bus
// owner; "" and `why` set when that is not one user.
std::string default_user(std::string& why)
{
	if (geteuid() != 0)
		return std::to_string(geteuid());
	if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo)
		return sudo;
	if (const char* bus = std::getenv("DBUS_SESSION_BUS_ADDRESS"); bus && *bus)
		return "0";  // a bus named for us: ours, no one else's to guess
	uid_t seat_uid;
	if (sd_seat_get_active("seat0", nullptr, &seat_uid) >= 0 && seat_uid != 0)
		return std::to_string(seat_uid);
	std::vector<uid_t> owners = session_bus_owners();
	if (owners.size() == 1)
		return std::to_string(owners[0]);
	std::string list;
	for (uid_t u : owners)
		list += (list.empty() ? "" : ", ") + std::to_string(u);
	why = owners.empty() ? "no desktop user: no active seat session and no session bus in /run/user (set --user, or \"Desktop notifications\": false)"
			     : "which desktop user? no active seat session and session buses of uids " + list + ": choose one with --user";
	return "";
}

void drop_privileges(const BusTarget& t)
{
	if (!t.refused.empty())
		throw std::runtime_error(t.refused);
	if (geteuid() == t.uid && getuid() == t.uid)
		return;
	if (geteuid() != 0)
		throw std::runtime_error("cannot connect as user " + t.user + ": that needs root");
	if (initgroups(t.user.c_str(), t.gid) != 0)
		throw std::system_error(errno, std::generic_category(), "initgroups " + t.user);
	if (setresgid(t.gid, t.gid, t.gid) != 0)
		throw std::system_error(errno, std::generic_category(), "setresgid");
	if (setresuid(t.uid, t.uid, t.uid) != 0)
		throw std::system_error(errno, std::generic_category(), "setresuid");
	uid_t r, e, s;
	if (getresuid(&r, &e, &s) != 0 || r != t.uid || e != t.uid || s != t.uid)
		throw std::runtime_error("privileges were not dropped to " + t.user);
}

SdBus connect_bus(const std::string& address)
{
	sd_bus* raw = nullptr;
	int r = sd_bus_new(&raw);
	SdBus bus(raw);
	check(r, "sd_bus_new");
	check(sd_bus_set_address(bus.get(), address.c_str()), "D-Bus address " + address);
	check(sd_bus_set_bus_client(bus.get(), 1), "sd_bus_set_bus_client");
	check(sd_bus_start(bus.get()), "connect to " + address);
	return bus;
}

void call_notify(sd_bus* bus, const Json& n)
{
	sd_bus_message* raw = nullptr;
	int r = sd_bus_message_new_method_call(bus, &raw, "org.freedesktop.Notifications",
		"/org/freedesktop/Notifications", "org.freedesktop.Notifications", "Notify");
	SdBusMessage m(raw);
	check(r, "Notify message");
	std::string summary = n.value("summary", ""), body = n.value("body", "");
	uint8_t urgency = n.value("urgent", false) ? 2 : 1;
	check(sd_bus_message_append(m.get(), "susss", "picosnitch", 0u, "", summary.c_str(), body.c_str()), "Notify arguments");
	check(sd_bus_message_append(m.get(), "as", 0), "Notify actions");
	check(sd_bus_message_append(m.get(), "a{sv}", 1, "urgency", "y", urgency), "Notify hints");
	check(sd_bus_message_append(m.get(), "i", -1), "Notify timeout");
	BusError err;
	sd_bus_message* reply_raw = nullptr;
	r = sd_bus_call(bus, m.get(), call_timeout_usec, &err.e, &reply_raw);
	SdBusMessage reply(reply_raw);
	if (r < 0)
		throw std::runtime_error(std::string("Notify: ") + (err.e.message ? err.e.message : std::strerror(-r)));
}

void answer(int fd, std::string text)
{
	std::replace(text.begin(), text.end(), '\n', ' ');
	text += '\n';
	if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0)
		_exit(0);
}

// The helper's life: requests in, answers out, until the socket closes.
void serve(int fd, const BusTarget& t)
{
	std::string setup_error;
	try {
		drop_privileges(t);
	} catch (const std::exception& e) {
		setup_error = e.what();
	}
	LineReader in(fd, 1 << 20);
	SdBus bus;
	std::string_view line;
	for (;;) {
		while (in.next(line) == LineReader::Next::line) {
			if (!setup_error.empty()) {
				answer(fd, "err " + setup_error);
				continue;
			}
			try {
				if (!bus)
					bus = connect_bus(t.address);
				call_notify(bus.get(), Json::parse(line));
				answer(fd, "ok");
			} catch (const std::exception& e) {
				bus.reset();  // reconnect next time: the bus may have restarted
				answer(fd, std::string("err ") + e.what());
			}
		}
		if (in.eof() || (!in.fill() && in.eof()))
			return;
	}
}

[[noreturn]] void helper_main(int fd, pid_t parent, const BusTarget& t)
{
	struct sigaction ign = {};
	ign.sa_handler = SIG_IGN;
	// the parent decides when we stop (it closes the socket); we die with it
	if (sigaction(SIGINT, &ign, nullptr) != 0 || sigaction(SIGTERM, &ign, nullptr) != 0 ||
		prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(1);
	int null_fd = ::open("/dev/null", O_RDWR);  // never hold the event pipes open
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(fd, 3) < 0 ||
		close_range(4, std::numeric_limits<unsigned>::max(), 0) != 0)
		_exit(1);
	try {
		serve(3, t);
	} catch (...) {
	}
	_exit(0);  // never run the parent's destructors (its buffered output) here
}

} // namespace

BusTarget resolve_bus_target(const std::string& user)
{
	std::string why;
	std::string who = user.empty() ? default_user(why) : user;
	if (who.empty())
		return BusTarget{"", 0, 0, "", why};
	const passwd* pw = find_user(who);
	if (!pw)
		throw std::runtime_error("unknown user \"" + who + "\" for desktop notifications");
	BusTarget t{pw->pw_name, pw->pw_uid, pw->pw_gid, "", ""};
	const char* env = std::getenv("DBUS_SESSION_BUS_ADDRESS");
	t.address = env && *env ? env : "unix:path=/run/user/" + std::to_string(t.uid) + "/bus";
	return t;
}

NotifyDelivery::~NotifyDelivery() { stop_helper(); }

void NotifyDelivery::enqueue(Notification n)
{
	if (queue_.size() >= max_queue_) {
		queue_.pop_front();
		if (dropped_++ == 0)
			std::cerr << "snitch-notify: notification queue full (" << max_queue_ << "), dropping the oldest\n";
	}
	queue_.push_back(std::move(n));
}

void NotifyDelivery::spawn()
{
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
		throw std::system_error(errno, std::generic_category(), "socketpair");
	UniqueFd ours(fds[0]), theirs(fds[1]);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		throw std::system_error(errno, std::generic_category(), "fork");
	if (pid == 0)
		helper_main(theirs.get(), parent, target_);
	pid_ = pid;
	sock_ = std::move(ours);
	replies_.clear();
}

void NotifyDelivery::stop_helper()
{
	sock_.reset();  // the helper sees EOF and exits
	if (pid_ > 0) {
		for (int i = 0; i < 40 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
			usleep(50'000);
		if (waitpid(pid_, nullptr, WNOHANG) == 0) {
			kill(pid_, SIGKILL);
			waitpid(pid_, nullptr, 0);
		}
	}
	pid_ = -1;
	in_flight_ = false;
}

void NotifyDelivery::pump(double now)
{
	if (in_flight_ && now - sent_at_ > answer_timeout) {
		stop_helper();
		failed("no answer from the notification helper in " + std::to_string(int(answer_timeout)) + " s", now);
	}
	if (in_flight_ || queue_.empty() || now < retry_at_)
		return;
	if (!sock_)
		spawn();
	send_head(now);
}

void NotifyDelivery::send_head(double now)
{
	const Notification& n = queue_.front();
	std::string line = dump_line(Json{{"summary", n.summary}, {"body", n.body}, {"urgent", n.urgent}}) + "\n";
	if (::send(sock_.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
		stop_helper();
		failed("the notification helper has gone", now);
		return;
	}
	in_flight_ = true;
	sent_at_ = now;
}

void NotifyDelivery::on_readable(double now)
{
	char buf[4096];
	ssize_t n = ::read(sock_.get(), buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		stop_helper();
		failed("the notification helper has gone", now);
		return;
	}
	replies_.append(buf, static_cast<size_t>(n));
	for (auto nl = replies_.find('\n'); nl != std::string::npos; nl = replies_.find('\n')) {
		std::string reply = replies_.substr(0, nl);
		replies_.erase(0, nl + 1);
		in_flight_ = false;
		if (reply == "ok")
			delivered();
		else
			failed(reply.substr(reply.find(' ') + 1), now);
	}
}

void NotifyDelivery::delivered()
{
	if (!queue_.empty())
		queue_.pop_front();
	if (failing_)
		std::cerr << "snitch-notify: notifications reach " << target_.address << " again\n";
	failing_ = false;
	backoff_ = 0.5;
	retry_at_ = 0;
}

void NotifyDelivery::failed(const std::string& why, double now)
{
	if (!failing_)
		std::cerr << "snitch-notify: cannot notify" << (target_.user.empty() ? "" : " user " + target_.user) << ": " << why << "; "
			  << queue_.size() << " notification(s) queued until the bus is reachable\n";
	if (!failing_ && !hinted_) // a headless host fails like this on every start: say once what to do
		std::cerr << "snitch-notify: no desktop here? set \"Desktop notifications\": false in config.json, "
			     "or read the notices with snitch-notify --print\n";
	hinted_ = true;
	failing_ = true;
	retry_at_ = now + backoff_;
	backoff_ = std::min(backoff_ * 2, max_backoff);
}

double NotifyDelivery::next_deadline() const
{
	if (queue_.empty())
		return std::numeric_limits<double>::infinity();
	if (in_flight_)
		return sent_at_ + answer_timeout;
	return retry_at_;
}

} // namespace snitch
