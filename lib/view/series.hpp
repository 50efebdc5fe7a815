#pragma once
// Traffic over time: the sums of a view's rows (its filters and range) per
// step, for charts. Built on the query layer's Connection time screen, so
// that each point is the sum of that screen's minutes.
#include "view/query.hpp"

namespace snitch {

struct SeriesPoint {
	int64_t time = 0;  // start of the step (a multiple of it since the epoch, UTC)
	uint64_t events = 0, sent = 0, recv = 0;
};

// The step for a range of `span` seconds: a round one giving at most 500
// points; whole days (or weeks) past 8 days.
int64_t series_step(double span);

// `q.screen` does not matter. Steps of whole days on an unfiltered query
// read snitch-store's daily rollup when the database has one (`rollup`).
std::string series_sql(Dialect d, const Query& q, int64_t step, std::vector<SqlParam>& params, bool rollup = false);
std::vector<SeriesPoint> fetch_series(ViewDb& db, const Query& q, int64_t step);

// The first and last connection's last_time (0, 0 when there are none).
std::pair<double, double> time_extent(ViewDb& db);

} // namespace snitch
