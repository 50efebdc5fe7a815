#include "view/print.hpp"
#include "core/event.hpp"
#include "view/text.hpp"
#include <cstdio>

namespace snitch {

std::optional<PrintFormat> print_format_by_name(std::string_view s)
{
	if (s == "table")
		return PrintFormat::table;
	if (s == "csv")
		return PrintFormat::csv;
	if (s == "json")
		return PrintFormat::json;
	if (s == "jsonl")
		return PrintFormat::jsonl;
	return std::nullopt;
}

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
	if (screen == ScreenKind::uid) {
		try {
			std::string name = user_name(std::stoll(key));
			if (!name.empty())
				return escape_text(name);
		} catch (const std::exception&) {
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

namespace {

std::string number_text(double v)
{
	char buf[64];
	std::snprintf(buf, sizeof(buf), "%.6f", v);
	std::string s = buf;
	s.erase(s.find_last_not_of('0') + 1);
	if (s.back() == '.')
		s.pop_back();
	return s;
}

// A cell as text for the table (`shown`: local times, escapes) or CSV.
std::string cell_text(const Cell& c, bool shown)
{
	if (auto* s = std::get_if<std::string>(&c))
		return escape_text(*s);
	if (auto* i = std::get_if<int64_t>(&c))
		return std::to_string(*i);
	if (auto* u = std::get_if<uint64_t>(&c))
		return std::to_string(*u);
	if (auto* d = std::get_if<double>(&c))
		return shown ? local_time(*d) : number_text(*d);
	return {};
}

void print_text_table(std::ostream& out, const ResultTable& t)
{
	auto line = [&](auto&& text_of) {
		std::string s;
		for (size_t i = 0; i < t.columns.size(); ++i) {
			const auto& c = t.columns[i];
			if (c.header.empty())
				continue;
			std::string v = text_of(i);
			if (!s.empty())
				s += ' ';
			if (c.width > 0)
				s += fit(v, c.width, c.type == CellType::integer);
			else if (c.width < 0)
				s += display_width(v) >= -c.width ? v : fit(v, -c.width);
			else
				s += v;
		}
		s.erase(s.find_last_not_of(' ') + 1);
		out << s << '\n';
	};
	line([&](size_t i) { return t.columns[i].header; });
	for (const auto& r : t.rows)
		line([&](size_t i) {
			std::string v = cell_text(r[i], true);
			return v.empty() && t.columns[i].width != 0 ? std::string("-") : v;
		});
}

std::string csv_field(std::string s, bool text)
{
	if (text && !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'))
		s = "'" + s;
	if (s.find_first_of(",\"\n\r") == std::string::npos && (s.empty() || (s.front() != ' ' && s.back() != ' ')))
		return s;
	std::string q = "\"";
	for (char c : s)
		q += c == '"' ? std::string("\"\"") : std::string(1, c);
	return q + '"';
}

void print_csv(std::ostream& out, const ResultTable& t)
{
	for (size_t i = 0; i < t.columns.size(); ++i)
		out << (i ? "," : "") << t.columns[i].name;
	out << "\r\n";
	for (const auto& r : t.rows) {
		for (size_t i = 0; i < r.size(); ++i)
			out << (i ? "," : "") << csv_field(cell_text(r[i], false), std::holds_alternative<std::string>(r[i]));
		out << "\r\n";
	}
}

Json row_object(const ResultTable& t, const std::vector<Cell>& r)
{
	Json o = Json::object();
	for (size_t i = 0; i < t.columns.size(); ++i) {
		Json& v = o[t.columns[i].name];
		if (auto* s = std::get_if<std::string>(&r[i]))
			v = *s;
		else if (auto* n = std::get_if<int64_t>(&r[i]))
			v = *n;
		else if (auto* u = std::get_if<uint64_t>(&r[i]))
			v = *u;
		else if (auto* d = std::get_if<double>(&r[i]))
			v = *d;
	}
	return o;
}

} // namespace

void print_result(std::ostream& out, const ResultTable& t, PrintFormat f)
{
	switch (f) {
	case PrintFormat::table: print_text_table(out, t); return;
	case PrintFormat::csv: print_csv(out, t); return;
	case PrintFormat::jsonl:
		for (const auto& r : t.rows)
			out << dump_line(row_object(t, r)) << '\n';
		return;
	case PrintFormat::json: {
		Json a = Json::array();
		for (const auto& r : t.rows)
			a.push_back(row_object(t, r));
		out << dump_line(a) << '\n';
		return;
	}
	}
}

} // namespace snitch
