// snitch-store's handling of each line: the write window (EventWindow via
// StoreRunner) merges events into rows, which go into a fresh in-memory
// SQLite database. A line is rejected with std::runtime_error or stored; a
// failed database write (StoreFailed) is a crash here.
#include "fuzz_input.hpp"
#include "store/runner.hpp"
#include "store/sqlite.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	SqliteStore sink(SqliteOptions{":memory:", "fuzz-host", 0});
	EventWindow window({1, true, true, IgnoreRules({"ignored-name", "5353", "10.9.0.0/16", ".ignored.test", "fd00:9::/32"})});
	StoreRunner runner(window, sink, false);
	JsonlWriter out(fuzz::null_fd());
	fuzz::for_each_line(fuzz::as_text(data, size), [&](std::string_view line) {
		try {
			runner.line(line, out);
		} catch (const StoreFailed&) {
			throw;
		} catch (const std::exception&) {
		}
	});
	runner.finish();
	return 0;
}
