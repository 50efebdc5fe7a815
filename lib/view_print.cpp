#include "view_print.hpp"
#include "view_text.hpp"

namespace snitch {

std::string display_key(ScreenKind screen, const std::string& key)
{
	if (key.empty())
		return screen == ScreenKind::parent ? "(unknown)" : "(none)";
	if (screen == ScreenKind::time) {
		try {
			return local_time(std::stod(key));
		} catch (const std::exception&) {
			return escape_text(key);
		}
	}
	return escape_text(key);
}

void print_table(std::ostream& out, ScreenKind screen, const std::vector<Row>& rows)
{
	out << fit("EVENTS", 10, true) << ' ' << fit("SENT", 14, true) << ' ' << fit("RECEIVED", 14, true) << ' '
	    << fit("LAST_SEEN", 19) << ' ' << screen_info(screen).title << '\n';
	for (const auto& r : rows)
		out << fit(std::to_string(r.events), 10, true) << ' ' << fit(std::to_string(r.sent), 14, true) << ' '
		    << fit(std::to_string(r.recv), 14, true) << ' ' << fit(local_time(r.last), 19) << ' '
		    << display_key(screen, r.key) << '\n';
}

void print_detail(std::ostream& out, const ExeDetail& d)
{
	out << "path: " << escape_text(d.exe) << '\n';
	for (const auto& h : d.hashes)
		out << "sha256: " << (h.sha256.empty() ? "(none)" : escape_text(h.sha256)) << "  " << escape_text(h.verdict) << '\n';
	for (const auto& p : d.parents)
		out << "parent: " << escape_text(p) << '\n';
	out << "first seen: " << local_time(d.first) << '\n' << "last seen: " << local_time(d.last) << '\n';
}

} // namespace snitch
