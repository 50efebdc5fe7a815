#include "notify/service.hpp"
#include "core/event.hpp"
#include "core/utf8_text.hpp"
#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <poll.h>

namespace snitch {

NotifyService::NotifyService(NotifyServiceOptions o)
	: o_(std::move(o)), summary_(Summary::load(o_.summary_path)), policy_(summary_, o_.policy)
{
	if (o_.desktop && !o_.print && !o_.notices_path.empty())
		notices_ = std::make_unique<NoticeWriter>(o_.notices_path);
	else if (o_.desktop && !o_.print && o_.target)
		delivery_ = std::make_unique<NotifyDelivery>(*o_.target);
}

void NotifyService::on_line(std::string_view line, JsonlWriter& out)
{
	Json e;
	try {
		e = parse_event(line);
	} catch (const std::exception&) {
		e = parse_event(utf8_repaired(line));  // still malformed: throws, the line is reported
	}
	out.write_line(line);  // unchanged, invalid bytes and all
	if (policy_.observe(e, epoch_now()))
		dirty_ = true;
}

void NotifyService::tell(std::vector<Notification> notes, double now, JsonlWriter& out)
{
	for (auto& n : notes) {
		if (o_.print)
			out.write_line(dump_line(Json{{"type", "notice"}, {"time", now}, {"summary", n.summary},
				{"body", n.body}, {"urgent", n.urgent}}));
		else if (notices_)
			write_notice(n, now);
		else if (delivery_)
			delivery_->enqueue(std::move(n));
	}
}

void NotifyService::write_notice(const Notification& n, double now)
{
	try {
		notices_->write(n, now);
	} catch (const std::exception& e) {
		std::cerr << "snitch-notify: notice not written: " << e.what() << '\n';
	}
}

void NotifyService::save_if_due(double now, bool force)
{
	if (!dirty_ || (!force && now - last_save_ < o_.save_interval))
		return;
	try {
		summary_.save(o_.summary_path);
		dirty_ = false;
	} catch (const std::exception& e) {
		std::cerr << "snitch-notify: cannot save " << o_.summary_path << ": " << e.what() << '\n';
	}
	last_save_ = now;  // a failed write is retried after the interval, not per event
}

void NotifyService::pump_delivery(double now)
{
	if (!delivery_)
		return;
	if (int fd = delivery_->fd(); fd >= 0) {
		struct pollfd p = {fd, POLLIN, 0};
		if (::poll(&p, 1, 0) > 0)
			delivery_->on_readable(now);
	}
	delivery_->pump(now);
}

void NotifyService::on_tick(double now, JsonlWriter& out)
{
	tell(policy_.take_due(now), now, out);
	save_if_due(now, false);
	pump_delivery(now);
}

double NotifyService::next_deadline() const
{
	double d = policy_.next_deadline();
	if (dirty_)
		d = std::min(d, last_save_ + o_.save_interval);
	if (delivery_)
		d = std::min(d, delivery_->next_deadline());
	return d;
}

void NotifyService::on_finish(JsonlWriter& out)
{
	double now = epoch_now();
	tell(policy_.take_due(now, true), now, out);
	save_if_due(now, true);
	if (!delivery_)
		return;
	double give_up = now + o_.exit_grace;
	for (; delivery_->queued() && now < give_up; now = epoch_now()) {
		delivery_->pump(now);
		double until = std::min(delivery_->next_deadline(), give_up) - now;
		struct pollfd p = {delivery_->fd(), POLLIN, 0};
		if (::poll(&p, p.fd >= 0 ? 1 : 0, static_cast<int>(std::ceil(std::max(until, 0.0) * 1000))) > 0)
			delivery_->on_readable(epoch_now());
	}
	if (delivery_->queued())
		std::cerr << "snitch-notify: " << delivery_->queued() << " notification(s) not delivered at exit\n";
}

} // namespace snitch
