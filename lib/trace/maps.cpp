#include "trace/maps.hpp"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <system_error>

namespace snitch {
namespace {

constexpr uint32_t BATCH = 512;

// One key-value walk the slow way, for kernels without batch ops on this map.
template <class K, class V> void walk_by_key(int fd, std::vector<std::pair<K, V>>& out)
{
	K k, next;
	const K* prev = nullptr;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		V v{};
		if (bpf_map_lookup_elem(fd, &next, &v) == 0)
			out.emplace_back(next, v);
		k = next;
		prev = &k;
	}
}

// The whole map in a few syscalls (BPF_MAP_LOOKUP_BATCH) instead of two per entry.
template <class K, class V> std::vector<std::pair<K, V>> read_all(int fd)
{
	std::vector<std::pair<K, V>> out;
	std::vector<K> keys(BATCH);
	std::vector<V> values(BATCH);
	uint64_t in = 0, next = 0; // hash maps' batch token is a bucket index
	bool first = true;
	for (;;) {
		uint32_t count = BATCH;
		int err = bpf_map_lookup_batch(fd, first ? nullptr : &in, &next, keys.data(), values.data(), &count, nullptr);
		if (err && errno == ENOSPC && count == 0) { // one bucket holds more than a batch
			keys.resize(keys.size() * 2);
			values.resize(values.size() * 2);
			continue;
		}
		if (err && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)) {
				walk_by_key(fd, out);
				return out;
			}
			throw std::system_error(errno, std::generic_category(), "BPF map batch lookup");
		}
		for (uint32_t i = 0; i < count; i++)
			out.emplace_back(keys[i], values[i]);
		if (err)
			return out;
		in = next;
		first = false;
	}
}

template <class K> void delete_all(int fd, const std::vector<K>& keys)
{
	if (keys.empty())
		return;
	uint32_t count = static_cast<uint32_t>(keys.size());
	if (bpf_map_delete_batch(fd, keys.data(), &count, nullptr) == 0)
		return;
	// A key the kernel already dropped (LRU) stops the batch: the rest one by one.
	for (size_t i = count; i < keys.size(); i++)
		bpf_map_delete_elem(fd, &keys[i]);
}

} // namespace

TraceMaps::TraceMaps(const LoadedTrace& trace)
	: trace_(trace), flows_fd_(bpf_map__fd(trace.skel->maps.flows)),
	  closed_fd_(bpf_map__fd(trace.skel->maps.closed)), lost_fd_(bpf_map__fd(trace.skel->maps.lost))
{
}

TcpReadCounts TraceMaps::baseline_tcp_reads()
{
	tcp_read_ = read_tcp_counts(trace_.tcp_iter);
	return tcp_read_;
}

FlowSnapshot TraceMaps::snapshot()
{
	FlowSnapshot s;
	for (const auto& [cookie, mark] : read_all<uint64_t, close_mark>(closed_fd_))
		s.closed[cookie] = mark;
	for (const auto& [cookie, n] : read_tcp_counts(trace_.tcp_changed))
		tcp_read_[cookie] = n;
	s.tcp_read = tcp_read_;
	// a destroyed socket's final count is in its mark: it reads no more
	for (const auto& [cookie, mark] : s.closed)
		if (mark.has_tcp)
			tcp_read_.erase(cookie);
	s.flows = read_all<flow_key, flow_value>(flows_fd_);
	return s;
}

LossCounts TraceMaps::losses() const
{
	LossCounts sums{};
	int cpus = libbpf_num_possible_cpus();
	if (cpus <= 0)
		return sums;
	std::vector<uint64_t> values(static_cast<size_t>(cpus));
	for (uint32_t i = 0; i < LOST_COUNTERS; i++) {
		if (bpf_map_lookup_elem(lost_fd_, &i, values.data()))
			continue;
		for (uint64_t v : values)
			sums[i] += v;
	}
	return sums;
}

void TraceMaps::forget(const std::vector<flow_key>& flows, const std::vector<uint64_t>& closed)
{
	delete_all(flows_fd_, flows);
	delete_all(closed_fd_, closed);
}

} // namespace snitch
