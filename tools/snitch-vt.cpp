// snitch-vt: what VirusTotal thinks of every executable that talks to the network.
#include "core/cli.hpp"
#include "core/config.hpp"
#include "db/sqlite_path.hpp"
#include "vt/filter.hpp"
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

namespace {

struct Options {
	std::string config, cache, cacert, api_url = "https://www.virustotal.com";
	std::optional<double> request_limit;
	bool upload = false, check_config = false;
	long max_attempts = 5;
	double max_backoff = 3600;
	double drain = 5;
};

void make_options(CLI::App& app, Options& o)
{
	app.add_option("-c,--config", o.config, "picosnitch config.json (default: <config dir>/config.json)");
	app.add_option("--cache", o.cache, "SQLite file of verdicts and queue (default: <state dir>/vt_cache.db)");
	app.add_option("--api-url", o.api_url, "VirusTotal API base URL")->capture_default_str();
	app.add_option("--cacert", o.cacert, "CA certificates to trust for the API instead of the system's (PEM file)")
		->check(CLI::ExistingFile);
	app.add_option("--request-limit", o.request_limit, "Seconds between requests (overrides \"VT request limit (seconds)\")")
		->check(CLI::Range(0.0, 86400.0));
	app.add_flag("--upload", o.upload, "Upload unknown executables (as \"VT file upload\": true)");
	snitch::add_check_config(app, o.check_config);
	app.add_option("--max-attempts", o.max_attempts, "Failed requests per hash before it is given up")
		->check(CLI::Range(1L, 1000L))->capture_default_str();
	app.add_option("--max-backoff", o.max_backoff, "Longest wait after repeated failures (seconds)")
		->check(CLI::Range(0.0, 86400.0))->capture_default_str();
	app.add_option("--drain-seconds", o.drain, "At end of input, wait this long for answers; the rest stays queued for the next run")
		->check(CLI::Range(0.0, 3600.0))->capture_default_str();
}

// The key from the environment, else from the config file; never from argv.
std::string api_key(const snitch::Config& cfg)
{
	const char* env = std::getenv("VT_API_KEY");
	return env && *env ? env : cfg.vt_api_key;
}

std::string cache_path(const Options& o)
{
	return o.cache.empty() ? (std::filesystem::path(snitch::state_dir()) / "vt_cache.db").string() : o.cache;
}

int run(const Options& o)
{
	std::string config = o.config.empty() ? snitch::config_dir() + "/config.json" : o.config;
	snitch::Config cfg = snitch::load_config(config);
	std::string cache = cache_path(o);
	snitch::check_sqlite_path(cache, "VT cache");
	if (o.check_config)
		return 0;
	snitch::VtSettings s;
	s.key = api_key(cfg);
	if (s.key.empty()) {
		std::cerr << "snitch-vt: no VirusTotal API key (\"VT API key\" in " << config
			  << " or VT_API_KEY): lookups disabled, events pass through\n";
		return snitch::run_passthrough();
	}
	s.api_url = o.api_url;
	s.ca_file = o.cacert;
	s.request_limit = o.request_limit.value_or(cfg.vt_request_limit_seconds);
	s.upload = o.upload || cfg.vt_file_upload;
	s.max_attempts = o.max_attempts;
	s.max_backoff = o.max_backoff;
	snitch::CurlGlobal curl;
	if (auto dir = std::filesystem::path(cache).parent_path(); !dir.empty())
		std::filesystem::create_directories(dir);
	snitch::VtWorker worker(s, cache);
	return snitch::run_vt_filter(worker, o.drain);
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Add VirusTotal verdicts (vt events) for every executable hash in the stream", "snitch-vt"};
	snitch::setup_app(app, "\nThe API key comes from \"VT API key\" in the config file or from VT_API_KEY.\n"
			       "Examples:\n"
			       "  snitch-trace | snitch-hash | snitch-vt | snitch-store\n"
			       "  VT_API_KEY=... snitch-vt --upload < events.jsonl\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] { return run(o); });
}
