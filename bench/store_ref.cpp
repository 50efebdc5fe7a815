// Reference for bench/store.sh: `gen N` prints N deterministic flow events,
// one desktop day (issue 19): 40 programs under 4 parents and 2 grandparents,
// 3,000 remote addresses (a quarter IPv6; 600 domains, a fifth with none),
// ephemeral local ports, spread evenly over 24 hours. `insert N DB` inserts
// the rows those events become (one per event, as snitch-store --window 0
// writes them) with bare prepared statements into a database made by
// `snitch-store --init-schema`, with the same pragmas, interning contexts
// and peers in maps of its own.
#include "db/schema.hpp"
#include <cmath>
#include <cstdio>
#include <map>
#include <iostream>
#include <memory>
#include <sqlite3.h>
#include <stdexcept>
#include <string>

namespace {

constexpr double day0 = 1795000000 - 86400;  // bench/view.sh's reference time, a day before

struct Exe {
	std::string exe, name, cmdline, sha256;
};

struct Gen {
	int64_t i;
	Exe self, parent, grandparent;
	std::string family, proto, laddr, raddr, domain;
	int64_t pid, uid, lport, rport, sent, recv;
	double time;
};

std::string hex64(uint64_t seed)
{
	static const char hex[] = "0123456789abcdef";
	std::string s;
	for (int i = 0; i < 64; ++i) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		s.push_back(hex[(seed >> 60) & 15]);
	}
	return s;
}

Exe program(int64_t p)
{
	std::string name = "prog" + std::to_string(p), exe = "/usr/bin/" + name;
	return {exe, name, exe + " --flag value --other " + std::to_string(p * 7), hex64(static_cast<uint64_t>(p) + 1)};
}

Exe ancestor(int64_t a)
{
	static const char* names[] = {"gnome-shell", "bash", "systemd", "code", "systemd", "gdm-session-wor"};
	std::string exe = std::string(a == 2 || a == 4 ? "/usr/lib/systemd/" : "/usr/bin/") + names[a];
	return {exe, names[a], exe + (a == 2 ? " --user" : ""), hex64(static_cast<uint64_t>(a) + 900)};
}

void set_remote(Gen& g, int64_t host)
{
	bool v6 = host % 4 == 0;
	g.family = v6 ? "ipv6" : "ipv4";
	g.laddr = v6 ? "2001:db8:1::2" : "192.168.1.2";
	g.raddr = v6 ? "2001:db8:1:" + std::to_string(host) + "::7" : "10." + std::to_string(host / 256) + "." + std::to_string(host % 256) + ".7";
	g.domain = host < 2400 ? "host" + std::to_string(host % 600) + ".example.com" : "";
	g.rport = host % 10 == 1 ? 53 : host % 10 == 2 ? 80 : 443;
	g.proto = g.rport == 53 ? "udp" : "tcp";
}

Gen make(int64_t i, int64_t n)
{
	uint64_t x = static_cast<uint64_t>(i) * 2654435761u;
	int64_t prog = static_cast<int64_t>(x % 40);
	Gen g;
	g.i = i;
	g.self = program(prog);
	g.parent = ancestor(prog % 4);
	g.grandparent = ancestor(4 + prog % 2);
	set_remote(g, static_cast<int64_t>((x >> 8) % 3000));
	g.pid = 1000 + prog;
	g.uid = 1000 + prog % 3;
	g.lport = 32768 + static_cast<int64_t>((x >> 16) % 28232);
	g.sent = static_cast<int64_t>(x % 100000);
	g.recv = static_cast<int64_t>((x >> 4) % 1000000);
	g.time = day0 + static_cast<double>(i) * 86400.0 / static_cast<double>(n);
	return g;
}

std::string identity(const Exe& e, int64_t pid)
{
	return "\"pid\":" + std::to_string(pid) + ",\"comm\":\"" + e.name + "\",\"exe\":\"" + e.exe +
	       "\",\"dev\":2049,\"ino\":777,\"cmdline\":\"" + e.cmdline + "\",\"sha256\":\"" + e.sha256 + "\"";
}

void gen(int64_t n)
{
	std::string line;
	for (int64_t i = 0; i < n; ++i) {
		Gen g = make(i, n);
		line = "{\"type\":\"flow\",\"time\":" + std::to_string(g.time) + ",\"start\":" + std::to_string(g.time - 1) + "," +
		       identity(g.self, g.pid) + ",\"ppid\":900,\"uid\":" + std::to_string(g.uid) + ",\"parent\":{" + identity(g.parent, 900) +
		       "},\"grandparent\":{" + identity(g.grandparent, 800) + "},\"netns\":4026531840,\"cgroup\":\"/user.slice\",\"family\":\"" +
		       g.family + "\",\"proto\":\"" + g.proto + "\",\"laddr\":\"" + g.laddr + "\",\"lport\":" + std::to_string(g.lport) +
		       ",\"raddr\":\"" + g.raddr + "\",\"rport\":" + std::to_string(g.rport) + ",\"domain\":\"" + g.domain +
		       "\",\"sent\":" + std::to_string(g.sent) + ",\"recv\":" + std::to_string(g.recv) + ",\"events\":1}\n";
		std::fwrite(line.data(), 1, line.size(), stdout);
	}
}

struct Closer {
	void operator()(sqlite3* d) const { sqlite3_close_v2(d); }
	void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

void ok(sqlite3* db, int rc)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		throw std::runtime_error(sqlite3_errmsg(db));
}

using Stmt = std::unique_ptr<sqlite3_stmt, Closer>;

Stmt prepare(sqlite3* db, const char* sql)
{
	sqlite3_stmt* s = nullptr;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
	Stmt owned(s);
	ok(db, rc);
	return owned;
}

void step(sqlite3* db, sqlite3_stmt* s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	ok(db, rc);
}

struct Binder {
	sqlite3_stmt* s;
	int k = 0;
	explicit Binder(sqlite3_stmt* st) : s(st) {}
	Binder& integer(int64_t v) { sqlite3_bind_int64(s, ++k, v); return *this; }
	Binder& text(const std::string& v) { sqlite3_bind_text(s, ++k, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); return *this; }
};

// The id of `key` in `ids`, inserting its row with `add` (bound by `bind`) when new.
template <class F> int64_t id_of(sqlite3* db, std::map<std::string, int64_t>& ids, const std::string& key, sqlite3_stmt* add, F&& bind)
{
	auto [it, fresh] = ids.emplace(key, 0);
	if (fresh) {
		Binder b(add);
		bind(b);
		step(db, add);
		it->second = sqlite3_last_insert_rowid(db);
	}
	return it->second;
}

void insert(int64_t n, const char* path)
{
	sqlite3* raw = nullptr;
	int rc = sqlite3_open(path, &raw);
	std::unique_ptr<sqlite3, Closer> db(raw);
	ok(raw, rc);
	for (const char* p : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536"})
		ok(raw, sqlite3_exec(raw, p, nullptr, nullptr, nullptr));
	Stmt row = prepare(raw, "INSERT INTO connection_rows (time_ms, span_ms, context_id, peer_id, pid, lport, sent, recv, events) "
				"VALUES (?,?,?,?,?,?,?,?,?)");
	Stmt context = prepare(raw, "INSERT INTO contexts (exe_id, host_id, parent_id, grandparent_id, uid, netns, cgroup) "
				    "VALUES (?,(SELECT id FROM hosts WHERE name = 'bench'),?,?,?,4026531840,'/user.slice')");
	Stmt peer = prepare(raw, "INSERT INTO peers (domain, raddr, rport, laddr, family, proto) VALUES (?,?,?,?,?,?)");
	ok(raw, sqlite3_exec(raw, "INSERT OR IGNORE INTO hosts (name) VALUES ('bench')", nullptr, nullptr, nullptr));
	std::map<std::string, int64_t> contexts, peers;
	ok(raw, sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr));
	for (int64_t i = 0; i < n; ++i) {
		Gen g = make(i, n);
		auto pid = [](const Exe& e) { return snitch::process_id(e.exe, e.name, e.cmdline, e.sha256); };
		int64_t ctx = id_of(raw, contexts, std::to_string(pid(g.self)) + ' ' + std::to_string(pid(g.parent)) + ' ' +
						    std::to_string(pid(g.grandparent)) + ' ' + std::to_string(g.uid), context.get(), [&](Binder& b) {
			b.integer(pid(g.self)).integer(pid(g.parent)).integer(pid(g.grandparent)).integer(g.uid);
		});
		int64_t to = id_of(raw, peers, g.domain + ' ' + g.raddr + ' ' + std::to_string(g.rport) + ' ' + g.laddr, peer.get(), [&](Binder& b) {
			b.text(g.domain).text(g.raddr).integer(g.rport).text(g.laddr).text(g.family).text(g.proto);
		});
		int64_t ms = std::llround(g.time * 1000);
		Binder(row.get()).integer(ms).integer(1000).integer(ctx).integer(to).integer(g.pid).integer(g.lport)
			.integer(g.sent).integer(g.recv).integer(1);
		step(raw, row.get());
		if (i % 100000 == 99999) {
			ok(raw, sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr));
			ok(raw, sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr));
		}
	}
	ok(raw, sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr));
}

} // namespace

int main(int argc, char** argv)
{
	if (argc < 3) {
		std::cerr << "usage: store_ref gen N | store_ref insert N DB\n";
		return 2;
	}
	std::string mode = argv[1];
	int64_t n = std::stoll(argv[2]);
	try {
		if (mode == "gen")
			gen(n);
		else if (mode == "insert" && argc == 4)
			insert(n, argv[3]);
		else
			return 2;
	} catch (const std::exception& e) {
		std::cerr << "store_ref: " << e.what() << '\n';
		return 1;
	}
	return 0;
}
