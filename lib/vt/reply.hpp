#pragma once
#include "core/event.hpp"
#include <string>

namespace snitch {

// Verdict counts as VirusTotal reports them (last_analysis_stats / stats).
struct VtCounts {
	long malicious = 0, suspicious = 0, undetected = 0, harmless = 0;
};

// The parts of VirusTotal v3 replies snitch-vt uses. Each throws
// std::runtime_error saying what is missing when the body is not what the API
// documents (garbage, an HTML error page, a truncated reply).
VtCounts file_report_counts(const std::string& body);        // GET /files/{id}
std::string upload_url_of(const std::string& body);          // GET /files/upload_url
std::string analysis_id_of(const std::string& body);         // POST /files
// GET /analyses/{id}: true and `counts` filled once the analysis is completed.
bool analysis_done(const std::string& body, VtCounts& counts, std::string& file_sha256);
// The "error" object's code and message, or "" when the body has none.
std::string api_error_text(const std::string& body);

// True for 64 hexadecimal digits (case-insensitive).
bool is_sha256(const std::string& s);

// {"type":"vt","time","sha256","exe","status","malicious","suspicious","undetected","harmless","link","asked"};
// an "unknown" verdict has no counts.
Json vt_event(const std::string& sha256, const std::string& exe, const std::string& status,
	const VtCounts* counts, double asked);

} // namespace snitch
