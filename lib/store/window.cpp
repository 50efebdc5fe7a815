#include "store/window.hpp"
#include "core/event.hpp"
#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace snitch {

struct EventWindow::Fields {
	std::string_view type, source, message, family, proto, laddr, raddr, domain, cgroup;
	Identity self, parent, grandparent;
	double time = 0, start = 0;
	bool has_start = false;
	int64_t pid = 0, uid = 0, lport = 0, rport = 0;
	uint64_t netns = 0, sent = 0, recv = 0, events = 0, lost = 0;
};

namespace {

using simdjson::ondemand::value;

std::string_view key_of(simdjson::ondemand::field& f)
{
	std::string_view k;
	if (f.unescaped_key().get(k))
		throw std::runtime_error("bad object key");
	return k;
}

// A known field of the wrong type or out of range makes the whole line
// malformed: it is reported and skipped, never stored as a made-up value.
[[noreturn]] void bad_field(std::string_view k, std::string_view why)
{
	throw std::runtime_error("field \"" + std::string(k) + "\" " + std::string(why));
}

void get_str(std::string_view k, value& v, std::string_view& out)
{
	if (v.get_string().get(out))
		bad_field(k, "is not a string");
}

// A string, or a number kept as its JSON text (cgroup may be an id).
void get_str_or_num(std::string_view k, value& v, std::string_view& out)
{
	simdjson::ondemand::json_type t;
	if (v.type().get(t))
		bad_field(k, "is not valid JSON");
	if (t == simdjson::ondemand::json_type::string)
		get_str(k, v, out);
	else if (t == simdjson::ondemand::json_type::number)
		out = v.raw_json_token();
	else
		bad_field(k, "is neither a string nor a number");
}

void get_num(std::string_view k, value& v, double& out)
{
	if (v.get_double().get(out))
		bad_field(k, "is not a finite number");
}

// An integer in [0, max]: the stores keep them in signed 64-bit columns.
template <class T> void get_num(std::string_view k, value& v, T& out, uint64_t max = INT64_MAX)
{
	uint64_t u;
	if (v.get_uint64().get(u) || u > max)
		bad_field(k, "is not an integer from 0 to " + std::to_string(max));
	out = static_cast<T>(u);
}

// A key given twice is ambiguous (stages may read either value): refused.
void once(std::string_view k, uint32_t& seen, unsigned bit)
{
	if (seen & (1u << bit))
		bad_field(k, "appears twice");
	seen |= 1u << bit;
}

// The identity fields of a process (top level, parent or grandparent): bits
// 0-3 of `seen`, and `unverified_bit` for exe_unverified.
bool read_identity_field(std::string_view k, value& v, EventWindow::Identity& id, uint32_t& seen, unsigned unverified_bit)
{
	if (k == "exe_unverified") {
		once(k, seen, unverified_bit);
		get_str(k, v, id.exe_unverified);
		return true;
	}
	unsigned bit = k == "comm" ? 0 : k == "exe" ? 1 : k == "cmdline" ? 2 : k == "sha256" ? 3 : 4;
	if (bit == 4)
		return false;
	once(k, seen, bit);
	std::string_view* dst[] = {&id.comm, &id.exe, &id.cmdline, &id.sha256};
	get_str(k, v, *dst[bit]);
	return true;
}

void read_nested_identity(std::string_view what, value& v, EventWindow::Identity& id)
{
	simdjson::ondemand::object o;
	if (v.get_object().get(o))
		bad_field(what, "is not an object");
	id.present = true;
	uint32_t seen = 0;
	for (auto fr : o) {
		simdjson::ondemand::field f;
		if (std::move(fr).get(f))
			throw std::runtime_error("bad nested object");
		read_identity_field(key_of(f), f.value(), id, seen, 4);
	}
}

template <class T> void append_bytes(std::string& s, T v)
{
	char b[sizeof(T)];
	std::memcpy(b, &v, sizeof(T));
	s.append(b, sizeof(T));
}

bool is_known_type(std::string_view t)
{
	return t == "flow" || t == "exec" || t == "vt" || t == "error";
}

// Both at most INT64_MAX, so the sum cannot wrap.
uint64_t saturated_sum(uint64_t a, uint64_t b)
{
	return std::min<uint64_t>(a + b, INT64_MAX);
}

} // namespace

std::string_view EventWindow::type_of(std::string_view line)
{
	std::string_view t;
	if (parser_.parse(line).find_field_unordered("type").get_string().get(t))
		throw std::runtime_error("no \"type\" string");
	return t;
}

void EventWindow::read_fields(simdjson::ondemand::object& obj, Fields& f)
{
	uint32_t seen = 0;  // bits 0-3: identity fields, then one per key below
	for (auto fr : obj) {
		simdjson::ondemand::field field;
		if (std::move(fr).get(field))
			throw std::runtime_error("bad object field");
		std::string_view k = key_of(field);
		value v = field.value();
		Identity& s = f.self;
		if (k.empty() || read_identity_field(k, v, s, seen, 26))
			continue;
		auto first = [&](unsigned bit) { once(k, seen, bit); };
		switch (k[0]) {
		case 't': if (k == "type") { first(4); get_str(k, v, f.type); } else if (k == "time") { first(5); get_num(k, v, f.time); } break;
		case 's':
			if (k == "start") { first(24); get_num(k, v, f.start); f.has_start = true; }
			else if (k == "sent") { first(6); get_num(k, v, f.sent); }
			else if (k == "source") { first(7); get_str(k, v, f.source); }
			break;
		case 'r':
			if (k == "recv") { first(8); get_num(k, v, f.recv); }
			else if (k == "raddr") { first(9); get_str(k, v, f.raddr); }
			else if (k == "rport") { first(10); get_num(k, v, f.rport, 65535); }
			break;
		case 'l':
			if (k == "laddr") { first(11); get_str(k, v, f.laddr); }
			else if (k == "lport") { first(12); get_num(k, v, f.lport, 65535); }
			else if (k == "lost") { first(13); get_num(k, v, f.lost); }
			break;
		case 'p':
			if (k == "pid") { first(14); get_num(k, v, f.pid, UINT32_MAX); }
			else if (k == "proto") { first(15); get_str(k, v, f.proto); }
			else if (k == "parent") { first(16); read_nested_identity(k, v, f.parent); }
			break;
		case 'g':
			if (k == "grandparent") { first(25); read_nested_identity(k, v, f.grandparent); }
			break;
		case 'u': if (k == "uid") { first(17); get_num(k, v, f.uid, UINT32_MAX); } break;
		case 'n': if (k == "netns") { first(18); get_num(k, v, f.netns); } break;
		case 'c': if (k == "cgroup") { first(19); get_str_or_num(k, v, f.cgroup); } break;
		case 'f': if (k == "family") { first(20); get_str(k, v, f.family); } break;
		case 'd': if (k == "domain") { first(21); get_str(k, v, f.domain); } break;
		case 'e':
			if (k == "events") { first(22); get_num(k, v, f.events); }
			break;
		case 'm': if (k == "message") { first(23); get_str(k, v, f.message); } break;
		default: break;
		}
	}
}

void EventWindow::add(std::string_view line)
{
	Fields f;
	try {
		read_fields(parser_.parse(line), f);
	} catch (const std::runtime_error&) {
		if (is_known_type(type_of(line)))
			throw;
		return;  // a type from the future: its fields may mean something else
	}
	if (f.type.empty())
		throw std::runtime_error("no \"type\" string");
	last_add_ = monotonic_now();
	if (opened_ < 0)
		opened_ = last_add_;
	f.time = event_time(f);
	latest_ = std::max(latest_, f.time);
	++batch_.events;
	if (f.type == "flow") {
		add_flow(f);
	} else if (f.type == "exec") {
		add_exec(f);
	} else if (f.type == "vt") {
		batch_.verdicts.push_back({f.time, std::string(f.self.sha256), std::string(parser_.line())});
	} else if (f.type == "error") {
		batch_.errors.push_back({f.time, std::string(f.source), std::string(f.message), f.lost});
	}
}

// How far ahead of this host's clock an event's time is still believed.
constexpr double max_ahead = 86400;

// An event's own time places its row. One missing, not after the epoch or
// more than a day ahead of this host's clock cannot be placed (nor deleted by
// retention): such an event is stored at the time snitch-store read it.
double EventWindow::event_time(const Fields& f) const
{
	double now = epoch_now();
	return f.time > 0 && f.time <= now + max_ahead ? f.time : now;
}

// process_id() hashes every byte of the identity with FNV-1a, byte by byte;
// the same few identities come in every event, looked up here by a faster hash.
int64_t EventWindow::cached_process_id(const Identity& p, std::string_view cmdline)
{
	id_key_.clear();
	for (std::string_view s : {p.exe, p.comm, cmdline, p.sha256, p.exe_unverified})
		append_bytes(id_key_, s.size()), id_key_.append(s);
	auto it = process_ids_.find(id_key_);
	if (it != process_ids_.end())
		return it->second;
	if (process_ids_.size() >= 100000)
		process_ids_.clear();
	int64_t id = process_id(p.exe, p.comm, cmdline, p.sha256, p.exe_unverified);
	process_ids_.emplace(id_key_, id);
	return id;
}

int64_t EventWindow::record_process(const Identity& p, double time)
{
	std::string_view cmdline = o_.log_commands ? p.cmdline : std::string_view();
	int64_t id = cached_process_id(p, cmdline);
	if (known_.insert(id).second) {
		if (known_.size() > 1000000)
			known_ = {id};
		batch_.processes.push_back({id, std::string(p.exe), std::string(p.comm), std::string(cmdline), std::string(p.sha256), time,
					    std::string(p.exe_unverified)});
	}
	return id;
}

void EventWindow::add_exec(const Fields& f)
{
	record_process(f.self, f.time);
}

void EventWindow::add_flow(const Fields& f)
{
	ConnRow r;
	r.exe_id = record_process(f.self, f.time);
	if (f.parent.present)
		r.parent_id = record_process(f.parent, f.time);
	if (f.grandparent.present)
		r.grandparent_id = record_process(f.grandparent, f.time);
	if (o_.ignore.matches({f.self.comm, f.self.exe, f.self.sha256, f.raddr, f.domain, f.lport, f.rport}))
		return;
	r.first_time = f.has_start && f.start > 0 && f.start < f.time ? f.start : f.time;
	r.last_time = f.time;
	r.pid = f.pid;
	r.uid = f.uid;
	r.netns = f.netns;
	r.cgroup = f.cgroup;
	r.family = f.family;
	r.proto = f.proto;
	if (o_.log_addresses) {
		r.laddr = f.laddr;
		r.raddr = f.raddr;
		r.domain = f.domain;
	}
	r.lport = f.lport;
	r.rport = f.rport;
	r.sent = f.sent;
	r.recv = f.recv;
	r.events = f.events ? f.events : 1;
	merge(std::move(r));
}

void EventWindow::merge(ConnRow&& r, uint64_t lines)
{
	if (o_.window <= 0) {
		batch_.connections.push_back(std::move(r));
		slots_.push_back({0, lines});
		return;
	}
	double bucket = std::floor(r.last_time / o_.window);
	newest_ = std::max(newest_, bucket);
	key_.clear();
	append_bytes(key_, bucket);
	for (int64_t v : {r.exe_id, r.parent_id, r.grandparent_id, r.uid, r.rport})
		append_bytes(key_, v);
	append_bytes(key_, r.netns);
	for (const std::string* s : {&r.cgroup, &r.family, &r.proto, &r.raddr, &r.domain})
		key_.append(*s).push_back('\0');
	auto [it, inserted] = index_.try_emplace(key_, batch_.connections.size());
	if (inserted) {
		batch_.connections.push_back(std::move(r));
		slots_.push_back({bucket, lines});
		return;
	}
	slots_[it->second].lines += lines;
	ConnRow& m = batch_.connections[it->second];
	m.first_time = std::min(m.first_time, r.first_time);
	m.last_time = std::max(m.last_time, r.last_time);
	m.sent = saturated_sum(m.sent, r.sent);
	m.recv = saturated_sum(m.recv, r.recv);
	m.events = saturated_sum(m.events, r.events);
}

bool EventWindow::due(double now) const
{
	if (opened_ < 0)
		return false;
	size_t rows = batch_.connections.size() + batch_.processes.size();
	double interval = o_.window > 0 ? o_.window : 0.25;
	return now - opened_ >= interval || rows >= o_.max_rows;
}

// The newest rows stay unless they alone fill the window, there are no buckets,
// or an event of any type (an exec, say) has already come from a later window:
// a live stream's flows of a window are all in by then.
bool EventWindow::keep_newest() const
{
	if (o_.window <= 0 || newest_ < std::floor(latest_ / o_.window))
		return false;
	auto newest = std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.bucket == newest_; });
	return static_cast<size_t>(newest) < o_.max_rows;
}

Batch EventWindow::take(bool all)
{
	Batch b = std::move(batch_);
	std::vector<Slot> slots = std::move(slots_);
	batch_ = Batch();
	slots_.clear();
	index_.clear();
	opened_ = -1;
	if (all || !keep_newest()) {
		newest_ = -HUGE_VAL;
		return b;
	}
	std::vector<ConnRow> taken;
	std::unordered_set<int64_t> ids;
	for (size_t i = 0; i < slots.size(); ++i) {
		if (slots[i].bucket != newest_) {
			taken.push_back(std::move(b.connections[i]));
			continue;
		}
		ConnRow& r = b.connections[i];
		ids.insert({r.exe_id, r.parent_id, r.grandparent_id});
		b.events -= slots[i].lines;
		batch_.events += slots[i].lines;
		merge(std::move(r), slots[i].lines);
	}
	b.connections = std::move(taken);
	for (const ProcessRow& p : b.processes)  // inserted once however often they come
		if (ids.count(p.id))
			batch_.processes.push_back(p);
	if (!batch_.empty())
		opened_ = monotonic_now();
	return b;
}

} // namespace snitch
