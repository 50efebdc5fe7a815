#pragma once
// PostgreSQL's rollup of the rows this run committed since its host's mark,
// summed as they are written, so that rolling up inserts the sums instead of
// reading the rows back: the same rows rollup_insert_sql() would insert.
#include "db/schema.hpp"
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace snitch {

class PendingRollup {
public:
	struct Sums {
		int64_t events = 0, sent = 0, recv = 0;
		double last_time = -std::numeric_limits<double>::infinity();
		void add(const Sums& s);
	};
	using Key = std::tuple<int, int64_t, int64_t, std::string>;  // dim, bucket, id, value

	// The rows past `mark` are all here from now on (none when `mark` is
	// the host's newest seq); -1: unknown, roll up with SQL.
	void start(int64_t mark);
	int64_t from() const { return from_; }
	// A row whose context and peer have these ids; each id's dimension
	// values are looked at once, the sums are kept under integer keys.
	void add(const ConnRow& r, int64_t context, int64_t peer);
	std::map<Key, Sums> sums() const;

private:
	struct Dims {
		int64_t v[6];  // per RollupDim - 1: ids, rport and uid, or an index into texts_
	};
	struct DimKey {
		int dim;
		int64_t day, v;
		bool operator==(const DimKey&) const = default;
	};
	struct DimHash {
		size_t operator()(const DimKey& k) const
		{
			uint64_t h = (static_cast<uint64_t>(k.v) * 8 + static_cast<uint64_t>(k.dim)) * 1000003 ^ static_cast<uint64_t>(k.day);
			return std::hash<uint64_t>()(h);
		}
	};
	int64_t text_index(const std::string& s);
	std::unordered_map<DimKey, Sums, DimHash> sums_;
	std::unordered_map<int64_t, Dims> contexts_, peers_;
	std::unordered_map<std::string, int64_t> text_ids_;
	std::vector<std::string> texts_;
	int64_t from_ = -1;
};

} // namespace snitch
