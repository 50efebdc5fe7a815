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

} // namespace

void PendingRollup::add(const ConnRow& r)
{
	double last = static_cast<double>(std::llround(r.last_time * 1000)) / 1000;
	int64_t day = day_of(last);
	const Key keys[] = {
		{static_cast<int>(RollupDim::exe), day, r.exe_id, ""},
		{static_cast<int>(RollupDim::parent), day, r.parent_id, ""},
		{static_cast<int>(RollupDim::domain), day, 0, r.domain},
		{static_cast<int>(RollupDim::raddr), day, 0, r.raddr},
		{static_cast<int>(RollupDim::rport), day, 0, std::to_string(r.rport)},
		{static_cast<int>(RollupDim::uid), day, 0, std::to_string(r.uid)},
	};
	for (const Key& k : keys) {
		Sums& s = sums_[k];
		s.events = add_saturated(s.events, static_cast<int64_t>(r.events));
		s.sent = add_saturated(s.sent, static_cast<int64_t>(r.sent));
		s.recv = add_saturated(s.recv, static_cast<int64_t>(r.recv));
		s.last_time = std::max(s.last_time, last);
	}
}

} // namespace snitch
