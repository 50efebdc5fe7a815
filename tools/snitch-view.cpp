// snitch-view: browse snitch-store's connection log in a terminal, or print a screen.
#include "core/cli.hpp"
#include "view/args.hpp"
#include "core/event.hpp"
#include "view/live.hpp"
#include "view/print.hpp"
#include "view/screen.hpp"
#include <clocale>
#include <iostream>

namespace {

struct Options {
	std::string config, db, screen = "exe", range = "all", sort = "sent", search, detail, format = "table";
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
	app.add_option("--screen", o.screen, "exe, name, sha256, parent, domain, ip, port, user, time, cmdline, new, conn")->capture_default_str();
	app.add_option("--range", o.range, "Time range: all, or a number with s, m, h, d, w (90s, 2h, 1d, 2w)")->capture_default_str();
	app.add_option("--period", o.period, "Periods of the range back in history (h/H)")->check(CLI::NonNegativeNumber);
	app.add_option("--filter", o.filters, "SCREEN=VALUE to filter on; repeat to stack (exe=/usr/bin/curl)");
	app.add_option("--sort", o.sort, "sent, received, events, name, last")->capture_default_str();
	app.add_option("--search", o.search, "Keep rows whose value contains this (case-insensitive)");
	app.add_option("--limit", o.limit, "--print: at most this many rows (0: all)");
	app.add_option("--format", o.format, "--print: table, csv, json or jsonl")->capture_default_str();
	app.add_option("--detail", o.detail, "--print: the detail panel of this executable path instead");
	app.add_option("--now", o.now, "Anchor time ranges at this epoch time instead of the clock");
	app.add_flag("--live", o.live, "Live per-process rates from JSON Lines on stdin (keys from /dev/tty)");
	app.add_option("--rate-window", o.live_window, "--live: seconds the rates average over")->check(CLI::PositiveNumber)->capture_default_str();
}

snitch::ViewState initial_state(const Options& o)
{
	try {
		return snitch::view_state_from({o.screen, o.range, o.sort, o.search, o.filters, o.period});
	} catch (const snitch::ViewArgError& e) {
		throw CLI::ValidationError(e.option, e.what());
	}
}

snitch::PrintFormat format_or_throw(const std::string& name)
{
	auto f = snitch::print_format_by_name(name);
	if (!f)
		throw CLI::ValidationError("--format", "unknown format '" + name + "' (table, csv, json, jsonl)");
	return *f;
}

snitch::ResultTable screen_result(snitch::ViewDb& db, const snitch::ViewState& s, const Options& o)
{
	auto q = snitch::primary_query(s, o.now > 0 ? o.now : snitch::epoch_now());
	if (s.screen == snitch::ScreenKind::news)
		return snitch::sightings_table(snitch::visible_sightings(snitch::fetch_sightings(db, q), s, o.limit));
	if (s.screen == snitch::ScreenKind::conns)
		return snitch::connections_table(snitch::visible_connections(snitch::fetch_connections(db, q, s.search.empty() ? o.limit : 0), s, o.limit));
	auto rows = snitch::visible_rows(snitch::fetch_rows(db, q), s);
	if (o.limit && rows.size() > o.limit)
		rows.resize(o.limit);
	return snitch::rows_table(s.screen, rows);
}

int print(snitch::ViewDb& db, const snitch::ViewState& s, const Options& o)
{
	auto format = format_or_throw(o.format);
	bool table = format == snitch::PrintFormat::table;
	if (!o.detail.empty()) {
		auto d = snitch::fetch_detail(db, o.detail);
		if (table)
			snitch::print_detail(std::cout, d);
		else
			snitch::print_result(std::cout, snitch::detail_table(d), format);
		return 0;
	}
	if (table && snitch::is_aggregate(s.screen)) {
		auto rows = snitch::visible_rows(snitch::fetch_rows(db, snitch::primary_query(s, o.now > 0 ? o.now : snitch::epoch_now())), s);
		if (o.limit && rows.size() > o.limit)
			rows.resize(o.limit);
		snitch::print_table(std::cout, s.screen, rows);
		return 0;
	}
	snitch::print_result(std::cout, screen_result(db, s, o), format);
	return 0;
}

int run(const Options& o)
{
	std::setlocale(LC_ALL, "");
	if (o.live)
		return snitch::run_live(snitch::LiveOptions{o.live_window});
	auto s = initial_state(o);
	if (o.print)
		format_or_throw(o.format);
	auto db = snitch::open_view_db(snitch::view_database(o.db, o.config));
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
			       "  snitch-view --print --screen new --range 1w --format csv\n"
			       "  sudo snitch-trace 2>>trace.log | snitch-view --live\n");
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
