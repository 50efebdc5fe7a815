#include "notify/notices.hpp"
#include "core/event.hpp"
#include "core/clock.hpp"
#include "core/file_io.hpp"
#include "core/stop_flag.hpp"
#include <cerrno>
#include <fcntl.h>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <poll.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace snitch {

void NoticeWriter::open_file()
{
	fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640));
	if (!fd_)
		throw std::system_error(errno, std::generic_category(), "open " + path_);
	struct stat st;
	if (::fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
		fd_.reset();
		throw std::runtime_error(path_ + " is not a regular file");
	}
	// the picosnitch group's to read, whatever mode it was made with
	if ((st.st_mode & 07777) != 0640 && ::fchmod(fd_.get(), 0640) != 0)
		throw std::system_error(errno, std::generic_category(), "chmod " + path_);
}

void NoticeWriter::write(const Notification& n, double now)
{
	if (!fd_)
		open_file();
	std::string line = dump_line(Json{{"type", "notice"}, {"time", now}, {"summary", n.summary}, {"body", n.body},
		{"urgent", n.urgent}}) + "\n";
	write_all(fd_.get(), line, "write " + path_);
	struct stat st;
	if (::fstat(fd_.get(), &st) == 0 && st.st_size > max_size_) {
		if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0)
			throw std::system_error(errno, std::generic_category(), "rename " + path_);
		fd_.reset();
	}
}

bool NoticeFollower::rotated() const
{
	struct stat now, ours;
	return ::stat(path_.c_str(), &now) != 0 || ::fstat(fd_.get(), &ours) != 0 || now.st_ino != ours.st_ino ||
		now.st_dev != ours.st_dev;
}

std::vector<Notification> NoticeFollower::poll()
{
	std::vector<Notification> out;
	if (!fd_) {
		fd_.reset(::open(path_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
		bool at_start = std::exchange(first_poll_, false);
		if (!fd_)
			return out;  // not there yet: the daemon makes it with its first notice
		if (at_start)
			::lseek(fd_.get(), 0, SEEK_END);
		partial_.clear();
	}
	struct stat st;
	if (::fstat(fd_.get(), &st) == 0 && st.st_size < ::lseek(fd_.get(), 0, SEEK_CUR))
		::lseek(fd_.get(), 0, SEEK_SET);  // truncated in place
	read_lines(out);
	if (rotated())
		fd_.reset();  // all of the old file is read: the next poll opens the new one
	return out;
}

void NoticeFollower::read_lines(std::vector<Notification>& out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd_.get(), buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		partial_.append(buf, static_cast<size_t>(n));
	}
	size_t start = 0;
	for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
		try {
			Json j = parse_event(std::string_view(partial_).substr(start, nl - start));
			out.push_back({j.value("summary", ""), j.value("body", ""), j.value("urgent", false)});
		} catch (const std::exception& e) {
			std::cerr << "snitch-notify: " << path_ << ": a line skipped: " << e.what() << '\n';
		}
	}
	partial_.erase(0, start);
}

int listen_notices(const std::string& path, const BusTarget& target, double poll_seconds)
{
	install_stop_handlers();
	NoticeFollower follower(path);
	NotifyDelivery delivery(target);
	while (!stop_requested()) {
		double now = epoch_now();
		for (Notification& n : follower.poll())
			delivery.enqueue(std::move(n));
		delivery.pump(now);
		double wait = std::clamp(std::min(delivery.next_deadline(), now + poll_seconds) - now, 0.0, poll_seconds);
		struct pollfd p = {delivery.fd(), POLLIN, 0};
		if (::poll(&p, p.fd >= 0 ? 1 : 0, static_cast<int>(std::ceil(wait * 1000))) > 0)
			delivery.on_readable(epoch_now());
	}
	return 0;
}

} // namespace snitch
