#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace snitch {

// Every tool's App: --help, --version, a footer with examples.
void setup_app(CLI::App& app, const std::string& footer);

// --check-config: the stage checks the configuration it would use and exits
// 0, or 1 with the reason, without starting.
void add_check_config(CLI::App& app, bool& flag);

// Parses argv and runs `run`, mapping outcomes to the toolkit's exit codes:
// 0 success (also --help/--version), 1 runtime failure, 2 usage error.
int parse_and_run(CLI::App& app, int argc, char** argv, const std::function<int()>& run);

} // namespace snitch
