#include "view_args.hpp"
#include "config.hpp"

namespace snitch {

ScreenKind screen_arg(const std::string& id)
{
	auto k = screen_by_id(id);
	if (!k)
		throw ViewArgError("--screen", "unknown screen '" + id + "'");
	return *k;
}

namespace {

size_t range_index(const std::string& range)
{
	double span = 0;
	try {
		span = parse_range(range);
	} catch (const std::invalid_argument& e) {
		throw ViewArgError("--range", e.what());
	}
	const auto& ranges = time_ranges();
	for (size_t i = 0; i < ranges.size(); ++i)
		if (ranges[i].second == span)
			return i;
	std::string names;
	for (const auto& r : ranges)
		names += (names.empty() ? "" : ", ") + r.first;
	throw ViewArgError("--range", "use one of the t/T ranges: " + names);
}

} // namespace

ViewState view_state_from(const ViewArgs& a)
{
	ViewState s;
	s.screen = screen_arg(a.screen);
	for (const auto& f : a.filters) {
		auto eq = f.find('=');
		if (eq == std::string::npos)
			throw ViewArgError("--filter", "expected SCREEN=VALUE, got '" + f + "'");
		s.filters.push_back({screen_arg(f.substr(0, eq)), f.substr(eq + 1)});
	}
	s.range = range_index(a.range);
	auto sort = sort_by_name(a.sort);
	if (!sort)
		throw ViewArgError("--sort", "unknown sort '" + a.sort + "'");
	if (a.period < 0)
		throw ViewArgError("--period", "must not be negative");
	s.sort = *sort;
	s.period = a.period;
	s.search = a.search;
	s.secondary = s.screen == ScreenKind::exe ? ScreenKind::domain : ScreenKind::exe;
	return s;
}

std::string view_database(const std::string& db, const std::string& config)
{
	if (!db.empty())
		return db;
	std::string dir = config_dir();
	auto c = load_config(config.empty() ? dir + "/config.json" : config);
	return c.database.empty() ? dir + "/snitch.db" : c.database;
}

} // namespace snitch
