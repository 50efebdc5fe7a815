#pragma once
// Owned SQLite and libpq handles, shared by snitch-store, snitch-view and snitch-vt.
#include "core/c_handle.hpp"
#include <memory>
#include <postgresql/libpq-fe.h>
#include <sqlite3.h>

namespace snitch {

using Sqlite = std::unique_ptr<sqlite3, CFree<sqlite3_close_v2>>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, CFree<sqlite3_finalize>>;
using PgConn = std::unique_ptr<PGconn, CFree<PQfinish>>;
using PgResult = std::unique_ptr<PGresult, CFree<PQclear>>;

} // namespace snitch
