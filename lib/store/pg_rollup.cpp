#include "store/pg_rollup.hpp"
#include <algorithm>
#include <cmath>
#include <limits>

namespace snitch {
namespace {

// PostgreSQL's LEAST(SUM(x), 2^63 - 1) of values that are never negative.
int64_t add_saturated(int64_t a, int64_t b)
{
	uint64_t s = static_cast<uint64_t>(a) + static_cast<uint64_t>(b);
	return static_cast<int64_t>(std::min<uint64_t>(s, std::numeric_limits<int64_t>::max()));
}

// rollup_day_sql() of the view's last_time, time_ms / 1000 in double precision.
int64_t day_of(double last_time)
{
	double seconds = std::min(std::max(std::floor(last_time), 0.0), 9e15);
	return static_cast<int64_t>(seconds) / rollup_bucket * rollup_bucket;
}

int64_t capped(uint64_t v)
{
	return static_cast<int64_t>(std::min<uint64_t>(v, std::numeric_limits<int64_t>::max()));
}

constexpr RollupDim dims[] = {RollupDim::exe, RollupDim::parent, RollupDim::domain, RollupDim::raddr, RollupDim::rport, RollupDim::uid};

} // namespace

void PendingRollup::Sums::add(const Sums& s)
{
	events = add_saturated(events, s.events);
	sent = add_saturated(sent, s.sent);
	recv = add_saturated(recv, s.recv);
	last_time = std::max(last_time, s.last_time);
}

void PendingRollup::start(int64_t mark)
{
	sums_.clear(), contexts_.clear(), peers_.clear(), text_ids_.clear(), texts_.clear();
	from_ = mark;
}

int64_t PendingRollup::text_index(const std::string& s)
{
	auto [it, inserted] = text_ids_.try_emplace(s, static_cast<int64_t>(texts_.size()));
	if (inserted)
		texts_.push_back(s);
	return it->second;
}

void PendingRollup::add(const ConnRow& r, int64_t context, int64_t peer)
{
	auto c = contexts_.find(context);
	if (c == contexts_.end())
		c = contexts_.emplace(context, Dims{{r.exe_id, r.parent_id, 0, 0, 0, r.uid}}).first;
	auto p = peers_.find(peer);
	if (p == peers_.end())
		p = peers_.emplace(peer, Dims{{0, 0, text_index(r.domain), text_index(r.raddr), r.rport, 0}}).first;
	double last = static_cast<double>(std::llround(r.last_time * 1000)) / 1000;
	int64_t day = day_of(last);
	Sums row{capped(r.events), capped(r.sent), capped(r.recv), last};
	for (int d = 0; d < 6; ++d) {
		bool of_context = dims[d] == RollupDim::exe || dims[d] == RollupDim::parent || dims[d] == RollupDim::uid;
		sums_[{d, day, (of_context ? c : p)->second.v[d]}].add(row);
	}
}

std::map<PendingRollup::Key, PendingRollup::Sums> PendingRollup::sums() const
{
	std::map<Key, Sums> out;
	for (const auto& [k, s] : sums_) {
		RollupDim dim = dims[k.dim];
		bool by_id = dim == RollupDim::exe || dim == RollupDim::parent;
		bool text = dim == RollupDim::domain || dim == RollupDim::raddr;
		std::string value = by_id ? "" : text ? texts_[static_cast<size_t>(k.v)] : std::to_string(k.v);
		out.emplace(Key{static_cast<int>(dim), k.day, by_id ? k.v : 0, std::move(value)}, s);
	}
	return out;
}

} // namespace snitch
