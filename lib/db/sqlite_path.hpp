#pragma once
// What --check-config says of a SQLite file before anything is made
// (snitch-store's log, snitch-vt's cache).
#include <string>

namespace snitch {

// Throws unless a SQLite file could be made at `path`: its nearest existing
// ancestor must be a directory, and `path` itself not one. `what` names the
// file in the message ("database", "VT cache").
void check_sqlite_path(const std::string& path, const std::string& what = "database");

} // namespace snitch
