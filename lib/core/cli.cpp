#include "core/cli.hpp"
#include "core/jsonl_writer.hpp"
#include <iostream>

namespace snitch {

void setup_app(CLI::App& app, const std::string& footer)
{
	app.set_version_flag("--version", std::string(app.get_name()) + " " + SNITCH_VERSION);
	app.footer(footer);
}

void add_check_config(CLI::App& app, bool& flag)
{
	app.add_flag("--check-config", flag, "Check the configuration this stage would use, print what is wrong, exit 0 or 1 without starting");
}

int parse_and_run(CLI::App& app, int argc, char** argv, const std::function<int()>& run)
{
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError& e) {
		return app.exit(e) == 0 ? 0 : 2;
	}
	try {
		return run();
	} catch (const OutputClosed&) {
		return 0;
	} catch (const std::exception& e) {
		std::cerr << app.get_name() << ": " << e.what() << '\n';
		return 1;
	}
}

} // namespace snitch
