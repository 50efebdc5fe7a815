#include "flow_collector.hpp"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cstring>
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

void FlowCollector::collect(const std::function<void(const FlowDelta&)>& emit)
{
	// Closed marks first: a socket marked closed has final counters by the time we read them.
	auto closed_list = map_keys<uint64_t>(closed_fd_);
	std::unordered_set<uint64_t> closed(closed_list.begin(), closed_list.end());
	std::vector<flow_key> reclaim;

	for (const flow_key& key : map_keys<flow_key>(flows_fd_)) {
		FlowDelta d{key, {}, 0, 0, 0};
		if (bpf_map_lookup_elem(flows_fd_, &key, &d.value))
			continue;
		auto [it, is_new] = last_.try_emplace(key);
		Seen& s = it->second;
		d.sent = d.value.sent - s.sent;
		d.recv = d.value.recv - s.recv;
		d.events = d.value.events - s.events;
		bool moved = d.sent || d.recv || d.events;
		if (moved || is_new)
			emit(d);
		s = {d.value.sent, d.value.recv, d.value.events, moved ? 0 : s.idle + 1};
		if (closed.count(key.cookie) || s.idle > idle_limit_)
			reclaim.push_back(key);
	}
	for (const flow_key& key : reclaim) {
		bpf_map_delete_elem(flows_fd_, &key);
		last_.erase(key);
	}
	for (uint64_t cookie : closed_list)
		bpf_map_delete_elem(closed_fd_, &cookie);
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
