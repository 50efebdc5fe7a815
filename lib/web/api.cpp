#include "web/api.hpp"
#include "core/event.hpp"
#include "view/args.hpp"
#include "view/print.hpp"
#include "view/series.hpp"
#include "view/text.hpp"

namespace snitch {
namespace {

std::string dump(const Json& j)
{
	return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const std::string& one(const WebParams& p, const std::string& k, const std::string& fallback)
{
	auto it = p.find(k);
	return it == p.end() ? fallback : it->second;
}

long number(const WebParams& p, const std::string& k, long fallback, long max)
{
	auto it = p.find(k);
	if (it == p.end() || it->second.empty())
		return fallback;
	size_t used = 0;
	long n = -1;
	try {
		n = std::stol(it->second, &used);
	} catch (const std::exception&) {
	}
	if (used != it->second.size() || n < 0 || n > max)
		throw ViewArgError(k, k + ": expected a whole number from 0 to " + std::to_string(max));
	return n;
}

ViewState state_of(const WebParams& p)
{
	ViewArgs a;
	a.screen = one(p, "screen", a.screen);
	a.range = one(p, "range", a.range);
	a.sort = one(p, "sort", a.sort);
	a.search = one(p, "search", a.search);
	a.period = static_cast<int>(number(p, "period", 0, 1000000));
	for (auto [it, end] = p.equal_range("filter"); it != end; ++it)
		a.filters.push_back(it->second);
	return view_state_from(a);
}

Json filters_json(const ViewState& s)
{
	Json out = Json::array();
	for (const auto& f : s.filters)
		out.push_back({{"screen", screen_info(f.kind).id}, {"value", f.value}, {"label", display_key(f.kind, f.value)}});
	return out;
}

Json row_json(ScreenKind screen, const Row& r)
{
	return {{"key", r.key}, {"label", display_key(screen, r.key)}, {"events", r.events}, {"sent", r.sent},
		{"recv", r.recv}, {"last", r.last}, {"last_text", local_time(r.last)}};
}

// The screen a click on a row leads to (the TUI's Enter).
ScreenKind drill_target(ViewState s)
{
	s.selected = 0;
	push_filter(s, {Row{"-"}});
	return s.screen;
}

Json points_json(const std::vector<SeriesPoint>& pts)
{
	Json out = Json::array();
	for (const auto& p : pts)
		out.push_back({p.time, p.events, p.sent, p.recv});
	return out;
}

} // namespace

double WebApi::now(const WebParams& p) const
{
	auto it = p.find("now");
	if (it != p.end() && !it->second.empty()) {
		try {
			size_t used = 0;
			double t = std::stod(it->second, &used);
			if (used == it->second.size() && t > 0)
				return t;
		} catch (const std::exception&) {
		}
		throw ViewArgError("now", "now: expected seconds since the epoch");
	}
	return now_ > 0 ? now_ : epoch_now();
}

std::string WebApi::meta()
{
	Json screens = Json::array(), ranges = Json::array(), sorts = Json::array();
	for (const auto& s : all_screens())
		screens.push_back({{"id", s.id}, {"title", s.title}});
	for (const auto& [name, secs] : time_ranges())
		ranges.push_back({{"id", name}, {"seconds", secs}});
	for (auto k : {SortKey::sent, SortKey::recv, SortKey::events, SortKey::name, SortKey::last})
		sorts.push_back(sort_name(k));
	return dump({{"version", SNITCH_VERSION}, {"database", db_.dialect() == Dialect::sqlite ? "sqlite" : "postgresql"},
		     {"rollup", db_.has_rollup()}, {"live", live_ != nullptr}, {"screens", screens}, {"ranges", ranges},
		     {"sorts", sorts}});
}

std::string WebApi::rows(const WebParams& p)
{
	ViewState s = state_of(p);
	long limit = number(p, "limit", 0, 1000000000);
	Query q = primary_query(s, now(p));
	std::vector<Row> rows;
	{
		std::lock_guard lock(db_mu_);
		rows = visible_rows(fetch_rows(db_, q), s);
	}
	uint64_t ev = 0, se = 0, re = 0;
	for (const auto& r : rows) {
		ev += r.events;
		se += r.sent;
		re += r.recv;
	}
	Json out_rows = Json::array(), screens = Json::array();
	for (size_t i = 0; i < rows.size() && (limit == 0 || i < static_cast<size_t>(limit)); ++i)
		out_rows.push_back(row_json(s.screen, rows[i]));
	for (auto k : cycle_screens(s))
		screens.push_back(screen_info(k).id);
	return dump({{"screen", screen_info(s.screen).id}, {"title", screen_info(s.screen).title},
		     {"range", range_text(s.span)}, {"range_label", range_label(s)}, {"from", q.from}, {"to", q.to},
		     {"sort", sort_name(s.sort)}, {"filters", filters_json(s)}, {"screens", screens},
		     {"drill", screen_info(drill_target(s)).id}, {"count", rows.size()},
		     {"totals", {{"events", ev}, {"sent", se}, {"recv", re}}}, {"rows", out_rows}});
}

std::string WebApi::series(const WebParams& p)
{
	ViewState s = state_of(p);
	long top = number(p, "top", 0, 20);
	double t = now(p);
	Query q = primary_query(s, t);
	std::lock_guard lock(db_mu_);
	double from = q.from, to = q.to > 0 ? q.to : t;
	if (q.span <= 0)
		from = time_extent(db_).first;
	int64_t step = number(p, "step", 0, 365L * 86400);
	if (step == 0)
		step = series_step(to - from);
	if (step % 60 != 0)
		throw ViewArgError("step", "step: a multiple of 60 seconds");
	Json stacks = Json::array();
	if (top > 0) {
		if (s.screen == ScreenKind::time)
			throw ViewArgError("screen", "screen: the Connection time screen cannot be stacked");
		auto rows = visible_rows(fetch_rows(db_, q), s);
		for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(top); ++i) {
			Query one = q;
			one.filters.push_back({s.screen, rows[i].key});
			stacks.push_back({{"key", rows[i].key}, {"label", display_key(s.screen, rows[i].key)},
					  {"points", points_json(fetch_series(db_, one, step))}});
		}
	}
	return dump({{"screen", screen_info(s.screen).id}, {"range", range_text(s.span)},
		     {"range_label", range_label(s)}, {"from", from}, {"to", to}, {"step", step},
		     {"filters", filters_json(s)}, {"points", points_json(fetch_series(db_, q, step))}, {"stacks", stacks}});
}

std::string WebApi::detail(const WebParams& p)
{
	auto it = p.find("exe");
	if (it == p.end())
		throw ViewArgError("exe", "exe: the executable path is missing");
	ExeDetail d;
	{
		std::lock_guard lock(db_mu_);
		d = fetch_detail(db_, it->second);
	}
	Json hashes = Json::array(), parents = Json::array();
	for (const auto& h : d.hashes)
		hashes.push_back({{"sha256", h.sha256}, {"label", display_key(ScreenKind::sha256, h.sha256)},
				  {"verdict", escape_text(h.verdict)}});
	for (const auto& x : d.parents)
		parents.push_back({{"value", x}, {"label", display_key(ScreenKind::parent, x)}});
	return dump({{"exe", d.exe}, {"label", display_key(ScreenKind::exe, d.exe)}, {"hashes", hashes}, {"parents", parents},
		     {"first", d.first}, {"last", d.last}, {"first_text", local_time(d.first)}, {"last_text", local_time(d.last)}});
}

std::string WebApi::live()
{
	if (!live_)
		return dump({{"enabled", false}, {"processes", Json::array()}});
	auto snap = live_->snapshot();
	Json procs = Json::array();
	for (const auto& e : snap.entries)
		procs.push_back({{"pid", e.pid}, {"comm", e.comm}, {"comm_label", escape_text(e.comm)}, {"exe", e.exe},
				 {"exe_label", escape_text(e.exe)}, {"sent", e.sent}, {"recv", e.recv}, {"events", e.events},
				 {"sent_rate", e.sent_rate}, {"recv_rate", e.recv_rate}});
	return dump({{"enabled", true}, {"window", live_->window()}, {"lines", snap.lines}, {"unreadable", snap.bad_lines},
		     {"ended", snap.ended}, {"processes", procs}});
}

WebReply WebApi::get(const std::string& name, const WebParams& p)
{
	try {
		if (name == "meta")
			return {200, meta()};
		if (name == "rows")
			return {200, rows(p)};
		if (name == "series")
			return {200, series(p)};
		if (name == "detail")
			return {200, detail(p)};
		if (name == "live")
			return {200, live()};
		return {404, dump({{"error", "no such API: /api/" + name}})};
	} catch (const ViewArgError& e) {
		return {400, dump({{"error", e.what()}})};
	}
}

} // namespace snitch
