#include "store/queue.hpp"
#include "core/event.hpp"
#include "core/file_io.hpp"
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

std::string batch_to_json(const Batch& b, const std::string& id)
{
	Json j = {{"id", id}, {"events", b.events}};
	Json& p = j["processes"] = Json::array();
	for (const ProcessRow& r : b.processes)
		p.push_back({r.id, r.exe, r.name, r.cmdline, r.sha256, r.first_seen, r.exe_unverified});
	Json& c = j["connections"] = Json::array();
	for (const ConnRow& r : b.connections)
		c.push_back({r.first_time, r.last_time, r.exe_id, r.parent_id, r.grandparent_id, r.pid, r.uid, r.netns,
			     r.cgroup, r.family, r.proto, r.laddr, r.raddr, r.domain, r.lport, r.rport, r.sent, r.recv, r.events});
	Json& v = j["verdicts"] = Json::array();
	for (const VerdictRow& r : b.verdicts)
		v.push_back({r.time, r.sha256, r.event});
	Json& e = j["errors"] = Json::array();
	for (const ErrorRow& r : b.errors)
		e.push_back({r.time, r.source, r.message, r.lost});
	return dump_line(j);
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
	std::string text = batch_to_json(b, random_id());
	if (bytes_ + text.size() > max_bytes_)
		return false;
	write_file_durably(dir_ + "/" + seq_name(next_seq_++), text);
	bytes_ += text.size();
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
}

} // namespace snitch
