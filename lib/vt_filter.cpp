#include "vt_filter.hpp"
#include "event.hpp"
#include "filter_loop.hpp"
#include "stop_flag.hpp"
#include "vt_event_scan.hpp"
#include "vt_reply.hpp"
#include <cctype>
#include <cerrno>
#include <poll.h>
#include <system_error>
#include <unordered_set>

namespace snitch {
namespace {

// Hands the hashes of one event (and of its parent and grandparent) not seen
// in this run to the worker.
class HashCollector {
public:
	explicit HashCollector(VtWorker& worker) : worker_(worker) {}
	void collect(const std::vector<HashRef>& refs)
	{
		for (const HashRef& r : refs)
			offer(r);
	}

private:
	void offer(const HashRef& ref)
	{
		std::string sha = ref.sha256;
		if (!is_sha256(sha))
			return;
		for (char& c : sha)
			c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		if (seen_.insert(sha).second)
			worker_.submit(std::move(sha), ref.exe);
	}
	VtWorker& worker_;
	std::unordered_set<std::string> seen_;
};

// Handles every complete line in the reader's buffer.
void drain(LineReader& in, JsonlWriter& out, MalformedReporter& bad, VtEventScanner& scanner, HashCollector* hashes)
{
	std::string_view line;
	for (;;) {
		switch (in.next(line)) {
		case LineReader::Next::need_input:
			return;
		case LineReader::Next::oversized:
			bad.report(in.line_number(), "line longer than the limit");
			continue;
		case LineReader::Next::line:
			break;
		}
		if (line.find_first_not_of(" \t\r") == std::string_view::npos)
			continue;
		try {
			const std::vector<HashRef>& refs = scanner.scan(line);
			if (hashes)
				hashes->collect(refs);
		} catch (const std::exception& e) {
			bad.report(in.line_number(), e.what());
			continue;
		}
		out.write_line(line);
	}
}

// Blocks until stdin (when still open) or the worker's eventfd is readable, or a signal arrives.
void wait_for_input(int in_fd, bool input_open, int wake_fd)
{
	struct pollfd fds[2] = {{wake_fd, POLLIN, 0}, {in_fd, POLLIN, 0}};
	if (::poll(fds, input_open ? 2 : 1, -1) < 0 && errno != EINTR)
		throw std::system_error(errno, std::generic_category(), "poll");
}

bool stdin_ready(int in_fd)
{
	struct pollfd p = {in_fd, POLLIN, 0};
	return ::poll(&p, 1, 0) > 0;
}

} // namespace

int run_vt_filter(VtWorker& worker, int in_fd, int out_fd)
{
	install_stop_handlers();
	LineReader in(in_fd);
	JsonlWriter out(out_fd);
	MalformedReporter bad("snitch-vt", out);
	VtEventScanner scanner;
	HashCollector hashes(worker);
	worker.start();
	bool input_open = true;
	for (;;) {
		drain(in, out, bad, scanner, &hashes);
		if (input_open && in.eof()) {
			input_open = false;
			bad.summarize(true);
			worker.finish_input();
		}
		for (const std::string& line : worker.take_output())
			out.write_line(line);
		if (stop_requested() || (!input_open && worker.finished()))
			break;
		if (!input_open || !in.pending()) {
			bad.summarize();
			out.flush();
		}
		wait_for_input(in_fd, input_open, worker.wake_fd());
		if (input_open && stdin_ready(in_fd))
			in.fill();
	}
	worker.join();
	for (const std::string& line : worker.take_output())
		out.write_line(line);
	bad.summarize(true);
	out.flush();
	worker.take_output();  // rethrows what stopped the worker, if anything did
	return 0;
}

int run_passthrough(int in_fd, int out_fd)
{
	install_stop_handlers();
	LineReader in(in_fd);
	JsonlWriter out(out_fd);
	MalformedReporter bad("snitch-vt", out);
	VtEventScanner scanner;
	for (;;) {
		drain(in, out, bad, scanner, nullptr);
		if (stop_requested() || in.eof())
			break;
		if (!in.pending()) {
			bad.summarize();
			out.flush();
		}
		in.fill();
	}
	drain(in, out, bad, scanner, nullptr);
	bad.summarize(true);
	out.flush();
	return 0;
}

} // namespace snitch
