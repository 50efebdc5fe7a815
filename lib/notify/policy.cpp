#include "notify/policy.hpp"
#include <algorithm>
#include <cmath>

namespace snitch {
namespace {

std::string str_field(const Json& j, const char* key)
{
	auto it = j.find(key);
	return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t count_field(const Json& j, const char* key)
{
	auto it = j.find(key);
	return it != j.end() && it->is_number() && it->get<double>() > 0 ? it->get<uint64_t>() : 0;
}

std::string base_name(const std::string& path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The verdict counts of a vt event, at its top level or in a nested object.
const Json* vt_counts(const Json& e)
{
	for (const char* key : {"verdict", "stats", "last_analysis_stats", "counts"})
		if (auto it = e.find(key); it != e.end() && it->is_object())
			return &*it;
	return e.contains("malicious") || e.contains("suspicious") ? &e : nullptr;
}

std::string plural(size_t n, const char* one, const char* many)
{
	return std::to_string(n) + " " + (n == 1 ? one : many);
}

const char* kind_title(NotifyPolicy::Kind k, bool many)
{
	switch (k) {
	case NotifyPolicy::Kind::new_program: return many ? "new programs" : "New program: ";
	case NotifyPolicy::Kind::changed: return many ? "programs changed" : "Program changed: ";
	case NotifyPolicy::Kind::flagged: return many ? "programs flagged by VirusTotal" : "VirusTotal flags ";
	}
	return "";
}

std::string parent_text(const NotifyPolicy::Item& i)
{
	if (i.parent_exe.empty())
		return notify_escape(i.parent_name, 64);
	if (i.parent_name.empty())
		return notify_escape(i.parent_exe);
	return notify_escape(i.parent_name, 64) + " (" + notify_escape(i.parent_exe) + ")";
}

std::string detail_line(const NotifyPolicy::Item& i)
{
	switch (i.kind) {
	case NotifyPolicy::Kind::new_program:
		return i.parent_name.empty() && i.parent_exe.empty() ? std::string() : "started by " + parent_text(i);
	case NotifyPolicy::Kind::changed: return "new sha256 " + notify_escape(i.sha256, 64);
	case NotifyPolicy::Kind::flagged: return notify_escape(i.counts) + ", sha256 " + notify_escape(i.sha256, 64);
	}
	return "";
}

Notification single(const NotifyPolicy::Item& i)
{
	Notification n{kind_title(i.kind, false) + notify_escape(i.name, 64), notify_escape(i.exe), i.kind == NotifyPolicy::Kind::flagged};
	if (auto d = detail_line(i); !d.empty())
		n.body += "\n" + d;
	if (!i.unverified.empty())
		n.body += "\nidentity unverified (" + notify_escape(i.unverified, 64) + "): the path may name another file";
	return n;
}

Notification folded(NotifyPolicy::Kind kind, const std::vector<const NotifyPolicy::Item*>& items, size_t list_max)
{
	Notification n{std::to_string(items.size()) + " " + kind_title(kind, true), "", kind == NotifyPolicy::Kind::flagged};
	for (size_t k = 0; k < items.size() && k < list_max; ++k) {
		const auto& i = *items[k];
		n.body += (k ? "\n" : "") + notify_escape(i.name, 64) + " (" + notify_escape(i.exe, 160) + ")";
		if (!i.unverified.empty())
			n.body += " unverified";
		if (i.kind == NotifyPolicy::Kind::new_program && !i.parent_name.empty())
			n.body += " from " + notify_escape(i.parent_name, 64);
	}
	if (items.size() > list_max)
		n.body += "\nand " + std::to_string(items.size() - list_max) + " more";
	return n;
}

} // namespace

bool NotifyPolicy::observe(const Json& e, double now)
{
	const std::string type = str_field(e, "type");
	if (type == "flow")
		return observe_flow(e, now);
	if (type == "vt")
		return observe_vt(e, now);
	if (type == "error")
		observe_error(e, now);
	return false;
}

bool NotifyPolicy::observe_flow(const Json& e, double now)
{
	std::string exe = str_field(e, "exe");
	if (exe.empty())
		return false;
	std::string name = str_field(e, "comm");
	if (name.empty())
		name = base_name(exe);
	std::string sha = str_field(e, "sha256");
	Seen seen = summary_.record_flow(name, exe, sha, now);
	Item item{seen.new_exe ? Kind::new_program : Kind::changed, name, exe, sha, "", "", "", str_field(e, "exe_unverified")};
	if (auto p = e.find("parent"); p != e.end() && p->is_object()) {
		item.parent_name = str_field(*p, "comm");
		item.parent_exe = str_field(*p, "exe");
	}
	if (seen.new_exe || seen.new_hash)
		add_item(std::move(item), now);
	return seen.changed;
}

bool NotifyPolicy::observe_vt(const Json& e, double now)
{
	std::string sha = str_field(e, "sha256");
	const Json* c = vt_counts(e);
	if (sha.empty())
		return false;
	if (!c) {  // no verdict yet ("not found", "queued"...): remember what VirusTotal said
		std::string status = str_field(e, "status");
		return !status.empty() && summary_.record_verdict(sha, str_field(e, "exe"), "VT " + status);
	}
	uint64_t mal = count_field(*c, "malicious"), sus = count_field(*c, "suspicious");
	std::string counts = "malicious: " + std::to_string(mal) + ", suspicious: " + std::to_string(sus) +
		", undetected: " + std::to_string(count_field(*c, "undetected")) +
		", harmless: " + std::to_string(count_field(*c, "harmless"));
	std::string exe = str_field(e, "exe");
	bool changed = summary_.record_verdict(sha, exe, counts);
	if (mal + sus > 0) {
		std::string name = str_field(e, "comm");
		add_item({Kind::flagged, name.empty() ? base_name(exe) : name, exe, sha, "", "", counts, ""}, now);
	}
	return changed;
}

void NotifyPolicy::observe_error(const Json& e, double now)
{
	if (!errors_)
		errors_since_ = now;
	++errors_;
	std::string source = str_field(e, "source");
	last_error_ = (source.empty() ? "" : source + ": ") + str_field(e, "message");
}

void NotifyPolicy::add_item(Item item, double now)
{
	if (items_.empty())
		items_since_ = now;
	items_last_ = now;
	items_.push_back(std::move(item));
}

double NotifyPolicy::items_due() const
{
	return std::min(items_last_ + o_.window, items_since_ + std::max(o_.max_gather, o_.window));
}

double NotifyPolicy::next_deadline() const
{
	double d = std::numeric_limits<double>::infinity();
	if (!items_.empty())
		d = items_due();
	if (errors_)
		d = std::min(d, std::max(errors_since_ + o_.window, last_error_notice_ + o_.error_interval));
	return d;
}

std::vector<Notification> NotifyPolicy::take_due(double now, bool final)
{
	std::vector<Notification> out;
	if (!items_.empty() && (final || now >= items_due()))
		take_items(out);
	if (errors_ && (final || now >= std::max(errors_since_ + o_.window, last_error_notice_ + o_.error_interval)))
		take_errors(out, now);
	return out;
}

void NotifyPolicy::take_items(std::vector<Notification>& out)
{
	for (Kind kind : {Kind::flagged, Kind::new_program, Kind::changed}) {
		std::vector<const Item*> of_kind;
		for (const auto& i : items_)
			if (i.kind == kind)
				of_kind.push_back(&i);
		if (of_kind.size() > o_.individual_max)
			out.push_back(folded(kind, of_kind, o_.list_max));
		else
			for (const Item* i : of_kind)
				out.push_back(single(*i));
	}
	items_.clear();
}

void NotifyPolicy::take_errors(std::vector<Notification>& out, double now)
{
	Notification n;
	n.summary = errors_ == 1 ? std::string("picosnitch error") : "picosnitch: " + plural(errors_, "error", "errors");
	n.body = (errors_ == 1 ? "" : "latest: ") + notify_escape(last_error_);
	out.push_back(std::move(n));
	errors_ = 0;
	last_error_.clear();
	last_error_notice_ = now;
}

} // namespace snitch
