// snitch-store: every event into a database (SQLite, or PostgreSQL for fleets), passed on.
#include "core/cli.hpp"
#include "core/config.hpp"
#include "core/filter_loop.hpp"
#include "db/sqlite_path.hpp"
#include "store/ignore.hpp"
#include "store/pg.hpp"
#include "store/runner.hpp"
#include "store/sqlite.hpp"
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace {

struct Options {
	std::string config, db, host, queue_dir;
	double window = 1, retention_days = 365;
	uint64_t queue_bytes = 64ull << 20;
	bool quiet = false, check_config = false, no_addresses = false, no_commands = false, init_schema = false;
	std::vector<std::string> ignore;
};

void make_options(CLI::App& app, Options& o)
{
	app.add_option("-c,--config", o.config, "config.json to read (default: config dir/config.json)");
	app.add_option("-d,--db", o.db, "SQLite file, or postgresql://... URI (default: config \"Database\", else state dir/snitch.db)");
	app.add_option("-w,--window", o.window, "Merge events of one key over this many seconds (config \"DB write limit (seconds)\")")
		->check(CLI::Range(0.0, 86400.0));
	app.add_option("--retention-days", o.retention_days, "Delete SQLite rows older than this; 0 keeps all (config \"DB retention (days)\")")
		->check(CLI::NonNegativeNumber);
	app.add_option("--host-id", o.host, "Host name stored with every row (default: hostname)");
	app.add_flag("-q,--quiet", o.quiet, "Pass no events on");
	app.add_flag("--no-addresses", o.no_addresses, "Store no addresses or domains (config \"Log addresses\": false)");
	app.add_flag("--no-commands", o.no_commands, "Store no command lines (config \"Log commands\": false)");
	app.add_option("--ignore", o.ignore, "Also ignore connections matching this (name, port, IP/CIDR, .domain, sha256)");
	app.add_option("--queue-dir", o.queue_dir, "PostgreSQL only: on-disk queue directory (default: state dir/pg-queue)");
	app.add_option("--queue-bytes", o.queue_bytes, "PostgreSQL only: bound of the on-disk queue")->capture_default_str();
	snitch::add_check_config(app, o.check_config);
	app.add_flag("--init-schema", o.init_schema, "Create or migrate the schema, then exit (PostgreSQL: run as the owner)");
}

std::string hostname()
{
	char buf[256] = {};
	if (gethostname(buf, sizeof(buf) - 1) != 0)
		return "localhost";
	return buf;
}

// Command-line options override the config file.
void apply_config(CLI::App& app, Options& o, snitch::Config& c)
{
	std::string dir = snitch::state_dir();
	if (o.config.empty())
		o.config = snitch::config_dir() + "/config.json";
	c = snitch::load_config(o.config);
	if (!app.count("--window"))
		o.window = c.db_write_limit_seconds;
	if (!app.count("--retention-days"))
		o.retention_days = c.db_retention_days;
	if (o.db.empty())
		o.db = c.database.empty() ? dir + "/snitch.db" : c.database;
	if (o.host.empty())
		o.host = hostname();
	if (o.queue_dir.empty())
		o.queue_dir = dir + "/pg-queue";
	c.log_ignore.insert(c.log_ignore.end(), o.ignore.begin(), o.ignore.end());
}

bool is_postgres(const std::string& db)
{
	return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::unique_ptr<snitch::StoreSink> open_sink(const Options& o)
{
	if (is_postgres(o.db))
		return std::make_unique<snitch::PgStore>(snitch::PgOptions{o.db, o.host, o.queue_dir, o.queue_bytes});
	auto parent = std::filesystem::path(o.db).parent_path();
	if (!parent.empty())
		std::filesystem::create_directories(parent);
	return std::make_unique<snitch::SqliteStore>(snitch::SqliteOptions{o.db, o.host, o.retention_days});
}

int run(CLI::App& app, Options& o)
{
	snitch::Config c;
	apply_config(app, o, c);
	snitch::IgnoreRules rules(c.log_ignore);
	if (!is_postgres(o.db))
		snitch::check_sqlite_path(o.db);
	if (o.check_config)
		return 0;
	if (o.init_schema) {
		if (is_postgres(o.db))
			snitch::init_pg_schema(o.db);
		else
			open_sink(o);
		return 0;
	}
	auto sink = open_sink(o);
	snitch::EventWindow window({o.window, c.log_addresses && !o.no_addresses, c.log_commands && !o.no_commands,
				    std::move(rules)});
	snitch::StoreRunner runner(window, *sink, o.quiet);
	double tick = o.window > 0 ? std::clamp(o.window / 4, 0.05, 1.0) : 1.0, next_tick = 0;
	snitch::FilterLoop loop{"snitch-store"};
	loop.on_idle = [&](snitch::JsonlWriter& out) { runner.idle(out); };
	loop.next_deadline = [&] { return next_tick; };
	loop.on_tick = [&](double now, snitch::JsonlWriter& out) {
		runner.idle(out);
		next_tick = now + tick;
	};
	snitch::run_filter(loop, [&](std::string_view line, snitch::JsonlWriter& out) { runner.line(line, out); });
	runner.finish();
	return 0;
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Write every event to a database (SQLite or PostgreSQL) and pass it on", "snitch-store"};
	snitch::setup_app(app, "\nExamples:\n"
			       "  snitch-trace | snitch-hash | snitch-store -q            # log to the default SQLite file\n"
			       "  snitch-store --db /var/lib/picosnitch/snitch.db -w 5 < events.jsonl\n"
			       "  snitch-store --db postgresql://host@db.example/snitch --host-id web1\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] { return run(app, o); });
}
