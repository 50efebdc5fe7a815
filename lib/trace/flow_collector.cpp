#include "trace/flow_collector.hpp"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <algorithm>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string_view>
#include <unordered_set>

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

template <class Key> std::vector<Key> map_keys(int fd)
{
	std::vector<Key> keys;
	Key k, next;
	const Key* prev = nullptr;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		keys.push_back(next);
		k = next;
		prev = &k;
	}
	return keys;
}

} // namespace

void FlowCollector::set_tcp_baseline(const TcpReadCounts& tcp_read, uint32_t own_netns)
{
	own_netns_ = own_netns;
	for (const auto& [cookie, n] : tcp_read)
		tcp_[cookie].baseline = n;
}

// Bytes TCP says the owner read beyond what the tracepoints counted. The
// iterator runs before the flow map is read, so a read in flight can only
// make the gap look smaller; a gap must also show in two readings in a row
// before it counts, except the exact one taken as the socket closed.
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

void FlowCollector::collect(const std::function<void(const FlowDelta&)>& emit,
			    const std::function<TcpReadCounts()>& read_tcp)
{
	// Closed marks first: a socket marked closed has final counters by the time we read them.
	std::unordered_map<uint64_t, close_mark> closed;
	for (uint64_t cookie : map_keys<uint64_t>(closed_fd_)) {
		close_mark m{};
		if (bpf_map_lookup_elem(closed_fd_, &cookie, &m) == 0)
			closed[cookie] = m;
	}
	const TcpReadCounts tcp_read = read_tcp ? read_tcp() : TcpReadCounts{};
	std::vector<FlowDelta> deltas;
	std::unordered_map<uint64_t, uint64_t> traced; // TCP recv the tracepoints saw, per socket
	for (const flow_key& key : map_keys<flow_key>(flows_fd_)) {
		FlowDelta d{key, {}, 0, 0, 0};
		if (bpf_map_lookup_elem(flows_fd_, &key, &d.value))
			continue;
		if (d.value.protocol == IPPROTO_TCP && d.value.sock_type == SOCK_STREAM)
			traced[key.cookie] += d.value.recv;
		deltas.push_back(d);
	}
	std::vector<flow_key> reclaim;
	for (FlowDelta& d : deltas) {
		const flow_key& key = d.key;
		auto [it, is_new] = last_.try_emplace(key);
		Seen& s = it->second;
		d.sent = d.value.sent - s.sent;
		d.recv = d.value.recv - s.recv;
		d.events = d.value.events - s.events;
		auto c = closed.find(key.cookie);
		auto t = traced.find(key.cookie);
		// A TCP socket is done when destroyed (final count in the mark), not
		// when released: the count would still be missing the bytes of the
		// interval between the two.
		bool tcp = d.value.protocol == IPPROTO_TCP && d.value.sock_type == SOCK_STREAM;
		bool is_closed = c != closed.end() && (!tcp || c->second.has_tcp);
		if (t != traced.end() && d.value.netns == own_netns_) {
			auto live = tcp_read.find(key.cookie);
			if (is_closed)
				d.recv += tcp_credit(key.cookie, c->second.tcp_read, t->second, true);
			else if (live != tcp_read.end())
				d.recv += tcp_credit(key.cookie, live->second, t->second, false);
			traced.erase(t); // credit a socket once, to its first flow
		}
		bool moved = d.sent || d.recv || d.events;
		if (moved || is_new)
			emit(d);
		s = {d.value.sent, d.value.recv, d.value.events, moved ? 0 : s.idle + 1};
		if (is_closed || s.idle > idle_limit_)
			reclaim.push_back(key);
	}
	for (const flow_key& key : reclaim) {
		bpf_map_delete_elem(flows_fd_, &key);
		last_.erase(key);
	}
	for (const auto& [cookie, m] : closed) {
		bpf_map_delete_elem(closed_fd_, &cookie);
		if (m.has_tcp)
			tcp_.erase(cookie);
	}
}

uint64_t read_percpu_counter(int map_fd, uint32_t index)
{
	int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		return 0;
	std::vector<uint64_t> values(static_cast<size_t>(cpus));
	if (bpf_map_lookup_elem(map_fd, &index, values.data()))
		return 0;
	uint64_t sum = 0;
	for (uint64_t v : values)
		sum += v;
	return sum;
}

} // namespace snitch
