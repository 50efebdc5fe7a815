#pragma once
// The screen, range, filters and sort of a view as text (snitch-view's
// options, snitch-web's URL parameters), checked and turned into a ViewState.
#include "view/state.hpp"
#include <stdexcept>
#include <string>
#include <vector>

namespace snitch {

struct ViewArgs {
	std::string screen = "exe", range = "all", sort = "sent", search;
	std::vector<std::string> filters;  // SCREEN=VALUE
	int period = 0;
};

// A value that does not fit: `option` names what was given ("--screen").
struct ViewArgError : std::invalid_argument {
	ViewArgError(std::string opt, const std::string& what) : std::invalid_argument(what), option(std::move(opt)) {}
	std::string option;
};

ScreenKind screen_arg(const std::string& id);
ViewState view_state_from(const ViewArgs& a);

// --db, else the config's "Database", else snitch.db in the picosnitch directory.
std::string view_database(const std::string& db, const std::string& config);

} // namespace snitch
