#include "store/queue.hpp"
#include "core/event.hpp"
#include "core/file_io.hpp"
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

namespace snitch {
namespace fs = std::filesystem;
namespace {

constexpr const char* suffix = ".batch";

std::string random_id()
{
	std::random_device rd;
	static const char hex[] = "0123456789abcdef";
	std::string id;
	for (int i = 0; i < 4; ++i) {
		uint32_t r = rd();
		for (int j = 0; j < 8; ++j, r >>= 4)
			id.push_back(hex[r & 15]);
	}
	return id;
}

std::string seq_name(uint64_t seq)
{
	std::string n = std::to_string(seq);
	return std::string(20 - n.size(), '0') + n + suffix;
}

} // namespace

namespace {

// A batch's JSON written directly: its queue file is written and fsync'd for
// every window, and a tree of nlohmann values cost the store more than COPY
// cost the server. Text that is not plain printable ASCII goes through dump()
// (invalid UTF-8 replaced, as dump_line does).
class Writer {
public:
	explicit Writer(std::string& out) : out_(out) {}
	Writer& text(std::string_view s)
	{
		sep();
		bool plain = std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
		if (plain)
			out_.append(1, '"').append(s).append(1, '"');
		else
			out_ += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
		return *this;
	}
	template <class T> Writer& number(T v)
	{
		sep();
		char buf[32];
		auto r = std::to_chars(buf, buf + sizeof(buf), v);
		out_.append(buf, r.ptr);
		return *this;
	}
	void open(char c) { sep(), out_ += c, first_ = true; }
	void close(char c) { out_ += c, first_ = false; }
	void key(const char* k) { sep(), out_.append(1, '"').append(k).append("\":"), first_ = true; }

private:
	void sep()
	{
		if (!first_)
			out_ += ',';
		first_ = false;
	}
	std::string& out_;
	bool first_ = true;
};

template <class Row, class Write> void array(Writer& w, const char* key, const std::vector<Row>& rows, Write write)
{
	w.key(key);
	w.open('[');
	for (const Row& r : rows) {
		w.open('[');
		write(r);
		w.close(']');
	}
	w.close(']');
}

} // namespace

std::string batch_to_json(const Batch& b, const std::string& id)
{
	std::string out;
	out.reserve(256 + b.connections.size() * 160 + b.processes.size() * 256);
	Writer w(out);
	w.open('{');
	w.key("id");
	w.text(id).key("events");
	w.number(b.events);
	array(w, "processes", b.processes, [&](const ProcessRow& r) {
		w.number(r.id).text(r.exe).text(r.name).text(r.cmdline).text(r.sha256).number(r.first_seen).text(r.exe_unverified);
	});
	array(w, "connections", b.connections, [&](const ConnRow& r) {
		w.number(r.first_time).number(r.last_time).number(r.exe_id).number(r.parent_id).number(r.grandparent_id).number(r.pid)
			.number(r.uid).number(r.netns).text(r.cgroup).text(r.family).text(r.proto).text(r.laddr).text(r.raddr)
			.text(r.domain).number(r.lport).number(r.rport).number(r.sent).number(r.recv).number(r.events);
	});
	array(w, "verdicts", b.verdicts, [&](const VerdictRow& r) { w.number(r.time).text(r.sha256).text(r.event); });
	array(w, "errors", b.errors, [&](const ErrorRow& r) { w.number(r.time).text(r.source).text(r.message).number(r.lost); });
	w.close('}');
	return out;
}

Batch batch_from_json(const std::string& text, std::string& id)
{
	Json j = Json::parse(text);
	Batch b;
	id = j.at("id").get<std::string>();
	b.events = j.at("events").get<uint64_t>();
	for (const Json& r : j.at("processes")) {
		// exe_unverified is absent from batches queued before schema 5
		std::string unverified = r.size() > 6 ? r[6].get<std::string>() : std::string();
		b.processes.push_back({r[0].get<int64_t>(), r[1].get<std::string>(), r[2].get<std::string>(),
				       r[3].get<std::string>(), r[4].get<std::string>(), r[5].get<double>(), unverified});
	}
	for (const Json& r : j.at("connections")) {
		ConnRow c;
		c.first_time = r[0].get<double>(), c.last_time = r[1].get<double>();
		c.exe_id = r[2].get<int64_t>(), c.parent_id = r[3].get<int64_t>(), c.grandparent_id = r[4].get<int64_t>();
		c.pid = r[5].get<int64_t>(), c.uid = r[6].get<int64_t>(), c.netns = r[7].get<uint64_t>();
		c.cgroup = r[8].get<std::string>(), c.family = r[9].get<std::string>(), c.proto = r[10].get<std::string>();
		c.laddr = r[11].get<std::string>(), c.raddr = r[12].get<std::string>(), c.domain = r[13].get<std::string>();
		c.lport = r[14].get<int64_t>(), c.rport = r[15].get<int64_t>();
		c.sent = r[16].get<uint64_t>(), c.recv = r[17].get<uint64_t>(), c.events = r[18].get<uint64_t>();
		b.connections.push_back(std::move(c));
	}
	for (const Json& r : j.at("verdicts"))
		b.verdicts.push_back({r[0].get<double>(), r[1].get<std::string>(), r[2].get<std::string>()});
	for (const Json& r : j.at("errors"))
		b.errors.push_back({r[0].get<double>(), r[1].get<std::string>(), r[2].get<std::string>(), r[3].get<uint64_t>()});
	return b;
}

DiskQueue::DiskQueue(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes)
{
	fs::create_directories(dir_);
	for (const auto& e : fs::directory_iterator(dir_)) {
		std::string name = e.path().filename().string();
		if (e.path().extension() == ".tmp") {
			fs::remove(e.path());  // a write that never completed: its batch was never acknowledged
			continue;
		}
		if (e.path().extension() != suffix)
			continue;
		bytes_ += e.file_size();
		next_seq_ = std::max<uint64_t>(next_seq_, std::stoull(name.substr(0, name.find('.'))) + 1);
	}
}

bool DiskQueue::push(const Batch& b)
{
	std::string id = random_id();
	std::string text = batch_to_json(b, id);
	if (bytes_ + text.size() > max_bytes_)
		return false;
	std::string path = (fs::path(dir_) / seq_name(next_seq_++)).string();
	write_file_durably(path, text);
	bytes_ += text.size();
	last_ = QueuedBatch{path, id, {}, &b};
	return true;
}

bool DiskQueue::empty() const
{
	for (const auto& e : fs::directory_iterator(dir_))
		if (e.path().extension() == suffix)
			return false;
	return true;
}

std::optional<QueuedBatch> DiskQueue::front()
{
	std::string oldest;
	for (const auto& e : fs::directory_iterator(dir_))
		if (e.path().extension() == suffix && (oldest.empty() || e.path().string() < oldest))
			oldest = e.path().string();
	if (oldest.empty())
		return std::nullopt;
	if (last_ && last_->path == oldest)
		return last_;
	std::ifstream f(oldest);
	std::stringstream text;
	text << f.rdbuf();
	QueuedBatch q{oldest, {}, {}};
	try {
		q.batch = batch_from_json(text.str(), q.id);
	} catch (const std::exception&) {
		bytes_ -= std::min<uint64_t>(bytes_, fs::file_size(oldest));
		fs::rename(oldest, oldest + ".bad");
		return front();
	}
	return q;
}

void DiskQueue::pop(const QueuedBatch& q)
{
	std::error_code ec;
	uint64_t size = fs::file_size(q.path, ec);
	if (fs::remove(q.path, ec))
		bytes_ -= std::min(bytes_, size);
	if (last_ && last_->path == q.path)
		last_.reset();
}

} // namespace snitch
