// Reference for bench/store.sh: `gen N` prints N deterministic flow events;
// `insert N DB` inserts the rows those events become (one per event, as
// snitch-store --window 0 writes them) with bare prepared statements into a
// database made by `snitch-store --init-schema`, with the same pragmas.
#include "db/schema.hpp"
#include <cstdio>
#include <iostream>
#include <memory>
#include <sqlite3.h>
#include <stdexcept>
#include <string>

namespace {

struct Gen {
	int64_t i;
	std::string exe, name, cmdline, sha256, pexe, pname, pcmdline, psha256, raddr, domain;
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

Gen make(int64_t i)
{
	uint64_t x = static_cast<uint64_t>(i) * 2654435761u;
	int64_t prog = static_cast<int64_t>(x % 50), host = static_cast<int64_t>((x >> 8) % 5000);
	Gen g;
	g.i = i;
	g.name = "prog" + std::to_string(prog);
	g.exe = "/usr/bin/" + g.name;
	g.cmdline = g.exe + " --flag value --other " + std::to_string(prog * 7);
	g.sha256 = hex64(static_cast<uint64_t>(prog) + 1);
	g.pname = "bash";
	g.pexe = "/usr/bin/bash";
	g.pcmdline = "bash -l";
	g.psha256 = hex64(999);
	g.raddr = "10." + std::to_string(host / 256) + "." + std::to_string(host % 256) + ".7";
	g.domain = "host" + std::to_string(host) + ".example.com";
	g.pid = 1000 + prog;
	g.uid = 1000 + prog % 3;
	g.lport = 32768 + i % 28000;
	g.rport = host % 10 ? 443 : 53;
	g.sent = static_cast<int64_t>(x % 100000);
	g.recv = static_cast<int64_t>((x >> 4) % 1000000);
	g.time = 1.7e9 + static_cast<double>(i) * 0.001;
	return g;
}

void gen(int64_t n)
{
	std::string line;
	for (int64_t i = 0; i < n; ++i) {
		Gen g = make(i);
		line = "{\"type\":\"flow\",\"time\":" + std::to_string(g.time) + ",\"start\":" + std::to_string(g.time - 1) +
		       ",\"pid\":" + std::to_string(g.pid) + ",\"ppid\":1,\"uid\":" + std::to_string(g.uid) + ",\"comm\":\"" + g.name +
		       "\",\"exe\":\"" + g.exe + "\",\"cmdline\":\"" + g.cmdline + "\",\"dev\":2049,\"ino\":12345,\"parent\":{\"pid\":1,\"comm\":\"" +
		       g.pname + "\",\"exe\":\"" + g.pexe + "\",\"dev\":2049,\"ino\":777,\"cmdline\":\"" + g.pcmdline + "\",\"sha256\":\"" +
		       g.psha256 + "\"},\"netns\":4026531840,\"cgroup\":\"/user.slice\",\"family\":\"ipv4\",\"proto\":\"tcp\",\"laddr\":\"192.168.1.2\",\"lport\":" +
		       std::to_string(g.lport) + ",\"raddr\":\"" + g.raddr + "\",\"rport\":" + std::to_string(g.rport) + ",\"domain\":\"" + g.domain +
		       "\",\"sent\":" + std::to_string(g.sent) + ",\"recv\":" + std::to_string(g.recv) + ",\"events\":1,\"sha256\":\"" + g.sha256 + "\"}\n";
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

void insert(int64_t n, const char* path)
{
	sqlite3* raw = nullptr;
	int rc = sqlite3_open(path, &raw);
	std::unique_ptr<sqlite3, Closer> db(raw);
	ok(raw, rc);
	for (const char* p : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-65536"})
		ok(raw, sqlite3_exec(raw, p, nullptr, nullptr, nullptr));
	sqlite3_stmt* s = nullptr;
	ok(raw, sqlite3_prepare_v2(raw, "INSERT INTO connections (host, first_time, last_time, exe_id, parent_id, grandparent_id, "
				   "pid, uid, netns, cgroup, family, proto, laddr, lport, raddr, rport, domain, sent, recv, events) "
				   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, nullptr));
	std::unique_ptr<sqlite3_stmt, Closer> stmt(s);
	ok(raw, sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr));
	for (int64_t i = 0; i < n; ++i) {
		Gen g = make(i);
		int k = 0;
		auto text = [&](const std::string& v) { sqlite3_bind_text(s, ++k, v.data(), static_cast<int>(v.size()), SQLITE_STATIC); };
		auto integer = [&](int64_t v) { sqlite3_bind_int64(s, ++k, v); };
		text("bench");
		sqlite3_bind_double(s, ++k, g.time - 1);
		sqlite3_bind_double(s, ++k, g.time);
		integer(snitch::process_id(g.exe, g.name, g.cmdline, g.sha256));
		integer(snitch::process_id(g.pexe, g.pname, g.pcmdline, g.psha256));
		sqlite3_bind_null(s, ++k);
		integer(g.pid), integer(g.uid), integer(4026531840);
		text("/user.slice"), text("ipv4"), text("tcp"), text("192.168.1.2");
		integer(g.lport), text(g.raddr), integer(g.rport), text(g.domain), integer(g.sent), integer(g.recv), integer(1);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		ok(raw, rc);
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
