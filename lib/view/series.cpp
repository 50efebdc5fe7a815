#include "view/series.hpp"
#include <cmath>

namespace snitch {
namespace {

constexpr int64_t day = rollup_bucket;

std::string bucket_of(const std::string& seconds, int64_t step)
{
	return "CAST(" + seconds + " AS BIGINT) / " + std::to_string(step) + " * " + std::to_string(step);
}

// The Connection time screen's minutes of `q`, summed per step.
std::string minutes_sql(Dialect d, Query q, int64_t step, std::vector<SqlParam>& params)
{
	q.screen = ScreenKind::time;
	return "WITH m(k, ev, se, re, lt) AS (" + screen_sql(d, q, params, false) + ") SELECT " + bucket_of("m.k", step) +
	       ", SUM(m.ev), SUM(m.se), SUM(m.re) FROM m WHERE m.k <> '' GROUP BY 1";
}

// Whole days [lo, hi) from the rollup and the rows past its mark, the
// partial days at either end from the minutes.
std::string rollup_days_sql(Dialect d, const Query& q, int64_t step, std::vector<SqlParam>& params)
{
	double lo = q.from > 0 ? std::ceil(q.from / day) * day : 0, hi = q.to > 0 ? std::floor(q.to / day) * day : 0;
	std::string days = "r.dim = " + std::to_string(static_cast<int>(RollupDim::uid));
	auto [tail_from, tail] = rollup_tail(d);
	std::vector<SqlParam> bounds;
	if (q.from > 0) {
		days += " AND r.bucket >= CAST(? AS DOUBLE PRECISION)";
		tail += " AND +c.last_time >= ?";
		bounds.emplace_back(lo);
	}
	if (q.to > 0) {
		days += " AND r.bucket < CAST(? AS DOUBLE PRECISION)";
		tail += " AND +c.last_time < ?";
		bounds.emplace_back(hi);
	}
	std::string day_of = d == Dialect::sqlite ? "c.last_time" : "FLOOR(c.last_time)";
	std::string sql = "SELECT r.bucket AS b, SUM(r.events) AS ev, SUM(r.sent) AS se, SUM(r.recv) AS re FROM rollup r WHERE " +
			  days + " GROUP BY r.bucket UNION ALL SELECT " + bucket_of(day_of, day) +
			  ", SUM(c.events), SUM(c.sent), SUM(c.recv) FROM " + tail_from + " WHERE " + tail + " GROUP BY 1";
	params.insert(params.end(), bounds.begin(), bounds.end());
	params.insert(params.end(), bounds.begin(), bounds.end());
	auto edge = [&](double from, double to) {
		Query part = q;
		part.from = from;
		part.to = to;
		part.span = to - from;
		sql += " UNION ALL SELECT * FROM (" + minutes_sql(d, part, day, params) + ") e";
	};
	if (q.from > 0 && q.from < lo)
		edge(q.from, lo);
	if (q.to > 0 && hi < q.to)
		edge(hi, q.to);
	return "SELECT " + bucket_of("s.b", step) + ", SUM(s.ev), SUM(s.se), SUM(s.re) FROM (" + sql + ") s GROUP BY 1";
}

uint64_t to_u64(const std::string& s)
{
	return s.empty() ? 0 : std::stoull(s);
}

} // namespace

int64_t series_step(double span)
{
	// Past a week, whole days: the rollup answers them without reading the rows.
	if (span <= 8 * day)
		for (int64_t s : {60, 300, 600, 1800, 3600, 10800})
			if (span / static_cast<double>(s) <= 500)
				return s;
	int64_t days = 1;
	while (span / static_cast<double>(days * day) > 500)
		days *= 7;
	return days * day;
}

std::string series_sql(Dialect d, const Query& q, int64_t step, std::vector<SqlParam>& params, bool rollup)
{
	// A range of two days or more holds a whole day; shorter ones read few rows anyway.
	if (rollup && q.filters.empty() && step % day == 0 && (q.span <= 0 || q.span >= 2 * day))
		return rollup_days_sql(d, q, step, params) + " ORDER BY 1";
	return minutes_sql(d, q, step, params) + " ORDER BY 1";
}

std::vector<SeriesPoint> fetch_series(ViewDb& db, const Query& q, int64_t step)
{
	std::vector<SqlParam> params;
	std::string sql = series_sql(db.dialect(), q, step, params, db.has_rollup());
	std::vector<SeriesPoint> out;
	for (auto& r : db.query(sql, params))
		out.push_back({std::stoll(r.at(0)), to_u64(r.at(1)), to_u64(r.at(2)), to_u64(r.at(3))});
	return out;
}

std::pair<double, double> time_extent(ViewDb& db)
{
	// Two subqueries: PostgreSQL reads MIN and MAX from the time index only
	// one at a time. SQLite has none: the oldest and the newest slot of
	// time_slots holding a row (retention may leave a slot without), then the
	// rows of each through its rowid range.
	const std::string ms = std::to_string(time_slot_ms);
	auto edge = [&](const char* agg, const char* end) {
		return "(SELECT t / 1000.0 FROM (SELECT (SELECT " + std::string(agg) + "(r.time_ms) FROM connection_rows r WHERE r.id "
		       "BETWEEN s.lo AND s.hi AND r.time_ms / " + ms + " = s.slot) AS t FROM time_slots s ORDER BY s.slot " + end +
		       ") WHERE t IS NOT NULL LIMIT 1)";
	};
	auto r = db.dialect() == Dialect::sqlite
			 ? db.query("SELECT " + edge("MIN", "ASC") + ", " + edge("MAX", "DESC"), {})
			 : db.query("SELECT CAST((SELECT MIN(time_ms) FROM connection_rows) AS DOUBLE PRECISION) / 1000, "
				    "CAST((SELECT MAX(time_ms) FROM connection_rows) AS DOUBLE PRECISION) / 1000", {});
	if (r.empty() || r[0].at(0).empty())
		return {0, 0};
	return {std::stod(r[0][0]), std::stod(r[0][1])};
}

} // namespace snitch
