// snitch-hash: adds the SHA-256 of each process's executable to flow and exec events.
#include "core/cli.hpp"
#include "core/config.hpp"
#include "hash/filter.hpp"
#include "core/filter_loop.hpp"
#include <iostream>
#include <vector>

namespace {

struct Options {
	std::string config;
	size_t max_open = 0;
	snitch::HashLimits limits;
	bool no_fanotify = false;
	bool verbose = false;
	bool check_config = false;
	std::vector<std::string> files;
};

void make_options(CLI::App& app, Options& o)
{
	o.config = snitch::config_dir() + "/config.json";
	app.add_option("-c,--config", o.config, "config.json to read (\"Set RLIMIT_NOFILE\")")->capture_default_str();
	app.add_option("--max-open", o.max_open, "Executables kept open and cached at most (default: RLIMIT_NOFILE less a reserve)")
		->check(CLI::PositiveNumber);
	app.add_option("--max-size", o.limits.max_size, "Executables larger than BYTES get sha256_error instead of a hash (0: no cap)")
		->type_name("BYTES")->check(CLI::NonNegativeNumber)->capture_default_str();
	app.add_option("--max-seconds", o.limits.max_seconds, "Give up hashing one executable after SECONDS (0: no cap)")
		->check(CLI::NonNegativeNumber)->capture_default_str();
	app.add_option("--inline-max", o.limits.inline_max, "Executables larger than BYTES are hashed off the event loop; their first events get sha256_error (0: none are)")
		->type_name("BYTES")->check(CLI::NonNegativeNumber)->capture_default_str();
	app.add_flag("--no-fanotify", o.no_fanotify, "Detect modified executables by ctime on every cache hit instead of fanotify");
	app.add_option("--hash-file", o.files, "Print the SHA-256 of FILE like sha256sum(1) and exit")->type_name("FILE");
	snitch::add_check_config(app, o.check_config);
	app.add_flag("-v,--verbose", o.verbose, "Say how the cache is sized and invalidated");
}

int hash_files(const std::vector<std::string>& files)
{
	snitch::Sha256File hasher;
	int status = 0;
	for (const auto& f : files) {
		try {
			std::cout << snitch::to_string(hasher.hash_path(f)) << "  " << f << '\n';
		} catch (const std::exception& e) {
			std::cerr << "snitch-hash: " << e.what() << '\n';
			status = 1;
		}
	}
	return status;
}

int run(const Options& o)
{
	if (!o.files.empty())
		return hash_files(o.files);
	snitch::Config config = snitch::load_config(o.config);
	if (o.check_config)
		return 0;
	snitch::ExeHashCache cache(snitch::open_file_budget(config.set_rlimit_nofile, o.max_open), !o.no_fanotify, o.limits);
	if (o.verbose)
		std::cerr << "snitch-hash: caching up to " << cache.capacity() << " executables, invalidated by "
			  << cache.invalidation() << '\n';
	snitch::ExeHashFilter filter(cache);
	snitch::FilterLoop loop{.source = "snitch-hash"};
	loop.on_idle = [&](snitch::JsonlWriter&) { cache.refresh_soon(); };
	return snitch::run_filter(loop, [&](std::string_view line, snitch::JsonlWriter& out) { filter.handle(line, out); });
}

} // namespace

int main(int argc, char** argv)
{
	CLI::App app{"Add the SHA-256 of each process's executable to flow and exec events", "snitch-hash"};
	snitch::setup_app(app, "\nExamples:\n"
			       "  sudo snitch-trace | sudo snitch-hash | snitch-store\n"
			       "  snitch-hash < events.jsonl > hashed.jsonl\n"
			       "  snitch-hash --hash-file /usr/bin/curl\n");
	Options o;
	make_options(app, o);
	return snitch::parse_and_run(app, argc, argv, [&] { return run(o); });
}
