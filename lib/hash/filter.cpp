#include "hash/filter.hpp"
#include "core/event.hpp"
#include <algorithm>
#include <stdexcept>

namespace snitch {
namespace {

namespace od = simdjson::ondemand;

enum class Field { other, type, pid, dev, ino, exe, unverified, hash_key, parent, grandparent };

// Keys are compared raw, as simdjson's operator== does: the keys we look for
// are plain ASCII and are never written with escapes.
Field classify(od::raw_json_string key)
{
	switch (key.raw()[0]) {
	case 'p':
		return key == "pid" ? Field::pid : key == "parent" ? Field::parent : Field::other;
	case 'd':
		return key == "dev" ? Field::dev : Field::other;
	case 'i':
		return key == "ino" ? Field::ino : Field::other;
	case 'e':
		return key == "exe" ? Field::exe : key == "exe_unverified" ? Field::unverified : Field::other;
	case 't':
		return key == "type" ? Field::type : Field::other;
	case 's':
		return key == "sha256" || key == "sha256_error" ? Field::hash_key : Field::other;
	case 'g':
		return key == "grandparent" ? Field::grandparent : Field::other;
	default:
		return Field::other;
	}
}

// The text of a JSON string value: a view into the line when it has no
// escapes (the usual case), else unescaped into `storage`.
bool string_text(od::value v, std::string& storage, std::string_view& out)
{
	std::string_view tok = v.raw_json_token();
	size_t end = tok.find_last_of('"');
	if (tok.empty() || tok.front() != '"' || end == 0 || end == std::string_view::npos)
		return false;
	std::string_view body = tok.substr(1, end - 1);
	if (body.find('\\') == std::string_view::npos) {
		out = body;
		return true;
	}
	Json s = Json::parse(tok.substr(0, end + 1), nullptr, false);
	if (!s.is_string())
		return false;
	storage = s.get<std::string>();
	out = storage;
	return true;
}

// Reads the fields that identify a process; false when `f` is none of them.
// A value of the wrong type counts as missing.
bool read_identity(Field f, od::value v, ExeHashFilter::Target& t)
{
	switch (f) {
	case Field::pid:
		if (v.get_uint64().get(t.ref.pid))
			t.ref.pid = 0;
		return true;
	case Field::dev:
		t.has_dev = !v.get_uint64().get(t.ref.dev);
		return true;
	case Field::ino:
		t.has_ino = !v.get_uint64().get(t.ref.ino);
		return true;
	case Field::exe:
		if (!string_text(v, t.exe_storage, t.ref.exe))
			t.ref.exe = {};
		return true;
	case Field::unverified: // whatever its value: the path is not to be trusted
		t.ref.unverified = true;
		return true;
	case Field::hash_key:
		t.has_hash_key = true;
		return true;
	default:
		return false;
	}
}

std::string_view object_raw(od::value v)
{
	od::object o;
	std::string_view raw;
	if (v.get_object().get(o) || o.raw_json().get(raw))
		return {};
	return raw;
}

bool is_empty_object(std::string_view line, size_t close)
{
	size_t before = line.find_last_not_of(" \t\r\n", close - 1);
	return before != std::string_view::npos && line[before] == '{';
}

std::string describe(const ExeHashFilter::Target& t)
{
	std::string who = *t.label ? std::string(t.label) + " pid " : "pid ";
	who += std::to_string(t.ref.pid);
	if (!t.ref.exe.empty())
		who += " (" + std::string(t.ref.exe) + ")";
	return who;
}

} // namespace

bool ExeHashFilter::scan_top(od::object& obj, std::string_view (&nested)[3])
{
	bool has_type = false, hashable = false;
	for (auto field : obj) {
		od::raw_json_string key;
		if (field.key().get(key))
			throw std::runtime_error("not a JSON object: bad key");
		Field f = classify(key);
		od::value v;
		if (field.value().get(v))
			throw std::runtime_error("not a JSON object: bad value");
		od::raw_json_string type;
		if (f == Field::type) {
			has_type = !v.get_raw_json_string().get(type);
			hashable = has_type && (type == "flow" || type == "exec");
		} else if (f == Field::parent || f == Field::grandparent) {
			nested[f == Field::parent ? 1 : 2] = object_raw(v);
		} else {
			read_identity(f, v, targets_[0]);
		}
	}
	if (!has_type)
		throw std::runtime_error("no \"type\" string");
	return hashable;
}

void ExeHashFilter::handle(std::string_view line, JsonlWriter& out)
{
	od::object& obj = parser_.parse(line);
	std::string_view text = parser_.line();
	targets_ = {};
	targets_[0].label = "";
	targets_[0].present = true;
	targets_[1].label = "parent";
	targets_[2].label = "grandparent";
	std::string_view nested[3];
	bool hashable = scan_top(obj, nested);
	if (text.empty() || text.back() != '}')
		throw std::runtime_error("not a JSON object: bytes after the closing brace");
	if (!hashable) {
		out.write_line(line);
		return;
	}
	cache_.refresh_if_due();
	targets_[0].close = text.size() - 1;
	targets_[0].empty_object = is_empty_object(text, targets_[0].close);
	hash(targets_[0]);
	for (int i = 1; i < 3; ++i) {
		if (nested[i].empty())
			continue;
		read_nested(i, nested[i], text);
		hash(targets_[i]);
	}
	bool rebuild_needed = std::any_of(targets_.begin(), targets_.end(), [](const Target& t) { return t.present && t.has_hash_key; });
	if (rebuild_needed)
		rebuild(text, out);
	else
		splice(text, out);
	report_errors(out);
}

void ExeHashFilter::read_nested(int i, std::string_view raw, std::string_view line)
{
	Target& t = targets_[i];
	std::string& buf = sub_buf_[i - 1];
	if (raw.back() != '}')
		return;
	t.present = true;
	t.close = static_cast<size_t>(raw.data() - line.data()) + raw.size() - 1;
	t.empty_object = is_empty_object(line, t.close);
	if (buf.size() < raw.size() + simdjson::SIMDJSON_PADDING)
		buf.resize(raw.size() + simdjson::SIMDJSON_PADDING);
	std::copy(raw.begin(), raw.end(), buf.begin());
	od::document doc;
	od::object obj;
	if (sub_parser_[i - 1].iterate(buf.data(), raw.size(), buf.size()).get(doc) || doc.get_object().get(obj))
		throw std::runtime_error(std::string("not a JSON object: bad \"") + t.label + "\"");
	for (auto field : obj) {
		od::raw_json_string key;
		if (field.key().get(key))
			throw std::runtime_error(std::string("not a JSON object: bad key in \"") + t.label + "\"");
		od::value v;
		if (field.value().get(v))
			throw std::runtime_error(std::string("not a JSON object: bad value in \"") + t.label + "\"");
		read_identity(classify(key), v, t);
	}
}

void ExeHashFilter::hash(Target& t)
{
	if (!t.has_dev || !t.has_ino) {
		std::string where = *t.label ? "\"" + std::string(t.label) + "\"" : "the event";
		t.outcome = {false, {}, where + " has no integer \"dev\" and \"ino\" to identify the executable"};
		return;
	}
	t.outcome = cache_.lookup(t.ref);
}

void ExeHashFilter::splice(std::string_view line, JsonlWriter& out)
{
	std::array<const Target*, 3> order{&targets_[0], &targets_[1], &targets_[2]};
	std::sort(order.begin(), order.end(), [](const Target* a, const Target* b) { return a->close < b->close; });
	out_.clear();
	size_t done = 0;
	for (const Target* t : order) {
		if (!t->present)
			continue;
		out_.append(line.substr(done, t->close - done));
		if (!t->empty_object)
			out_.push_back(',');
		if (t->outcome.ok)
			out_.append("\"sha256\":\"").append(t->outcome.sha256.data(), t->outcome.sha256.size()).push_back('"');
		else
			out_.append("\"sha256_error\":").append(json_quote(t->outcome.error));
		done = t->close;
	}
	out_.append(line.substr(done));
	out.write_line(out_);
}

void ExeHashFilter::rebuild(std::string_view line, JsonlWriter& out)
{
	Json j = parse_event(line);
	for (const Target& t : targets_) {
		if (!t.present)
			continue;
		Json& o = *t.label ? j[t.label] : j;
		// Assigning an existing key keeps its place in the object.
		if (t.outcome.ok) {
			o["sha256"] = to_string(t.outcome.sha256);
			o.erase("sha256_error");
		} else {
			o["sha256_error"] = t.outcome.error;
			o.erase("sha256");
		}
	}
	out.write_line(dump_line(j));
}

void ExeHashFilter::report_errors(JsonlWriter& out)
{
	for (const Target& t : targets_)
		if (t.present && !t.outcome.ok)
			out.write_line(dump_line(error_event("snitch-hash", "no sha256 for " + describe(t) + ": " + t.outcome.error)));
}

} // namespace snitch
