// snitch-web: the connection log as charts and tables in a browser, read-only.
#include "core/cli.hpp"
#include "core/config.hpp"
#include "core/stop_flag.hpp"
#include "view/args.hpp"
#include "web/server.hpp"
#include "web/token.hpp"
#include <iostream>

namespace {

struct Options {
	std::string config, db, token_file, assets;
	std::vector<std::string> listen;
	int port = 5100;
	double now = 0, live_window = 5;
	bool live = false;
};

void make_options(CLI::App& app, Options& o)
{
	app.add_option("-c,--config", o.config, "config.json to read (default: picosnitch dir/config.json)");
	app.add_option("-d,--db", o.db, "SQLite file or postgresql:// URI (default: config \"Database\", else picosnitch dir/snitch.db)");
	app.add_option("--listen", o.listen, "Address to listen on; repeat for more (default: 127.0.0.1 and ::1)");
	app.add_option("-p,--port", o.port, "TCP port (0: any free one)")->check(CLI::Range(0, 65535))->capture_default_str();
	app.add_option("--token-file", o.token_file, "Access token, made at first start (default: picosnitch dir/web-token)");
	app.add_option("--assets", o.assets, "Directory of the page's files (default: ../share/picosnitch/web beside the binary)");
	app.add_option("--now", o.now, "Anchor time ranges at this epoch time instead of the clock");
	app.add_flag("--live", o.live, "Live view: per-process rates from JSON Lines on stdin, as snitch-view --live");
	app.add_option("--rate-window", o.live_window, "--live: seconds the rates average over")->check(CLI::PositiveNumber)->capture_default_str();
}

int run(const Options& o)
{
	snitch::install_stop_handlers();
	auto db = snitch::open_view_db(snitch::view_database(o.db, o.config));
	std::unique_ptr<snitch::LiveFeed> live;
	if (o.live)
		live = std::make_unique<snitch::LiveFeed>(0, o.live_window);
	snitch::WebApi api(*db, live.get(), o.now);
	snitch::WebServerOptions w;
	w.hosts = o.listen.empty() ? std::vector<std::string>{"127.0.0.1", "::1"} : o.listen;
	w.port = o.port;
	w.assets = snitch::web_assets_dir(o.assets);
	w.token = snitch::load_or_create_token(o.token_file.empty() ? snitch::config_dir() + "/web-token" : o.token_file);
	snitch::WebServer server(api, w);
	std::vector<std::string> failed;
	auto urls = server.bind(failed);
	for (const auto& f : failed)
		std::cerr << "snitch-web: cannot listen on " << f << " (in use, or no such address here)\n";
	// The defaults may lack ::1 (IPv6 off); an address asked for must work.
	if (urls.empty() || (!o.listen.empty() && !failed.empty()))
		return 1;
	for (const auto& u : urls)
		std::cout << u << '\n';
	std::cout.flush();
	server.run();
	return 0;
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Show snitch-store's connection log in a browser: overview, explore, live (read-only)", "snitch-web"};
	snitch::setup_app(app, "\nExamples:\n"
			       "  snitch-web                                   # http://127.0.0.1:5100/?token=... on the default database\n"
			       "  snitch-web --db /var/lib/picosnitch/snitch.db --port 8080\n"
			       "  sudo snitch-trace | sudo snitch-hash | snitch-web --live\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] { return run(o); });
}
