#include "view/args.hpp"
#include "core/config.hpp"

namespace snitch {

ScreenKind screen_arg(const std::string& id)
{
	auto k = screen_by_id(id);
	if (!k)
		throw ViewArgError("--screen", "unknown screen '" + id + "'");
	return *k;
}

namespace {

double range_span(const std::string& range)
{
	try {
		return parse_range(range);
	} catch (const std::invalid_argument& e) {
		throw ViewArgError("--range", e.what());
	}
}

Filter filter_arg(const std::string& f)
{
	auto eq = f.find('=');
	if (eq == std::string::npos)
		throw ViewArgError("--filter", "expected SCREEN=VALUE, got '" + f + "'");
	auto k = screen_arg(f.substr(0, eq));
	try {
		return {k, filter_value(k, f.substr(eq + 1))};
	} catch (const std::invalid_argument& e) {
		throw ViewArgError("--filter", e.what());
	}
}

} // namespace

ViewState view_state_from(const ViewArgs& a)
{
	ViewState s;
	s.screen = screen_arg(a.screen);
	for (const auto& f : a.filters)
		s.filters.push_back(filter_arg(f));
	s.span = range_span(a.range);
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
