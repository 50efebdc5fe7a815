// The VirusTotal API's replies as snitch-vt reads them: a server answering
// garbage, an HTML error page or a truncated body gives std::runtime_error.
#include "fuzz_input.hpp"
#include "vt/reply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
	using namespace snitch;
	const std::string body(fuzz::as_text(data, size));
	auto quietly = [](auto&& f) {
		try {
			f();
		} catch (const std::exception&) {
		}
	};
	quietly([&] { file_report_counts(body); });
	quietly([&] { upload_url_of(body); });
	quietly([&] { analysis_id_of(body); });
	quietly([&] {
		VtCounts counts;
		std::string sha;
		analysis_done(body, counts, sha);
	});
	quietly([&] { api_error_text(body); });
	return 0;
}
