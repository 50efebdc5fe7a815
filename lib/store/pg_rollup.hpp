#pragma once
// PostgreSQL's rollup of the rows this run committed since its host's mark,
// summed as they are written, so that rolling up inserts the sums instead of
// reading the rows back: the same rows rollup_insert_sql() would insert.
#include "db/schema.hpp"
#include <limits>
#include <map>
#include <string>
#include <tuple>

namespace snitch {

class PendingRollup {
public:
	struct Sums {
		int64_t events = 0, sent = 0, recv = 0;
		double last_time = -std::numeric_limits<double>::infinity();
	};
	using Key = std::tuple<int, int64_t, int64_t, std::string>;  // dim, bucket, id, value

	// The rows past `mark` are all here from now on (none when `mark` is
	// the host's newest seq); -1: unknown, roll up with SQL.
	void start(int64_t mark) { sums_.clear(), from_ = mark; }
	int64_t from() const { return from_; }
	void add(const ConnRow& r);
	const std::map<Key, Sums>& sums() const { return sums_; }

private:
	std::map<Key, Sums> sums_;
	int64_t from_ = -1;
};

} // namespace snitch
