// snitch-notify's handling of each line (NotifyService, --print): every line
// passes on unchanged or is rejected with std::runtime_error, and the notices
// it tells carry no markup and no control characters from the events.
#include "fuzz_input.hpp"
#include "notify/service.hpp"
#include <filesystem>

namespace {

void check_notice_text(const std::string& s, std::string_view input)
{
	for (unsigned char c : s)
		if (c == '<' || c == '>' || (c < 0x20 && c != '\n') || c == 0x7f)
			snitch::fuzz::property_failed("markup or a control character in a notice", input);
}

void check_notices(snitch::fuzz::CapturedOutput& out, std::string_view input)
{
	snitch::fuzz::for_each_line(out.text(), [&](std::string_view line) {
		snitch::Json e = snitch::Json::parse(line, nullptr, false);
		if (e.is_discarded() || !e.is_object() || e.value("type", "") != "notice")
			return;
		check_notice_text(e.value("summary", ""), input);
		check_notice_text(e.value("body", ""), input);
	});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	// summary.json on tmpfs (its fsync costs nothing there), gone after each input.
	const auto dir = std::filesystem::path("/dev/shm") / ("snitch-fuzz-notify-" + std::to_string(::getpid()));
	std::filesystem::create_directories(dir);
	std::string_view text = fuzz::as_text(data, size);
	NotifyServiceOptions o;
	o.summary_path = (dir / "summary.json").string();
	o.print = true;
	NotifyService service(o);
	fuzz::CapturedOutput out;
	fuzz::for_each_line(text, [&](std::string_view line) {
		try {
			service.on_line(line, out.writer());
		} catch (const std::exception&) {
		}
	});
	service.on_tick(epoch_now() + 3600, out.writer());
	check_notices(out, text);
	service.on_finish(out.writer());
	Summary::load(o.summary_path);
	std::filesystem::remove_all(dir);
	return 0;
}
