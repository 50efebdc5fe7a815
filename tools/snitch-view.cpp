// snitch-view: browse snitch-store's connection log in a terminal, or print a screen.
#include "cli.hpp"
#include "config.hpp"
#include "event.hpp"
#include "view_live.hpp"
#include "view_print.hpp"
#include "view_screen.hpp"
#include <clocale>
#include <iostream>

namespace {

struct Options {
	std::string config, db, screen = "exe", range = "all", sort = "sent", search, detail;
	std::vector<std::string> filters;
	int period = 0;
	size_t limit = 0;
	double now = 0, live_window = 5;
	bool print = false, live = false;
};

void make_options(CLI::App& app, Options& o)
{
	app.add_option("-c,--config", o.config, "config.json to read (default: picosnitch dir/config.json)");
	app.add_option("-d,--db", o.db, "SQLite file or postgresql:// URI (default: config \"Database\", else picosnitch dir/snitch.db)");
	app.add_flag("-p,--print", o.print, "Print the screen as a table and exit");
	app.add_option("--screen", o.screen, "exe, name, sha256, parent, domain, ip, port, user, time, cmdline")->capture_default_str();
	app.add_option("--range", o.range, "Time range: all, or a number with s, m, h, d, w (e.g. 1d)")->capture_default_str();
	app.add_option("--period", o.period, "Periods of the range back in history (h/H)")->check(CLI::NonNegativeNumber);
	app.add_option("--filter", o.filters, "SCREEN=VALUE to filter on; repeat to stack (exe=/usr/bin/curl)");
	app.add_option("--sort", o.sort, "sent, received, events, name, last")->capture_default_str();
	app.add_option("--search", o.search, "Keep rows whose value contains this (case-insensitive)");
	app.add_option("--limit", o.limit, "--print: at most this many rows (0: all)");
	app.add_option("--detail", o.detail, "--print: the detail panel of this executable path instead");
	app.add_option("--now", o.now, "Anchor time ranges at this epoch time instead of the clock");
	app.add_flag("--live", o.live, "Live per-process rates from JSON Lines on stdin (keys from /dev/tty)");
	app.add_option("--rate-window", o.live_window, "--live: seconds the rates average over")->check(CLI::PositiveNumber)->capture_default_str();
}

snitch::ScreenKind screen_or_throw(const std::string& id)
{
	auto k = snitch::screen_by_id(id);
	if (!k)
		throw CLI::ValidationError("--screen", "unknown screen '" + id + "'");
	return *k;
}

snitch::ViewState initial_state(const Options& o)
{
	snitch::ViewState s;
	s.screen = screen_or_throw(o.screen);
	for (const auto& f : o.filters) {
		auto eq = f.find('=');
		if (eq == std::string::npos)
			throw CLI::ValidationError("--filter", "expected SCREEN=VALUE, got '" + f + "'");
		s.filters.push_back({screen_or_throw(f.substr(0, eq)), f.substr(eq + 1)});
	}
	double span = 0;
	try {
		span = snitch::parse_range(o.range);
	} catch (const std::invalid_argument& e) {
		throw CLI::ValidationError("--range", e.what());
	}
	const auto& ranges = snitch::time_ranges();
	s.range = ranges.size();
	for (size_t i = 0; i < ranges.size(); ++i)
		if (ranges[i].second == span)
			s.range = i;
	if (s.range == ranges.size())
		throw CLI::ValidationError("--range", "use one of the t/T ranges: all, 1m, 3m, 5m, 10m, 15m, 30m, 1h, 3h, 6h, 12h, 1d, 3d, 7d, 30d, 365d");
	auto sort = snitch::sort_by_name(o.sort);
	if (!sort)
		throw CLI::ValidationError("--sort", "unknown sort '" + o.sort + "'");
	s.sort = *sort;
	s.period = o.period;
	s.search = o.search;
	if (s.screen == snitch::ScreenKind::exe)
		s.secondary = snitch::ScreenKind::domain;
	else
		s.secondary = snitch::ScreenKind::exe;
	return s;
}

std::string database(const Options& o)
{
	if (!o.db.empty())
		return o.db;
	std::string dir = snitch::config_dir();
	auto c = snitch::load_config(o.config.empty() ? dir + "/config.json" : o.config);
	return c.database.empty() ? dir + "/snitch.db" : c.database;
}

int print(snitch::ViewDb& db, const snitch::ViewState& s, const Options& o)
{
	if (!o.detail.empty()) {
		snitch::print_detail(std::cout, snitch::fetch_detail(db, o.detail));
		return 0;
	}
	auto rows = snitch::visible_rows(snitch::fetch_rows(db, snitch::primary_query(s, o.now > 0 ? o.now : snitch::epoch_now())), s);
	if (o.limit && rows.size() > o.limit)
		rows.resize(o.limit);
	snitch::print_table(std::cout, s.screen, rows);
	return 0;
}

int run(const Options& o)
{
	std::setlocale(LC_ALL, "");
	if (o.live)
		return snitch::run_live(snitch::LiveOptions{o.live_window});
	auto s = initial_state(o);
	auto db = snitch::open_view_db(database(o));
	if (o.print)
		return print(*db, s, o);
	snitch::run_browser(*db, s, o.now);
	return 0;
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Browse the connection log that snitch-store writes (SQLite or PostgreSQL)", "snitch-view"};
	snitch::setup_app(app, "\nExamples:\n"
			       "  snitch-view                                  # the TUI on the default database\n"
			       "  snitch-view --print --screen exe --range 1d --db /var/lib/picosnitch/snitch.db\n"
			       "  sudo snitch-trace | sudo snitch-hash | snitch-view --live\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] {
		try {
			return run(o);
		} catch (const CLI::ValidationError& e) {
			std::cerr << "snitch-view: " << e.what() << '\n';
			return 2;
		}
	});
}
