#include "trace/flow_collector.hpp"
#include <algorithm>
#include <cstring>
#include <netinet/in.h>
#include <string_view>
#include <sys/socket.h>

namespace snitch {

size_t FlowCollector::KeyHash::operator()(const flow_key& k) const noexcept
{
	return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(&k), sizeof(k)));
}

bool FlowCollector::KeyEq::operator()(const flow_key& a, const flow_key& b) const noexcept
{
	return !memcmp(&a, &b, sizeof(a));
}

namespace {

bool is_tcp(const flow_value& v)
{
	return v.protocol == IPPROTO_TCP && v.sock_type == SOCK_STREAM;
}

} // namespace

void FlowCollector::set_tcp_baseline(const TcpReadCounts& tcp_read, uint32_t own_netns)
{
	own_netns_ = own_netns;
	for (const auto& [cookie, n] : tcp_read)
		tcp_[cookie].baseline = n;
}

// Bytes TCP says the owner read beyond what the tracepoints counted. A gap
// must show in two readings in a row before it counts (a read in flight
// shows once), except the exact one taken as the socket closed.
uint64_t FlowCollector::tcp_credit(uint64_t cookie, uint64_t tcp_read, uint64_t traced, bool final)
{
	TcpGap& g = tcp_[cookie];
	int64_t gap = static_cast<int64_t>(tcp_read - g.baseline - traced);
	int64_t sure = final ? gap : (g.have_prev ? std::min(g.prev, gap) : 0);
	g.prev = gap;
	g.have_prev = true;
	if (sure <= static_cast<int64_t>(g.credited))
		return 0;
	uint64_t credit = static_cast<uint64_t>(sure) - g.credited;
	g.credited += credit;
	return credit;
}

// A socket is credited once, to its first flow; `traced` holds what the
// tracepoints saw of every TCP socket not yet credited this interval.
uint64_t FlowCollector::splice_credit(const FlowSnapshot& now, const FlowDelta& d, bool closed, Traced& traced)
{
	auto t = traced.find(d.key.cookie);
	if (t == traced.end() || d.value.netns != own_netns_)
		return 0;
	uint64_t seen = t->second;
	traced.erase(t);
	if (closed)
		return tcp_credit(d.key.cookie, now.closed.at(d.key.cookie).tcp_read, seen, true);
	auto live = now.tcp_read.find(d.key.cookie);
	return live == now.tcp_read.end() ? 0 : tcp_credit(d.key.cookie, live->second, seen, false);
}

Interval FlowCollector::collect(const FlowSnapshot& now)
{
	Interval out;
	Traced traced;
	for (const auto& [key, value] : now.flows)
		if (is_tcp(value))
			traced[key.cookie] += value.recv;
	for (const auto& [key, value] : now.flows) {
		auto [it, is_new] = last_.try_emplace(key);
		Seen& s = it->second;
		FlowDelta d{key, value, value.sent - s.sent, value.recv - s.recv, value.events - s.events};
		auto mark = now.closed.find(key.cookie);
		// A TCP socket is done when destroyed (final count in the mark), not
		// when released: the count would still miss the bytes in between.
		bool closed = mark != now.closed.end() && (!is_tcp(value) || mark->second.has_tcp);
		d.recv += splice_credit(now, d, closed, traced);
		bool moved = d.sent || d.recv || d.events;
		if (moved || is_new)
			out.deltas.push_back(d);
		s = {value.sent, value.recv, value.events, moved ? 0 : s.idle + 1};
		if (closed || s.idle > idle_limit_) {
			out.done_flows.push_back(key);
			last_.erase(it);
		}
	}
	for (const auto& [cookie, mark] : now.closed) {
		out.done_marks.push_back(cookie);
		if (mark.has_tcp)
			tcp_.erase(cookie);
	}
	return out;
}

} // namespace snitch
